"""Package data: mapped to sheets_automation.templates by pyproject.toml."""
