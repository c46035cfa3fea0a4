"""Customer messages (issue 5): Jinja2 templates per situation, Babel gettext per language.

Public API::

    SITUATIONS                      situation -> the context variables it requires
    VARIABLES, CHOICES              what each variable holds; allowed values of selectors
    MessageRenderer(user_dir=None)  .render(situation, language, context, *, tz) -> str
    MessageContextError             a missing or unusable variable (never blank text)
    pick_language(customer_language, destination_country) -> "en" | "zh" | ...
    sample_context(situation) -> dict
    context_problems(situation, context) -> list[str]   check a row before rendering

Modules: ``situations`` (the catalogue of situations), ``language`` (which language),
``formatting`` (the ``date``/``datetime``/``money`` filters), ``catalog`` (gettext
catalogues and ``python -m sheets_automation.messages.catalog``), ``render`` and
``samples``.
"""
from .language import SUPPORTED_LANGUAGES, normalize_language, pick_language
from .render import MessageContextError, MessageRenderer
from .samples import sample_context
from .situations import CHOICES, SITUATIONS, VARIABLES, context_problems

__all__ = [
    "CHOICES",
    "SITUATIONS",
    "SUPPORTED_LANGUAGES",
    "VARIABLES",
    "MessageContextError",
    "MessageRenderer",
    "context_problems",
    "normalize_language",
    "pick_language",
    "sample_context",
]
