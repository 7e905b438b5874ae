"""The ``veilleur`` command: one entry point for every role and for the agency's admin tasks.

Exit statuses: 0 success, 1 failure while running, 2 bad input (arguments, config file), 3 the web
role cannot listen on its address.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from veilleur.checker.fleet import CheckerFleet

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
    import django

    django.setup()


def _agency_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--agency", metavar="KEY", help="the agency to work on (default: the install's only one)"
    )


def _report_period_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client", required=True, metavar="KEY", help="the client's key")
    period = parser.add_mutually_exclusive_group(required=True)
    period.add_argument("--month", metavar="YYYY-MM", help="a monthly report's month, e.g. 2026-10")
    period.add_argument("--quarter", metavar="YYYY-Qn", help="a quarterly review's quarter, e.g. 2026-Q3")
    _agency_option(parser)


def _wait_for_database() -> None:
    """A role started while its database is away waits for it (one log line when it is lost,
    one when it is back) instead of exiting with a traceback."""
    import logging

    from veilleur.outage import Outage, wait_for_database

    wait_for_database(Outage(logging.getLogger("veilleur")))


def _serve_metrics(args: argparse.Namespace) -> bool:
    """Start the process's metrics server when ``--metrics-address`` asks; False (after saying
    why) when it cannot listen there."""
    if not args.metrics_address:
        return True
    from veilleur.operations.metrics import MetricsAddressError, serve_process_metrics

    try:
        serve_process_metrics(args.metrics_address)
    except MetricsAddressError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True


def cmd_up(args: argparse.Namespace) -> int:
    """The supervisor: a small process without Django that prepares the database in a child that
    exits, then runs the roles (embedded.py) and starts them again if they die."""
    from veilleur.bind_address import bind_problem
    from veilleur.operations.logs import configure_without_django
    from veilleur.supervisor import Role, Supervisor, run_step

    problem = bind_problem(args.bind)
    if problem:
        print(f"error: {problem}; choose another address with --bind (or VEILLEUR_BIND)", file=sys.stderr)
        return EXIT_FAILURE
    configure_without_django(os.environ.get("VEILLEUR_LOG_LEVEL", "INFO"))
    status = run_step(["up-prepare", "--new-setup-link"] if args.new_setup_link else ["up-prepare"])
    if status is None:
        return EXIT_OK  # told to stop while preparing
    if status != EXIT_OK:
        return status
    # glibc gives each thread that allocates its own malloc arena, which keeps freed memory apart:
    # with a dozen threads in the process of roles, two arenas hold the same for less memory.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    roles_argv = ["roles", "--region", args.region]
    if args.metrics_address:
        roles_argv += ["--metrics-address", args.metrics_address]
    fleet = checker_fleet(args.region)
    if args.workers > 1:
        # More web processes than one: the web role runs as 'veilleur web' beside the others.
        web_argv = ["web", "--bind", args.bind, "--workers", str(args.workers), "--no-migrate"]
        return Supervisor([Role("web", web_argv), Role("checker and worker", roles_argv)], fleet).run()
    return Supervisor([Role("roles", [*roles_argv, "--bind", args.bind])], fleet).run()


def checker_fleet(region: str) -> CheckerFleet | None:
    """Extra checker processes as the load needs them (checker/fleet.py); None on one core."""
    from veilleur.checker.fleet import CheckerFleet, FleetSettings

    settings = FleetSettings.from_env()
    return CheckerFleet(region, settings) if settings.most_processes > 1 else None


def cmd_up_prepare(args: argparse.Namespace) -> int:
    """Wait for the database, migrate, and create the agency (printing its setup link) on the
    first run: what 'veilleur up' does before starting the roles, in a process of its own."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    from veilleur.accounts.provisioning import (
        first_run_link,
        pending_setup_link,
        prepare_database,
        resolve_agency,
    )

    _wait_for_database()
    prepare_database()
    agency = resolve_agency(None, create_if_empty=True)
    pending = None if args.new_setup_link else pending_setup_link(agency)
    link = None if pending else first_run_link(agency, settings.VEILLEUR_BASE_URL)
    if pending:
        # A new link would void the one 'veilleur demo' (or the last start) printed: keep it.
        until = pending.expires_at.astimezone(ZoneInfo(agency.time_zone))
        print(
            f"The one-time link printed earlier to set the owner's password is still valid until "
            f"{until:%Y-%m-%d %H:%M} ({agency.time_zone}). Lost it? Start with 'veilleur up "
            "--new-setup-link' for a new one (the earlier one then stops working).",
            flush=True,
        )
    if link:
        print("Welcome to Veilleur. Open this one-time link to set the owner's password:")
        print(f"  {link}")
        print(
            f"(valid {settings.VEILLEUR_SETUP_LINK_HOURS} h; 'veilleur up --new-setup-link' gives a new one)",
            flush=True,
        )
    return EXIT_OK


