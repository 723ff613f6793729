"""Multi-agency routing: who leads, who co-handles, which task each has, and by when.

Routing is configured in the policy file, not in code: a department registry,
action codes, a schedule (working days, holidays, follow-ups, re-assessment
intervals) and rules whose ``then`` sets a lead, co-handlers and tasks.

Deadlines count from ``reported_at`` (or from another task's deadline) in the
policy's time zone:

- ``s``, ``m`` and ``h`` durations are elapsed time;
- ``d`` durations are calendar days: the same wall-clock time n days later (a
  time that does not exist because clocks moved forward moves forward with
  them; a time that occurs twice is the first one);
- with working days, ``d`` counts working days (weekends and holidays skipped,
  make-up workdays counted), at the same wall-clock time.

``overdue(decision, events, now)`` lists the tasks, follow-up visits and
re-assessments that are overdue, done late, or due within a window;
``overdue_case(case, events, now)`` does the same for a case's reports and decisions,
a follow-up visit report counting as the visit it fulfils.
"""

from __future__ import annotations

from ._config import LEAD, MANUAL_REVIEW, Calendar, RoutingConfig, parse_duration
from ._plan import build_plan, fallback_plan
from ._supervise import Breach, Event, overdue, overdue_case

__all__ = [
    "LEAD",
    "MANUAL_REVIEW",
    "Breach",
    "Calendar",
    "Event",
    "RoutingConfig",
    "build_plan",
    "fallback_plan",
    "overdue",
    "overdue_case",
    "parse_duration",
]
