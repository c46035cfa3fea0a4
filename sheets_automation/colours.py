"""The policy's colour code (policy.md "Colours"): one meaning each, everywhere.

An Alert label always starts with its colour's prefix word, so the colour can be derived
from the text alone. Google Sheets conditional-format rules key on these prefixes, and the
workbook backend fills the cell itself; both show the same colour.
"""
from __future__ import annotations

# colour name -> (label prefix, RGB hex, meaning); ordered most urgent first.
COLOURS: dict[str, tuple[str, str, str]] = {
    "red": ("Overdue", "F4C7C3", "a deadline is missed or an action is overdue"),
    "orange": ("Due soon", "FCE5CD", "due within the next 24 h"),
    "yellow": ("Needs input", "FFF2CC", "waiting for input from the client or customer"),
    "blue": ("Waiting", "CFE2F3", "waiting on a third party (courier, platform, customs, supplier)"),
    "green": ("Done", "D9EAD3", "resolved, delivered, paid"),
    "grey": ("Closed", "E7E6E6", "closed, or outside every window (declined)"),
}
URGENCY = tuple(COLOURS)  # index 0 = most urgent
SEPARATOR = " · "
# A second prefix for one meaning: a payment on hold waits for corrected input (yellow).
HOLD = "Hold"
EXTRA_PREFIXES = {HOLD: "yellow"}
# Every label prefix and its colour, in rule order (the conditional-format rules a coloured
# column gets on Google Sheets: one per entry).
RULES: tuple[tuple[str, str], ...] = (*((prefix, name) for name, (prefix, _, _) in COLOURS.items()),
                                      *EXTRA_PREFIXES.items())


def label(colour: str, detail: str) -> str:
    """``label("red", "S1 first reply")`` → ``"Overdue · S1 first reply"``."""
    return f"{COLOURS[colour][0]}{SEPARATOR}{detail}" if detail else COLOURS[colour][0]


def colour_of(text: str) -> str | None:
    """The colour a label stands for, from its prefix; None for text that is not a label."""
    for name, (prefix, _, _) in COLOURS.items():
        if text == prefix or text.startswith(prefix + SEPARATOR):
            return name
    for prefix, name in EXTRA_PREFIXES.items():
        if text == prefix or text.startswith(prefix + SEPARATOR):
            return name
    return None


def rgb(colour: str) -> str:
    return COLOURS[colour][1]
