"""Keep the cached results of people's formulas across a save (issue #13).

openpyxl writes a formula cell without its last computed value (``<f>DATE(2025,3,1)</f><v/>``),
so the next run, which reads values, would see ``=DATE(…)`` inputs as blank ("Paid at is
required") until someone opens and saves the file in Excel. Before saving, the cached
values of the formula cells are read from the file (calamine, only the tabs that hold
formulas); after openpyxl saved, they are put back into its output, cell by cell, and only
where the formula is still the one that was read.
"""
from __future__ import annotations

import os
import re
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
from openpyxl.utils.datetime import to_excel
from python_calamine import CalamineWorkbook

Cached = dict[str, dict[str, tuple[str, str]]]  # tab → {"A1": (t attribute or "", <v> text)}

_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"([^>]*)><f>([^<]*)</f><v ?/></c>')
_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _xml_value(value) -> tuple[str, str] | None:
    """A calamine value as the ``t`` attribute and ``<v>`` text Excel stores; None for blank."""
    if isinstance(value, bool):
        return "b", "1" if value else "0"
    if isinstance(value, (int, float)):
        return "", repr(float(value)) if not float(value).is_integer() else str(int(value))
    if isinstance(value, timedelta):
        return "", repr(value.total_seconds() / 86400)
    if isinstance(value, (datetime, date, time)):
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime(value.year, value.month, value.day)
        return "", repr(float(to_excel(value)))
    if isinstance(value, str) and value != "":
        return "str", escape(value)
    return None


def cached_formula_values(wb, path: Path) -> Cached:
    """For every plain formula cell of the loaded ``wb``, its cached result in the file at ``path``."""
    wanted: dict[str, list[str]] = {}
    for ws in wb.worksheets:
        coords = [c.coordinate for c in ws._cells.values() if c.data_type == "f" and isinstance(c.value, str)]
        if coords:
            wanted[ws.title] = coords
    if not wanted:
        return {}
    out: Cached = {}
    with CalamineWorkbook.from_path(str(path)) as book:
        for title, coords in wanted.items():
            rows = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
            values: dict[str, tuple[str, str]] = {}
            for coord in coords:
                letters, row = coordinate_from_string(coord)
                col = column_index_from_string(letters)
                if row <= len(rows) and col <= len(rows[row - 1]):
                    xml = _xml_value(rows[row - 1][col - 1])
                    if xml is not None:
                        values[coord] = xml
            if values:
                out[title] = values
    return out


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Tab title → its worksheet part inside the saved archive."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        out[sheet.get("name")] = target.lstrip("/") if target.startswith("/") else "xl/" + target
    return out


def restore_cached_values(saved: str, cached: Cached, formulas: dict[str, dict[str, str]]) -> None:
    """Put ``cached`` results back into the workbook openpyxl saved at ``saved`` (rewritten in place),
    for cells whose formula text is still ``formulas[tab][coord]``."""
    if not cached:
        return
    with zipfile.ZipFile(saved) as archive:
        parts = _sheet_parts(archive)
        patched: dict[str, bytes] = {}
        for title, values in cached.items():
            part = parts.get(title)
            if part is None:
                continue
            expected = formulas.get(title, {})

            def fill(m: re.Match, values=values, expected=expected) -> bytes:
                coord = m.group(1).decode()
                if coord not in values or expected.get(coord) != m.group(3):
                    return m.group(0)
                t, v = values[coord]
                attrs = m.group(2) + (f' t="{t}"'.encode() if t else b"")
                return b'<c r="' + m.group(1) + b'"' + attrs + b"><f>" + m.group(3) + b"</f><v>" + v.encode() + b"</v></c>"

            patched[part] = _FORMULA_CELL.sub(fill, archive.read(part))
        rebuilt = saved + ".formulas"
        with zipfile.ZipFile(rebuilt, "w") as out:
            for item in archive.infolist():
                out.writestr(item, patched[item.filename] if item.filename in patched else archive.read(item.filename))
    os.replace(rebuilt, saved)


def formula_texts(wb, cached: Cached) -> dict[str, dict[str, bytes]]:
    """The formula text (as openpyxl writes it inside ``<f>``) of each cell in ``cached``."""
    out: dict[str, dict[str, bytes]] = {}
    for title, values in cached.items():
        ws = wb[title] if title in wb.sheetnames else None
        if ws is None:
            continue
        out[title] = {coord: escape(ws[coord].value[1:]).encode() for coord in values
                      if ws[coord].data_type == "f" and isinstance(ws[coord].value, str)}
    return out
