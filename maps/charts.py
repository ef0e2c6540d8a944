"""Server-side charts as inline SVG (matplotlib, Agg backend): no chart JavaScript."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Sequence

import matplotlib

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
