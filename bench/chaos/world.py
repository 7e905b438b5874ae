"""The chaos run's install: one agency with an on-call address, a Premium client, one site and
one monitor per target URL, and an API token. Run as a process of its own against the install's
database (DATABASE_URL or VEILLEUR_DATA_DIR set), after ``veilleur migrate``; prints JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys

ON_CALL = "oncall@chaos.example"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", action="append", required=True, help="a target's URL (repeat)")
    parser.add_argument("--interval", type=int, required=True)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()
    from veilleur.accounts.models import ApiToken
    from veilleur.accounts.provisioning import create_agency
    from veilleur.clients.models import Client, Site
    from veilleur.monitoring.models import Monitor
    from veilleur.notifications.models import OnCallAddress
    from veilleur.plans.models import Plan

    agency = create_agency(key="chaos", name="Chaos")
    OnCallAddress.objects.create(agency=agency, email=ON_CALL)
    client = Client.objects.create(
        agency=agency, key="shop", name="Shop", plan=Plan.objects.get(agency=agency, key="premium")
    )
    monitors = []
    for number, url in enumerate(args.url):
        site = Site.objects.create(client=client, key=f"site{number}", name=f"Site {number}", url=url)
        # Created directly: the interval is shorter than a form allows, so that a run of minutes
        # sees many outages.
        monitor = Monitor.objects.create(
            agency=agency,
            site=site,
            key=f"m{number}",
            url=url,
            interval_seconds=args.interval,
            timeout_seconds=3,
        )
        monitors.append(monitor.pk)
    _, token = ApiToken.issue(agency, "chaos")
    print(json.dumps({"monitors": monitors, "token": token}))


if __name__ == "__main__":
    main(sys.argv[1:])
