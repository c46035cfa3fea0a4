"""Render the demo workbook's tabs to PNG, the way a person first sees them (issue #14).

Builds the demo (or takes an existing workbook), then for each view saves a copy holding
only its tab and columns (the others hidden), printed as one page of the header row plus
``--rows`` rows, converts it with LibreOffice headless (xlsx → pdf) and poppler's
``pdftoppm`` (pdf → png), and trims the white margin (Pillow, from the ``report`` extra)::

    apt-get install -y libreoffice-calc-nogui poppler-utils
    python bench/render_demo.py --out docs/screenshots

Look at the PNGs before calling a layout change done.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from sheets_automation.demo import build_demo

NOW = "2025-03-09T10:00+08:00"
AUTOMATION = ("Alert", "Window", "Due by", "Next action", "Customer message", "Tracking status", "Last event",
              "Days since update", "提醒", "应付时间", "客户话术", "Carrier")
VIEWS = (  # (png name, tab, headers shown: None = the first screen, else the key and these)
    ("cases-first-screen", "Cases", None),
    ("cases-automation", "Cases", AUTOMATION),
    ("logistics-automation", "Logistics", AUTOMATION),
    ("cashback", "返现", None),
    ("reships", "Reships", None),
    ("weekly-report", "Weekly report", None),
)


def one_view(src: Path, tab: str, headers: tuple[str, ...] | None, rows: int, cols: int, out: Path) -> Path:
    """A copy of ``src`` with only ``tab`` and the chosen columns, printed on one landscape page."""
    wb = openpyxl.load_workbook(src)
    for ws in list(wb.worksheets):
        if ws.title != tab:
            wb.remove(ws)
    ws = wb[tab]
    ws.sheet_state = "visible"
    last = cols if ws._charts else min(cols, max(ws.max_column, 1))  # a chart sits right of the cells
    if headers is not None:
        last = ws.max_column
        for c in range(2, last + 1):
            if ws.cell(row=1, column=c).value not in headers:
                ws.column_dimensions[get_column_letter(c)].hidden = True
    ws.print_area = f"A1:{get_column_letter(last)}{rows + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.print_title_rows = None
    wb.save(out)
    return out


def render(xlsx: Path, png: Path, dpi: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(xlsx)],
                       check=True, capture_output=True, timeout=180)
        pdf = Path(tmp) / (xlsx.stem + ".pdf")
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", "-f", "1", "-l", "1", str(pdf),
                        str(png.with_suffix(""))], check=True, timeout=60)
    trim(png)


def trim(png: Path, margin: int = 8) -> None:
    """Cut the page's white margin so the PNG shows the cells only."""
    from PIL import Image, ImageChops

    img = Image.open(png).convert("RGB")
    box = ImageChops.difference(img, Image.new("RGB", img.size, "white")).getbbox()
    if box:
        l, t, r, b = box
        img.crop((max(l - margin, 0), max(t - margin, 0), min(r + margin, img.width), min(b + margin, img.height))
                 ).save(png, optimize=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workbook", type=Path, help="an existing workbook (default: build the demo)")
    ap.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    ap.add_argument("--rows", type=int, default=14)
    ap.add_argument("--cols", type=int, default=12)
    ap.add_argument("--dpi", type=int, default=80)
    args = ap.parse_args()
    if shutil.which("soffice") is None or shutil.which("pdftoppm") is None:
        raise SystemExit("needs LibreOffice and poppler: apt-get install -y libreoffice-calc-nogui poppler-utils")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = args.workbook or build_demo(Path(tmp) / "demo", datetime.fromisoformat(NOW))
        for slug, tab, headers in VIEWS:
            copy = one_view(src, tab, headers, args.rows if tab != "Weekly report" else 40,
                            args.cols if tab != "Weekly report" else 22, Path(tmp) / f"{slug}.xlsx")
            render(copy, args.out / f"{slug}.png", args.dpi)
            print(args.out / f"{slug}.png")


if __name__ == "__main__":
    main()
