"""The weekly self-check report (policy R1-R4): pure figures, the tab's layout, a PNG chart."""
from .layout import report_rows, report_tab, trend_chart
from .settings import ReportSettings, report_settings_from_mapping
from .weekly import WeeklyReport, WeekRow, category_of, is_high_season, report_weeks, weekly_report

__all__ = ["ReportSettings", "WeekRow", "WeeklyReport", "category_of", "is_high_season", "report_rows",
           "report_settings_from_mapping", "report_tab", "report_weeks", "trend_chart", "weekly_report"]
