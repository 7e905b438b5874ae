"""Data for the failover tests, written by a process of its own into the test's own cluster
(``python -m tests.failover_world …`` with DATABASE_URL set), so that the test process keeps
its usual test database."""

from __future__ import annotations

import argparse
import json
import os
import sys


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--monitors", type=int, default=1)
    parser.add_argument("--interval", type=int, default=10)
    parser.add_argument("--incident", action="store_true", help="one confirmed incident, its alert queued")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()
    from django.utils import timezone

    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, Site
    from veilleur.incidents.models import Incident
    from veilleur.incidents.sla import sla_fields
    from veilleur.monitoring.models import Monitor
    from veilleur.notifications.enqueue import enqueue_incident_notices
    from veilleur.notifications.models import OnCallAddress, OutboxMessage
    from veilleur.plans.models import Plan

    agency = create_agency(key="failover", name="Failover")
    OnCallAddress.objects.create(agency=agency, email="oncall@agency.example")
    client = Client.objects.create(
        agency=agency, key="shop", name="Shop", plan=Plan.objects.get(agency=agency, key="premium")
    )
    site = Site.objects.create(client=client, key="www", name="Shop", url=args.url)
    monitors = Monitor.objects.bulk_create(
        Monitor(
            agency=agency,
            site=site,
            key=f"m{n}",
            url=args.url,
            interval_seconds=args.interval,
            timeout_seconds=5,
        )
        for n in range(args.monitors)
    )
    made: dict[str, object] = {"monitors": [monitor.pk for monitor in monitors]}
    if args.incident:
        monitor = Monitor.objects.select_related("site__client__plan").get(pk=monitors[0].pk)
        now = timezone.now()
        incident = Incident.objects.create(
            monitor=monitor,
            **sla_fields(monitor, now),
            first_failed_at=now,
            confirmed_at=now,
            cause_error_class="http_status",
            cause_status_code=503,
        )
        enqueue_incident_notices(incident, OutboxMessage.Kind.INCIDENT_CONFIRMED)
        made["incident"] = incident.pk
    print(json.dumps(made))


if __name__ == "__main__":
    main(sys.argv[1:])
