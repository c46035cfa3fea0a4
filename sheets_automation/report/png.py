"""``report --png``: the R3 trend chart as a PNG image.

Uses matplotlib when it is installed (labels, legend, high season shaded); otherwise a tiny
pure-Python line chart (zlib + struct, no text) so the command works everywhere.
"""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

from .weekly import COLUMNS, WeeklyReport

SERIES_COLOURS = {"shipping": (31, 119, 180), "quality": (255, 127, 14), "warehouse": (44, 160, 44),
                  "total": (90, 90, 90)}


def _series(report: WeeklyReport) -> dict[str, list[int]]:
    out = {c: [w.counts[c] for w in report.weeks] for c in COLUMNS if c != "other"}
    out["total"] = [w.total for w in report.weeks]
    return out


def save_trend_png(report: WeeklyReport, path: str | Path) -> str:
    """Write the chart; return which renderer drew it ("matplotlib" or "builtin")."""
    try:
        import matplotlib
    except ImportError:
        Path(path).write_bytes(line_chart_png(list(_series(report).items())))
        return "builtin"
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


def line_chart_png(series: list[tuple[str, list[int]]], width: int = 480, height: int = 240) -> bytes:
    """A minimal RGB PNG: white background, grey axes, one coloured polyline per series."""
    pixels = [bytearray(b"\xff" * width * 3) for _ in range(height)]

    def put(x: int, y: int, rgb: tuple[int, int, int]) -> None:
        if 0 <= x < width and 0 <= y < height:
            pixels[y][3 * x:3 * x + 3] = bytes(rgb)

    def line(x0: int, y0: int, x1: int, y1: int, rgb) -> None:  # Bresenham
        dx, dy = abs(x1 - x0), -abs(y1 - y0)
        sx, sy = (1 if x0 < x1 else -1), (1 if y0 < y1 else -1)
        err = dx + dy
        while True:
            put(x0, y0, rgb)
            put(x0, y0 + 1, rgb)
            if (x0, y0) == (x1, y1):
                return
            e2 = 2 * err
            if e2 >= dy:
                err += dy
                x0 += sx
            if e2 <= dx:
                err += dx
                y0 += sy

    left, top = width // 24 + 1, height // 24 + 1
    right, bottom = width - left, height - 2 * top
    line(left, top, left, bottom, (150, 150, 150))
    line(left, bottom, right, bottom, (150, 150, 150))
    peak = max([max(v, default=0) for _, v in series] + [1])
    for name, values in series:
        n = max(len(values) - 1, 1)
        pts = [(left + round(i * (right - left) / n), bottom - round(v * (bottom - top) / peak))
               for i, v in enumerate(values)]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            line(x0, y0, x1, y1, SERIES_COLOURS.get(name, (0, 0, 0)))
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
