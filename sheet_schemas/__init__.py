"""Package data: mapped to sheets_automation.sheet_schemas by pyproject.toml."""
