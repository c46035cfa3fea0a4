"""sheets-automation: after-service automation over a shared spreadsheet.

The spreadsheet stays the system of record. Jobs read every tab once, evaluate the
policy (``../shared/policy.md`` rule IDs W, S, T, V, C, R) as pure functions, and write
back only the cells the automation owns.
"""
from pathlib import Path as _Path

__version__ = "0.1.0"

# In a source checkout, ``jobs/``, ``sheet_schemas/`` and ``templates/`` sit beside this
# package at the top level (the design card's layout); the wheel maps them inside it.
# Extending __path__ makes ``sheets_automation.jobs`` resolve the same way in both.
_root = _Path(__file__).resolve().parent.parent
if (_root / "pyproject.toml").is_file() and (_root / "sheet_schemas").is_dir():
    __path__.append(str(_root))  # type: ignore[name-defined]  # noqa: F821

__all__ = ["__version__"]