def cmd_roles(args: argparse.Namespace) -> int:
    from veilleur.embedded import run_roles
    from veilleur.supervisor import EXIT_CANNOT_START, stop_with_parent

    stop_with_parent()
    if not _serve_metrics(args):
        return EXIT_CANNOT_START
    _wait_for_database()
    return run_roles(args.bind, args.region)


def cmd_web(args: argparse.Namespace) -> int:
    from veilleur.accounts.provisioning import prepare_database
    from veilleur.bind_address import bind_problem
    from veilleur.supervisor import EXIT_CANNOT_START
    from veilleur.web_server import serve

    problem = bind_problem(args.bind)
    if problem:
        # A status the supervisor of 'veilleur up' does not restart: waiting will not free the port.
        print(f"error: {problem}; choose another address with --bind (or VEILLEUR_BIND)", file=sys.stderr)
        return EXIT_CANNOT_START

    if not args.no_migrate:
        _wait_for_database()
        prepare_database()
    return serve(args.bind, workers=args.workers)


def cmd_checker(args: argparse.Namespace) -> int:
    from veilleur.accounts.provisioning import prepare_database
    from veilleur.checker.command import run_checker

    if not _serve_metrics(args):
        return EXIT_BAD_INPUT
    _wait_for_database()
    if not args.no_migrate:
        prepare_database()
    return run_checker(args.region)


def cmd_worker(args: argparse.Namespace) -> int:
    from veilleur.accounts.provisioning import prepare_database
    from veilleur.worker.command import run_worker

    if not _serve_metrics(args):
        return EXIT_BAD_INPUT
    _wait_for_database()
    if not args.no_migrate:
        prepare_database()
    return run_worker()


def cmd_check(args: argparse.Namespace) -> int:
    import asyncio
    import json
    import ssl

    from django.conf import settings

    from veilleur.probes.guard import allow_private_from_env
    from veilleur.probes.http import make_tls_context
    from veilleur.probes.report import check_url, format_outcome, outcome_to_json

    try:
        # The same trust as the checker's: a site the checker trusts is trusted here, and no other.
        tls_context = make_tls_context(settings.VEILLEUR_CA_FILE or None)
    except (OSError, ssl.SSLError) as exc:
        print(f"error: VEILLEUR_CA_FILE {settings.VEILLEUR_CA_FILE!r} cannot be read: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        outcome, cert = asyncio.run(
            check_url(
                args.url,
                keyword=args.keyword,
                forbidden_keyword=args.forbidden_keyword,
                expected_status=args.expect,
                method=args.method,
                timeout=args.timeout,
                follow_redirects=not args.no_follow,
                inspect_tls=not args.no_tls,
                allow_private=allow_private_from_env(),
                tls_context=tls_context,
            )
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        json.dumps(outcome_to_json(outcome, cert), indent=2) if args.json else format_outcome(outcome, cert)
    )
    return EXIT_OK if outcome.ok else EXIT_FAILURE


def cmd_migrate(args: argparse.Namespace) -> int:
    from veilleur.accounts.provisioning import prepare_database

    prepare_database()
    print("database schema is up to date")
    return EXIT_OK


def cmd_apply(args: argparse.Namespace) -> int:
    from veilleur.configfile.commands import apply_command

    return apply_command(Path(args.file), agency_key=args.agency, dry_run=args.dry_run, prune=args.prune)


def cmd_export(args: argparse.Namespace) -> int:
    from veilleur.configfile.commands import export_command

    return export_command(Path(args.output) if args.output else None, agency_key=args.agency)


