"""
The places registry in the store: places with their history and an audit log of every change.

Tables ``places`` and ``places_audit`` (store migration 4). The registry is seeded from the
embedded layer (:data:`sensors.places.PLACES_FILE`) by the first write (:func:`seed`, which
adds nothing when the table has rows); a store whose table is still empty reads as the embedded
layer, so a read-only reader never needs to write. Places are never deleted: ``retire`` sets
``valid_to``, so the registry as of any date can be rebuilt (:func:`comfort.places.valid_on`).
Each change is one transaction with its audit row (who, action, before and after as JSON).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from comfort.errors import PlacesError
from comfort.places import check_registry
from sensors.places import REGISTRY_COLUMNS, load_places
from sensors.readers import in_lonlat, read_vector
from sensors.store import Store

#: Store columns of a place, in table order (geometry as WKT, lon/lat of its centroid).
STORE_COLUMNS = (
    "place_id", "name_ja", "name_en", "kind", "type", "level", "geometry_wkt", "lon", "lat",
    "months", "open_min", "close_min", "features", "public_access", "valid_from", "valid_to",
    "status", "source", "approximate",
)  # fmt: skip

#: Fields a change may set (the id is fixed once added).
EDITABLE = tuple(c for c in (*REGISTRY_COLUMNS, "geometry") if c != "place_id")


def _jsonable(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def _rows(gdf: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    """Store rows of a checked registry GeoDataFrame (EPSG:4326)."""
    table = check_registry(gdf)
    out = []
    for rec, geom in zip(table.to_dict("records"), gdf.geometry, strict=True):
        c = geom.centroid
        rec = {k: _jsonable(v) for k, v in rec.items() if k != "geometry"}
        rec.update(geometry_wkt=shapely.to_wkt(geom, rounding_precision=7), lon=c.x, lat=c.y)
        out.append({k: rec[k] for k in STORE_COLUMNS})
    return out


def _frame(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """A registry GeoDataFrame from store rows."""
    geoms = [shapely.from_wkt(w) for w in rows["geometry_wkt"]]
    table = rows.drop(columns=["geometry_wkt", "lon", "lat", "updated_at"], errors="ignore")
    table["indoor"] = table["kind"] == "indoor"
    for col in ("valid_from", "valid_to"):
        table[col] = pd.Series(
            [None if pd.isna(v) else pd.Timestamp(v).date().isoformat() for v in table[col]],
            dtype="str",
        )
    gdf = gpd.GeoDataFrame(table, geometry=geoms, crs="EPSG:4326")
    return gdf[[*REGISTRY_COLUMNS, "geometry"]].reset_index(drop=True)


def _insert(store: Store, row: dict[str, Any]) -> None:
    cols = ", ".join(STORE_COLUMNS)
    marks = ", ".join("?" for _ in STORE_COLUMNS)
    store.con.execute(
        f"INSERT INTO places ({cols}) VALUES ({marks})", [row[c] for c in STORE_COLUMNS]
    )


def _audit(store: Store, who: str, action: str, place_id: str, before: Any, after: Any) -> None:
    store.con.execute(
        "INSERT INTO places_audit (who, action, place_id, before_json, after_json) "
        "VALUES (?, ?, ?, ?, ?)",
        [
            who, action, place_id,
            None if before is None else json.dumps(before, ensure_ascii=False),
            None if after is None else json.dumps(after, ensure_ascii=False),
        ],
    )  # fmt: skip


def seed(store: Store, who: str = "seed") -> int:
    """
    Fill an empty registry from the embedded layer; nothing when it has rows.

    Returns
    -------
    int
        Places added.
    """
    n = store.con.execute("SELECT count(*) FROM places").fetchone()
    if n and n[0]:
        return 0
    rows = _rows(load_places())
    store.con.execute("BEGIN TRANSACTION")
    try:
        for row in rows:
            _insert(store, row)
        _audit(store, who, "seed", "*", None, {"places": len(rows), "from": "embedded layer"})
        store.con.execute("COMMIT")
    except Exception:
        store.con.execute("ROLLBACK")
        raise
    return len(rows)


def has_registry(store: Store) -> bool:
    """Whether the store has the places table (schema version 4 or later)."""
    row = store.con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'places'"
    ).fetchone()
    return bool(row and row[0])


def read_registry(store: Store | None) -> gpd.GeoDataFrame:
    """
    Every place of the registry (retired and planned ones too), as a GeoDataFrame (EPSG:4326)
    with :data:`sensors.places.REGISTRY_COLUMNS`; the embedded layer while the store holds none.
    """
    if store is None or not has_registry(store):
        return load_places()
    rows = store.con.execute("SELECT * FROM places ORDER BY place_id").df()
    if rows.empty:
        return load_places()
    return _frame(rows)


def audit_log(store: Store | None, place_id: str | None = None) -> pd.DataFrame:
    """The audit rows, newest first (``changed_at``, ``who``, ``action``, ``place_id``, before, after)."""
    cols = ["audit_id", "changed_at", "who", "action", "place_id", "before_json", "after_json"]
    if store is None or not has_registry(store):
        return pd.DataFrame(columns=cols)
    sql = "SELECT * FROM places_audit"
    params: list[Any] = []
    if place_id is not None:
        sql += " WHERE place_id = ?"
        params.append(place_id)
    return store.con.execute(sql + " ORDER BY audit_id DESC", params).df()[cols]


def geometry_of(value: Any, lon: float | None = None, lat: float | None = None) -> BaseGeometry:
    """
    A geometry from WKT text, a GeoJSON geometry (dict or text), or a lon/lat point.

    Raises
    ------
    PlacesError
        Nothing usable, or a point outside lon −180..180 / lat −90..90.

    Examples
    --------
    >>> geometry_of(None, 141.35, 43.06).wkt
    'POINT (141.35 43.06)'
    """
    try:
        if value is None or (isinstance(value, str) and not value.strip()):
            if lon is None or lat is None:
                raise PlacesError(
                    "a place needs a geometry: give --lon and --lat, WKT or a GeoJSON geometry."
                )
            geom: BaseGeometry = Point(float(lon), float(lat))
        elif isinstance(value, dict):
            geom = shape(value)
        elif isinstance(value, str) and value.lstrip().startswith("{"):
            geom = shape(json.loads(value))
        elif isinstance(value, BaseGeometry):
            geom = value
        else:
            geom = shapely.from_wkt(str(value))
    except (ValueError, TypeError, KeyError, shapely.errors.GEOSException) as exc:
        raise PlacesError(
            f"the geometry {str(value)[:80]!r} is not WKT or GeoJSON: {exc}"
        ) from None
    minx, miny, maxx, maxy = geom.bounds
    if geom.is_empty or minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise PlacesError(
            f"the geometry {geom.wkt[:80]} is empty or not in lon/lat degrees (EPSG:4326)."
        )
    return geom


def _candidate(base: dict[str, Any] | None, changes: dict[str, Any]) -> gpd.GeoDataFrame:
    rec: dict[str, Any] = dict(base or {})
    unknown = sorted(set(changes) - set(EDITABLE) - {"place_id", "lon", "lat"})
    if unknown:
        raise PlacesError(f"unknown place fields {unknown}; editable: {list(EDITABLE)}.")
    lon, lat = changes.pop("lon", None), changes.pop("lat", None)
    rec.update({k: v for k, v in changes.items() if k != "geometry"})
    if "geometry" in changes or lon is not None or rec.get("geometry") is None:
        rec["geometry"] = geometry_of(changes.get("geometry"), lon, lat)
    if "kind" in changes and "indoor" not in changes:
        rec["indoor"] = changes["kind"] == "indoor"
    if "kind" not in rec:
        rec["kind"] = "indoor" if rec.get("indoor") else "outdoor"
    rec["indoor"] = rec.get("indoor", rec["kind"] == "indoor")
    defaults = {"type": rec["kind"], "level": 0, "open_min": 0, "close_min": 1440, "source": ""}
    for k, v in defaults.items():
        rec.setdefault(k, v)
    for k in ("level", "open_min", "close_min"):
        rec[k] = int(rec[k])
    for k in ("indoor", "public_access", "approximate"):
        if isinstance(rec.get(k), str):
            rec[k] = rec[k].strip().lower() in ("1", "true", "yes")
    if not str(rec.get("source", "")).strip():
        raise PlacesError(
            f"place {rec.get('place_id')}: give its source (who documents it, or "
            "'illustrative planned project')."
        )
    geom = rec.pop("geometry")
    return gpd.GeoDataFrame([rec], geometry=[geom], crs="EPSG:4326")


def as_record(row: gpd.GeoDataFrame) -> dict[str, Any]:
    """The first row of a registry frame as a dict with its ``geometry``."""
    rec: dict[str, Any] = row.drop(columns="geometry").iloc[0].to_dict()
    rec["geometry"] = row.geometry.iloc[0]
    return rec


def check_change(base: dict[str, Any] | None, fields: dict[str, Any]) -> None:
    """
    Check a change without writing it: ``fields`` applied to ``base`` (None for a new place).

    Raises
    ------
    PlacesError
        The result breaks the schema (naming the field).
    """
    _rows(_candidate(None if base is None else dict(base), dict(fields)))


def _current(store: Store, place_id: str) -> dict[str, Any] | None:
    reg = read_registry(store)
    row = reg[reg["place_id"] == place_id]
    return None if row.empty else as_record(row)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("lon", "lat")}


def add_place(store: Store, fields: dict[str, Any], who: str) -> dict[str, Any]:
    """
    Add a place (seeding the registry first) and audit it.

    Parameters
    ----------
    store
        The store, open for writing.
    fields
        ``place_id`` and the registry columns (geometry as WKT/GeoJSON, or ``lon``/``lat``).
    who
        Who makes the change (a CLI user, ``api key <id>``).

    Returns
    -------
    dict
        The stored row.

    Raises
    ------
    PlacesError
        The id exists already or the place breaks the schema.
    """
    seed(store)
    pid = str(fields.get("place_id") or "").strip()
    if not pid:
        raise PlacesError("a new place needs a place_id (letters, digits and '-').")
    if _current(store, pid) is not None:
        raise PlacesError(f"place {pid} exists already; edit it with `kaiteki places edit {pid}`.")
    row = _rows(_candidate(None, {**fields, "place_id": pid}))[0]
    store.con.execute("BEGIN TRANSACTION")
    try:
        _insert(store, row)
        _audit(store, who, "add", pid, None, _public(row))
        store.con.execute("COMMIT")
    except Exception:
        store.con.execute("ROLLBACK")
        raise
    return row


def edit_place(
    store: Store, place_id: str, changes: dict[str, Any], who: str, action: str = "edit"
) -> dict[str, Any]:
    """
    Change fields of a place and audit the change (before and after).

    Raises
    ------
    PlacesError
        No such place, or the result breaks the schema.
    """
    seed(store)
    base = _current(store, place_id)
    if base is None:
        raise PlacesError(f"no place {place_id!r}; `kaiteki places list` shows the ids.")
    before = _rows(_candidate(None, dict(base)))[0]
    row = _rows(_candidate(base, {k: v for k, v in changes.items() if k != "place_id"}))[0]
    if row == before:
        return row  # nothing changes: no update, no audit row
    sets = ", ".join(f"{c} = ?" for c in STORE_COLUMNS if c != "place_id")
    store.con.execute("BEGIN TRANSACTION")
    try:
        store.con.execute(
            f"UPDATE places SET {sets}, updated_at = current_timestamp WHERE place_id = ?",
            [row[c] for c in STORE_COLUMNS if c != "place_id"] + [place_id],
        )
        _audit(store, who, action, place_id, _public(before), _public(row))
        store.con.execute("COMMIT")
    except Exception:
        store.con.execute("ROLLBACK")
        raise
    return row


def retire_place(store: Store, place_id: str, on: Any, who: str) -> dict[str, Any]:
    """A place no longer exists from the date ``on`` (``valid_to``; history is kept)."""
    day = pd.Timestamp(on).date().isoformat()
    return edit_place(store, place_id, {"valid_to": day}, who, action="retire")


def apply_change(store: Store, change: dict[str, Any]) -> dict[str, Any]:
    """
    Apply one queued change (``{"action": "add"|"edit"|"retire", "place_id", "fields", "who"}``),
    as the API's spool writer does.
    """
    action = change.get("action")
    who = str(change.get("who") or "api")
    fields = dict(change.get("fields") or {})
    if action == "add":
        return add_place(store, fields, who)
    if action == "edit":
        return edit_place(store, str(change["place_id"]), fields, who)
    if action == "retire":
        return retire_place(store, str(change["place_id"]), fields.get("valid_to"), who)
    raise PlacesError(f"unknown registry action {action!r}; use add, edit or retire.")


def read_file(path: Path) -> gpd.GeoDataFrame:
    """
    Places from a GeoJSON or a CSV (``geometry`` as WKT, or ``lon``/``lat`` columns).

    Raises
    ------
    PlacesError
        The file is neither, or a row has no geometry.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        geoms = [
            geometry_of(r.get("geometry") or None, r.get("lon") or None, r.get("lat") or None)
            for r in table.to_dict("records")
        ]
        table = table.drop(columns=[c for c in ("geometry", "lon", "lat") if c in table])
        return gpd.GeoDataFrame(table, geometry=geoms, crs="EPSG:4326")
    if path.suffix.lower() not in (".geojson", ".json"):
        raise PlacesError(f"{path.name}: import reads .geojson or .csv files.")
    return in_lonlat(read_vector(path))


