"""
The planners' dashboard as tables: one code path for the page, its downloads and the report.

Every table is a :class:`DashboardTable`: stable column keys (the CSV and Excel headers, in
English snake case with units), headings in the page's language, and rows built from the
climate-normalised places KPI (:func:`api.services.places_kpi.places_kpi`, the object of
``GET /v1/kpi`` and ``kaiteki kpi places --json``), the steps and content-views sections and
the scenario gains. One year for every card: the demo year (``KAITEKI_DEMO_YEAR``) beside the
baseline year.

Tables
------
``seasons``
    Comfortable places per season and for the year, climate-normalised and under the year's
    actual weather, for the baseline and the demo year, with ratio and progress to 2×.
``places``
    Each place per season of the demo year: its share of meant hours comfortable against the
    threshold (``criteria.share``), the distance to it (share − threshold, in percentage
    points), the baseline year's share and the probability of being comfortable.
``progress``
    The three KPIs per year as ratios to their start, with the 2023 and 2030 targets.
``scenarios``
    Comfortable places of the demo year with each intervention added where it applies.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from api.errors import StoreBusyError
from comfort.constants import SEASON_NAMES, SEASONS

if TYPE_CHECKING:
    import pandas as pd

    from api.resources import Resources
    from api.settings import Settings

#: The dashboard's tables, in page order.
TABLES: tuple[str, ...] = ("seasons", "places", "progress", "scenarios")

#: Column keys of each table (the CSV and Excel headers).
COLUMNS: dict[str, tuple[str, ...]] = {
    "seasons": ("basis", "year", "period", "period_name", "places", "comfortable",
                "comfortable_expected", "comfortable_low", "comfortable_high", "ratio",
                "progress_pct", "simulated"),
    "places": ("place_id", "place", "kind", "year", "period", "period_name", "hours_meant",
               "share_pct", "threshold_pct", "distance_pt", "meets_threshold",
               "baseline_share_pct", "p_comfortable", "simulated"),
    "progress": ("kpi", "year", "ratio", "target_2023", "target_2030", "simulated"),
    "scenarios": ("intervention", "intervention_key", "comfortable_now", "comfortable_with",
                  "gain", "places_gained", "simulated"),
}  # fmt: skip

#: Target ratios (2023, 2030) of each KPI. The places KPI's 2× is the 2030 target; its 2023
#: value is the point on the straight path from 1× in the baseline year (see ``targets``).
KPI_TARGETS: dict[str, tuple[float | None, float]] = {
    "places": (None, 2.0),
    "steps": (1.1, 1.3),
    "content_views": (2.0, 4.0),
}

#: The KPI's periods (``comfort.kpi.PERIODS``: winter = DJF …) in page order, with their names.
PERIOD_SEASONS: dict[str, str] = dict(
    zip(("winter", "spring", "summer", "autumn"), SEASONS, strict=True)
)
PERIOD_NAMES: dict[str, dict[str, str]] = {
    **{p: SEASON_NAMES[s] for p, s in PERIOD_SEASONS.items()},
    "year": {"en": "Whole year", "ja": "通年"},
}
_ORDER = {p: i for i, p in enumerate(PERIOD_NAMES)}

_HEADINGS: dict[str, dict[str, str]] = {
    "basis": {"en": "Basis", "ja": "基準"},
    "year": {"en": "Year", "ja": "年"},
    "period": {"en": "Season", "ja": "季節"},
    "period_name": {"en": "Season", "ja": "季節"},
    "places": {"en": "Places", "ja": "場所数"},
    "comfortable": {"en": "Comfortable", "ja": "快適"},
    "comfortable_expected": {"en": "Expected", "ja": "期待値"},
    "comfortable_low": {"en": "90 % low", "ja": "90 % 下限"},
    "comfortable_high": {"en": "90 % high", "ja": "90 % 上限"},
    "ratio": {"en": "Ratio to baseline (×)", "ja": "基準年比（倍）"},
    "progress_pct": {"en": "Progress to 2× (%)", "ja": "2倍への進捗（%）"},
    "place_id": {"en": "Place id", "ja": "場所ID"},
    "place": {"en": "Place", "ja": "場所"},
    "kind": {"en": "Kind", "ja": "種類"},
    "hours_meant": {"en": "Hours counted", "ja": "対象時間"},
    "share_pct": {"en": "Comfortable share (%)", "ja": "快適な時間の割合（%）"},
    "threshold_pct": {"en": "Threshold (%)", "ja": "閾値（%）"},
    "distance_pt": {"en": "Distance to threshold (pt)", "ja": "閾値までの差（ポイント）"},
    "meets_threshold": {"en": "Meets threshold", "ja": "閾値達成"},
    "baseline_share_pct": {"en": "Baseline share (%)", "ja": "基準年の割合（%）"},
    "p_comfortable": {"en": "Probability comfortable", "ja": "快適である確率"},
    "kpi": {"en": "KPI", "ja": "指標"},
    "target_2023": {"en": "Target 2023 (×)", "ja": "2023年目標（倍）"},
    "target_2030": {"en": "Target 2030 (×)", "ja": "2030年目標（倍）"},
    "intervention": {"en": "Intervention", "ja": "対策"},
    "intervention_key": {"en": "Code", "ja": "コード"},
    "comfortable_now": {"en": "Comfortable now", "ja": "現状の快適な場所"},
    "comfortable_with": {"en": "Comfortable with it", "ja": "対策後の快適な場所"},
    "gain": {"en": "Gain", "ja": "増加"},
    "places_gained": {"en": "Places gained", "ja": "新たに快適になる場所"},
    "simulated": {"en": "Simulated", "ja": "シミュレーション"},
}

_TITLES: dict[str, dict[str, str]] = {
    "seasons": {"en": "Comfortable places by season", "ja": "季節別の快適に過ごせる場所"},
    "places": {
        "en": "Each place against the threshold",
        "ja": "場所ごとの快適な時間の割合と閾値",
    },
    "progress": {"en": "Progress towards the targets", "ja": "目標への進捗"},
    "scenarios": {"en": "Scenarios: one intervention everywhere", "ja": "対策シナリオ"},
}

_BASIS = {
    "climate_normalised": {"en": "Climate-normalised", "ja": "気候補正済み"},
    "actual_weather": {"en": "Actual weather", "ja": "実際の気象"},
}
_KPI_NAMES = {
    "places": {"en": "Comfortable places", "ja": "快適に過ごせる場所"},
    "steps": {"en": "Mean daily steps", "ja": "1日平均歩数"},
    "content_views": {"en": "Views of the walking content", "ja": "歩行コンテンツの閲覧数"},
}


#: Japanese words of the registry's codes and the KPI's labels shown on the pages.
WORDS_JA: dict[str, str] = {
    "outdoor": "屋外", "indoor": "屋内", "semi_outdoor": "半屋外",
    "existing": "既存", "planned": "計画中", "retired": "廃止",
    "textbook": "標準", "given": "指定", "calibrated": "地域較正",
    "narrow": "狭い快適帯", "wide": "広い快適帯",
    "add": "追加", "edit": "変更", "retire": "廃止", "import": "取り込み", "seed": "初期登録",
}  # fmt: skip


def word(value: object, lang: str) -> str:
    """A code shown on a page, in Japanese on Japanese pages (the code itself otherwise)."""
    text = "" if value is None else str(value)
    return WORDS_JA.get(text, text) if lang == "ja" else text


def reference_label(places: dict[str, Any], lang: str) -> str:
    """The reference climate of the places KPI in ``lang``."""
    ref = places.get("reference") or {}
    if lang != "ja":
        return str(ref.get("label", places.get("reference_climate", "")))
    if ref.get("year") is not None:
        return f"基準年 {ref['year']} 年の毎時の快適性マップ"
    return "典型年（2019〜2022年の実測日平均気温に最も近い月を組み合わせた年）"


@dataclass
class DashboardTable:
    """One dashboard table: rows keyed by ``columns``, with headings and a title per language."""

    name: str
    columns: tuple[str, ...]
    rows: list[dict[str, Any]]
    lang: str
    simulated: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The table's title in its language."""
        return _TITLES[self.name][self.lang]

    @property
    def headings(self) -> dict[str, str]:
        """Column key → heading in the table's language."""
        return {c: _HEADINGS.get(c, {}).get(self.lang, c) for c in self.columns}

    def frame(self) -> pd.DataFrame:
        """The rows as a DataFrame with the column keys as headers (the downloads' layout)."""
        import pandas as pd

        return pd.DataFrame([{c: r.get(c) for c in self.columns} for r in self.rows],
                            columns=list(self.columns))  # fmt: skip


