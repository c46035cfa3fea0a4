"""The XML cell patcher against the openpyxl writer (issue #15), table-driven.

Each case prepares a workbook, then does the same thing twice on two copies: once with
``WorkbookBackend(path)`` (the default: the patcher) and once with
``WorkbookBackend(path, writer="openpyxl")`` (the whole-file load and save, which is also
what ``SHEETS_AUTOMATION_WORKBOOK_WRITER=openpyxl`` selects). Both files must read back the
same: every cell's value through calamine (formulas' cached results included) and through
openpyxl (value or formula, fill, alignment, font, border, number format), row heights,
filters and merged ranges. Each case also states which writer the default took, so a
silent fallback cannot pass for the patcher.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from sheets_automation.backends.base import CellWrite, ReportTab, RowAppend, RowRef, WritePlan
from sheets_automation.backends.workbook import WRITER_ENV, WorkbookBackend
from sheets_automation.config import workbook_config
from sheets_automation.demo import demo_schemas, sample_plan
from sheets_automation.runner import run_once
from tests.test_workbook_files import _add_vba as add_vba

NOW = datetime(2025, 3, 9, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LATER = datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # alerts move: many cells change
JOBS = ["tracking", "rules", "messages"]
SOFFICE = shutil.which("soffice")


# -- reading a file back --------------------------------------------------------------------
def read_back(path: Path) -> dict:
    out: dict = {}
    with CalamineWorkbook.from_path(str(path)) as book:
        for name in book.sheet_names:
            out["values", name] = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    wb = openpyxl.load_workbook(path, rich_text=True)
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                fill = (c.fill.fill_type, c.fill.fgColor.rgb, c.fill.bgColor.rgb) if c.fill.fill_type else None
                look = (fill, alignment(c.alignment), repr(c.font), repr(c.border), c.number_format, repr(c.protection))
                if c.value is not None or look != EMPTY_LOOK:  # a blank unstyled cell is no cell
                    value = ("array", c.value.ref, c.value.text) if hasattr(c.value, "ref") else repr(c.value)
                    cells[c.coordinate] = (value, c.data_type, look)
        out["cells", ws.title] = cells
        out["heights", ws.title] = {r: d.height for r, d in ws.row_dimensions.items() if d.height}
        out["filter", ws.title] = ws.auto_filter.ref
        out["merged", ws.title] = sorted(str(r) for r in ws.merged_cells.ranges)
        out["state", ws.title] = ws.sheet_state
    return out


def alignment(a) -> tuple:
    """An alignment as a spreadsheet shows it: an absent flag is off, absent placement the default
    (openpyxl's save writes ``wrapText="0"`` as absent)."""
    return (a.horizontal or "general", a.vertical or "bottom", bool(a.wrap_text), bool(a.shrink_to_fit),
            a.text_rotation or 0, a.indent or 0, a.relativeIndent or 0, bool(a.justifyLastLine), a.readingOrder or 0)


def _empty_look():
    c = openpyxl.Workbook().active["A1"]
    return None, alignment(c.alignment), repr(c.font), repr(c.border), c.number_format, repr(c.protection)


EMPTY_LOOK = _empty_look()


def differences(a: dict, b: dict) -> list:
    out = []
    for key in sorted(set(a) | set(b), key=str):
        x, y = a.get(key), b.get(key)
        if x == y:
            continue
        if isinstance(x, dict) and isinstance(y, dict):
            out.append((key, [(k, x.get(k), y.get(k)) for k in sorted(set(x) | set(y), key=str)
                              if x.get(k) != y.get(k)][:4]))
        elif isinstance(x, list) and isinstance(y, list):
            rows = [i for i in range(max(len(x), len(y))) if x[i:i + 1] != y[i:i + 1]]
            out.append((key, [(i + 1, x[i:i + 1], y[i:i + 1]) for i in rows[:3]]))
        else:
            out.append((key, x, y))
    return out


# -- how files are prepared -------------------------------------------------------------------
def demo(folder: Path, demo_master: Path) -> Path:
    path = folder / "ops.xlsx"
    shutil.copy(demo_master, path)
    return path


def laid_out(folder: Path, _demo_master: Path) -> Path:
    """The demo's tabs as ``init`` lays them out (wrapped columns, filters), no rows yet."""
    path = folder / "ops.xlsx"
    WorkbookBackend(path).init_layout(demo_schemas())
    return path


def sample_appends() -> WritePlan:
    return WritePlan(appends=sample_plan(NOW).appends)


def with_sample_rows(folder: Path, demo_master: Path) -> Path:
    path = laid_out(folder, demo_master)
    WorkbookBackend(path, writer="openpyxl").apply(sample_appends())
    return path


def edited(change):
    """A demo copy that a person changed with openpyxl (``change(wb)``) and saved."""
    def prepare(folder: Path, demo_master: Path) -> Path:
        path = demo(folder, demo_master)
        wb = openpyxl.load_workbook(path, rich_text=True)
        change(wb)
        wb.save(path)
        return path
    return prepare


def col(ws, header: str) -> int:
    return [c.value for c in ws[1]].index(header) + 1


def rich_details(wb):
    ws = wb["Cases"]
    ws.cell(row=5, column=col(ws, "Details")).value = CellRichText(
        "Customer says ", TextBlock(InlineFont(b=True, color="FFFF0000"), "URGENT"), " – box crushed")


def formula_paid_at(wb):
    """A person's formula in a column the run reads (its cached result is put in afterwards)."""
    ws = wb["Cases"]
    ws.cell(row=4, column=col(ws, "Paid at")).value = "=DATE(2025,3,1)"
    ws.cell(row=4, column=col(ws, "Paid at")).number_format = "yyyy-mm-dd"


def with_cached_formula(folder: Path, demo_master: Path) -> Path:
    path = edited(formula_paid_at)(folder, demo_master)
    letter = get_column_letter(col(openpyxl.load_workbook(path)["Cases"], "Paid at"))
    tmp = path.with_name("cached.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(f'<c r="{letter}4" s='.encode(), f'<c r="{letter}4" t="n" s='.encode())
                head, sep, tail = data.partition(f'<c r="{letter}4"'.encode())
                cell, end, rest = tail.partition(b"</c>")
                data = head + sep + cell.replace(b"<v />", b"<v>45717</v>").replace(b"<v/>", b"<v>45717</v>") + end + rest
            zout.writestr(item, data)
    tmp.replace(path)
    return path


def person_made_rows_taller(wb):
    ws = wb["Cases"]
    for row in range(2, 40):
        ws.row_dimensions[row].height = 120


def alerts_filled_by_hand(wb):
    """People's own fills on Alert cells the run rewrites or clears."""
    ws = wb["Cases"]
    for row in range(2, ws.max_row + 1, 3):
        ws.cell(row=row, column=col(ws, "Alert")).fill = PatternFill("solid", start_color="FFFF00")


def as_xlsm(folder: Path, demo_master: Path) -> Path:
    path = folder / "ops.xlsm"
    add_vba(demo_master, path)
    return path


def symlinked(folder: Path, demo_master: Path) -> Path:
    target = folder / "real" / "team.xlsx"
    target.parent.mkdir()
    shutil.copy(demo_master, target)
    link = folder / "ops.xlsx"
    link.symlink_to(target)
    return link


def write_only(folder: Path, _demo_master: Path) -> Path:
    """Plain tabs as a script writes them (shared strings, no styles at all), never run."""
    from sheets_automation.demo import sample_rows
    from sheets_automation.schema import shipped_schemas

    wb = openpyxl.Workbook(write_only=True)
    for stem, rows in sample_rows(NOW).items():
        schema = shipped_schemas()[stem]
        ws = wb.create_sheet(schema.tab)
        ws.append(list(schema.headers))
        for r in rows:
            ws.append([r.get(f) or None for f in schema.fields])
    state = wb.create_sheet("_automation")
    state.append(["Row key", "Fingerprints"])
    path = folder / "ops.xlsx"
    wb.save(path)
    return path


def saved_by_libreoffice(folder: Path, demo_master: Path) -> Path:
    out = folder / "lo"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder}/lo-profile", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(demo_master)],
                   check=True, capture_output=True, timeout=240)
    path = folder / "ops.xlsx"
    shutil.move(out / demo_master.name, path)
    return path


