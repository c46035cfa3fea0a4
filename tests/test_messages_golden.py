"""Golden files: the exact text of a representative set of messages.

Regenerate after an intended wording change with ``UPDATE_GOLDEN=1 python -m pytest
tests/test_messages_golden.py`` and review the diff.
"""
from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sheets_automation.messages import MessageRenderer, sample_context

GOLDEN_DIR = Path(__file__).parent / "golden" / "messages"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
REPRESENTATIVE = (
    "case_received", "evidence_needed", "outside_window", "refund_approved", "customs_hold",
    "available_for_pickup", "reship_shipped", "long_undelivered",
)
CASES = (
    [(s, lang) for s in REPRESENTATIVE for lang in ("en", "zh")]
    + [("outside_window", "es"), ("refund_approved", "es"), ("refund_approved", "de"),
       ("customs_hold", "fr"), ("in_transit", "pt")]
)
RENDERER = MessageRenderer()


@pytest.mark.parametrize(("situation", "language"), CASES)
def test_golden(situation, language):
    text = RENDERER.render(situation, language, sample_context(situation), tz=ZoneInfo("Asia/Shanghai"))
    path = GOLDEN_DIR / f"{situation}.{language}.txt"
    if UPDATE:
        GOLDEN_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert path.is_file(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1"
    assert text + "\n" == path.read_text(encoding="utf-8")


def test_no_stale_golden_files():
    expected = {f"{s}.{lang}.txt" for s, lang in CASES}
    assert {p.name for p in GOLDEN_DIR.glob("*.txt")} == expected
