"""Small byte-level helpers over SpreadsheetML for the cell patcher (:mod:`.workbook_patch`).

Only unprefixed SpreadsheetML (``<row>``, ``<c>``, ``<xf>``: what Excel, LibreOffice and
openpyxl write) is handled; anything else raises :class:`Unpatchable` so the caller falls
back to the full openpyxl load and save. The cell styles (``xl/styles.xml``) are edited
here: new ``cellXfs`` and ``fills`` entries are appended, never changed in place, so every
cell that is not written keeps its exact look.
"""
from __future__ import annotations

import re

_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')
_XF = re.compile(rb"<xf\b[^>]*?(?:/>|>.*?</xf>)", re.S)
_FILL = re.compile(rb"<fill\b[^>]*?(?:/>|>.*?</fill>)", re.S)
_ALIGNMENT = re.compile(rb"<alignment\b[^>]*?(?:/>|>\s*</alignment>)", re.S)
_LETTERS = re.compile(rb"([A-Z]{1,3})([0-9]+)")


class Unpatchable(Exception):
    """The file holds something the cell patcher does not handle confidently; the caller
    writes with openpyxl instead."""


def attrs(tag: bytes) -> dict[bytes, bytes]:
    """The attributes of one start tag (``<c r="A1" s="3">``), in order, values as stored."""
    return {m.group(1): m.group(2) if m.group(2) is not None else m.group(3) for m in _ATTR.finditer(tag)}


def start_tag(name: bytes, attributes: dict[bytes, bytes], empty: bool = False) -> bytes:
    body = b"".join(b" " + k + b'="' + v + b'"' for k, v in attributes.items())
    return b"<" + name + body + (b"/>" if empty else b">")


def column_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def split_ref(ref: bytes) -> tuple[int, int]:
    """``b"AB12"`` → (row 12, column 28)."""
    m = _LETTERS.fullmatch(ref.replace(b"$", b""))
    if m is None:
        raise Unpatchable(f"cell reference {ref!r}")
    return int(m.group(2)), column_index(m.group(1))


def range_box(ref: bytes) -> tuple[int, int, int, int]:
    """``b"A1:C9"`` (or one cell) → (first row, first col, last row, last col)."""
    first, _, last = ref.partition(b":")
    r1, c1 = split_ref(first)
    r2, c2 = split_ref(last) if last else (r1, c1)
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


# openpyxl's Alignment defaults, so that two alignments compare as openpyxl compares them
_ALIGN_NUMBERS = (b"textRotation", b"indent", b"relativeIndent", b"readingOrder")
_ALIGN_FLAGS = (b"wrapText", b"shrinkToFit", b"justifyLastLine")


def _alignment_key(element: bytes | None) -> tuple:
    a = attrs(element[10:]) if element else {}
    flags = tuple(None if f not in a else a[f] in (b"1", b"true") for f in _ALIGN_FLAGS)
    numbers = tuple(float(a.get(n, b"0") or 0) for n in _ALIGN_NUMBERS)
    return a.get(b"horizontal"), a.get(b"vertical"), flags, numbers


def _key(entry: bytes) -> tuple:
    """A style entry compared as its attributes (in any order) and its children's text."""
    head_end = entry.index(b">")
    return tuple(sorted(attrs(entry[:head_end].split(None, 1)[1] if b" " in entry[:head_end] else b"").items())), \
        re.sub(rb"\s+(/?>)", rb"\1", entry[head_end:])


