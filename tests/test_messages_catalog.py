"""Gettext catalogues: complete for every shipped language, in step with the templates,
placeholders intact, and the maintenance command (extract | update | check) working."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from sheets_automation.messages import SUPPORTED_LANGUAGES
from sheets_automation.messages.catalog import check, extract_catalog, format_report, main, pot_drift, untranslated
from sheets_automation.messages.translations import compile_catalog, package_root, read_catalog

ROOT = Path(str(package_root()))
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def ids(catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in list(catalog)[1:]}


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_untranslated_listing_for_every_shipped_language():
    reports = check()
    print("\n" + format_report(reports))  # the listing, shown with pytest -s
    assert [r.language for r in reports] == list(SUPPORTED_LANGUAGES)
    incomplete = {r.language: r.untranslated + r.fuzzy + r.errors for r in reports if not r.complete}
    assert incomplete == {}


def test_pot_is_in_step_with_the_templates():
    with (ROOT / "locale" / "messages.pot").open("rb") as fh:
        pot = read_po(fh)
    assert ids(extract_catalog(ROOT / "messages")) == ids(pot)
    assert pot_drift(ROOT) == []


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_each_catalogue_has_every_message_and_no_obsolete_one(language):
    with (ROOT / "locale" / "messages.pot").open("rb") as fh:
        pot = read_po(fh)
    catalog = read_catalog(language)
    assert ids(catalog) == ids(pot)
    assert not catalog.obsolete


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_translations_keep_every_placeholder(language):
    for message in list(read_catalog(language))[1:]:
        if isinstance(message.id, str):
            assert placeholders(message.string) == placeholders(message.id), message.id
        else:  # a plural form may say "a photo" instead of "%(count)s photos"
            singular, plural = (placeholders(text) for text in message.id)
            for form in message.string:
                assert singular - {"count"} <= placeholders(form) <= plural, message.id


@pytest.mark.parametrize("language", [lang for lang in SUPPORTED_LANGUAGES if lang != "en"])
def test_no_english_left_in_the_translations(language):
    for message in list(read_catalog(language))[1:]:
        msgids = (message.id,) if isinstance(message.id, str) else message.id
        strings = (message.string,) if isinstance(message.string, str) else message.string
        assert not set(strings) & set(msgids), message.id


def test_a_missing_or_fuzzy_translation_falls_back_to_english():
    catalog = read_catalog("de")
    blank, fuzzy = "Kind regards,", "Customer Service"
    catalog[blank].string = ""
    catalog[fuzzy].flags.add("fuzzy")
    translations = compile_catalog(catalog)
    assert translations.gettext(blank) == blank
    assert translations.gettext(fuzzy) == fuzzy
    assert translations.gettext("Hello,") == "Guten Tag,"
    report = untranslated(catalog, "de")
    assert (report.untranslated, report.fuzzy, report.complete) == ([blank], [fuzzy], False)


@pytest.fixture
def checkout(tmp_path) -> Path:
    """A throwaway copy of the templates package to run the maintenance command on."""
    root = tmp_path / "templates"
    shutil.copytree(ROOT, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_check_command_lists_untranslated_and_fuzzy_and_fails(checkout, capsys):
    path = checkout / "locale" / "fr" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="fr")
    catalog["Hello,"].string = ""
    catalog["Customer Service"].flags.add("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog)
    assert main(["check", "--root", str(checkout)]) == 1
    out = capsys.readouterr().out
    assert "fr: 1 untranslated, 1 fuzzy, 0 format errors" in out
    assert "  untranslated: 'Hello,'" in out
    assert "  fuzzy: 'Customer Service'" in out
    assert "de: complete" in out
    assert main(["check", "--root", str(checkout), "-l", "de"]) == 0


def test_check_command_reports_a_dropped_placeholder(checkout, capsys):
    path = checkout / "locale" / "es" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="es")
    catalog["Hello %(name)s,"].string = "Hola, %(nombre)s:"
    with path.open("wb") as fh:
        write_po(fh, catalog)
    assert main(["check", "--root", str(checkout), "-l", "es"]) == 1
    assert "1 format errors" in capsys.readouterr().out


def test_extract_and_update_carry_a_new_message_into_every_catalogue(checkout, capsys):
    (checkout / "messages" / "thank_you.j2").write_text(
        '{% extends "_layout.j2" %}{% block body %}{% trans %}Thanks for order {{ order_id }}.'
        "{% endtrans %}{% endblock %}\n", encoding="utf-8")
    assert main(["extract", "--root", str(checkout)]) == 0
    assert main(["update", "--root", str(checkout)]) == 0
    new = "Thanks for order %(order_id)s."
    for language in SUPPORTED_LANGUAGES:
        catalog = read_catalog(language, checkout)
        assert catalog["Hello,"].string == read_catalog(language)["Hello,"].string, "kept"
        if language == "en":
            assert catalog[new].string == new and not catalog[new].fuzzy
        else:  # empty, or a fuzzy guess from a similar message: either way not shipped
            report = untranslated(catalog, language)
            assert new in report.untranslated + report.fuzzy, language
    capsys.readouterr()
    assert main(["check", "--root", str(checkout)]) == 1
    out = capsys.readouterr().out
    assert "en: complete" in out
    assert out.count(repr(new)) == len(SUPPORTED_LANGUAGES) - 1


def test_check_command_notices_a_template_change_not_yet_extracted(checkout, capsys):
    (checkout / "messages" / "thank_you.j2").write_text("{% trans %}Thanks!{% endtrans %}", encoding="utf-8")
    assert main(["check", "--root", str(checkout)]) == 1
    assert "not in messages.pot: 'Thanks!'" in capsys.readouterr().out
    (checkout / "messages" / "thank_you.j2").unlink()
    assert main(["check", "--root", str(checkout)]) == 0


def test_update_creates_a_catalogue_for_a_new_language(checkout):
    assert main(["update", "--root", str(checkout), "-l", "it"]) == 0
    catalog = read_catalog("it", checkout)
    assert ids(catalog) == ids(read_catalog("en"))
    assert len(untranslated(catalog, "it").untranslated) == len(ids(catalog))


def test_the_module_runs_as_a_script():
    result = subprocess.run([sys.executable, "-m", "sheets_automation.messages.catalog", "check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "zh: complete" in result.stdout
    assert "Warning" not in result.stderr
