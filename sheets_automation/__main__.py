"""python -m sheets_automation"""
import sys

from .cli import main

sys.exit(main())
