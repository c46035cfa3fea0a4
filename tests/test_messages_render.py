"""Customer messages: every situation in every language, safety rules, user overrides.

Policy IDs in the situation names' templates: S1, V3, W1-W6, S3-S5, S8-S11, T1-T5, C1-C4.
"""
from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jinja2 import meta
from jinja2.sandbox import SecurityError

from sheets_automation.errors import ConfigError
from sheets_automation.messages import (
    CHOICES,
    SITUATIONS,
    SUPPORTED_LANGUAGES,
    VARIABLES,
    MessageContextError,
    MessageRenderer,
    sample_context,
)
from sheets_automation.messages.formatting import LANGUAGE_VAR, TZ_VAR
from sheets_automation.messages.render import FORMULA_START, compiled_environment, shipped_environment
from sheets_automation.messages.situations import OPTIONAL
from sheets_automation.messages.translations import load_translations, package_root, shipped_digest

SHANGHAI = ZoneInfo("Asia/Shanghai")
RENDERER = MessageRenderer()
CASES = [(s, lang) for s in SITUATIONS for lang in SUPPORTED_LANGUAGES]


def render(situation: str, language: str, context: dict | None = None, renderer: MessageRenderer = RENDERER) -> str:
    return renderer.render(situation, language, context or sample_context(situation), tz=SHANGHAI)


def tr(language: str, msgid: str) -> str:
    return load_translations(language).gettext(msgid)


# ------------------------------------------------------------------ catalogue of situations


def test_situations_and_template_files_are_the_same_set():
    shipped = {p.name[:-3] for p in (package_root() / "messages").iterdir()
               if p.name.endswith(".j2") and not p.name.startswith("_")}
    assert shipped == set(SITUATIONS)
    assert len(SITUATIONS) >= 21


@pytest.mark.parametrize("situation", SITUATIONS)
def test_each_template_reads_exactly_the_variables_it_declares(situation):
    env = shipped_environment()
    used = set()
    for name in (f"{situation}.j2", "_layout.j2"):
        used |= meta.find_undeclared_variables(env.parse(env.loader.get_source(env, name)[0]))
    assert used == set(SITUATIONS[situation])


def test_every_variable_is_documented_and_every_choice_is_a_variable():
    used = {name for names in SITUATIONS.values() for name in names}
    assert used == set(VARIABLES)
    assert set(CHOICES) <= used


@pytest.mark.parametrize("situation", SITUATIONS)
def test_sample_context_is_complete_and_fresh(situation):
    context = sample_context(situation)
    assert set(context) == set(SITUATIONS[situation])
    context["order_id"] = "changed"
    assert sample_context(situation)["order_id"] != "changed"


# ------------------------------------------------------------------ every template, every language


@pytest.mark.parametrize(("situation", "language"), CASES)
def test_every_situation_renders_in_every_language(situation, language):
    text = render(situation, language)
    lines = text.split("\n")
    assert lines[0] == tr(language, "Hello %(name)s,") % {"name": "Maria"}
    assert lines[-2:] == [tr(language, "Kind regards,"), tr(language, "Customer Service")]
    for leftover in ("{{", "{%", "%(", "None", "Undefined", "\n\n\n"):
        assert leftover not in text
    assert sample_context(situation)["order_id"] in text
    if language == "zh":
        assert re.search(r"[\u4e00-\u9fff]", text)
    if language != "en":
        english_body = render(situation, "en").split("\n")[2:-3]
        assert text.split("\n")[2:-3] != english_body, "body left in English"


@pytest.mark.parametrize("situation", SITUATIONS)
def test_english_bodies_are_two_to_six_sentences(situation):
    body = "\n".join(render(situation, "en").split("\n")[2:-3])
    sentences = re.findall(r"[.!?](?=\s|$)", body)
    assert 2 <= len(sentences) <= 6, body


@pytest.mark.parametrize(("situation", "variable", "value"), [
    (situation, variable, value)
    for situation, names in SITUATIONS.items()
    for variable in names if variable in CHOICES
    for value in CHOICES[variable]
])
def test_every_choice_renders(situation, variable, value):
    context = {**sample_context(situation), variable: value}
    for language in ("en", "zh"):
        assert "{{" not in render(situation, language, context)


def _rendered_by(env, situation: str, language: str, context: dict) -> str:
    values = {**context, LANGUAGE_VAR: language, TZ_VAR: SHANGHAI}
    return env.get_template(f"{situation}.j2").render(values)


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_templates_compiled_in_a_language_say_what_runtime_translation_says(language):
    """Every situation and every choice: the text translated when the template is compiled
    (compiled_i18n, issue #15) is the text gettext gives at render time."""
    compiled, runtime = shipped_environment(language), shipped_environment()
    contexts = [(situation, {**sample_context(situation), variable: value})
                for situation, names in SITUATIONS.items()
                for variable in names if variable in CHOICES for value in CHOICES[variable]]
    contexts += [(situation, sample_context(situation)) for situation in SITUATIONS]
    for situation, context in contexts:
        expected = _rendered_by(runtime, situation, language, context)
        assert _rendered_by(compiled, situation, language, context) == expected, (situation, context)