# -- what is done to both copies ------------------------------------------------------------
def run_at(now):
    def act(backend: WorkbookBackend):
        config = workbook_config(backend.path, data_dir=backend.path.parent / "state")
        run_once(backend, config, config.spreadsheets[0], JOBS, now)
    return act


def apply(plan_of):
    def act(backend: WorkbookBackend):
        backend.apply(plan_of(backend))
    return act


def cases_ref(backend: WorkbookBackend, row: int) -> RowRef:
    grid = backend.read().grids["Cases"]
    return RowRef(key_header="Case ID", key=grid.cell(row, 1), row=row)


def odd_texts(backend: WorkbookBackend) -> WritePlan:
    """Texts that must stay text, exactly; an Alert cleared and one coloured; rows appended."""
    grid = backend.read().grids["Cases"]
    headers = grid.rows[0]
    alert, action, details = (headers.index(h) + 1 for h in ("Alert", "Next action", "Details"))
    texts = ["=1+1", "  padded  ", "<b>&amp; \"quoted\" 'single'</b>", "line one\nline two\nthree", "=SUM(A1:A3)",
             "中文 · émoji 📦", "x" * 400, "TRUE", "0042", "2025-03-01"]
    plan = WritePlan()
    for i, text in enumerate(texts):
        row = 2 + i
        plan.cells.append(CellWrite("Cases", cases_ref(backend, row), "Next action", grid.cell(row, action), text))
    filled = [r for r in range(2, len(grid.rows) + 1) if grid.cell(r, alert)][:3]
    plan.cells.append(CellWrite("Cases", cases_ref(backend, filled[0]), "Alert", grid.cell(filled[0], alert), ""))
    plan.cells.append(CellWrite("Cases", cases_ref(backend, filled[1]), "Alert", grid.cell(filled[1], alert),
                                "Overdue · by hand", colour="red"))
    plan.cells.append(CellWrite("Cases", cases_ref(backend, filled[2]), "Details", grid.cell(filled[2], details), ""))
    for n in range(3):
        plan.appends.append(RowAppend("Cases", (("Case ID", f"CS-9{n:04d}"), ("Alert", "Waiting · courier"),
                                                ("Details", "long words " * 30), ("Nope", "no such column")),
                                      colours=(("Alert", "blue"),)))
    return plan