def _pct(x: float | None) -> float | None:
    return None if x is None else round(100.0 * x, 1)


def season_rows(places: dict[str, Any], years: tuple[int, int], lang: str) -> list[dict[str, Any]]:
    """Rows of the ``seasons`` table from a places KPI object, for ``years`` only."""
    order = _ORDER
    rows = []
    for basis, key in (("climate_normalised", "series"), ("actual_weather", "actual_weather")):
        for r in places.get(key, []):
            if r["year"] not in years or r["period"] not in order:
                continue
            rows.append(
                {
                    "basis": _BASIS[basis][lang],
                    "year": r["year"],
                    "period": r["period"],
                    "period_name": PERIOD_NAMES[r["period"]][lang],
                    "places": r["places"],
                    "comfortable": r["comfortable"],
                    "comfortable_expected": round(float(r["comfortable_expected"]), 2),
                    "comfortable_low": r["comfortable_low"],
                    "comfortable_high": r["comfortable_high"],
                    "ratio": None if r["ratio"] is None else round(float(r["ratio"]), 3),
                    "progress_pct": _pct(r.get("progress")),
                    "simulated": bool(places.get("simulated")),
                }
            )
    rows.sort(key=lambda r: (r["basis"], r["year"], order[r["period"]]))
    return rows