@pytest.mark.parametrize(("source", "expected"), [
    ("{% trans %}Kind regards,{% endtrans %}", "Mit freundlichen Grüßen"),  # translated
    ("{% trans %}Not in any catalogue{% endtrans %}", "Not in any catalogue"),  # English fallback
    ("{% trans %}100% sure{% endtrans %}", "100% sure"),  # Jinja's %% escape undone, as at runtime
    ("{% trans name=who %}Hello {{ name }},{% endtrans %}", "Hallo Maria,"),  # a variable
    ("{% trans count=n %}{{ count }} photo{% pluralize %}{{ count }} photos{% endtrans %}",
     "3 photos"),  # plural: still looked up at render time (no de entry: English)
])
def test_a_trans_block_compiled_in_german(source, expected):
    values = {"who": "Maria", "n": 3, LANGUAGE_VAR: "de"}
    assert shipped_environment("de").from_string(source).render(values) == expected
    assert shipped_environment().from_string(source).render(values) == expected  # runtime gettext


def test_compiled_templates_are_kept_while_the_shipped_files_stay_the_same():
    """A scheduler keeps one environment per language; files changed on disk (another
    digest) get a new one, so an edited template is compiled again by the next run."""
    digest = shipped_digest()
    assert shipped_digest() == digest
    assert compiled_environment("de", digest) is compiled_environment("de", digest)
    assert compiled_environment("de", "edited files") is not compiled_environment("de", digest)
    assert compiled_environment("fr", digest) is not compiled_environment("de", digest)


def test_catalogues_are_kept_with_the_files_they_were_read_from():
    """The catalogue goes with the digest too: a template compiled again after an edit is
    compiled with the catalogue as it is now, not as the process first read it; without a
    digest, the files' digest of the moment is taken."""
    digest = shipped_digest()
    assert load_translations("de", digest) is load_translations("de", digest)
    assert load_translations("de", "edited files") is not load_translations("de", digest)
    for shipped in (digest, "edited files"):
        assert compiled_environment("de", shipped).compiled_translations is load_translations("de", shipped)
    assert load_translations("de").gettext("Hello,") == load_translations("de", digest).gettext("Hello,") != "Hello,"


def test_wordings_follow_the_choice():
    ctx = sample_context("evidence_needed")
    assert "3 to 5 clear photos" in render("evidence_needed", "en", ctx)  # V3 damaged
    assert "size tag, the care label" in render("evidence_needed", "en", {**ctx, "issue_type": "size"})
    assert "a photo or a short video" in render("evidence_needed", "en", {**ctx, "issue_type": "wrong_item"})
    assert "send us 4 clear photos" in render("evidence_needed", "en", {**ctx, "photos_needed": 4, "photos_max": 4})
    assert "a clear photo of the" in render("evidence_needed", "en", {**ctx, "photos_needed": 1, "photos_max": 1})
    reship = sample_context("reship_created")
    assert "at no cost to you" in render("reship_created", "en", reship)  # C2 courier
    assert "at no cost" not in render("reship_created", "en", {**reship, "reship_reason": "customer_request"})  # C1
    ret = sample_context("return_instructions")
    assert "at your expense" in render("return_instructions", "en", ret)  # C1
    assert "reimburse" in render("return_instructions", "en", {**ret, "return_shipping_paid_by": "us"})


def test_long_undelivered_uses_the_plural_of_each_language():
    one = {**sample_context("long_undelivered"), "days_in_transit": 1}
    assert "shipped 1 day ago" in render("long_undelivered", "en", one)
    assert "vor 1 Tag " in render("long_undelivered", "de", one)
    assert "vor 43 Tagen" in render("long_undelivered", "de")
    assert "il y a 1 jour " in render("long_undelivered", "fr", one)
    assert "已发出 1 天" in render("long_undelivered", "zh", one)


def test_outside_window_names_the_reason_and_the_closing_time():
    # W2: delivered 2025-03-01 14:00, the no-reason return window ended 2025-03-09 00:00.
    text = render("outside_window", "en")
    assert "no-reason return" in text
    assert "ended on March 9, 2025, 12:00\u202fAM GMT+08:00." in text  # CLDR: narrow no-break space
    w5 = {**sample_context("outside_window"), "window": "W5"}
    assert "price protection period ended" in render("outside_window", "en", w5)


# ------------------------------------------------------------------ language choice at render time


