"""Render a customer message for a situation, in the customer's language.

::

    renderer = MessageRenderer(user_dir=None)
    text = renderer.render("customs_hold", "de", context, tz=ZoneInfo("Asia/Shanghai"))

Shipped templates (``templates/messages/<situation>.j2``) are English inside
``{% trans %}`` blocks; the language's gettext catalogue translates them when the template
is compiled for that language (kept for the process, :mod:`.compiled_i18n`), and a missing
translation falls back to English. A user templates directory
(config ``messages.templates_dir``) may override a situation for every language
(``<dir>/<situation>.j2``) or for one (``<dir>/<situation>.<lang>.j2``, which wins).
User templates render in a :class:`~jinja2.sandbox.SandboxedEnvironment`; they may
``{% extends "_layout.j2" %}`` to reuse the shipped greeting and closing.

Safety, in order:

* the context is checked first (:func:`.situations.context_problems`), and Jinja runs
  with ``StrictUndefined``: a missing variable raises :class:`MessageContextError`,
  never blank text in a customer's message;
* autoescape is off: the output is plain text for a spreadsheet cell;
* the text never starts with ``=``, ``+``, ``-`` or ``@`` (a spreadsheet formula): the
  shipped layout starts with a greeting, and a user template that would start with one of
  these gets the greeting put in front.

A sandbox violation (``{{ ''.__class__ }}``) raises :class:`jinja2.sandbox.SecurityError`
unchanged, and a user template with a syntax error raises :class:`ConfigError`: both are
problems of the configuration, not of one row.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import tzinfo
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    Template,
    TemplateSyntaxError,
    UndefinedError,
    pass_context,
)
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment

from ..errors import ConfigError, SheetsAutomationError
from .compiled_i18n import CompiledTranslations
from .translations import load_translations, shipped_digest
from .formatting import LANGUAGE_VAR, TZ_VAR, FormattingError, install_filters
from .language import DEFAULT_LANGUAGE, normalize_language
from .situations import OPTIONAL, SITUATIONS, context_problems

FORMULA_START = ("=", "+", "-", "@")
LAYOUT = "_layout.j2"


class MessageContextError(SheetsAutomationError):
    """The context cannot make a complete message: a variable is missing or unusable.

    ``problems`` lists short phrases naming variables, never their values.
    """

    def __init__(self, situation: str, problems: list[str]) -> None:
        self.situation = situation
        self.problems = problems
        super().__init__(f"message {situation!r}: {'; '.join(problems)}")


SHIPPED_VAR = "_shipped"  # the renderer's shipped_digest(): which catalogues the render reads


def _catalogue(context: Context):
    shipped = context.get(SHIPPED_VAR)
    return load_translations(context.resolve(LANGUAGE_VAR), shipped if isinstance(shipped, str) else None)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return _catalogue(context).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _catalogue(context).ngettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, msgctxt: str, message: str) -> str:
    return _catalogue(context).pgettext(msgctxt, message)


@pass_context
def _npgettext(context: Context, msgctxt: str, singular: str, plural: str, n: int) -> str:
    return _catalogue(context).npgettext(msgctxt, singular, plural, n)


class _FlatGlobals:
    """A template's globals as one plain dict, taken when the template is loaded.

    Jinja keeps them as a ``ChainMap`` over the environment's globals, so that globals
    changed after loading still show, and every render then copies that ChainMap key by key
    into the new context, twice: a fifth of the messages job at 100k rows (#15). Ours are
    all set before any template is loaded (:func:`_configure`), and a dict copies in C."""

    globals: dict

    def make_globals(self, d):
        return {**self.globals, **(d or {})}


class _ShippedEnvironment(_FlatGlobals, Environment):
    pass


class _UserEnvironment(_FlatGlobals, SandboxedEnvironment):
    pass


def _configure(env: Environment) -> Environment:
    """The settings shared by shipped and user environments (and by extraction)."""
    env.policies["ext.i18n.trimmed"] = True  # same as catalog.EXTRACT_OPTIONS
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True, pgettext=_pgettext, npgettext=_npgettext
    )
    install_filters(env)
    return env


def _shipped_loader() -> PackageLoader:
    return PackageLoader("sheets_automation.templates", "messages")


def shipped_environment(language: str | None = None, shipped: str | None = None) -> Environment:
    """Environment over the shipped templates (trusted, not sandboxed).

    With a ``language``, its templates are compiled in that language: ``{% trans %}`` blocks
    hold the translated text (:mod:`.compiled_i18n`) instead of looking it up at every
    render. ``auto_reload`` is off: a template is read once per environment, not checked on
    disk at every render. ``shipped``: as for :func:`.translations.load_translations`.
    """
    env = _ShippedEnvironment(
        loader=_shipped_loader(), undefined=StrictUndefined, autoescape=False,
        lstrip_blocks=True, extensions=[CompiledTranslations], auto_reload=False,
    )
    if language is not None:
        env.compiled_translations = load_translations(language, shipped)  # type: ignore[attr-defined]
    return _configure(env)


@lru_cache(maxsize=32)
def compiled_environment(language: str, shipped: str) -> Environment:
    """The shipped environment of a language, kept for the process: a scheduler or worker
    running many sheets compiles each template once per language, not once per run.
    ``shipped`` is :func:`.translations.shipped_digest` when the renderer was made: a
    template or catalogue edited on disk gives a new digest, so the next run compiles it
    again from the files as they are (the memo's digest, which covers the same files,
    changes with it)."""
    return shipped_environment(language, shipped)


def user_environment(user_dir: Path) -> SandboxedEnvironment:
    """Sandboxed environment over a user directory, with the shipped templates behind it
    (templates read once per environment, as in :func:`shipped_environment`)."""
    return _configure(_UserEnvironment(
        loader=ChoiceLoader([FileSystemLoader(str(user_dir)), _shipped_loader()]),
        undefined=StrictUndefined, autoescape=False, lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"], auto_reload=False,
    ))  # type: ignore[return-value]


def normalize_text(text: str) -> str:
    """Trailing spaces off, runs of blank lines down to one, no blank first or last line."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def guard_formula(text: str, language: str, shipped: str | None = None) -> str:
    """Put the greeting in front of text a spreadsheet would read as a formula."""
    if text.lstrip().startswith(FORMULA_START):
        greeting = load_translations(language, shipped).gettext("Hello,")
        return f"{greeting}\n\n{text}"
    return text


class MessageRenderer:
    """Renders situations in a language, with optional user overrides.

    Templates (and which user file overrides what) are looked up once per situation and
    language and kept for the renderer's life: the messages job builds one renderer per
    run, so a template edited between runs is picked up by the next run. Shipped templates
    are compiled once per language and kept for the process while their files stay the
    same (:func:`compiled_environment`).

    :param user_dir: the config's ``messages.templates_dir``, or None for shipped only.
    :raises ConfigError: when ``user_dir`` is given but is not a directory.
    """

    def __init__(self, user_dir: Path | None = None) -> None:
        if user_dir is not None and not Path(user_dir).is_dir():
            raise ConfigError(f"messages.templates_dir: {user_dir} is not a directory")
        self.user_dir = Path(user_dir) if user_dir is not None else None
        self._user = user_environment(self.user_dir) if self.user_dir is not None else None
        self._shipped = shipped_digest()  # which compiled environments are still true to the files
        self._templates: dict[tuple[str, str], Template] = {}  # by (situation, language)

    def user_template(self, situation: str, language: str) -> Path | None:
        """The user file that overrides this situation and language, if any."""
        if self.user_dir is None:
            return None
        for name in (f"{situation}.{language}.j2", f"{situation}.j2"):
            if (self.user_dir / name).is_file():
                return self.user_dir / name
        return None

    def unused_user_templates(self) -> list[Path]:
        """User ``.j2`` files that override nothing (a misspelt situation or language)."""
        if self.user_dir is None:
            return []
        pattern = re.compile(r"(?P<situation>\w+?)(\.(?P<lang>[a-z]{2}))?\.j2")
        unused = []
        for path in sorted(self.user_dir.glob("*.j2")):
            match = pattern.fullmatch(path.name)
            if path.name.startswith("_"):
                continue  # partials, e.g. a custom _layout.j2
            if not match or match["situation"] not in SITUATIONS or (
                match["lang"] and normalize_language(match["lang"]) != match["lang"]
            ):
                unused.append(path)
        return unused

    def _template(self, situation: str, language: str) -> Template:
        if (situation, language) not in self._templates:
            self._templates[situation, language] = self._lookup(situation, language)
        return self._templates[situation, language]

    def _lookup(self, situation: str, language: str) -> Template:
        user_file = self.user_template(situation, language)
        if user_file is None or self._user is None:
            return compiled_environment(language, self._shipped).get_template(f"{situation}.j2")
        try:
            return self._user.get_template(user_file.name)
        except TemplateSyntaxError as exc:
            raise ConfigError(
                f"messages.templates_dir: {user_file.name} line {exc.lineno}: {exc.message}"
            ) from None

    def render(self, situation: str, language: str, context: Mapping[str, Any], *, tz: tzinfo) -> str:
        """The message text for a situation in a language (unknown language: English).

        :param context: the variables listed in ``SITUATIONS[situation]``.
        :param tz: the merchant time zone; datetimes are shown in it.
        :raises MessageContextError: unknown situation, or a missing or unusable variable.
        """
        problems = context_problems(situation, context)
        if problems:
            raise MessageContextError(situation, problems)
        if not isinstance(tz, tzinfo):
            raise MessageContextError(situation, ["tz must be a time zone (ZoneInfo)"])
        language = normalize_language(language) or DEFAULT_LANGUAGE
        values = dict(context)
        for name in OPTIONAL[situation]:
            if values.get(name) is None or not str(values[name]).strip():
                values[name] = ""
        values[LANGUAGE_VAR] = language
        values[TZ_VAR] = tz
        values[SHIPPED_VAR] = self._shipped
        template = self._template(situation, language)
        try:
            text = template.render(values)
        except UndefinedError as exc:
            raise MessageContextError(situation, [str(exc.message or "undefined variable")]) from None
        except FormattingError as exc:
            raise MessageContextError(situation, [str(exc)]) from None
        text = normalize_text(text)
        if not text:
            raise MessageContextError(situation, ["the template rendered no text"])
        return guard_formula(text, language, self._shipped)