def cmd_holidays(args: argparse.Namespace) -> int:
    from veilleur.accounts.models import BusinessCalendar
    from veilleur.accounts.provisioning import prepare_database, resolve_agency
    from veilleur.domain.holidays import public_holidays

    if not 1970 <= args.year <= 2200:
        print(f"error: year {args.year} is out of range (1970-2200)", file=sys.stderr)
        return EXIT_BAD_INPUT
    prepare_database()
    agency = resolve_agency(args.agency)
    calendar = BusinessCalendar.objects.get(agency=agency)
    known = set(calendar.holidays)
    added = [
        day.isoformat()
        for day in public_holidays(agency.country, [args.year])
        if day.isoformat() not in known
    ]
    if added:
        calendar.holidays = sorted(known | set(added))
        calendar.save()
    print(
        f"{len(added)} public holiday(s) of {agency.country} in {args.year} added"
        + (": " + ", ".join(added) if added else "")
    )
    return EXIT_OK


def cmd_token_create(args: argparse.Namespace) -> int:
    from veilleur.accounts.models import ApiToken
    from veilleur.accounts.provisioning import prepare_database, resolve_agency

    prepare_database()
    agency = resolve_agency(args.agency)
    if ApiToken.objects.filter(agency=agency, name=args.name).exists():
        print(f"error: a token named {args.name!r} already exists", file=sys.stderr)
        return EXIT_BAD_INPUT
    _, clear = ApiToken.issue(agency, args.name)
    print(clear)
    print("Keep this token now: only its hash is stored, it cannot be shown again.", file=sys.stderr)
    return EXIT_OK