CASES = [  # (name, prepare the file, what both writers do, the writer the default takes)
    ("demo, a later run", demo, run_at(LATER), "patch"),
    ("demo, the run after a later run", demo, lambda b: (run_at(LATER)(b), run_at(datetime(2025, 6, 3, 10, 0,
                                                         tzinfo=ZoneInfo("Asia/Shanghai")))(b)), "patch"),
    ("sample rows appended to laid-out tabs", laid_out, apply(lambda b: sample_appends()), "patch"),
    ("first run on fresh rows (creates rows)", with_sample_rows, run_at(NOW), "patch"),
    ("rich text in people's cells", edited(rich_details), run_at(LATER), "patch"),
    ("a formula with its cached result", with_cached_formula, run_at(LATER), "patch"),
    ("rows a person made taller", edited(person_made_rows_taller), run_at(LATER), "patch"),
    ("people's fills on Alert cells", edited(alerts_filled_by_hand), run_at(LATER), "patch"),
    ("odd texts, a cleared alert, appended rows", demo, apply(odd_texts), "patch"),
    ("an .xlsm", as_xlsm, run_at(LATER), "patch"),
    ("a symlinked workbook", symlinked, run_at(LATER), "patch"),
    ("a write-only workbook, first run", write_only, run_at(NOW), "patch"),
    ("a report: openpyxl", demo, apply(lambda b: WritePlan(reports=[ReportTab("Weekly report", (("a", 1),))])),
     "openpyxl"),
]
if SOFFICE:
    CASES.append(("saved by LibreOffice", saved_by_libreoffice, run_at(LATER), "patch"))


