"""Load the gettext catalogues of the message templates; no build step.

Layout (inside the ``sheets_automation.templates`` package)::

    messages/<situation>.j2                 English source text in {% trans %} blocks
    locale/messages.pot                     extracted with jinja2.ext.babel_extract
    locale/<lang>/LC_MESSAGES/messages.po   one per shipped language (en included)

At load time a ``.po`` is compiled in memory (``read_po`` → ``write_mo`` → BytesIO →
``GNUTranslations``). Untranslated and fuzzy entries are left out of the compiled
catalogue, so gettext falls back to the English msgid.
"""
from __future__ import annotations

import gettext
import hashlib
import io
from functools import lru_cache
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"


def package_root() -> Traversable:
    """The ``sheets_automation.templates`` package: templates and catalogues."""
    return files("sheets_automation.templates")


def hash_files(h: "hashlib._Hash", root: Path) -> None:
    """Feed every file under ``root`` into ``h``: relative path and bytes, in path order
    (compiled Python caches left out)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")


def shipped_digest() -> str:
    """Hash of the shipped templates and catalogues as they are on disk now."""
    h = hashlib.blake2b(digest_size=8)
    hash_files(h, Path(str(package_root())))
    return h.hexdigest()


def po_resource(language: str, root: Traversable | None = None) -> Traversable:
    return (root or package_root()) / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(language: str, root: Traversable | None = None) -> Catalog | None:
    """The language's parsed ``.po``, or None when the language ships no catalogue."""
    resource = po_resource(language, root)
    if not resource.is_file():
        return None
    with resource.open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def compile_catalog(catalog: Catalog) -> gettext.GNUTranslations:
    """Compile a catalogue in memory; untranslated and fuzzy entries are left out."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_translations(language: str, shipped: str | None = None) -> gettext.NullTranslations:
    """Translations for a language; unknown languages get NullTranslations (English).

    Kept for the process per ``shipped``, the :func:`shipped_digest` of the files they are
    read from (taken now when not given; a renderer takes it once and passes it): a
    catalogue changed on disk under a running scheduler gives a new digest and is read
    again, together with the templates compiled from it and the memo's digest, which covers
    the same files."""
    return _translations(language, shipped_digest() if shipped is None else shipped)


@lru_cache(maxsize=64)
def _translations(language: str, shipped: str) -> gettext.NullTranslations:
    catalog = read_catalog(language)
    return gettext.NullTranslations() if catalog is None else compile_catalog(catalog)
