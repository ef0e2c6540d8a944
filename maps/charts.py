"""Server-side charts as inline SVG (matplotlib, Agg backend): no chart JavaScript."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager

_JA_FONTS = ("Noto Sans CJK JP", "Noto Sans JP", "IPAexGothic", "IPAGothic", "TakaoGothic")


def _font_family() -> list[str]:
    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in _JA_FONTS if f in have] + ["DejaVu Sans"]


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    with warnings.catch_warnings():
        # Text stays text in the SVG (svg.fonttype "none"): the browser draws it with its own
        # Japanese font, so matplotlib's missing-glyph warning (layout only) does not apply.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # drop the RDF metadata block: its namespace URIs are not requests but read like links
    return re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)


def line_chart(
    x: Sequence[object],
    series: dict[str, Sequence[float | None]],
    *,
    title: str,
    ylabel: str,
    targets: dict[str, float] | None = None,
    note: str | None = None,
) -> str:
    """
    A line chart as an SVG string: one line per series, dashed horizontal target lines.

    Labels are drawn with a Japanese-capable font when one is installed (else DejaVu Sans,
    and the caller should pass English labels).
    """
    with plt.rc_context({"font.family": _font_family(), "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(6.0, 2.8), dpi=100)
        for name, ys in series.items():
            ax.plot(
                list(range(len(x))),
                [float("nan") if y is None else y for y in ys],
                marker="o",
                ms=3,
                label=name,
            )
        for name, y in (targets or {}).items():
            ax.axhline(y, ls="--", lw=1, color="#868e96")
            ax.annotate(
                name, (0, y), xytext=(2, 2), textcoords="offset points", fontsize=8, color="#495057"
            )
        step = max(1, len(x) // 8)
        ax.set_xticks(
            list(range(0, len(x), step)), [str(v) for v in list(x)[::step]], fontsize=8, rotation=0
        )
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=8, frameon=False)
        if note:
            fig.text(0.01, -0.02, note, fontsize=7, color="#b35c00")
        return _svg(fig)


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    ylabel: str,
    target: float | None = None,
    note: str | None = None,
) -> str:
    """A bar chart as an SVG string, with an optional dashed target line."""
    with plt.rc_context({"font.family": _font_family(), "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(6.0, 2.8), dpi=100)
        ax.bar(range(len(values)), values, color="#1864ab")
        ax.set_xticks(range(len(values)), labels, fontsize=8)
        if target is not None:
            ax.axhline(target, ls="--", lw=1, color="#c92a2a")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        if note:
            fig.text(0.01, -0.02, note, fontsize=7, color="#b35c00")
        return _svg(fig)


def chikaho_chart(
    daily: pd.DataFrame,
    title: str,
    suffix: str = " (J1–J5, real)",
    ylabel: str = "count / 15 min (monthly mean)",
) -> str:
    """
    SVG line chart of the Chi-Ka-Ho counters J1–J5: monthly means of the real daily counts.

    Parameters
    ----------
    daily
        Daily counts (people per 15 min) in columns ``J1``..``J5``, indexed by date.
    title
        Chart title (in the page's language); ``suffix`` is appended.
    suffix, ylabel
        Title suffix and y-axis label, in the page's language.
    """
    monthly = daily[[f"J{i}" for i in range(1, 6)]].resample("MS").mean()
    return line_chart(
        [f"{d:%Y-%m}" for d in monthly.index],
        {c: monthly[c].round(0).tolist() for c in monthly.columns},
        title=title + suffix,
        ylabel=ylabel,
    )


def kpi_charts(
    places: Mapping[str, Any],
    steps: Mapping[str, Any],
    views: Mapping[str, Any],
    *,
    labels: Mapping[str, str],
    baseline_year: int,
) -> dict[str, str]:
    """
    The dashboard's SVG charts of the KPI sections (``GET /v1/kpi``): comfortable places per
    year with the target (2× the baseline year), participants' mean daily steps per month and
    content views per year. A section without data has no chart.

    Parameters
    ----------
    places, steps, views
        The sections ``places``, ``steps`` and ``content_views`` of ``GET /v1/kpi``.
    labels
        Titles and notes in the page's language: ``kpi_places``, ``kpi_steps``, ``kpi_views``,
        ``steps`` (series name) and ``simulated``.
    baseline_year
        The baseline year of the places KPI.
    """
    charts: dict[str, str] = {}
    if places.get("available"):
        year_rows = [r for r in places["series"] if r.get("period") == "year"]
        baseline = next((r["comfortable"] for r in year_rows if r["year"] == baseline_year), 0)
        charts["places"] = bar_chart(
            [str(r["year"]) for r in year_rows],
            [r["comfortable"] for r in year_rows],
            title=labels["kpi_places"],
            ylabel=labels.get("unit_places", "places"),
            target=2.0 * baseline or None,
            note=labels["simulated"] if places.get("simulated") else None,
        )
    if steps.get("series"):
        charts["steps"] = line_chart(
            [r["month"] for r in steps["series"]],
            {labels["steps"]: [r["mean_daily_steps"] for r in steps["series"]]},
            title=labels["kpi_steps"],
            ylabel=labels.get("unit_steps_per_day", "steps / day"),
            note=labels["simulated"] if steps.get("simulated") else None,
        )
    if views.get("available"):
        charts["views"] = bar_chart(
            [str(r["year"]) for r in views["series"]],
            [r["mean_daily_views"] for r in views["series"]],
            title=labels["kpi_views"],
            ylabel=labels.get("unit_views_per_day", "views / day"),
        )
    return charts


def season_chart(
    periods: Sequence[str],
    values: Mapping[str, Sequence[float]],
    *,
    title: str,
    ylabel: str,
    note: str | None = None,
) -> str:
    """
    Grouped bars as an SVG string: one group per season (``periods``, already labelled), one bar
    per series of ``values`` (e.g. the baseline year and the demo year), values written on the
    bars.
    """
    with plt.rc_context({"font.family": _font_family(), "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(6.0, 2.8), dpi=100)
        n = max(len(values), 1)
        width = 0.8 / n
        colours = ("#adb5bd", "#1864ab", "#2b8a3e", "#e67700")
        for i, (name, ys) in enumerate(values.items()):
            xs = [k + (i - (n - 1) / 2) * width for k in range(len(periods))]
            bars = ax.bar(xs, ys, width=width, label=name, color=colours[i % len(colours)])
            ax.bar_label(bars, fmt="%g", fontsize=7)
        ax.set_xticks(range(len(periods)), list(periods), fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8, frameon=False)
        if note:
            fig.text(0.01, -0.02, note, fontsize=7, color="#b35c00")
        return _svg(fig)


def progress_chart(
    years: Sequence[int],
    ratios: Sequence[float | None],
    *,
    baseline_year: int,
    targets: Mapping[int, float],
    title: str,
    ylabel: str,
    labels: Mapping[str, str],
    note: str | None = None,
) -> str:
    """
    Progress of a KPI ratio towards its targets as an SVG string.

    The measured ratios per year are a solid line; the planned path is a dashed line from 1× in
    ``baseline_year`` through each target year (e.g. 2023 and 2030) with the target ratio
    written at each point.

    Parameters
    ----------
    years, ratios
        The measured ratio to the baseline per year (None where there is none).
    targets
        Target year → ratio.
    labels
        ``measured`` and ``path`` (legend entries) and ``target`` (point label prefix), in the
        page's language.
    """
    with plt.rc_context({"font.family": _font_family(), "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(6.0, 2.8), dpi=100)
        path_x = [baseline_year, *sorted(targets)]
        path_y = [1.0, *(targets[y] for y in sorted(targets))]
        ax.plot(path_x, path_y, ls="--", lw=1.2, color="#868e96", label=labels["path"])
        for x, y in zip(path_x[1:], path_y[1:], strict=True):
            ax.plot([x], [y], marker="D", ms=5, color="#c92a2a")
            ax.annotate(
                f"{labels['target']} {x}: {y:.2f}×", (x, y), xytext=(-4, 6),
                textcoords="offset points", fontsize=7, ha="right", color="#c92a2a",
            )  # fmt: skip
        pts = [(x, r) for x, r in zip(years, ratios, strict=True) if r is not None]
        if pts:
            ax.plot(
                [p[0] for p in pts], [p[1] for p in pts], marker="o", ms=4, lw=2,
                color="#1864ab", label=labels["measured"],
            )  # fmt: skip
            for x, r in pts:
                ax.annotate(f"{r:.2f}×", (x, r), xytext=(4, -10), textcoords="offset points",
                            fontsize=7, color="#1864ab")  # fmt: skip
        ax.set_xticks(sorted({*path_x, *years}))
        ax.tick_params(axis="x", labelsize=7, rotation=45)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel, fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, frameon=False, loc="upper left")
        if note:
            fig.text(0.01, -0.06, note, fontsize=7, color="#b35c00")
        return _svg(fig)
