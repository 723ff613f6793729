"""Routing configuration: durations, the working-day calendar, and the typed
configuration a policy's routing section is built into when the policy loads."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .._errors import UsageError
from .._kept import keep
from ..decision import Translated
from ..vocab import DEPARTMENTS

if TYPE_CHECKING:
    pass


_DURATION = re.compile(r"^([0-9]{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}
_SECONDS = {"s": 1, "m": 60, "h": 3600}
MANUAL_REVIEW = "manual_review"
LEAD = "lead"  # a task's department meaning "whichever department leads the case"
_BUILTIN_ACTIONS = {
    MANUAL_REVIEW: Translated(
        zh="立即人工复核（规则引擎故障）", en="manual review now (rule engine failure)"
    ),
}


# -- time ----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def parse_duration(text: str) -> tuple[int, str]:
    match = _DURATION.match(text)
    if match is None:
        raise UsageError(f"not a duration: {text!r} (use e.g. 2s, 30m, 24h, 15d)")
    return int(match.group(1)), match.group(2)


@dataclass(frozen=True)
class Calendar:
    """Deadline arithmetic in one time zone, with optional working days."""

    tz: ZoneInfo
    weekend: frozenset[int] = frozenset({6, 7})
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()
    _working_dates: dict[tuple[date, int], date] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def _wall(self, local: datetime, day: date) -> datetime:
        naive = datetime.combine(day, local.time().replace(tzinfo=None))
        # fold=0 picks the first of two equal wall times; through UTC, a time inside a
        # spring-forward gap lands after the gap.
        aware = naive.replace(tzinfo=self.tz, fold=0)
        return datetime.fromtimestamp(aware.timestamp(), self.tz)

    def add(self, anchor: datetime, duration: str, working_days: bool = False) -> datetime:
        """``anchor`` plus a duration, in this calendar's time zone."""
        n, unit = parse_duration(duration)
        if unit != "d":
            return (anchor.astimezone(UTC) + timedelta(**{_UNITS[unit]: n})).astimezone(self.tz)
        local = anchor.astimezone(self.tz)
        start = local.date()
        day = self._after(start, n) if working_days else start + timedelta(days=n)
        # Where the UTC offset is the same on both days, the same wall time is whole days
        # later; otherwise (a transition in between) wall-clock arithmetic decides.
        later = datetime.fromtimestamp(local.timestamp() + (day - start).days * 86400, self.tz)
        if later.fold == 0 and later.utcoffset() == local.utcoffset():
            return later
        return self._wall(local, day)

    def _after(self, day: date, n: int) -> date:
        """The date ``n`` working days after ``day`` (remembered: few dates recur)."""
        key = (day, n)
        found = self._working_dates.get(key)
        if found is None:
            found = day
            counted = 0
            while counted < n:
                found += timedelta(days=1)
                if self.is_workday(found):
                    counted += 1
            keep(self._working_dates, key, found, 4096)
        return found


# -- building a plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingConfig:
    """What a policy says about routing, ready to use."""

    calendar: Calendar
    working_days: bool
    follow_ups: tuple[str, ...]
    reassess: dict[str, str]
    default_lead: str
    departments: dict[str, Translated]
    actions: dict[str, Translated]
    timezone: str
    fingerprint: str = ""  # equal for equal routing sections: plans may then be shared
    case_tasks: frozenset[str] = frozenset({"close_case"})  # count from the case's opening
    # plans kept to be moved in time (see `_plan._moved`), keyed by what routing reads
    shapes: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def holidays_through(self) -> date | None:
        """The last date the holiday list speaks of (None: no list)."""
        listed = self.calendar.holidays | self.calendar.extra_workdays
        return max(listed) if listed else None

    def notices(self) -> list[tuple[str, str, str]]:
        """Advice on the schedule that is not an error: (code, zh, en)."""
        if not self.working_days:
            return []
        end = self.holidays_through
        if end is None:
            return [
                (
                    "no-holidays",
                    "按工作日计算期限但未列出节假日：除周末外每天都计为工作日",
                    "working-day deadlines with no holiday list: every day but the weekend counts",
                )
            ]
        return [
            (
                "holidays-end",
                f"节假日只列到 {end.isoformat()}；此后的工作日期限把每个非周末日都计为工作日"
                "（期限只会更早，不会更晚），请逐年补充",
                f"holidays are listed only through {end.isoformat()}; working-day deadlines "
                "after it count every day but the weekend (earlier, never later): extend the "
                "list each year",
            )
        ]

    @cached_property
    def order(self) -> dict[str, int]:
        """Departments in registry order, for stable listings."""
        return {code: i for i, code in enumerate(self.departments)}

    @classmethod
    def from_parsed(cls, parsed: Any, timezone: str) -> RoutingConfig:
        schedule = parsed.schedule
        departments = {t.code: Translated(zh=t.zh, en=t.en) for t in DEPARTMENTS}
        departments.update({k: Translated(zh=v.zh, en=v.en) for k, v in parsed.departments.items()})
        actions = dict(_BUILTIN_ACTIONS)
        actions.update({k: Translated(zh=v.zh, en=v.en) for k, v in parsed.actions.items()})
        calendar = Calendar(
            ZoneInfo(timezone),
            frozenset(schedule.weekend),
            frozenset(schedule.holidays),
            frozenset(schedule.extra_workdays),
        )
        sections = {
            **parsed.model_dump(mode="json", include={"schedule", "departments", "actions"}),
            "timezone": timezone,
        }
        fingerprint = hashlib.sha256(
            json.dumps(sections, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        return cls(
            calendar,
            schedule.working_days,
            tuple(schedule.follow_ups),
            dict(schedule.reassess),
            schedule.default_lead,
            departments,
            actions,
            timezone,
            fingerprint,
            frozenset(schedule.case_tasks),
        )