class Styles:
    """``xl/styles.xml``'s cell formats and fills, with new entries appended (de-duplicated)."""

    def __init__(self, xml: bytes):
        self.xml = xml
        self.xfs_span = self._span(b"cellXfs")
        self.fills_span = self._span(b"fills")
        self.xfs = _XF.findall(xml, *self.xfs_span)
        self.fills = _FILL.findall(xml, *self.fills_span)
        if not self.xfs or not self.fills:
            raise Unpatchable("styles without cell formats or fills")
        self._new_xfs: list[bytes] = []
        self._new_fills: list[bytes] = []
        self._xf_index = {_key(xf): i for i, xf in reversed(list(enumerate(self.xfs)))}
        self._fill_index = {_key(f): i for i, f in reversed(list(enumerate(self.fills)))}
        self._derived: dict[tuple, int] = {}

    def _span(self, name: bytes) -> tuple[int, int]:
        """Where the children of ``<name …>…</name>`` sit in the file."""
        start = re.search(rb"<" + name + rb"\b[^>]*>", self.xml)
        end = self.xml.find(b"</" + name + b">")
        if start is None or end < 0 or start.group(0).endswith(b"/>"):
            raise Unpatchable(f"styles.xml has no {name.decode()}")
        return start.end(), end

    @property
    def changed(self) -> bool:
        return bool(self._new_xfs or self._new_fills)

    def _xf(self, s: int) -> bytes:
        if not 0 <= s < len(self.xfs):
            raise Unpatchable(f"cell style {s} is not in styles.xml")
        return self.xfs[s]

    def alignment(self, s: int) -> bytes | None:
        m = _ALIGNMENT.search(self._xf(s))
        return m.group(0) if m else None

    def same_alignment(self, s: int, other: int) -> bool:
        return _alignment_key(self.alignment(s)) == _alignment_key(self.alignment(other))

    def wraps(self, s: int) -> bool:
        return _alignment_key(self.alignment(s))[2][0] is True

    def plain(self, s: int) -> bool:
        """The format is the default one in all but name (openpyxl's ``has_style`` is False)."""
        xf = self._xf(s)
        a = attrs(xf[3:xf.index(b">")])
        ids = (b"numFmtId", b"fontId", b"fillId", b"borderId", b"xfId", b"pivotButton", b"quotePrefix")
        return all(a.get(k, b"0") in (b"0", b"false") for k in ids) and _alignment_key(self.alignment(s)) == \
            _alignment_key(None) and b"<protection" not in xf

    def solid(self, s: int) -> bool:
        """The cell format's fill is a solid pattern."""
        xf = self._xf(s)
        fill_id = int(attrs(xf[3:xf.index(b">")]).get(b"fillId", b"0") or 0)
        if not 0 <= fill_id < len(self.fills):
            return False
        m = re.search(rb"<patternFill\b([^>]*)", self.fills[fill_id])
        return m is not None and attrs(m.group(1)).get(b"patternType") == b"solid"

    def fill_id(self, fill: bytes) -> int:
        """The index of ``fill`` (:data:`NO_FILL`: any fill without a pattern), added when absent."""
        if fill == NO_FILL:
            for i, f in enumerate(self.fills):
                m = re.search(rb"<patternFill\b([^>]*)", f)
                if m and attrs(m.group(1)).get(b"patternType", b"none") == b"none" and b"Color" not in f:
                    return i
        key = _key(fill)
        if key not in self._fill_index:
            self._fill_index[key] = len(self.fills)
            self.fills.append(fill)
            self._new_fills.append(fill)
        return self._fill_index[key]

    def derive(self, s: int, fill: bytes | None = None, alignment_of: int | None = None) -> int:
        """The index of a cell format like ``s`` with ``fill`` and/or the alignment of format
        ``alignment_of`` (added to the file when no identical format exists)."""
        key = (s, fill, alignment_of)
        if key in self._derived:
            return self._derived[key]
        xf = self._xf(s)
        head_end = xf.index(b">")
        empty = xf[head_end - 1:head_end] == b"/"
        a = attrs(xf[3:head_end - 1 if empty else head_end])
        body = b"" if empty else xf[head_end + 1:xf.rindex(b"</xf>")]
        if alignment_of is not None:
            a[b"applyAlignment"] = b"1"
            body = _ALIGNMENT.sub(b"", body)
            body = (self.alignment(alignment_of) or b"") + body
        if fill is not None:
            a[b"fillId"] = str(self.fill_id(fill)).encode()
            a[b"applyFill"] = b"1"
        new = start_tag(b"xf", a, empty=not body) + (body + b"</xf>" if body else b"")
        if _key(new) not in self._xf_index:
            self._xf_index[_key(new)] = len(self.xfs)
            self.xfs.append(new)
            self._new_xfs.append(new)
        self._derived[key] = self._xf_index[_key(new)]
        return self._derived[key]

    def to_bytes(self) -> bytes:
        xml = self.xml
        # the later part first, so the earlier offsets stay right
        parts = sorted([(self.xfs_span, b"cellXfs", self._new_xfs, len(self.xfs)),
                        (self.fills_span, b"fills", self._new_fills, len(self.fills))], key=lambda p: -p[0][0])
        for (start, end), name, new, count in parts:
            if not new:
                continue
            xml = xml[:end] + b"".join(new) + xml[end:]
            open_start = xml.rfind(b"<" + name, 0, start)
            head = xml[open_start:start]
            a = attrs(head[len(name) + 1:-1])
            a[b"count"] = str(count).encode()
            xml = xml[:open_start] + start_tag(name, a) + xml[start:]
        return xml


def solid_fill(rgb: str, both: bool) -> bytes:
    """A solid fill of ``rgb`` exactly as openpyxl writes ``PatternFill("solid", start_color=rgb
    [, end_color=rgb])``."""
    colour = b"00" + rgb.encode()
    end = b'<bgColor rgb="' + colour + b'"/>' if both else b""
    return b'<fill><patternFill patternType="solid"><fgColor rgb="' + colour + b'"/>' + end + b"</patternFill></fill>"


NO_FILL = b"<fill><patternFill/></fill>"
