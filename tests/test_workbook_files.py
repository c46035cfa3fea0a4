"""Odd workbook files (issue #13): driven through the CLI, checked by reading the file back.

Each test names what people made that a run must keep, or the one line a run must print
instead of writing.
"""
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from datetime import datetime

import openpyxl
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.utils import get_column_letter

from sheets_automation.cli import main

LATER = "2025-06-01T10:00+08:00"  # alerts and messages move: the run writes many cells


def header_col(ws, name):
    return [c.value for c in ws[1]].index(name) + 1


def run(path, now=LATER, *extra):
    return main(["run", "--workbook", str(path), "--now", now, "-q", *extra])


def test_merged_alert_cells_get_a_note_naming_the_range_and_other_rows_run(demo_copy, capsys):
    wb = openpyxl.load_workbook(demo_copy)
    ws = wb["Cases"]
    col = get_column_letter(header_col(ws, "Alert"))
    ws.merge_cells(f"{col}10:{col}12")
    others = {r: ws[f"{col}{r}"].value for r in range(13, ws.max_row + 1)}
    wb.save(demo_copy)
    assert run(demo_copy) == 0
    captured = capsys.readouterr()
    assert f"unmerge Cases!{col}10:{col}12" in captured.err and "Traceback" not in captured.err
    assert "in merged ranges (unmerge them)" in captured.out
    ws = openpyxl.load_workbook(demo_copy)["Cases"]
    assert f"{col}10:{col}12" in {str(r) for r in ws.merged_cells.ranges}, "the merge is people's: kept"
    assert any(ws[f"{col}{r}"].value != v for r, v in others.items()), "the other rows still run"


