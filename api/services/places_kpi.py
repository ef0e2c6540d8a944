"""
The climate-normalised comfortable-places KPI as one object, shared by ``kaiteki kpi places``,
``kaiteki comfort kpi``, ``GET /v1/kpi`` (section ``places``), ``GET /v1/places`` and the
dashboard (one question, one code path).

Inputs: the places registry (read-only from the store; the embedded layer while the store has
none), the built comfort fields (one per year) and, for ``reference="typical"``, the real daily
weather 2019–2022. The place conditions of each field are kept per (field file, its mtime,
registry) in a small LRU cache; the result per (inputs, criteria) for :data:`TTL_S` seconds.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path
from typing import Any

import cachetools
import numpy as np
import pandas as pd

from api.errors import StoreBusyError
from api.settings import Settings
from comfort.errors import KPIError
from comfort.place_kpi import Criteria

#: Seconds a computed KPI object is kept per process (the registry digest is part of the key,
#: so a registry change shows at once).
TTL_S = 60.0

#: The references a KPI can be evaluated under.
REFERENCES = ("baseline", "typical")

#: How many registry changes the KPI object lists.
CHANGES_SHOWN = 20

_conditions_cache: cachetools.LRUCache[Any, Any] = cachetools.LRUCache(maxsize=8)
_result_cache: cachetools.TTLCache[Any, Any] = cachetools.TTLCache(maxsize=16, ttl=TTL_S)
_lock = threading.RLock()
#: The registry last read from each store: it answers while another process holds the store
#: (the registry is read afresh otherwise, so a change shows at once).
_registry_last: dict[str, Any] = {}


def read_registry(settings: Settings) -> tuple[Any, Any]:
    """
    The registry (every place, with history) and its audit log, from the store opened
    read-only (the embedded layer and no changes while the store has none).

    Raises
    ------
    api.errors.StoreBusyError
        The store stayed locked by another process.
    """
    import geopandas as gpd

    from api.services.kpi import read_store
    from sensors import registry

    empty = (registry.read_registry(None), registry.audit_log(None))

    def read(store: Any) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
        return registry.read_registry(store), registry.audit_log(store).head(CHANGES_SHOWN)

    key = str(settings.store)
    try:
        value = read_store(Path(settings.store), read, empty)
    except StoreBusyError:
        # another process holds the store: the registry read last stays valid (as the KPI
        # sections read before do) rather than failing the dashboard
        with _lock:
            last = _registry_last.get(key)
        if last is None:
            raise
        return last
    with _lock:
        _registry_last[key] = value
    return value


#: Columns of the KPI object's ``place_periods`` rows.
PLACE_PERIOD_COLUMNS = ("year", "period", "place_id", "hours_meant", "share_comfortable",
                        "p_comfortable")  # fmt: skip


def _digest(reg: Any) -> str:
    text = reg.drop(columns="geometry").astype(str).to_csv() + "".join(reg.geometry.to_wkt())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _conditions(settings: Settings, year: int, reg: Any, digest: str) -> Any:
    from sensors.fieldstore import field_path, load_field
    from sensors.placefield import place_conditions

    path = Path(field_path(settings.cache_dir, year))
    key = (str(path), path.stat().st_mtime_ns, digest)
    with _lock:
        hit = _conditions_cache.get(key)
        if hit is None:
            ds = load_field(path)
            try:
                hit = place_conditions(ds, reg)
            finally:
                ds.close()
            _conditions_cache[key] = hit
        return hit


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in frame.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for k, v in rec.items():
            if isinstance(v, np.generic):
                v = v.item()
            if isinstance(v, float) and not np.isfinite(v):
                v = None
            if hasattr(v, "isoformat"):
                v = v.isoformat()
            clean[k] = v
        out.append(clean)
    return out


def criteria_from(
    share: float = 0.6,
    band: tuple[float, float] | None = None,
    band_name: str | None = None,
    daytime_hours: tuple[int, int] = (10, 18),
) -> Criteria:
    """The criteria of a request: the textbook band unless a (calibrated) band is given."""
    from comfort.indices import TEXTBOOK_BAND_C

    if band is None:
        return Criteria(TEXTBOOK_BAND_C, share, daytime_hours, band_name or "textbook")
    return Criteria(band, share, daytime_hours, band_name or "given")


def places_kpi(
    settings: Settings,
    *,
    reference: str = "baseline",
    criteria: Criteria | None = None,
    sensitivity: bool = True,
) -> dict[str, Any]:
    """
    The comfortable-places KPI object (see docs/PLACES.md): ``reference_climate``,
    ``target_ratio``, ``baseline_year``, ``series`` (climate-normalised rows per year and
    period), ``actual_weather`` (the same rows under each year's own weather), the
    ``sensitivity`` table, per-place probabilities (``places``) and the latest registry changes.

    Raises
    ------
    KPIError
        ``reference`` is unknown, or the baseline year has no field.
    """
    from sensors.fieldstore import available_years

    if reference not in REFERENCES:
        raise KPIError(f"reference must be one of {list(REFERENCES)}; got {reference!r}.")
    criteria = criteria or Criteria()
    reg, changes = read_registry(settings)
    digest = _digest(reg)
    years = available_years(settings.cache_dir)
    base = settings.baseline_year
    if base not in years:
        raise KPIError(
            f"no comfort field for the baseline year {base} in {Path(settings.cache_dir) / 'field'} "
            f"(built: {years}); run `kaiteki comfort build --year {base}` (or `make prepare`)."
        )
    key = (str(settings.store), str(settings.cache_dir), tuple(years), digest, reference,
           criteria, sensitivity, base)  # fmt: skip
    mtimes = tuple(_field_mtime(settings, y) for y in years)
    with _lock:
        hit = _result_cache.get((key, mtimes))
    if hit is not None:
        return dict(hit)
    result = _compute(settings, reg, changes, digest, years, reference, criteria, sensitivity)
    with _lock:
        _result_cache[(key, mtimes)] = result
    return dict(result)


def _field_mtime(settings: Settings, year: int) -> int:
    from sensors.fieldstore import field_path

    return Path(field_path(settings.cache_dir, year)).stat().st_mtime_ns


def _reference(
    settings: Settings, reference: str, conds: dict[int, Any]
) -> tuple[Any, dict[str, Any]]:
    base = settings.baseline_year
    if reference == "baseline":
        return conds[base], {"year": base, "label": f"hourly field of the baseline year {base}"}
    from comfort.constants import DAILY_WEATHER_FILE
    from comfort.place_kpi import typical_months
    from sensors.placefield import typical_conditions
    from sensors.weather import read_daily_weather

    daily = read_daily_weather(settings.data_file(DAILY_WEATHER_FILE))["air_temp_c"]
    months = typical_months(daily, sorted(conds))
    info = {
        "year": None,
        "months": {str(m): y for m, y in months.items()},
        "label": (
            "typical year: each month from the built year closest to the real 2019-2022 daily "
            "air temperatures (Finkelstein-Schafer, ISO 15927-4)"
        ),
    }
    return typical_conditions(conds, months), info


def _compute(
    settings: Settings,
    reg: Any,
    changes: pd.DataFrame,
    digest: str,
    years: list[int],
    reference: str,
    criteria: Criteria,
    sensitivity: bool,
) -> dict[str, Any]:
    from comfort.place_kpi import (
        kpi_rows,
        normalised_probabilities,
        place_probabilities,
        sensitivity_table,
    )

    base = settings.baseline_year
    conds = {y: _conditions(settings, y, reg, digest) for y in years}
    height = float(conds[base].attrs.get("wind_reference_height_m", 1.5))
    simulated = any(bool(c.attrs.get("simulated", False)) for c in conds.values())
    ref, ref_info = _reference(settings, reference, conds)
    p_ref = place_probabilities(ref, reg, criteria, wind_height_m=height)
    ref_year = int(p_ref["year"].iloc[0])
    p_ref = p_ref[p_ref["year"] == ref_year]
    series = kpi_rows(normalised_probabilities(p_ref, years), reg, base)
    actual_p = pd.concat(
        [place_probabilities(conds[y], reg, criteria, wind_height_m=height) for y in years],
        ignore_index=True,
    )
    actual = kpi_rows(actual_p, reg, base)
    out: dict[str, Any] = {
        "available": True,
        "reference_climate": reference,
        "reference": ref_info,
        "target_ratio": 2.0,
        "baseline_year": base,
        "years": years,
        "simulated": simulated,
        "criteria": {
            "share": criteria.share,
            "daytime_hours": list(criteria.daytime_hours),
            "utci_band": criteria.band_name,
            "utci_band_c": None
            if isinstance(criteria.utci_band_c, dict)
            else list(criteria.utci_band_c),
            "indoor_operative_band_c": list(criteria.indoor_operative_band_c),
            "indoor_rh_max_pct": criteria.indoor_rh_max_pct,
            "probability_threshold": 0.5,
            "interval": 0.9,
        },
        "series": _records(series),
        "actual_weather_label": "this year's actual weather (not climate-normalised)",
        "actual_weather": _records(actual),
        "places": _place_rows(reg, p_ref, actual_p, settings.demo_year, conds),
        # each place per year and season under the year's own weather (the dashboard's table
        # by place and season: share of meant hours comfortable against criteria.share)
        "place_periods": _records(actual_p[list(PLACE_PERIOD_COLUMNS)]),
        "registry_changes": _records(
            changes.drop(columns=["before_json"], errors="ignore").rename(
                columns={"after_json": "after"}
            )
        ),
        "registry_size": len(reg),
    }
    if sensitivity:
        out["sensitivity"] = _records(
            sensitivity_table(ref, reg, reg, years, base, criteria, wind_height_m=height)
        )
    return out


def _place_rows(
    reg: Any, p_ref: pd.DataFrame, actual_p: pd.DataFrame, year: int, conds: dict[int, Any]
) -> list[dict[str, Any]]:
    from comfort.places import valid_on

    ref_year = p_ref[p_ref["period"] == "year"].set_index("place_id")
    act_all = actual_p[actual_p["period"] == "year"]
    act = act_all[act_all["year"] == year].set_index("place_id")
    by_year = {(str(r.place_id), int(r.year)): float(r.p_comfortable) for r in act_all.itertuples()}
    years = sorted({int(y) for y in act_all["year"]})
    any_cond = next(iter(conds.values()))
    source = dict(zip(any_cond["place"].values, any_cond["conditions_source"].values, strict=True))
    counted = valid_on(reg, f"{year}-12-31")
    rows = []
    for i, r in enumerate(reg.drop(columns="geometry").itertuples(index=False)):
        pid = str(r.place_id)
        rows.append(
            {
                "place_id": pid,
                "name_ja": r.name_ja,
                "name_en": r.name_en,
                "kind": r.kind,
                "status": r.status,
                "valid_from": None if pd.isna(r.valid_from) else str(r.valid_from),
                "valid_to": None if pd.isna(r.valid_to) else str(r.valid_to),
                "counted": bool(counted[i]),
                "conditions_source": str(source.get(pid, "")),
                "p_comfortable": float(ref_year.loc[pid, "p_comfortable"]),
                "share_comfortable": _finite(ref_year.loc[pid, "share_comfortable"]),
                "p_comfortable_actual": float(act.loc[pid, "p_comfortable"])
                if pid in act.index
                else None,
                "p_comfortable_by_year": {str(y): by_year.get((pid, y)) for y in years},
            }
        )
    return rows


def _finite(value: Any) -> float | None:
    v = float(value)
    return v if np.isfinite(v) else None


def clear() -> None:
    """Forget kept conditions and results."""
    with _lock:
        _conditions_cache.clear()
        _result_cache.clear()
        _registry_last.clear()