def test_language_codes_and_names_are_normalised_and_unknown_ones_fall_back_to_english():
    assert render("customs_hold", "zh-CN") == render("customs_hold", "zh")
    assert render("customs_hold", "Deutsch") == render("customs_hold", "de")
    assert render("customs_hold", "ja") == render("customs_hold", "en")
    assert render("customs_hold", "") == render("customs_hold", "en")


# ------------------------------------------------------------------ missing or bad context


@pytest.mark.parametrize(("situation", "variable"), [
    (s, v) for s, names in SITUATIONS.items() for v in names if v not in OPTIONAL[s]
])
def test_a_missing_variable_raises_and_is_named(situation, variable):
    context = sample_context(situation)
    del context[variable]
    with pytest.raises(MessageContextError) as excinfo:
        render(situation, "en", context)
    assert f"{variable} is missing" in excinfo.value.problems


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_variable_counts_as_missing(blank):
    context = {**sample_context("customs_hold"), "tracking_number": blank}
    with pytest.raises(MessageContextError, match="tracking_number is missing"):
        render("customs_hold", "en", context)


@pytest.mark.parametrize("name", [None, "", "absent"])
def test_customer_name_is_optional(name):
    context = sample_context("customs_hold")
    if name == "absent":
        del context["customer_name"]
    else:
        context["customer_name"] = name
    assert render("customs_hold", "en", context).startswith("Hello,\n\n")
    assert render("customs_hold", "zh", context).startswith("您好！\n\n")


@pytest.mark.parametrize("blank", [None, "", "absent"])
def test_a_blank_pickup_location_gets_a_generic_wording(blank):
    context = sample_context("available_for_pickup")
    if blank == "absent":
        del context["pickup_location"]
    else:
        context["pickup_location"] = blank
    assert "waiting for you at your local pickup point." in render("available_for_pickup", "en", context)
    assert "在您当地的取件点" in render("available_for_pickup", "zh", context)
    assert "Paris" in render("available_for_pickup", "en")


def test_only_the_documented_variables_are_optional():
    assert {s: set(v) - {"customer_name"} for s, v in OPTIONAL.items() if set(v) != {"customer_name"}} == {
        "available_for_pickup": {"pickup_location"},
        "price_protection_refund": {"new_order_id"},
    }
    ctx = {**sample_context("price_protection_refund"), "new_order_id": ""}
    assert "difference of $4.00 on order #10482." in render("price_protection_refund", "en", ctx)
    assert "und Ihrer neuen Bestellung" not in render("price_protection_refund", "de", ctx)


def test_a_value_outside_the_choices_raises():
    with pytest.raises(MessageContextError, match="window must be one of W1"):
        render("outside_window", "en", {**sample_context("outside_window"), "window": "W9"})


def test_unknown_situation_raises():
    with pytest.raises(MessageContextError, match="unknown situation"):
        RENDERER.render("refund_aproved", "en", {}, tz=SHANGHAI)


def test_a_naive_datetime_raises_instead_of_guessing_the_zone():
    context = {**sample_context("case_received"), "reply_by": datetime(2025, 3, 4, 10, 30)}
    with pytest.raises(MessageContextError, match="naive datetime"):
        render("case_received", "en", context)


def test_a_non_numeric_amount_raises_without_echoing_it():
    context = {**sample_context("refund_approved"), "refund_amount": "twelve"}
    with pytest.raises(MessageContextError) as excinfo:
        render("refund_approved", "en", context)
    assert "twelve" not in str(excinfo.value)


def test_tz_must_be_a_time_zone():
    with pytest.raises(MessageContextError, match="tz must be"):
        RENDERER.render("customs_hold", "en", sample_context("customs_hold"), tz="Asia/Shanghai")  # type: ignore[arg-type]


# ------------------------------------------------------------------ plain text, never a formula


@pytest.mark.parametrize(("situation", "language"), CASES)
@pytest.mark.parametrize("prefix", FORMULA_START)
def test_hostile_values_never_make_a_formula(situation, language, prefix):
    hostile = f'{prefix}HYPERLINK("x")'
    context = {k: (hostile if isinstance(v, str) and k not in CHOICES and k != "currency" else v)
               for k, v in sample_context(situation).items()}
    text = render(situation, language, context)
    assert not text.startswith(FORMULA_START)
    # The shipped greeting itself never starts with the name, so the guard is not needed.
    assert text.split("\n")[0] == tr(language, "Hello %(name)s,") % {"name": hostile}


def test_output_is_plain_text_not_escaped():
    context = {**sample_context("customs_hold"), "customer_name": "Ana <b>&</b>"}
    assert render("customs_hold", "en", context).startswith("Hello Ana <b>&</b>,")


def test_amounts_are_formatted_for_the_language():
    context = {**sample_context("refund_approved"), "refund_amount": Decimal("12.5")}
    assert "refund of €12.50 " in render("refund_approved", "en", context)
    assert "Erstattung von 12,50\u00a0€ " in render("refund_approved", "de", context)
    assert "€12.50 退款" in render("refund_approved", "zh", context)


