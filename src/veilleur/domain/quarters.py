"""Calendar quarters: Q1 is January to March, in the client's time zone.

A quarter's period runs from local midnight of its first day to local midnight of the first day
of the next quarter, as UTC instants (``Period.local_days``): a quarter holding a DST change is an
hour shorter or longer in real time, exactly as its three months are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from veilleur.domain.accounting import Period

_PATTERN = re.compile(r"(\d{4})-?Q([1-4])")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1 to 4

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError("a quarter is numbered 1 to 4")
        if not 1970 <= self.year <= 2999:
            raise ValueError("a quarter's year is between 1970 and 2999")

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """ "2026Q3" or "2026-Q3" (case does not matter)."""
        found = _PATTERN.fullmatch(text.upper())
        if found is None:
            raise ValueError(f"a quarter is written like 2026Q3, not {text!r}")
        return cls(int(found.group(1)), int(found.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter a local date belongs to."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def months(self) -> tuple[tuple[int, int], ...]:
        """(year, month) of its three months, in order."""
        first = 3 * (self.number - 1) + 1
        return tuple((self.year, month) for month in range(first, first + 3))

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * (self.number - 1) + 1, 1)

    @property
    def end_day(self) -> date:
        """The first day of the next quarter (excluded)."""
        return self.following.first_day

    @property
    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def following(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    @property
    def same_last_year(self) -> Quarter:
        return Quarter(self.year - 1, self.number)

    def period(self, zone: ZoneInfo) -> Period:
        """The quarter as UTC instants: local midnight to local midnight in ``zone``."""
        return Period.local_days(self.first_day, self.end_day, zone)

    def month_periods(self, zone: ZoneInfo) -> tuple[Period, ...]:
        """Its three months, which tile the quarter's period exactly."""
        return tuple(Period.month(year, month, zone) for year, month in self.months)