def place_rows(
    places: dict[str, Any], year: int, baseline_year: int, lang: str
) -> list[dict[str, Any]]:
    """
    Rows of the ``places`` table: each place with meant hours in a period of ``year``, its
    comfortable share against the KPI's threshold and the distance to it (percentage points).
    """
    threshold = float(places["criteria"]["share"])
    info = {p["place_id"]: p for p in places.get("places", [])}
    periods = places.get("place_periods", [])
    base = {
        (r["place_id"], r["period"]): r["share_comfortable"]
        for r in periods
        if r["year"] == baseline_year
    }
    order = _ORDER
    rows = []
    for r in periods:
        if r["year"] != year or not r["hours_meant"] or r["share_comfortable"] is None:
            continue
        p = info.get(r["place_id"], {})
        share = float(r["share_comfortable"])
        rows.append(
            {
                "place_id": r["place_id"],
                "place": p.get("name_ja" if lang == "ja" else "name_en", r["place_id"]),
                "kind": p.get("kind"),
                "year": year,
                "period": r["period"],
                "period_name": PERIOD_NAMES[r["period"]][lang],
                "hours_meant": int(r["hours_meant"]),
                "share_pct": _pct(share),
                "threshold_pct": _pct(threshold),
                "distance_pt": round(100.0 * (share - threshold), 1),
                "meets_threshold": share >= threshold,
                "baseline_share_pct": _pct(base.get((r["place_id"], r["period"]))),
                "p_comfortable": round(float(r["p_comfortable"]), 3),
                "simulated": bool(places.get("simulated")),
            }
        )
    rows.sort(key=lambda r: (order[r["period"]], -r["distance_pt"], r["place_id"]))
    return rows


def targets(baseline_year: int) -> dict[str, tuple[float, float]]:
    """
    The 2023 and 2030 target ratios of each KPI. The places KPI has a 2030 target only (2×);
    its 2023 value is read off the straight path from 1× in the baseline year to 2× in 2030.
    """
    out = {}
    for kpi, (t2023, t2030) in KPI_TARGETS.items():
        if t2023 is None:
            span = max(2030 - baseline_year, 1)
            t2023 = round(1.0 + (t2030 - 1.0) * (2023 - baseline_year) / span, 3)
        out[kpi] = (float(t2023), float(t2030))
    return out


def progress_rows(
    places: dict[str, Any],
    steps: dict[str, Any],
    views: dict[str, Any],
    baseline_year: int,
    lang: str,
) -> list[dict[str, Any]]:
    """Rows of the ``progress`` table: each KPI's ratio per year with its two targets."""
    tg = targets(baseline_year)
    rows = []

    def add(kpi: str, year: int, ratio: float | None, simulated: bool) -> None:
        rows.append(
            {
                "kpi": _KPI_NAMES[kpi][lang],
                "year": year,
                "ratio": None if ratio is None else round(float(ratio), 3),
                "target_2023": tg[kpi][0],
                "target_2030": tg[kpi][1],
                "simulated": simulated,
            }
        )

    for r in places.get("series", []):
        if r["period"] == "year":
            add("places", r["year"], r["ratio"], bool(places.get("simulated")))
    if steps.get("available") and not steps.get("suppressed"):
        sim = bool(steps.get("simulated"))
        add("steps", int(steps["start_year"]), 1.0, sim)
        add("steps", int(steps["current_year"]), steps.get("ratio_season_adjusted"), sim)
    for r in views.get("series", []) if views.get("available") else []:
        add("content_views", r["year"], r["ratio"], bool(views.get("simulated")))
    return rows


