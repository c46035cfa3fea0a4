"""``report --png``: the R3 trend chart as a PNG image.

Drawn with matplotlib (labels, legend, high season shaded), an optional extra:
``pip install "sheets-automation[report]"``.
"""
from __future__ import annotations

from pathlib import Path

from .weekly import COLUMNS, WeeklyReport

from ..errors import ConfigError

SERIES_COLOURS = {"shipping": (31, 119, 180), "quality": (255, 127, 14), "warehouse": (44, 160, 44),
                  "total": (90, 90, 90)}


def _series(report: WeeklyReport) -> dict[str, list[int]]:
    out = {c: [w.counts[c] for w in report.weeks] for c in COLUMNS if c != "other"}
    out["total"] = [w.total for w in report.weeks]
    return out


def save_trend_png(report: WeeklyReport, path: str | Path) -> str:
    """Write the chart as a PNG; return the renderer's name."""
    try:
        import matplotlib
    except ImportError:
        raise ConfigError('report --png needs matplotlib: pip install "sheets-automation[report]"') from None
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4.5), dpi=100)
    ax = fig.add_subplot()
    labels = [w.week.strftime("%m-%d") for w in report.weeks]
    for i, w in enumerate(report.weeks):
        if w.high_season:
            ax.axvspan(i - 0.5, i + 0.5, color="#fde7e7", lw=0)
    for name, values in _series(report).items():
        ax.plot(labels, values, marker="o", label=name, color=[c / 255 for c in SERIES_COLOURS[name]])
    ax.set_title("After-service cases per week (shaded: high season Dec-Mar)")
    ax.set_xlabel("week starting")
    ax.set_ylabel("cases")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, format="png")
    return "matplotlib"
