"""Maintenance of the gettext catalogues (Babel): extract, update, check.

Run from a source checkout::

    python -m sheets_automation.messages.catalog extract   # templates → messages.pot
    python -m sheets_automation.messages.catalog update    # messages.pot → every .po
    python -m sheets_automation.messages.catalog check     # list untranslated; exit 1 if any,
                                                           # or if messages.pot is out of date

The loading side (in-memory compilation) is :mod:`.translations`.
``update`` fills new English entries with their msgid (English is the source language);
the other languages get empty entries to translate.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from .language import SUPPORTED_LANGUAGES
from .translations import DOMAIN, package_root, po_resource, read_catalog

SOURCE_LANGUAGE = "en"
# Options for jinja2.ext.babel_extract; must match the environment in render.py.
EXTRACT_OPTIONS = {"trimmed": "true", "lstrip_blocks": "true", "silent": "false"}
METHOD_MAP = [("**.j2", "jinja2.ext.babel_extract")]
COMMENT_TAGS = ("Translators:",)
HEADER = """\
# Customer messages of sheets-automation (templates/messages/*.j2).
# Edit the .po files; regenerate with: python -m sheets_automation.messages.catalog
#"""


# ---------------------------------------------------------------- maintenance (I/O edge)


@dataclass
class Untranslated:
    """What one language still lacks: untranslated and fuzzy msgids, and format errors."""

    language: str
    untranslated: list[str] = field(default_factory=list)
    fuzzy: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.untranslated or self.fuzzy or self.errors)


def extract_catalog(templates_dir: Path) -> Catalog:
    """Extract every {% trans %} message from the templates into a fresh catalogue."""
    catalog = Catalog(project="sheets-automation", domain=DOMAIN, fuzzy=False,
                      header_comment=HEADER, copyright_holder="sheets-automation contributors")
    messages = extract_from_dir(
        str(templates_dir),
        method_map=METHOD_MAP,
        options_map={"**.j2": EXTRACT_OPTIONS},
        comment_tags=COMMENT_TAGS,
        strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in messages:
        catalog.add(message, None, [(f"messages/{filename}", lineno)],
                    auto_comments=comments, context=context)
    return catalog


def untranslated(catalog: Catalog, language: str) -> Untranslated:
    """List a catalogue's untranslated and fuzzy entries and gettext format errors."""
    report = Untranslated(language)
    for message in list(catalog)[1:]:
        msgid = _msgid(message)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            report.untranslated.append(msgid)
        elif message.fuzzy:
            report.fuzzy.append(msgid)
    for message, errors in catalog.check():
        report.errors.extend(f"{_msgid(message)!r}: {error}" for error in errors)
    return report


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=88, sort_output=False, include_previous=True, ignore_obsolete=True)


def extract(root: Path) -> Path:
    """Re-extract ``locale/messages.pot`` from ``messages/*.j2``."""
    pot = root / "locale" / f"{DOMAIN}.pot"
    _write(pot, extract_catalog(root / "messages"))
    return pot


def update(root: Path, languages: Sequence[str] = SUPPORTED_LANGUAGES) -> list[Path]:
    """Merge ``messages.pot`` into each language's ``.po`` (created if missing)."""
    written = []
    for language in languages:
        # Re-read per language: Catalog.update shares Message objects with the template.
        with (root / "locale" / f"{DOMAIN}.pot").open("rb") as fh:
            template = read_po(fh, domain=DOMAIN)
        path = Path(str(po_resource(language, root)))
        catalog = read_catalog(language, root) or Catalog(
            locale=language, domain=DOMAIN, header_comment=HEADER, fuzzy=False,
            project="sheets-automation", copyright_holder="sheets-automation contributors")
        catalog.update(template, update_header_comment=False)
        if language == SOURCE_LANGUAGE:
            _fill_source(catalog)
        _write(path, catalog)
        written.append(path)
    return written


def _fill_source(catalog: Catalog) -> None:
    """English is the source language: a new or fuzzy English entry says what its msgid says.

    (Babel's fuzzy matching would otherwise give a new English message the wording of a
    similar old one.)
    """
    for message in list(catalog)[1:]:
        if isinstance(message.id, tuple):
            if message.fuzzy or not all(message.string):
                message.string = (message.id[0], message.id[1])
        elif message.fuzzy or not message.string:
            message.string = message.id
        message.flags.discard("fuzzy")
        message.previous_id = []


def check(root: Traversable | None = None, languages: Sequence[str] = SUPPORTED_LANGUAGES) -> list[Untranslated]:
    """One report per language; a language without a catalogue lists every msgid."""
    root = root or package_root()
    reports = []
    for language in languages:
        catalog = read_catalog(language, root)
        if catalog is None:
            template_path = root / "locale" / f"{DOMAIN}.pot"
            with template_path.open("rb") as fh:
                template = read_po(fh, domain=DOMAIN)
            catalog = Catalog(locale=language, domain=DOMAIN)
            catalog.update(template)
        reports.append(untranslated(catalog, language))
    return reports


def pot_drift(root: Traversable | Path) -> list[str]:
    """Messages in the templates but not in ``messages.pot``, and the reverse; [] when in step."""
    with (root / "locale" / f"{DOMAIN}.pot").open("rb") as fh:
        pot = {_msgid(m) for m in list(read_po(fh, domain=DOMAIN))[1:]}
    extracted = {_msgid(m) for m in list(extract_catalog(Path(str(root / "messages"))))[1:]}
    return [f"not in messages.pot: {msgid!r}" for msgid in sorted(extracted - pot)] + [
        f"no longer in the templates: {msgid!r}" for msgid in sorted(pot - extracted)
    ]


def _msgid(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def format_report(reports: Sequence[Untranslated]) -> str:
    """Human-readable listing, one block per language."""
    lines = []
    for report in reports:
        status = "complete" if report.complete else (
            f"{len(report.untranslated)} untranslated, {len(report.fuzzy)} fuzzy, "
            f"{len(report.errors)} format errors"
        )
        lines.append(f"{report.language}: {status}")
        lines.extend(f"  untranslated: {msgid!r}" for msgid in report.untranslated)
        lines.extend(f"  fuzzy: {msgid!r}" for msgid in report.fuzzy)
        lines.extend(f"  error: {error}" for error in report.errors)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sheets_automation.messages.catalog",
        description="Maintain the message catalogues (Babel gettext).",
    )
    parser.add_argument("command", choices=("extract", "update", "check"))
    parser.add_argument("--root", type=Path, default=None,
                        help="templates directory (default: the installed sheets_automation.templates)")
    parser.add_argument("--language", "-l", action="append", dest="languages",
                        help="only this language (repeatable; default: all shipped languages)")
    args = parser.parse_args(argv)
    root = args.root or Path(str(package_root()))
    languages = tuple(args.languages or SUPPORTED_LANGUAGES)
    if args.command == "extract":
        print(f"wrote {extract(root)}")
        return 0
    if args.command == "update":
        for path in update(root, languages):
            print(f"wrote {path}")
        return 0
    drift = pot_drift(root)
    if drift:
        print("messages.pot is out of date (run extract, then update):")
        print("\n".join(f"  {line}" for line in drift))
    reports = check(root, languages)
    print(format_report(reports))
    return 0 if not drift and all(report.complete for report in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