@pytest.mark.parametrize("name, prepare, act, writer", CASES, ids=[c[0] for c in CASES])
def test_the_patcher_writes_what_openpyxl_writes(name, prepare, act, writer, demo_master, tmp_path, monkeypatch):
    monkeypatch.delenv(WRITER_ENV, raising=False)
    files = {}
    for how in ("patch", "openpyxl"):
        folder = tmp_path / how
        folder.mkdir()
        path = prepare(folder, demo_master)
        before = read_back(path)
        backend = WorkbookBackend(path, writer=None if how == "patch" else "openpyxl")
        act(backend)
        assert backend.wrote_with == (writer if how == "patch" else "openpyxl"), name
        files[how] = read_back(path)
        assert files[how] != before, "the case writes something"
    assert differences(files["patch"], files["openpyxl"]) == []


def test_every_other_part_of_the_file_is_kept_byte_for_byte(demo_master, tmp_path):
    path = as_xlsm(tmp_path, demo_master)
    with zipfile.ZipFile(path) as z:
        before = {i.filename: z.read(i.filename) for i in z.infolist()}
    backend = WorkbookBackend(path)
    run_at(LATER)(backend)
    assert backend.wrote_with == "patch"
    with zipfile.ZipFile(path) as z:
        after = {i.filename: z.read(i.filename) for i in z.infolist()}
    assert list(after) == list(before)
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {"xl/workbook.xml", "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                       "xl/worksheets/sheet3.xml", "xl/worksheets/sheet4.xml", "xl/worksheets/sheet6.xml"}
    assert "xl/worksheets/sheet1.xml" in changed
    assert "xl/worksheets/sheet5.xml" in after and after["xl/worksheets/sheet5.xml"] == before["xl/worksheets/sheet5.xml"]


def _rewrite_part(path: Path, part: str, edit) -> None:
    tmp = path.with_name("edited.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, edit(data) if item.filename == part else data)
    tmp.replace(path)


def _array_formula_over_row_2(data: bytes) -> bytes:
    """Cases A2 made the top-left cell of an array formula over A2:AB200 (a written cell inside
    it must make the run fall back)."""
    edited = re.sub(rb'<c r="A2"([^>]*?) t="inlineStr"><is><t>([^<]*)</t></is></c>',
                    rb'<c r="A2"\1 t="str"><f t="array" ref="A2:AB200">"\2"</f><v>\2</v></c>', data, count=1)
    assert edited != data
    return edited


@pytest.mark.parametrize("edit, why", [
    (lambda d: d.replace(b'<row r="3"', b"<row", 1), "a row without a row number"),
    (lambda d: d.replace(b"<sheetData>", b'<sheetData><!-- a comment -->', 1), "something besides rows"),
    (_array_formula_over_row_2, "a written cell inside an array formula"),
])
def test_a_file_the_patcher_does_not_handle_is_written_by_openpyxl(edit, why, demo_master, tmp_path):
    results = {}
    for how in ("patch", "openpyxl"):
        (tmp_path / how).mkdir()
        path = demo(tmp_path / how, demo_master)
        _rewrite_part(path, "xl/worksheets/sheet1.xml", edit)
        backend = WorkbookBackend(path, writer=None if how == "patch" else "openpyxl")
        try:
            run_at(LATER)(backend)
        except Exception as exc:  # openpyxl may refuse the file too; then both must refuse it alike
            results[how] = type(exc).__name__
            continue
        assert backend.wrote_with in ("openpyxl", ""), why
        results[how] = read_back(path)
    assert results["patch"] == results["openpyxl"], why


def test_the_environment_variable_selects_openpyxl(demo_master, tmp_path, monkeypatch):
    monkeypatch.setenv(WRITER_ENV, "openpyxl")
    backend = WorkbookBackend(demo(tmp_path, demo_master))
    run_at(LATER)(backend)
    assert backend.wrote_with == "openpyxl"


def test_an_unknown_writer_setting_stops_the_run_with_one_line(demo_master, tmp_path):
    import sys

    path = demo(tmp_path, demo_master)
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-m", "sheets_automation", "run", *JOBS, "--workbook", str(path), "-q",
                           "--now", LATER.isoformat()], capture_output=True, text=True,
                          env={**os.environ, WRITER_ENV: "fast"})
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert proc.returncode != 0 and len(errors) == 1 and WRITER_ENV in errors[0] and "'openpyxl'" in errors[0]
    assert "Traceback" not in proc.stderr and path.read_bytes() == before


