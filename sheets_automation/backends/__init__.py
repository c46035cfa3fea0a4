"""Spreadsheet backends: one port (:mod:`.base`), two adapters (workbook, Google Sheets).

Only the adapter modules import openpyxl or gspread.
"""
