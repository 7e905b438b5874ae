"""Creating an agency with everything it needs to work: calendar, default plans, owner."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from veilleur.accounts.models import DEFAULT_WEEKLY_HOURS, Agency, BusinessCalendar, SetupLink, StaffUser
from veilleur.domain.holidays import public_holidays
from veilleur.plans.models import seed_default_plans


class AgencyChoiceError(Exception):
    """The command needs one agency and the install has none or several."""


def prepare_database() -> None:
    """Bring the schema up to date; cheap when nothing is pending."""
    call_command("migrate", interactive=False, verbosity=0)


@transaction.atomic
def create_agency(
    key: str = "default",
    name: str = "My agency",
    time_zone: str = "Europe/Paris",
    language: str = "fr",
    country: str = "FR",
) -> Agency:
    agency = Agency.objects.create(
        key=key, name=name, time_zone=time_zone, language=language, country=country
    )
    this_year = timezone.now().year
    BusinessCalendar.objects.create(
        agency=agency,
        time_zone=time_zone,
        weekly_hours=DEFAULT_WEEKLY_HOURS,
        holidays=[day.isoformat() for day in public_holidays(country, (this_year, this_year + 1))],
    )
    seed_default_plans(agency)
    return agency


def resolve_agency(key: str | None, *, create_if_empty: bool = False) -> Agency:
    """The agency a command works on: the one named, or the install's only agency."""
    if key:
        agency = Agency.objects.filter(key=key).first()
        if agency is None:
            known = ", ".join(Agency.objects.values_list("key", flat=True)) or "none"
            raise AgencyChoiceError(f"no agency with key {key!r} (known: {known})")
        return agency
    agencies = list(Agency.objects.all()[:2])
    if len(agencies) == 1:
        return agencies[0]
    if not agencies:
        if create_if_empty:
            return create_agency()
        raise AgencyChoiceError("this install has no agency yet: run 'veilleur up' first")
    raise AgencyChoiceError("this install has several agencies: name one with --agency KEY")


def pending_setup_link(agency: Agency) -> SetupLink | None:
    """The owner's one-time link still waiting to be used (printed by ``veilleur demo`` or an
    earlier start), while nobody can sign in yet; None otherwise."""
    owners = StaffUser.objects.filter(agency=agency, role=StaffUser.Role.OWNER)
    if owners.exclude(password__startswith="!").exists():
        return None
    return (
        SetupLink.objects.filter(user__in=owners, used_at__isnull=True, expires_at__gt=timezone.now())
        .order_by("-expires_at")
        .first()
    )


def first_run_link(agency: Agency, base_url: str) -> str | None:
    """When nobody can sign in yet, a one-time link for the owner to set a password; else None."""
    if (
        StaffUser.objects.filter(agency=agency, role=StaffUser.Role.OWNER)
        .exclude(password__startswith="!")
        .exists()
    ):
        return None
    owner = StaffUser.objects.filter(agency=agency, role=StaffUser.Role.OWNER).first()
    if owner is None:
        owner = StaffUser.objects.create_user(
            email=f"owner@{agency.key}.invalid", agency=agency, role=StaffUser.Role.OWNER
        )
    token = SetupLink.issue(owner, timedelta(hours=settings.VEILLEUR_SETUP_LINK_HOURS))
    return f"{base_url.rstrip('/')}/setup/{token}/"