def import_places(store: Store, path: Path, who: str) -> dict[str, int]:
    """
    Add the places of a file that are new and edit those that exist (each change audited;
    rows equal to the stored place change nothing).

    Returns
    -------
    dict
        ``added`` and ``edited`` counts.
    """
    seed(store)
    frame = read_file(path)
    existing = set(read_registry(store)["place_id"])
    added = edited = 0
    for i, rec in enumerate(frame.drop(columns="geometry").to_dict("records")):
        rec = {k: (None if isinstance(v, str) and not v else v) for k, v in rec.items()}
        rec = {
            k: v
            for k, v in rec.items()
            if v is not None and not (isinstance(v, float) and pd.isna(v))
        }
        rec["geometry"] = frame.geometry.iloc[i]
        pid = str(rec.get("place_id", ""))
        try:
            if pid in existing:
                before = audit_log(store, pid).shape[0]
                edit_place(store, pid, rec, who, action="import")
                edited += int(audit_log(store, pid).shape[0] > before)
            else:
                add_place(store, rec, who)
                added += 1
        except PlacesError as exc:
            raise PlacesError(f"{path.name}, row {i + 1} ({pid or 'no id'}): {exc}") from None
    return {"added": added, "edited": edited}


def export_places(places: gpd.GeoDataFrame, path: Path) -> Path:
    """Write the registry as GeoJSON (``.geojson``) or CSV with WKT geometry (``.csv``)."""
    path = Path(path)
    table = places.copy()
    for col in ("valid_from", "valid_to"):
        table[col] = [None if v is None or pd.isna(v) else str(v) for v in table[col]]
    if path.suffix.lower() == ".csv":
        out = pd.DataFrame(table.drop(columns="geometry"))
        out["geometry"] = shapely.to_wkt(table.geometry.to_numpy(), rounding_precision=7)
        out.to_csv(path, index=False)
    else:
        path.write_text(table.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    return path
