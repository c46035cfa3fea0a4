"""Exceptions that stop a run, and the Issue value that does not.

Data problems are values (:class:`Issue`), collected per row and shown in the sheet.
Exceptions are only for what stops a run (DEVELOPERS.md non-negotiable 4)::

    SheetsAutomationError          one-line message naming the fix; CLI exit 1
    ├── ConfigError                the config file or an option is wrong
    ├── SchemaFileError            a shipped or user schema file is broken
    ├── CredentialsError           credentials missing or unusable
    ├── SpreadsheetAccessError     404 / 403 / unreadable or locked workbook
    ├── TabError                   a tab is missing, or a header is missing or duplicated
    └── ProviderError              the tracking provider cannot be used at all
"""
from __future__ import annotations

from dataclasses import dataclass


class SheetsAutomationError(Exception):
    """Base class. ``str(exc)`` is one line that says what to do."""


class ConfigError(SheetsAutomationError):
    """The configuration is invalid; the message lists every problem, each naming its key."""


class SchemaFileError(SheetsAutomationError):
    """A schema file is broken; the message names the file and the field."""


class CredentialsError(SheetsAutomationError):
    """Credentials are missing or cannot be used."""


class SpreadsheetAccessError(SheetsAutomationError):
    """The spreadsheet or workbook cannot be opened, read or written."""


class TabError(SheetsAutomationError):
    """A tab is missing, or one of its headers is missing or duplicated."""


class ProviderError(SheetsAutomationError):
    """The tracking provider cannot be used (bad key, quota exhausted for registration...)."""


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding about one cell or row, shown in the sheet, never raised.

    :param code: rule ID plus a kebab-case reason, e.g. ``"V2-unparseable-date"``.
    :param tab: the tab's title as written in the sheet.
    :param row: the sheet row.
    :param field: the schema field of the cell; None when the finding is about the whole row.
    :param message: one sentence for a person, naming the value and what is expected.
    :param severity: ``"error"`` (bad input, yellow) or ``"warning"`` (soft note).
    :param column: the field's column letter in this sheet, for :attr:`cell`.

    >>> Issue("V2-unparseable-date", "Cases", 17, "paid_at", "…", column="K").cell
    'Cases!K17'
    >>> Issue("S1-overdue", "Cases", 17, None, "…").cell
    'Cases!17:17'
    """

    code: str
    tab: str
    row: int
    field: str | None
    message: str
    severity: str = "error"
    column: str = ""

    @property
    def cell(self) -> str:
        """The A1 address a person reads (``"Cases!K17"``; a whole row ``"Cases!17:17"``),
        formatted here only."""
        tab = self.tab if self.tab.replace(" ", "").isalnum() else f"'{self.tab}'"
        return f"{tab}!{self.column}{self.row}" if self.column else f"{tab}!{self.row}:{self.row}"

    @property
    def rule(self) -> str:
        """The rule ID part of the code (``"V2"`` for ``"V2-unparseable-date"``)."""
        return self.code.split("-", 1)[0]

    def __str__(self) -> str:
        return f"{self.code} {self.cell}: {self.message}"
