"""A checker cut off from the Internet, as ``veilleur doctor`` and /metrics show it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from tests.operations.test_doctor import ca_file, doctor, healthy, smtp  # noqa: F401
from tests.operations.test_metrics import TOKEN, scrape
from veilleur.monitoring.models import CheckerOutage
from veilleur.operations.doctor import FAIL, OK

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_doctor_fails_while_a_checker_is_cut_off_and_names_it(
    healthy: None,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    now = timezone.now()
    CheckerOutage.objects.create(
        owner="host-b:12", region="eu-west", started_at=now - timedelta(hours=3), ended_at=now, reason="dns"
    )
    with override_settings(VEILLEUR_CANARY_URLS=("https://canary.example/",)):
        status, findings = doctor(capsys, "--min-free-gib", "0")
        assert findings["checker network"]["status"] == OK
        assert findings["checker network"]["detail"] == "no checker cut off (1 canary URL(s))"
        CheckerOutage.objects.create(
            owner="host-a:42", region="eu-west", started_at=now - timedelta(minutes=5), reason="canaries"
        )
        status, findings = doctor(capsys, "--min-free-gib", "0")
    assert status == 1
    network = findings["checker network"]
    assert network["status"] == FAIL
    assert network["detail"].startswith("1 checker(s) cannot reach the Internet")
    assert "host-a:42 (eu-west) for 5 min" in network["detail"] and "host-b" not in network["detail"]


@override_settings(VEILLEUR_METRICS_TOKEN=TOKEN)
def test_metrics_count_the_checkers_cut_off_now() -> None:
    now = timezone.now()
    assert not [key for key in scrape() if key[0] == "veilleur_checkers_cut_off"]
    CheckerOutage.objects.create(owner="host-a:42", region="eu-west", started_at=now, reason="dns")
    CheckerOutage.objects.create(
        owner="host-c:9", started_at=now - timedelta(hours=1), ended_at=now, reason="dns"
    )
    cut_off = [(key, value) for key, value in scrape().items() if key[0] == "veilleur_checkers_cut_off"]
    assert cut_off == [(("veilleur_checkers_cut_off", (("owner", "host-a:42"), ("region", "eu-west"))), 1.0)]
