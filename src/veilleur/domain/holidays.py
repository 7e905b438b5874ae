"""Public holidays that seed a calendar, from the ``holidays`` package's tables.

Seeding is a starting point: the agency edits the list afterwards (a bridge day closed, a
holiday worked), and the SLA clock only ever reads the edited list.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

# The ``holidays`` tables (some 3 MiB) are loaded when a calendar is seeded or a country checked,
# not by every process that imports the validators.


def public_holidays(country: str, years: Iterable[int]) -> list[date]:
    """The country's national public holidays in those years, sorted."""
    import holidays

    return sorted(holidays.country_holidays(country, years=list(years)).keys())


def known_country(code: str) -> bool:
    import holidays

    return code in holidays.list_supported_countries()