def cmd_token_list(args: argparse.Namespace) -> int:
    from veilleur.accounts.models import ApiToken
    from veilleur.accounts.provisioning import prepare_database, resolve_agency

    prepare_database()
    agency = resolve_agency(args.agency)
    for token in ApiToken.objects.filter(agency=agency).order_by("name"):
        state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
        used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
        print(f"{token.name}\tvlr_{token.prefix}_…\t{state}\tlast used {used}")
    return EXIT_OK


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from veilleur.accounts.models import ApiToken
    from veilleur.accounts.provisioning import prepare_database, resolve_agency

    prepare_database()
    agency = resolve_agency(args.agency)
    revoked = ApiToken.objects.filter(agency=agency, name=args.name, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if not revoked:
        print(f"error: no active token named {args.name!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"token {args.name!r} revoked")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from veilleur.accounts.provisioning import prepare_database
    from veilleur.demo.command import demo_command

    prepare_database()
    return demo_command(days=args.days, seed=args.seed)


def cmd_report_monthly(args: argparse.Namespace) -> int:
    import re
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from veilleur.reports.data import monthly_report
    from veilleur.reports.render import render_html, render_pdf

    match = re.fullmatch(r"(\d{4})-(\d{2})", args.month)
    if match is None or not 1 <= int(match.group(2)) <= 12 or not 1970 <= int(match.group(1)) <= 2200:
        print(f"error: month {args.month!r} is not a month like 2026-10", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.pdf and not args.html:
        print("error: say where to write the report with --pdf FILE and/or --html FILE", file=sys.stderr)
        return EXIT_BAD_INPUT
    client = _report_client(args)
    if client is None:
        return EXIT_BAD_INPUT
    if not _outputs_writable(args):
        return EXIT_BAD_INPUT
    year, month = int(match.group(1)), int(match.group(2))
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(client.time_zone)).date()
    if (year, month) > (today.year, today.month):
        print(
            f"error: month {args.month} has not begun yet in {client.time_zone} (today is {today:%Y-%m-%d}); "
            "the month in progress gives a partial report",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    report = monthly_report(client, year, month, now)
    language = args.language or client.reports_language
    # Both documents are rendered before either is written: a failure leaves no half of the pair.
    documents: list[tuple[str, bytes]] = []
    if args.html:
        documents.append((args.html, render_html(report, language).encode("utf-8")))
    if args.pdf:
        documents.append((args.pdf, render_pdf(report, language)))
    return _write_documents(documents)


def cmd_report_quarterly(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from veilleur.domain.quarters import Quarter
    from veilleur.reports.review import quarterly_review
    from veilleur.reports.review_render import render_html, render_pdf

    try:
        quarter = Quarter.parse(args.quarter)
    except ValueError:
        print(f"error: quarter {args.quarter!r} is not a quarter like 2026Q3", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.pdf and not args.html:
        print("error: say where to write the review with --pdf FILE and/or --html FILE", file=sys.stderr)
        return EXIT_BAD_INPUT
    client = _report_client(args)
    if client is None:
        return EXIT_BAD_INPUT
    if not client.plan.quarterly_review:
        print(
            f"error: the plan of {args.client!r} ({client.plan.name}) does not include the quarterly review",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    if not _outputs_writable(args):
        return EXIT_BAD_INPUT
    now = datetime.now(UTC)
    today = now.astimezone(ZoneInfo(client.time_zone)).date()
    if quarter > Quarter.of(today):
        print(
            f"error: quarter {quarter} has not begun yet in {client.time_zone} (today is {today:%Y-%m-%d}); "
            "the quarter in progress gives a partial review",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    review = quarterly_review(client, quarter.year, quarter.number, now)
    language = args.language or client.language
    # Both documents are rendered before either is written: a failure leaves no half of the pair.
    documents: list[tuple[str, bytes]] = []
    if args.html:
        documents.append((args.html, render_html(review, language=language).encode("utf-8")))
    if args.pdf:
        documents.append((args.pdf, render_pdf(review, language=language)))
    return _write_documents(documents)


def _report_client(args: argparse.Namespace) -> Any:
    """The client named by --client in --agency's agency; None (after naming the known keys) if none is."""
    from veilleur.accounts.provisioning import prepare_database, resolve_agency
    from veilleur.clients.models import Client

    prepare_database()
    agency = resolve_agency(args.agency)
    client = Client.objects.filter(agency=agency, key=args.client).select_related("plan", "agency").first()
    if client is None:
        known = ", ".join(Client.objects.filter(agency=agency).values_list("key", flat=True)) or "none"
        print(f"error: no client with key {args.client!r} (known: {known})", file=sys.stderr)
    return client


def _outputs_writable(args: argparse.Namespace) -> bool:
    """True when --html and --pdf (those given) can be written; otherwise says why and returns False."""
    for option, path in (("--html", args.html), ("--pdf", args.pdf)):
        problem = _unwritable(path) if path else None
        if problem is not None:
            print(f"error: {option} {path}: {problem}", file=sys.stderr)
            return False
    return True


def _write_documents(documents: list[tuple[str, bytes]]) -> int:
    """Writes documents rendered beforehand (so that a rendering failure leaves no half of the pair)."""
    for path, content in documents:
        try:
            Path(path).write_bytes(content)
        except OSError as exc:
            print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"wrote {path}")
    return EXIT_OK


def _unwritable(path: str) -> str | None:
    """Why a report cannot be written to ``path``, or None when it can."""
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        return f"the folder {str(folder)!r} does not exist"
    if target.is_dir():
        return "is a folder; give a file name"
    if not os.access(folder, os.W_OK) or (target.exists() and not os.access(target, os.W_OK)):
        return "permission denied"
    return None


def _period_of(args: argparse.Namespace) -> tuple[str, date, str] | None:
    """The kind, first day and label of the period named by --month YYYY-MM or --quarter YYYY-Qn;
    None (after saying why) when it is not one."""
    import re

    if getattr(args, "quarter", None):
        found = re.fullmatch(r"(\d{4})-[Qq]([1-4])", args.quarter)
        if found is None or not 1970 <= int(found.group(1)) <= 2200:
            print(f"error: quarter {args.quarter!r} is not a quarter like 2026-Q3", file=sys.stderr)
            return None
        first = date(int(found.group(1)), 3 * int(found.group(2)) - 2, 1)
        return "quarterly", first, args.quarter.upper()
    found = re.fullmatch(r"(\d{4})-(\d{2})", args.month)
    if found is None or not 1 <= int(found.group(2)) <= 12 or not 1970 <= int(found.group(1)) <= 2200:
        print(f"error: month {args.month!r} is not a month like 2026-10", file=sys.stderr)
        return None
    return "monthly", date(int(found.group(1)), int(found.group(2)), 1), args.month


def _archived_report(args: argparse.Namespace) -> Any:
    """The report named by --client and --month/--quarter, or None after saying why."""
    from veilleur.accounts.provisioning import prepare_database, resolve_agency
    from veilleur.clients.models import Client
    from veilleur.reports.models import Report

    period = _period_of(args)
    if period is None:
        return None
    kind, first, label = period
    prepare_database()
    agency = resolve_agency(args.agency)
    client = Client.objects.filter(agency=agency, key=args.client).select_related("agency").first()
    if client is None:
        known = ", ".join(Client.objects.filter(agency=agency).values_list("key", flat=True)) or "none"
        print(f"error: no client with key {args.client!r} (known: {known})", file=sys.stderr)
        return None
    report = (
        Report.objects.filter(client=client, kind=kind, period_start=first).select_related("client").first()
    )
    if report is None:
        print(
            f"error: no archived report of {args.client!r} for {label} "
            "(the worker generates a report once its period is over)",
            file=sys.stderr,
        )
    return report


def cmd_report_resend(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from veilleur.reports.sending import resend_report

    report = _archived_report(args)
    if report is None:
        return EXIT_BAD_INPUT
    if report.is_draft:
        print(
            f"error: the report of {args.client!r} is a draft: publish it first (veilleur report publish)",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    queued = resend_report(report, datetime.now(UTC))
    if not queued:
        print(f"error: no contact of {args.client!r} receives reports", file=sys.stderr)
        return EXIT_FAILURE
    print(f"report {args.quarter or args.month} of {args.client} queued for {queued} contact(s)")
    return EXIT_OK


def cmd_report_publish(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from veilleur.reports.builders import ReportNotAvailable
    from veilleur.reports.sending import publish_report

    report = _archived_report(args)
    if report is None:
        return EXIT_BAD_INPUT
    try:
        queued = publish_report(report, datetime.now(UTC))
    except ReportNotAvailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if queued is None:
        print(
            f"error: the report of {args.client!r} is already published; "
            "'veilleur report resend' sends it again",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    print(f"report {args.quarter or args.month} of {args.client} published, queued for {queued} contact(s)")
    return EXIT_OK


def cmd_report_list(args: argparse.Namespace) -> int:
    from veilleur.accounts.provisioning import prepare_database, resolve_agency
    from veilleur.reports.models import Report

    prepare_database()
    agency = resolve_agency(args.agency)
    reports = Report.objects.filter(agency=agency).select_related("client").defer("html", "pdf")
    if args.client:
        reports = reports.filter(client__key=args.client)
    if args.state:
        reports = reports.filter(state=args.state)
    for report in reports.order_by("-period_start", "client__key", "kind"):
        leaves = f"  sends {report.send_after:%Y-%m-%d %H:%M} UTC" if report.send_after else ""
        print(
            f"{report.client.key}  {report.kind}  {report.period_start:%Y-%m-%d}  {report.state}"
            f"  {report.language}{leaves}"
        )
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    """Sets Django up itself: settings that do not load are the first thing it reports."""
    import json

    from veilleur.operations.doctor import (
        FAIL,
        GIB,
        DoctorOptions,
        Finding,
        examine,
        findings_as_json,
    )

    if args.min_free_gib < 0:
        print("error: --min-free-gib cannot be negative", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        _setup_django()
    except (SystemExit, Exception) as exc:  # the settings' own checks end with SystemExit(message)
        findings = [Finding(FAIL, "configuration", f"the settings do not load: {exc}")]
    else:
        options = DoctorOptions(min_free_bytes=int(args.min_free_gib * GIB), names=args.resolve or ())
        findings = examine(options)
    if args.json:
        print(json.dumps(findings_as_json(findings), indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            print(finding.line())
    return EXIT_FAILURE if any(finding.status == FAIL for finding in findings) else EXIT_OK


POSTGRESQL_BACKUP_ADVICE = (
    "The database is PostgreSQL: back it up with PostgreSQL's own tools, which copy it consistently "
    "while Veilleur runs, e.g.\n"
    '  pg_dump --format=custom --file=veilleur-$(date +%F).dump "$DATABASE_URL"\n'
    "and restore with pg_restore (or pg_basebackup and WAL archiving for point-in-time recovery); "
    "see docs/operations.md."
)


def _sqlite_database() -> Path | None:
    """The SQLite database file, or None (after saying what to do) on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "sqlite":
        print(POSTGRESQL_BACKUP_ADVICE, file=sys.stderr)
        return None
    return Path(str(connection.settings_dict["NAME"]))


def _size_text(size: int) -> str:
    return f"{size / 1024**2:.1f} MiB" if size >= 1024**2 else f"{size / 1024:.1f} KiB"


def cmd_backup(args: argparse.Namespace) -> int:
    from veilleur.operations.backup import BackupError, backup_sqlite

    database = _sqlite_database()
    if database is None:
        return EXIT_BAD_INPUT
    try:
        done = backup_sqlite(database, Path(args.path).absolute(), force=args.force)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if exc.bad_input else EXIT_FAILURE
    except OSError as exc:
        print(f"error: cannot write {args.path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"backed up {database} to {done.path}: {_size_text(done.size)}, integrity check ok")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from veilleur.operations.backup import BackupError, restore_sqlite

    database = _sqlite_database()
    if database is None:
        return EXIT_BAD_INPUT
    try:
        done = restore_sqlite(Path(args.path).absolute(), database)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT if exc.bad_input else EXIT_FAILURE
    except OSError as exc:
        print(f"error: cannot restore into {database}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"restored {args.path} into {database}")
    if done.previous is not None:
        print(f"the database it replaced is kept as {done.previous}")
    print("start Veilleur again: it brings the schema up to date if the backup is from an older release")
    return EXIT_OK


def cmd_statuspage_verify(args: argparse.Namespace) -> int:
    from veilleur.statuspages.commands import verify_command

    return verify_command(args.slug, agency_key=args.agency)


def cmd_statuspage_list(args: argparse.Namespace) -> int:
    from veilleur.statuspages.commands import list_command

    return list_command(agency_key=args.agency)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veilleur", description="Uptime monitoring for web agencies.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, handler: Callable[[argparse.Namespace], int], help_text: str
    ) -> argparse.ArgumentParser:
        command = sub.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(handler=handler)
        return command

    bind_default = os.environ.get("VEILLEUR_BIND") or "127.0.0.1:8000"
    # 'veilleur up' serves the web from its one process of roles unless more are asked for.
    up_workers_default = int(os.environ.get("VEILLEUR_WEB_WORKERS", "1"))
    workers_default = int(os.environ.get("VEILLEUR_WEB_WORKERS", "2"))
    region_default = os.environ.get("VEILLEUR_REGION", "")
    up = add(
        "up", cmd_up, "run every role on this machine (first run: create the agency, print the setup link)"
    )
    web = add("web", cmd_web, "run the web role only")
    for command in (up, web):
        command.add_argument("--bind", default=bind_default, help=f"address:port (default {bind_default})")
    up.add_argument(
        "--workers",
        type=int,
        default=up_workers_default,
        help="web processes (default 1: the web is served by the process that runs the other roles; "
        "more run 'veilleur web' beside it)",
    )
    web.add_argument("--workers", type=int, default=workers_default, help="web worker processes")
    up.add_argument(
        "--new-setup-link",
        action="store_true",
        help="while no owner has a password, print a new one-time setup link even if one is still valid",
    )
    checker = add("checker", cmd_checker, "run the checker role only")
    for command in (up, checker):
        command.add_argument(
            "--region",
            type=_region_name,
            default=region_default,
            help="this checker's region name (e.g. eu-west; VEILLEUR_REGION), stored with results; "
            "checkers of other regions confirm its failures",
        )
    worker = add("worker", cmd_worker, "run the worker role only (compaction, retention)")
    for command in (web, checker, worker):
        command.add_argument("--no-migrate", action="store_true", help=argparse.SUPPRESS)
    metrics_default = os.environ.get("VEILLEUR_METRICS_ADDRESS", "")
    for command in (up, checker, worker):
        command.add_argument(
            "--metrics-address",
            default=metrics_default,
            metavar="HOST:PORT",
            help="serve this process's Prometheus metrics at http://HOST:PORT/metrics, without a token: "
            "bind it to an address only Prometheus reaches (default: off; VEILLEUR_METRICS_ADDRESS)",
        )
    # What 'veilleur up' runs: its preparation, then its roles (not listed in the help).
    up_prepare = sub.add_parser("up-prepare")
    up_prepare.set_defaults(handler=cmd_up_prepare)
    up_prepare.add_argument("--new-setup-link", action="store_true")
    roles = sub.add_parser("roles")
    roles.set_defaults(handler=cmd_roles)
    roles.add_argument("--bind", help="serve the web role too, on this address")
    roles.add_argument("--region", default=region_default)
    roles.add_argument("--metrics-address", default="")

    check = add("check", cmd_check, "check a URL once and say what was seen")
    check.add_argument("url")
    check.add_argument("--keyword", help="text that must appear in the body")
    check.add_argument("--forbidden-keyword", help="text that must not appear in the body")
    check.add_argument(
        "--expect", default="200-399", help="expected status codes, e.g. 200-299,301 (default 200-399)"
    )
    check.add_argument("--method", default="GET")
    check.add_argument("--timeout", type=float, default=10.0, help="seconds (default 10)")
    check.add_argument("--no-follow", action="store_true", help="do not follow redirects")
    check.add_argument("--no-tls", action="store_true", help="skip the certificate inspection")
    check.add_argument("--json", action="store_true", help="print JSON for scripts")

    add("migrate", cmd_migrate, "bring the database schema up to date")

    apply = add("apply", cmd_apply, "make the database match a config file")
    apply.add_argument("file", help="the agency's YAML file")
    apply.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
    apply.add_argument("--prune", action="store_true", help="delete what the file no longer has")
    _agency_option(apply)

    export = add("export", cmd_export, "write the agency's configuration as YAML")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")
    _agency_option(export)

    holidays = add(
        "holidays", cmd_holidays, "add a year's public holidays of the agency's country to its calendar"
    )
    holidays.add_argument("year", type=int)
    _agency_option(holidays)

    token = add("token", lambda args: EXIT_BAD_INPUT, "manage REST API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    for name, handler, help_text in (
        ("create", cmd_token_create, "create a token and print it once"),
        ("list", cmd_token_list, "list tokens"),
        ("revoke", cmd_token_revoke, "revoke a token"),
    ):
        action = token_sub.add_parser(name, help=help_text, description=help_text)
        action.add_argument("name", nargs=None if name != "list" else "?", help="the token's name")
        action.set_defaults(handler=handler)
        _agency_option(action)

    demo = add("demo", cmd_demo, "fill a fresh install with a demo agency and 90 days of synthetic history")
    demo.add_argument("--days", type=int, default=90, help="days of history (default 90)")
    demo.add_argument("--seed", type=int, default=20260101, help="random seed (same seed, same demo)")

    report = add("report", lambda args: EXIT_BAD_INPUT, "write client reports")
    report_sub = report.add_subparsers(dest="report_command", required=True, metavar="KIND")
    monthly = report_sub.add_parser(
        "monthly",
        help="a client's monthly report as PDF and/or HTML",
        description="a client's monthly report",
    )
    monthly.set_defaults(handler=cmd_report_monthly)
    monthly.add_argument("--client", required=True, metavar="KEY", help="the client's key")
    monthly.add_argument("--month", required=True, metavar="YYYY-MM", help="the calendar month, e.g. 2026-10")
    monthly.add_argument("--pdf", metavar="FILE", help="write the PDF here")
    monthly.add_argument("--html", metavar="FILE", help="write the HTML here")
    monthly.add_argument("--language", choices=["fr", "en"], help="default: the client's language")
    _agency_option(monthly)
    quarterly = report_sub.add_parser(
        "quarterly",
        help="a client's quarterly performance review as PDF and/or HTML",
        description="a client's quarterly performance review (plans with the quarterly review)",
    )
    quarterly.set_defaults(handler=cmd_report_quarterly)
    quarterly.add_argument("--client", required=True, metavar="KEY", help="the client's key")
    quarterly.add_argument(
        "--quarter",
        required=True,
        metavar="YYYYQN",
        help="the calendar quarter in the client's zone, e.g. 2026Q3",
    )
    quarterly.add_argument("--pdf", metavar="FILE", help="write the PDF here")
    quarterly.add_argument("--html", metavar="FILE", help="write the HTML here")
    quarterly.add_argument("--language", choices=["fr", "en"], help="default: the client's language")
    _agency_option(quarterly)
    resend = report_sub.add_parser(
        "resend",
        help="send a client's published report again to its report contacts",
        description="send a client's published report again to its report contacts",
    )
    resend.set_defaults(handler=cmd_report_resend)
    _report_period_options(resend)
    publish = report_sub.add_parser(
        "publish",
        help="publish a client's draft report and send it to its report contacts",
        description="publish a client's draft report, with the agency's text, and send it to its contacts",
    )
    publish.set_defaults(handler=cmd_report_publish)
    _report_period_options(publish)
    listing = report_sub.add_parser(
        "list", help="the archived reports: drafts and published", description="the archived reports"
    )
    listing.set_defaults(handler=cmd_report_list)
    listing.add_argument("--client", metavar="KEY", help="only this client's reports")
    listing.add_argument(
        "--state", choices=["draft", "published"], help="only drafts, or only published reports"
    )
    _agency_option(listing)

    doctor = add(
        "doctor",
        cmd_doctor,
        "check configuration, database, SMTP, DNS, clock, TLS trust store, disk and checker lateness; "
        "one line each, exit 1 on a FAIL",
    )
    doctor.add_argument("--json", action="store_true", help="print JSON for scripts")
    doctor.add_argument(
        "--resolve",
        action="append",
        metavar="NAME",
        help="a host name to resolve (repeatable; default: the hosts of a few monitors)",
    )
    doctor.add_argument(
        "--min-free-gib",
        type=float,
        default=1.0,
        metavar="GIB",
        help="warn when less disk than this is free under the data directory (default 1)",
    )

    backup = add(
        "backup",
        cmd_backup,
        "copy the SQLite database to PATH while Veilleur runs, and check the copy "
        "(PostgreSQL: use pg_dump, see docs/operations.md)",
    )
    backup.add_argument("path", metavar="PATH", help="the file to write")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    restore = add(
        "restore",
        cmd_restore,
        "replace the SQLite database with a backup; stop every role first "
        "(the replaced database is kept beside it)",
    )
    restore.add_argument("path", metavar="PATH", help="a file written by 'veilleur backup'")

    statuspage = add("statuspage", lambda args: EXIT_BAD_INPUT, "status pages and their custom domains")
    statuspage_sub = statuspage.add_subparsers(dest="statuspage_command", required=True, metavar="ACTION")
    verify = statuspage_sub.add_parser(
        "verify",
        help="check the DNS records of a page's custom domain and mark it verified",
        description="check the DNS records of a page's custom domain and mark it verified "
        "(exit 0 verified, 1 not yet: the records to create are printed)",
    )
    verify.set_defaults(handler=cmd_statuspage_verify)
    verify.add_argument("slug", help="the page's slug")
    _agency_option(verify)
    listing = statuspage_sub.add_parser(
        "list",
        help="list the status pages: slug, client, custom domain, verified",
        description="list the status pages: slug, client, custom domain, verified",
    )
    listing.set_defaults(handler=cmd_statuspage_list)
    _agency_option(listing)
    return parser


def _region_name(text: str) -> str:
    """A checker's region, checked when the command line is read (lower-case letters, digits, hyphens)."""
    from veilleur.domain.quorum import validate_region

    try:
        return validate_region(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from veilleur.operations.logs import log_format_from_env, set_role

    try:
        log_format_from_env()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    set_role(args.command)
    if getattr(args, "bind", None):
        # Before the settings load: without VEILLEUR_BASE_URL, links follow the bound address, in
        # this process and in the roles it starts.
        os.environ["VEILLEUR_BIND"] = args.bind
    if args.handler is cmd_up:
        return cmd_up(args)  # the supervisor stays small: Django is set up in its children only
    if args.handler is cmd_doctor:
        return cmd_doctor(args)
    _setup_django()
    from veilleur.accounts.provisioning import AgencyChoiceError

    try:
        return int(args.handler(args))
    except AgencyChoiceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
