"""A monthly report mentions the portal only when someone of the client could sign in to it that month."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.portal.conftest import World
from veilleur.domain.deliverables import Deliverable
from veilleur.portal.models import ClientUser
from veilleur.reports.data import monthly_report


def portal_count(world: World, year: int, month: int) -> int | None:
    report = monthly_report(world.clients[0].client, year, month, timezone.now())
    lines = [line for line in report.deliverables if line.kind == Deliverable.PORTAL]
    return lines[0].count if lines else None


@pytest.mark.django_db
def test_the_report_counts_users_able_to_sign_in_during_the_month(world: World) -> None:
    now = timezone.now()
    assert portal_count(world, now.year, now.month) == 1  # Anna; Rita is revoked, Bruno is another client's
    ClientUser.objects.filter(pk=world.user_a.pk).update(activated_at=now + timedelta(days=40))
    assert portal_count(world, now.year, now.month) is None