def test_a_carriage_return_is_kept(demo_master, tmp_path):
    """The one known difference: openpyxl's save turns a carriage return into a line feed (so
    the next run sees a changed cell); the patcher stores it as ``&#13;`` and it reads back."""
    path = demo(tmp_path, demo_master)
    grid = WorkbookBackend(path).read().grids["Cases"]
    action = grid.rows[0].index("Next action") + 1
    backend = WorkbookBackend(path)
    backend.apply(WritePlan(cells=[CellWrite("Cases", cases_ref(backend, 2), "Next action", grid.cell(2, action),
                                             "first\r\nsecond")]))
    assert backend.wrote_with == "patch"
    assert WorkbookBackend(path).read().grids["Cases"].cell(2, action) == "first\r\nsecond"


def test_a_patched_file_opens_in_libreoffice(demo_master, tmp_path):
    """LibreOffice loads the patched file and saves every value as the patched file holds it.
    Skipped without soffice locally; ``CI=true`` makes that a failure (.ci/run installs it)."""
    if SOFFICE is None:
        if os.environ.get("CI"):
            pytest.fail("LibreOffice (soffice) is missing: .ci/run installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    path = demo(tmp_path, demo_master)
    backend = WorkbookBackend(path)
    apply(odd_texts)(backend)
    run_at(LATER)(backend)
    assert backend.wrote_with == "patch"
    out = tmp_path / "lo"
    subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless", "--convert-to",
                    "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(path)],
                   check=True, capture_output=True, timeout=240)
    ours, theirs = read_back(path), read_back(out / path.name)
    for key in ours:
        if key[0] == "values":
            assert [r for r in ours[key] if any(v != "" for v in r)] == \
                [r for r in theirs[key] if any(v != "" for v in r)], key


def _limit_file_size():  # runs in the child: files may not grow past 64 KiB ("disk full")
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_while_patching_is_one_line_and_the_workbook_is_intact(demo_master, tmp_path):
    import sys

    path = demo(tmp_path, demo_master)
    command = [sys.executable, "-m", "sheets_automation", "run", *JOBS, "--workbook", str(path), "-q"]
    assert subprocess.run([*command, "--now", NOW.isoformat()], capture_output=True).returncode == 0
    before = path.read_bytes()
    assert len(before) > 64 * 1024
    proc = subprocess.run([*command, "--now", LATER.isoformat()], capture_output=True, text=True,
                          preexec_fn=_limit_file_size)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot save workbook" in errors[0] and "Traceback" not in proc.stderr
    assert path.read_bytes() == before
    assert not list(tmp_path.glob(".ops.*.xlsx.tmp"))
