"""
The research readers of the store (``readings()``, ``sensors()``, ``table()`` ...): one SQL for
both backends, run through the backend's ``query`` (which returns the same pandas frames from
DuckDB and PostgreSQL: timestamps in Asia/Tokyo, ``qc_flags`` as ``uint32``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from sensors.errors import StoreError

if TYPE_CHECKING:
    import geopandas as gpd

#: Time zone used for timestamps without one, and for frames returned by the store.
TZ = "Asia/Tokyo"

#: Data tables (every one has ``simulated``, ``file_id`` and ``qc_flags``).
DATA_TABLES: tuple[str, ...] = (
    "sensors",
    "readings",
    "counts",
    "dwell",
    "mesh_stay",
    "steps",
    "survey",
    "weather",
)


def _ts(value: Any) -> Any:
    if value is None:
        return None
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        ts = ts.tz_localize(TZ)
    return ts.to_pydatetime()


class Readers:
    """
    The readers shared by both backends; a backend provides ``path``, :meth:`query` and
    :meth:`columns`.
    """

    path: str

    def query(self, sql: str, params: Any = None) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def columns(self, table: str) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    def _select(
        self,
        table: str,
        *,
        time_col: str | None = "time",
        start: Any = None,
        end: Any = None,
        ids: tuple[str, Iterable[str] | None] | None = None,
        simulated: bool | None = None,
        qc_ok: bool = False,
        extra_cols: str = "",
        order: str = "",
    ) -> pd.DataFrame:
        where, params = [], []
        if time_col and start is not None:
            where.append(f"t.{time_col} >= ?")
            params.append(_ts(start) if time_col != "date" else pd.Timestamp(start).date())
        if time_col and end is not None:
            where.append(f"t.{time_col} < ?")
            params.append(_ts(end) if time_col != "date" else pd.Timestamp(end).date())
        if ids is not None and ids[1] is not None:
            values = [str(v) for v in ids[1]]
            where.append(f"t.{ids[0]} IN (SELECT unnest(?::TEXT[]))")
            params.append(values)
        if simulated is not None:
            where.append("t.simulated = ?")
            params.append(simulated)
        if qc_ok:
            where.append("t.qc_flags = 0")
        sql = f"SELECT t.*{extra_cols} FROM {table} t"
        if where:
            sql += " WHERE " + " AND ".join(where)
        if order:
            sql += f" ORDER BY {order}"
        return self.query(sql, params)

    def readings(
        self,
        start: Any = None,
        end: Any = None,
        sensor_ids: Iterable[str] | None = None,
        *,
        simulated: bool | None = None,
        qc_ok: bool = False,
    ) -> pd.DataFrame:
        """
        Thermal readings, with locations resolved from the sensor registry.

        Parameters
        ----------
        start, end
            Time window ``[start, end)``; naive values are Asia/Tokyo.
        sensor_ids
            Only these sensors.
        simulated
            Only simulated (True) or only real (False) rows; both when None.
        qc_ok
            Only rows that passed every QC test (``qc_flags == 0``).

        Returns
        -------
        pandas.DataFrame
            ``time`` (Asia/Tokyo), ``sensor_id``, ``lat``, ``lon`` (the reading's, else the
            registry's), ``level``, ``air_temp_c`` (°C), ``rel_humidity_pct`` (%),
            ``wind_speed_m_s`` (m/s), ``globe_temp_c`` (°C), ``solar_wm2`` (W/m²),
            ``qc_flags`` (bitmask of :class:`comfort.qcflags.QCFlag`; names with
            :func:`sensors.qc.flag_names`), ``simulated``, ``file_id``, ``line``.
        """
        where, params = [], []
        if start is not None:
            where.append("r.time >= ?")
            params.append(_ts(start))
        if end is not None:
            where.append("r.time < ?")
            params.append(_ts(end))
        if sensor_ids is not None:
            where.append("r.sensor_id IN (SELECT unnest(?::TEXT[]))")
            params.append([str(s) for s in sensor_ids])
        if simulated is not None:
            where.append("r.simulated = ?")
            params.append(simulated)
        if qc_ok:
            where.append("r.qc_flags = 0")
        sql = (
            "SELECT r.time, r.sensor_id, coalesce(r.lat, s.lat) AS lat, "
            "coalesce(r.lon, s.lon) AS lon, "
            "coalesce(r.level, s.level, CAST(0 AS SMALLINT)) AS level, "
            "r.air_temp_c, r.rel_humidity_pct, r.wind_speed_m_s, r.globe_temp_c, r.solar_wm2, "
            "r.qc_flags, r.simulated, r.file_id, r.line "
            "FROM readings r LEFT JOIN sensors s USING (sensor_id)"
        )
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self.query(sql + " ORDER BY r.sensor_id, r.time, r.file_id, r.line", params)

    def sensors(self) -> gpd.GeoDataFrame:
        """
        The sensor registry as a GeoDataFrame (EPSG:4326 points; empty geometry when unknown).

        Columns: ``sensor_id``, ``kind`` (fixed|mobile), ``lat``, ``lon``, ``level``,
        ``height_m`` (m), ``globe_diameter_m`` (m), ``installed``, ``name``, ``qc_flags``,
        ``simulated``, ``file_id``, geometry.
        """
        df = self._select("sensors", time_col=None, order="t.sensor_id")
        return _points(df)

    def counts(
        self,
        start: Any = None,
        end: Any = None,
        line_ids: Iterable[str] | None = None,
        *,
        series: str | None = None,
        simulated: bool | None = None,
    ) -> pd.DataFrame:
        """
        People counts per counting line, interval and direction.

        Columns: ``time`` (interval start, Asia/Tokyo), ``line_id``, ``direction``,
        ``interval_min`` (min), ``count``, ``statistic`` (``total`` people in the interval,
        ``mean_per_15min`` for the Chi-Ka-Ho daily file), ``series``, ``qc_flags``,
        ``simulated``, ``file_id``, ``line``. Series are never merged: filter on ``series``.
        """
        df = self._select(
            "counts",
            start=start,
            end=end,
            ids=("line_id", line_ids),
            simulated=simulated,
            order="t.line_id, t.direction, t.time",
        )
        if series is not None:
            df = df[df["series"] == series].reset_index(drop=True)
        return df

    def dwell(
        self,
        start: Any = None,
        end: Any = None,
        zone_ids: Iterable[str] | None = None,
        *,
        simulated: bool | None = None,
    ) -> pd.DataFrame:
        """Dwell counts (people staying) per zone and interval; see :meth:`counts`."""
        return self._select(
            "dwell",
            start=start,
            end=end,
            ids=("zone_id", zone_ids),
            simulated=simulated,
            order="t.zone_id, t.time",
        )

    def mesh_stay(self, mesh_ids: Iterable[str] | None = None) -> gpd.GeoDataFrame:
        """
        MLIT 1 km mesh stay population as a GeoDataFrame (mesh squares, EPSG:4326).

        Columns: ``mesh_id`` (JIS 3rd-order code), ``city_code``, ``month`` (first day),
        ``day_type`` (holiday|weekday|all), ``time_band`` (day 11–14 h|night 1–4 h|all),
        ``stay_population`` (mean people per day), ``qc_flags``, ``simulated``,
        ``file_id``, geometry.
        """
        import geopandas as gpd

        from sensors.mlit import mesh_polygon

        df = self._select(
            "mesh_stay",
            time_col=None,
            ids=("mesh_id", mesh_ids),
            order="t.mesh_id, t.month, t.day_type, t.time_band",
        )
        geoms = {m: mesh_polygon(m) for m in df["mesh_id"].unique()}
        return gpd.GeoDataFrame(df, geometry=[geoms[m] for m in df["mesh_id"]], crs="EPSG:4326")

    def steps(
        self,
        start: Any = None,
        end: Any = None,
        participants: Iterable[str] | None = None,
        *,
        simulated: bool | None = None,
    ) -> pd.DataFrame:
        """
        Step counts: ``participant`` (pseudonym), ``time`` (Asia/Tokyo), ``interval``
        (hour|day), ``steps``, ``qc_flags``, ``simulated``, ``file_id``, ``line``.
        """
        return self._select(
            "steps",
            start=start,
            end=end,
            ids=("participant", participants),
            simulated=simulated,
            order="t.participant, t.time",
        )

    def survey(
        self, start: Any = None, end: Any = None, *, simulated: bool | None = None
    ) -> gpd.GeoDataFrame:
        """
        Questionnaire responses as a GeoDataFrame (points where ``lat``/``lon`` are given).

        Columns: ``response_id``, ``time``, ``lat``, ``lon``, ``block``,
        ``thermal_sensation`` (ASHRAE −3..+3), ``comfort_vote`` (0..3), ``preference``,
        ``activity``, ``clothing_clo`` (clo), ``age_group``, ``free_text``, ``qc_flags``,
        ``simulated``, ``file_id``, ``line``, geometry.
        """
        df = self._select(
            "survey", start=start, end=end, simulated=simulated, order="t.time, t.response_id"
        )
        return _points(df)

    def weather(self, start: Any = None, end: Any = None) -> pd.DataFrame:
        """
        Reference daily weather: ``date``, ``air_temp_c`` (°C), ``wind_dir_deg`` (°),
        ``wind_speed_m_s`` (m/s), ``precip_mm`` (mm), ``snow_depth_cm`` (cm), ``qc_flags``,
        ``simulated``, ``file_id``, ``line``.
        """
        return self._select("weather", time_col="date", start=start, end=end, order="t.date")

    def table(
        self,
        name: str,
        start: Any = None,
        end: Any = None,
        *,
        time_col: str | None = "time",
        simulated: bool | None = None,
        qc_ok: bool = False,
    ) -> pd.DataFrame:
        """
        Every row of data table ``name`` (a kind's output table, built-in or registered), with
        its integer ``qc_flags``, in the order it was stored.

        Parameters
        ----------
        name
            The table, e.g. ``"readings"`` or the table of a kind added with
            :func:`sensors.kinds.register`.
        start, end
            Window ``[start, end)`` on ``time_col`` (None: no time filter).
        time_col
            The table's time column, or None.
        simulated, qc_ok
            As in :meth:`readings`.

        Raises
        ------
        StoreError
            No such table in the store.
        """
        columns = set(self.columns(name))
        if not columns:
            raise StoreError(
                f"the store {self.path} has no table {name!r}; ingest the kind that writes it "
                "first (kaiteki ingest KIND FILE)."
            )
        tcol = time_col if time_col in columns else None
        order = ", ".join(f"t.{c}" for c in ("file_id", "line") if c in columns)
        return self._select(
            name, time_col=tcol, start=start, end=end, simulated=simulated, qc_ok=qc_ok,
            order=order,
        )  # fmt: skip

    def files(self) -> pd.DataFrame:
        """Every ingested file or batch: path, sha256, kind, row counts, time of ingest."""
        return self.query("SELECT * FROM files ORDER BY file_id")

    def quarantine(self, file_id: int | None = None) -> pd.DataFrame:
        """Rows that could not be stored: ``file_id``, ``path``, ``line``, ``field``, ``reason``,
        ``raw``."""
        sql = (
            "SELECT q.file_id, f.path, q.line, q.field, q.reason, q.raw "
            "FROM quarantine q LEFT JOIN files f USING (file_id)"
        )
        params: list[Any] = []
        if file_id is not None:
            sql += " WHERE q.file_id = ?"
            params.append(file_id)
        return self.query(sql + " ORDER BY q.file_id, q.line", params)

    def table_counts(self) -> dict[str, int]:
        """Number of rows in every data table, ``files`` and ``quarantine``."""
        out = {}
        for t in (*DATA_TABLES, "files", "quarantine"):
            out[t] = int(self.query(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0])
        return out


def _points(df: pd.DataFrame) -> gpd.GeoDataFrame:
    import geopandas as gpd

    geom = gpd.points_from_xy(df["lon"], df["lat"], crs="EPSG:4326")
    return gpd.GeoDataFrame(df, geometry=geom, crs="EPSG:4326")