# ------------------------------------------------------------------ user templates


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_situation_wide_override_applies_to_every_language(tmp_path):
    write(tmp_path / "customs_hold.j2", "Hi {{ customer_name }}: parcel {{ tracking_number }} is at customs.\n")
    renderer = MessageRenderer(tmp_path)
    for language in ("en", "de"):
        assert render("customs_hold", language, renderer=renderer) == "Hi Maria: parcel RR123456785CN is at customs."
    assert render("in_transit", "en", renderer=renderer) == render("in_transit", "en")


def test_a_per_language_override_applies_to_that_language_only_and_wins(tmp_path):
    write(tmp_path / "customs_hold.j2", "Hi {{ customer_name }}, all languages.")
    write(tmp_path / "customs_hold.de.j2", "Hallo {{ customer_name }}, nur Deutsch.")
    renderer = MessageRenderer(tmp_path)
    assert render("customs_hold", "de", renderer=renderer) == "Hallo Maria, nur Deutsch."
    assert render("customs_hold", "fr", renderer=renderer) == "Hi Maria, all languages."
    assert renderer.user_template("customs_hold", "de") == tmp_path / "customs_hold.de.j2"


def test_an_override_can_reuse_the_shipped_layout_filters_and_catalogue(tmp_path):
    write(tmp_path / "refund_approved.j2",
          '{% extends "_layout.j2" %}{% block body %}{{ refund_amount|money(currency) }} / '
          "{{ order_id }}{% endblock %}")
    text = render("refund_approved", "de", renderer=MessageRenderer(tmp_path))
    assert text == "Hallo Maria,\n\n12,50\u00a0€ / #10482\n\nMit freundlichen Grüßen\nIhr Kundenservice"


@pytest.mark.parametrize("attack", [
    "{{ ''.__class__.__mro__ }}",
    "{{ customer_name.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ order_id.format.__globals__ }}",
])
def test_user_templates_are_sandboxed(tmp_path, attack):
    write(tmp_path / "customs_hold.j2", f"Hello, {attack}")
    with pytest.raises(SecurityError):
        render("customs_hold", "en", renderer=MessageRenderer(tmp_path))


def test_harmless_expressions_still_work_in_the_sandbox(tmp_path):
    # Control for the test above: the sandbox refuses only unsafe attribute access.
    write(tmp_path / "customs_hold.j2", "Hello, {{ ''.upper() }}{{ order_id|length }}")
    assert render("customs_hold", "en", renderer=MessageRenderer(tmp_path)) == "Hello, 6"


def test_a_user_template_with_an_undefined_variable_raises(tmp_path):
    write(tmp_path / "customs_hold.j2", "Hello {{ customer_nmae }}")
    with pytest.raises(MessageContextError, match="customer_nmae"):
        render("customs_hold", "en", renderer=MessageRenderer(tmp_path))


@pytest.mark.parametrize("prefix", FORMULA_START)
def test_a_user_template_that_would_start_a_formula_gets_the_greeting(tmp_path, prefix):
    write(tmp_path / "customs_hold.j2", "{{ customer_name }} see {{ tracking_number }}")
    context = {**sample_context("customs_hold"), "customer_name": f"{prefix}SUM(A1:A9)"}
    renderer = MessageRenderer(tmp_path)
    assert render("customs_hold", "en", context, renderer) == f"Hello,\n\n{prefix}SUM(A1:A9) see RR123456785CN"
    assert render("customs_hold", "fr", context, renderer).startswith("Bonjour,\n\n")


def test_a_user_template_that_renders_nothing_raises(tmp_path):
    write(tmp_path / "customs_hold.j2", "{% if false %}x{% endif %}\n\n")
    with pytest.raises(MessageContextError, match="no text"):
        render("customs_hold", "en", renderer=MessageRenderer(tmp_path))


def test_a_broken_user_template_is_a_config_error(tmp_path):
    write(tmp_path / "customs_hold.j2", "Hello {% if %}")
    with pytest.raises(ConfigError, match="customs_hold.j2 line 1"):
        render("customs_hold", "en", renderer=MessageRenderer(tmp_path))


def test_a_missing_user_directory_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="messages.templates_dir"):
        MessageRenderer(tmp_path / "nope")


def test_unused_user_templates_are_listed(tmp_path):
    for name in ("customs_hold.j2", "customs_hold.de.j2", "_layout.j2", "case_recieved.j2", "customs_hold.xx.j2"):
        write(tmp_path / name, "Hello")
    assert [p.name for p in MessageRenderer(tmp_path).unused_user_templates()] == [
        "case_recieved.j2", "customs_hold.xx.j2",
    ]
    assert MessageRenderer().unused_user_templates() == []
