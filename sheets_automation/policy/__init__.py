"""The policy engine: typed frames in, bot outputs out (policy.md W, S, V, C rules).

Pure and vectorised: every function takes ``now`` and never reads the clock, and bad
input becomes an :class:`~sheets_automation.errors.Issue`, never an exception.

Modules: :mod:`.settings` (Policy numbers), :mod:`.calendar` (working days),
:mod:`.times` (DST-safe wall-clock arithmetic), :mod:`.view` (shared Cases columns),
:mod:`.windows` (W1-W6), :mod:`.deadlines` (S1-S4, S6), :mod:`.validation` (V rules),
:mod:`.cost` (C1-C4), :mod:`.findings` (alert, colour, next action, issues),
:mod:`.cases`, :mod:`.cashback`, :mod:`.reships` (per tab), :mod:`.crosstab` (rows one tab
asks another to hold), :mod:`.frames` (typed-frame builder for tests and the benchmark).
"""
from .calendar import WorkCalendar
from .cases import evaluate_cases
from .cashback import evaluate_cashback
from .crosstab import logistics_to_create, reships_to_create
from .reships import evaluate_reships
from .settings import Policy, policy_from_mapping

__all__ = [
    "Policy",
    "WorkCalendar",
    "evaluate_cases",
    "evaluate_cashback",
    "evaluate_reships",
    "logistics_to_create",
    "policy_from_mapping",
    "reships_to_create",
]