def _add_vba(src, dst):
    """``src`` repackaged as a macro-enabled workbook holding a (dummy) VBA project."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml").replace(
                    b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.'
                                    b'com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>')
            zout.writestr(item, data)
        zout.writestr("xl/vbaProject.bin", VBA)


VBA = b"\xd0\xcf\x11\xe0 a VBA project people wrote " * 50


def test_xlsm_keeps_its_macros(demo_copy):
    path = demo_copy.with_suffix(".xlsm")
    _add_vba(demo_copy, path)
    before = path.read_bytes()
    assert run(path) == 0
    assert path.read_bytes() != before, "the run wrote"
    with zipfile.ZipFile(path) as z:
        assert z.read("xl/vbaProject.bin") == VBA
        assert b"macroEnabled" in z.read("[Content_Types].xml")


def test_rich_text_in_peoples_cells_is_kept(demo_copy):
    wb = openpyxl.load_workbook(demo_copy, rich_text=True)
    ws = wb["Cases"]
    col = header_col(ws, "Details")
    ws.cell(row=5, column=col).value = CellRichText(
        "Customer says ", TextBlock(InlineFont(b=True, color="FFFF0000"), "URGENT"), " – box crushed")
    wb.save(demo_copy)
    before = demo_copy.read_bytes()
    assert run(demo_copy) == 0
    assert demo_copy.read_bytes() != before, "the run wrote"
    value = openpyxl.load_workbook(demo_copy, rich_text=True)["Cases"].cell(row=5, column=col).value
    assert isinstance(value, CellRichText) and str(value) == "Customer says URGENT – box crushed"
    bold = [block for block in value if isinstance(block, TextBlock)]
    assert bold and bold[0].text == "URGENT" and bold[0].font.b and bold[0].font.color.rgb == "FFFF0000"


def test_a_symlinked_workbook_is_written_through_to_its_target(demo_copy, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "team.xlsx"
    shutil.move(demo_copy, target)
    link = tmp_path / "ops-link.xlsx"
    link.symlink_to(target)
    before = target.read_bytes()
    assert run(link) == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() != before, "the real workbook got the changes"
    assert not list(tmp_path.glob(".ops-link.*")) and not list(shared.glob(".team.*.tmp"))


def test_a_read_only_workbook_is_respected_with_one_line(demo_copy, capsys):
    before = demo_copy.read_bytes()
    demo_copy.chmod(0o444)
    assert run(demo_copy) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "read-only" in errors[0] and str(demo_copy) in errors[0]
    assert "Traceback" not in err
    assert demo_copy.read_bytes() == before and (demo_copy.stat().st_mode & 0o777) == 0o444


def test_an_idle_run_on_a_read_only_workbook_is_fine(demo_copy, capsys):
    demo_copy.chmod(0o444)
    assert run(demo_copy, "2025-03-09T10:00+08:00") == 0
    assert "nothing to change" in capsys.readouterr().out


def _limit_file_size():  # runs in the child: files may not grow past 64 KiB ("disk full")
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))


def test_a_full_disk_on_save_is_one_line_naming_the_path_and_the_workbook_is_intact(demo_copy):
    assert run(demo_copy, "2025-03-09T10:00+08:00") == 0  # the data folder exists beforehand
    before = demo_copy.read_bytes()
    assert len(before) > 64 * 1024
    proc = subprocess.run([sys.executable, "-m", "sheets_automation", "run", "--workbook", str(demo_copy),
                           "--now", LATER, "-q"], capture_output=True, text=True, preexec_fn=_limit_file_size)
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "cannot save workbook" in errors[0] and str(demo_copy) in errors[0]
    assert "Traceback" not in proc.stderr
    assert demo_copy.read_bytes() == before
    assert not list(demo_copy.parent.glob(".ops.*.xlsx.tmp"))


def test_a_format_down_to_the_last_sheet_row_does_not_make_the_run_huge(demo_copy):
    wb = openpyxl.load_workbook(demo_copy)
    ws = wb["Cases"]
    last = ws.max_row
    ws.cell(row=1_048_576, column=1).fill = openpyxl.styles.PatternFill("solid", start_color="FFFF00")
    wb.save(demo_copy)
    started = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert run(demo_copy) == 0
    grew_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - started) / 1024
    assert grew_mb < 400, f"peak memory grew by {grew_mb:.0f} MB"  # a 1M-row walk takes several GB
    wb = openpyxl.load_workbook(demo_copy, read_only=True)
    rows = [r for r in wb["Cases"].iter_rows(min_row=last + 1, max_row=last + 5, values_only=True)]
    wb.close()
    assert not any(v is not None for r in rows for v in r), "nothing appended far below the data"


def _with_cached_result(path, tab_part, coord, serial):
    """Rewrite ``path`` so the formula at ``coord`` carries a cached result, as Excel saves it."""
    tmp = path.with_name("cached.xlsx")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == tab_part:
                head, sep, tail = data.partition(f'<c r="{coord}"'.encode())
                cell, end, rest = tail.partition(b"</c>")
                assert b"<v />" in cell or b"<v/>" in cell
                cell = cell.replace(b"<v />", f"<v>{serial}</v>".encode()).replace(b"<v/>", f"<v>{serial}</v>".encode())
                data = head + sep + cell + end + rest
            zout.writestr(item, data)
    tmp.replace(path)


def test_formula_inputs_read_the_same_after_a_save(demo_copy):
    from openpyxl.utils.datetime import to_excel
    from python_calamine import CalamineWorkbook

    wb = openpyxl.load_workbook(demo_copy)
    ws = wb["Cases"]
    paid, action = header_col(ws, "Paid at"), header_col(ws, "Next action")
    row = next(r for r in range(2, ws.max_row + 1) if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d",
                                                                     str(ws.cell(row=r, column=paid).value))
               and "Paid at" not in str(ws.cell(row=r, column=action).value))
    when = datetime.strptime(ws.cell(row=row, column=paid).value[:10], "%Y-%m-%d")
    ws.cell(row=row, column=paid).value = f"=DATE({when.year},{when.month},{when.day})"
    ws.cell(row=row, column=paid).number_format = "yyyy-mm-dd"  # as Excel formats a DATE() result
    wb.save(demo_copy)
    coord = f"{get_column_letter(paid)}{row}"
    _with_cached_result(demo_copy, "xl/worksheets/sheet1.xml", coord, int(to_excel(when)))

    def paid_at():
        with CalamineWorkbook.from_path(str(demo_copy)) as book:
            return book.get_sheet_by_name("Cases").to_python(skip_empty_area=False)[row - 1][paid - 1]

    assert paid_at() == when.date(), "Excel's cached result, as the test set it"
    for now in (LATER, "2025-06-02T10:00+08:00"):  # the second run reads what the first one saved
        assert run(demo_copy, now) == 0
        assert paid_at() == when.date(), "the formula's result survives the save"
    ws = openpyxl.load_workbook(demo_copy)["Cases"]
    assert ws.cell(row=row, column=paid).value.startswith("=DATE(")
    assert "Paid at" not in str(ws.cell(row=row, column=action).value or "")


def test_a_symlinked_workbook_open_in_excel_at_its_target_is_left_alone(demo_copy, tmp_path, capsys):
    target = tmp_path / "team.xlsx"
    shutil.move(demo_copy, target)
    link = tmp_path / "ops-link.xlsx"
    link.symlink_to(target)
    (tmp_path / "~$team.xlsx").write_bytes(b"owner")  # Excel's lock file beside the real file
    before = target.read_bytes()
    assert run(link) == 1
    assert "open in Excel or LibreOffice" in capsys.readouterr().err
    assert target.read_bytes() == before
