"""Public holidays seed a new agency's calendar, and a year can be added later."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from veilleur.accounts.models import Agency, BusinessCalendar
from veilleur.cli import main


def test_new_agency_calendar_has_this_and_next_years_holidays(agency: Agency) -> None:
    year = timezone.now().year
    holidays = BusinessCalendar.objects.get(agency=agency).holidays
    assert f"{year}-12-25" in holidays and f"{year + 1}-01-01" in holidays and f"{year}-07-14" in holidays


def test_adding_a_year_keeps_edits_and_raises_the_version(
    agency: Agency, capsys: pytest.CaptureFixture[str]
) -> None:
    calendar = BusinessCalendar.objects.get(agency=agency)
    calendar.holidays = ["2030-08-16"]  # a bridge day the agency closes
    calendar.save()
    version = BusinessCalendar.objects.get(agency=agency).version
    assert main(["holidays", "2030"]) == 0
    calendar.refresh_from_db()
    assert "2030-08-16" in calendar.holidays and "2030-07-14" in calendar.holidays
    assert calendar.version == version + 1
    assert main(["holidays", "2030"]) == 0
    assert "0 public holiday(s)" in capsys.readouterr().out


def test_unknown_country_is_refused(agency: Agency) -> None:
    agency.country = "XX"
    with translation.override("en"), pytest.raises(ValidationError, match="unknown country 'XX'"):
        agency.full_clean()
