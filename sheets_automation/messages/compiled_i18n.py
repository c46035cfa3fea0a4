"""``{% trans %}`` blocks translated once, when a template is compiled for one language.

Jinja's i18n extension turns every ``{% trans %}`` block into a call of ``gettext`` at
render time: with new-style gettext that is two ``Context.call`` dispatches, a lookup of
the language in the context and a catalogue lookup, five or six times per message. Shipped
templates are compiled once per language instead (:func:`.render.compiled_environment`),
and this extension puts the translated text in the compiled template: a message of a 10k
run renders in 30-32 µs instead of 37-39 once its template is compiled
(``bench/message_render.py``, issue #15, docs/benchmarks.md).

* a block without variables becomes its text (``text % {}``, as new-style gettext does,
  so ``%%`` still comes out as ``%``);
* a block with variables becomes ``text % {name: value, ...}``, the same formatting the
  new-style ``gettext`` applies to its keyword arguments.

Plural blocks (``{% pluralize %}``) and blocks with a context (``pgettext``) are left as
they are: they still call the runtime callables, which look the language up per render.
User templates keep runtime translation (one sandboxed environment for all languages).
"""
from __future__ import annotations

from gettext import NullTranslations

from jinja2 import nodes
from jinja2.ext import InternationalizationExtension
from jinja2.parser import Parser
from jinja2.visitor import NodeTransformer


class _Translate(NodeTransformer):
    """Replaces ``gettext("msgid", name=value, ...)`` by the translation, formatted."""

    def __init__(self, translations: NullTranslations) -> None:
        self.translations = translations

    def visit_Call(self, node: nodes.Call) -> nodes.Node:
        if not (isinstance(node.node, nodes.Name) and node.node.name == "gettext" and len(node.args) == 1
                and isinstance(node.args[0], nodes.Const) and node.dyn_args is None and node.dyn_kwargs is None):
            return self.generic_visit(node)
        text = self.translations.gettext(node.args[0].value)
        if node.kwargs:
            pairs = [nodes.Pair(nodes.Const(kw.key), kw.value) for kw in node.kwargs]
            return nodes.Mod(nodes.Const(text), nodes.Dict(pairs, lineno=node.lineno), lineno=node.lineno)
        try:
            return nodes.Const(text % {}, lineno=node.lineno)
        except (KeyError, TypeError, ValueError):
            return node  # a placeholder without its variable: fails at render, as before


class CompiledTranslations(InternationalizationExtension):
    """The i18n extension, with ``{% trans %}`` translated at compile time through
    ``environment.compiled_translations`` (set by :func:`.render.shipped_environment`);
    an environment without it behaves as Jinja's own extension."""

    def parse(self, parser: Parser) -> nodes.Node | list[nodes.Node]:
        parsed = super().parse(parser)
        translations = getattr(self.environment, "compiled_translations", None)
        if translations is None:
            return parsed
        translate = _Translate(translations)
        if isinstance(parsed, list):
            return [translate.visit(n) for n in parsed]
        return translate.visit(parsed)
