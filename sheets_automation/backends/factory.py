"""Pick and open the backend a spreadsheet config names (the only place that chooses)."""
from __future__ import annotations

from ..config import Config, SpreadsheetConfig
from .base import Backend


def open_backend(config: Config, sheet: SpreadsheetConfig) -> Backend:
    if config.backend == "google":
        from .gsheets import open_google_backend  # imports gspread only when needed

        return open_google_backend(sheet.spreadsheet_id, credentials_file=config.credentials_file_for(sheet) or None,
                                   credentials_env=config.google.credentials_env or None,
                                   timeout=config.google.timeout_seconds, max_retries=config.google.max_retries)
    from .workbook import WorkbookBackend

    assert sheet.workbook is not None  # guaranteed by config checks
    return WorkbookBackend(sheet.workbook)