def scenario_rows(scenarios: list[dict[str, Any]], names: dict[str, str], lang: str,
                  simulated: bool) -> list[dict[str, Any]]:  # fmt: skip
    """Rows of the ``scenarios`` table: intervention names and place names, not codes."""
    from comfort.scenarios import INTERVENTIONS

    rows = []
    for s in scenarios:
        iv = INTERVENTIONS.get(s["intervention"])
        label = s["intervention"] if iv is None else (iv.name_ja if lang == "ja" else iv.name_en)
        rows.append(
            {
                "intervention": label,
                "intervention_key": s["intervention"],
                "comfortable_now": int(s["comfortable_now"]),
                "comfortable_with": int(s["comfortable_with"]),
                "gain": int(s["comfortable_with"]) - int(s["comfortable_now"]),
                "places_gained": "、".join(names.get(p, p) for p in s["places_gained"])
                if lang == "ja"
                else ", ".join(names.get(p, p) for p in s["places_gained"]),
                "simulated": simulated,
            }
        )
    return rows


@dataclass
class Dashboard:
    """The dashboard's sections and tables for one language."""

    lang: str
    year: int
    baseline_year: int
    places: dict[str, Any]
    steps: dict[str, Any]
    views: dict[str, Any]
    tables: dict[str, DashboardTable]

    @property
    def simulated(self) -> bool:
        """Whether anything shown comes from simulated data."""
        return any(t.simulated for t in self.tables.values()) or bool(
            self.places.get("simulated") or self.steps.get("simulated")
        )


def build_dashboard(res: Resources, settings: Settings, lang: str) -> Dashboard:
    """
    Every dashboard table of the demo year (with the baseline) in ``lang``.

    The places KPI is the climate-normalised object of ``GET /v1/kpi``; without a baseline
    field its tables are empty and the section says why (``places["message"]``).
    """
    from api.services.kpi import places_section, store_sections

    try:
        places = places_section(res, settings)
    except StoreBusyError as exc:
        # another process holds the store: the page says so instead of failing (as the steps
        # and views sections do)
        places = {"available": False, "busy": True, "message": str(exc), "places": []}
    steps, views = store_sections(settings)
    year, base = int(settings.demo_year), int(settings.baseline_year)
    sim_places = bool(places.get("simulated"))
    names = {
        p["place_id"]: p["name_ja" if lang == "ja" else "name_en"] for p in places.get("places", [])
    }
    tables = {
        "seasons": DashboardTable(
            "seasons",
            COLUMNS["seasons"],
            season_rows(places, (base, year), lang) if places.get("available") else [],
            lang,
            sim_places,
        ),
        "places": DashboardTable(
            "places",
            COLUMNS["places"],
            place_rows(places, year, base, lang) if places.get("available") else [],
            lang,
            sim_places,
        ),
        "progress": DashboardTable(
            "progress",
            COLUMNS["progress"],
            progress_rows(places, steps, views, base, lang),
            lang,
            sim_places or bool(steps.get("simulated")),
        ),
        "scenarios": DashboardTable(
            "scenarios",
            COLUMNS["scenarios"],
            scenario_rows(res.scenario_results(year, base), names, lang, sim_places),
            lang,
            sim_places,
        ),
    }
    return Dashboard(lang, year, base, places, steps, views, tables)


def table_csv(table: DashboardTable) -> bytes:
    """
    A table as UTF-8 CSV with a byte-order mark (spreadsheets then read the Japanese text),
    formula-like text cells neutralised as in the exports (:mod:`sensors.export.formulas`).
    """
    from sensors.export.formulas import neutralise_formulas

    safe, _ = neutralise_formulas(table.frame())
    return safe.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def tables_xlsx(tables: list[DashboardTable]) -> bytes:
    """
    Tables as one Excel workbook (openpyxl), one sheet per table named after it, the column
    keys as the header row; formula-like text cells neutralised as in the CSV downloads.
    """
    import pandas as pd

    from sensors.export.formulas import neutralise_formulas

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for t in tables:
            safe, _ = neutralise_formulas(t.frame())
            safe.to_excel(xw, sheet_name=t.name, index=False)
    return buf.getvalue()
