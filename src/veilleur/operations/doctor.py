"""``veilleur doctor``: is this install healthy? One line per part (docs/operations.md).

Each check answers ``ok``, ``warn`` (works, but look at it) or ``FAIL`` (something does not work),
with what it saw. A check never stops the others and never prints a traceback: an unexpected
error is that check's FAIL. Nothing is changed and no mail is sent.
"""

from __future__ import annotations

import os
import shutil
import smtplib
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

OK, WARN, FAIL = "ok", "warn", "FAIL"
GIB = 1024**3
DNS_TIMEOUT_SECONDS = 5.0
# Checkers take the database's time (checker/clock.py); the other roles take their host's: a
# worker's mail claims and retries, SLA timers and reports go wrong by as much as its clock is off.
CLOCK_WARN_SECONDS = 1.0
CLOCK_FAIL_SECONDS = 5.0
NAMES_TO_RESOLVE = 3


@dataclass(frozen=True)
class Finding:
    status: str
    check: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.check} — {self.detail}"


@dataclass(frozen=True)
class DoctorOptions:
    min_free_bytes: int = GIB
    names: Sequence[str] = ()  # to resolve; default: the hosts of some monitors


def examine(options: DoctorOptions) -> list[Finding]:
    """Every check, in order. Django is set up already."""
    from django.conf import settings

    findings = [_guarded("configuration", configuration_finding)]
    database = _guarded("database", database_finding)
    findings.append(database)
    database_answers = database.status != FAIL
    findings += [
        _guarded("SMTP", lambda: smtp_finding(settings.VEILLEUR_SMTP_URL)),
        _guarded("DNS", lambda: dns_finding(options.names or default_names(database_answers))),
        _guarded("clock", clock_finding) if database_answers else _not_checked("clock"),
        _guarded("TLS trust store", lambda: trust_store_finding(settings.VEILLEUR_CA_FILE)),
        _guarded("disk", lambda: disk_finding(settings.DATA_DIR, options.min_free_bytes)),
        _guarded("checker lateness", lateness_finding)
        if database_answers
        else _not_checked("checker lateness"),
        _guarded("checker network", checker_network_finding)
        if database_answers
        else _not_checked("checker network"),
    ]
    return findings


def _guarded(check: str, run: Callable[[], Finding]) -> Finding:
    try:
        return run()
    except Exception as exc:  # a check that breaks is that check's failure, not the doctor's
        return Finding(FAIL, check, f"{type(exc).__name__}: {exc}")


def _not_checked(check: str) -> Finding:
    return Finding(WARN, check, "not checked: the database did not answer")


def configuration_finding() -> Finding:
    from django.conf import settings
    from django.core import checks

    problems = [message for message in checks.run_checks() if message.level >= checks.ERROR]
    if problems:
        return Finding(FAIL, "configuration", f"{problems[0].id}: {problems[0].msg}")
    if not settings.ALLOWED_HOSTS:
        return Finding(FAIL, "configuration", "VEILLEUR_ALLOWED_HOSTS is empty: every request gets a 400")
    key_source = "VEILLEUR_SECRET_KEY" if os.environ.get("VEILLEUR_SECRET_KEY") else "the data directory"
    warnings = []
    if len(settings.SECRET_KEY) < 32:
        warnings.append(f"the secret key (from {key_source}) is shorter than 32 characters")
    if "*" in settings.ALLOWED_HOSTS:
        warnings.append("VEILLEUR_ALLOWED_HOSTS has '*': any Host header is answered")
    if settings.DEBUG:
        warnings.append("VEILLEUR_DEBUG is on: error pages show the code and settings")
    if warnings:
        return Finding(WARN, "configuration", "; ".join(warnings))
    return Finding(
        OK,
        "configuration",
        f"settings loaded, secret key from {key_source}, "
        f"allowed hosts {', '.join(dict.fromkeys(settings.ALLOWED_HOSTS))}, "
        f"links use {settings.VEILLEUR_BASE_URL}",
    )


def database_finding() -> Finding:
    from django.db import DatabaseError, connection
    from django.db.migrations.executor import MigrationExecutor

    where = _database_place()
    if connection.vendor == "sqlite" and not Path(str(connection.settings_dict["NAME"])).exists():
        # Connecting would create an empty file: say so instead.
        return Finding(
            FAIL, "database", f"no database at {where}: start 'veilleur up' or run 'veilleur migrate'"
        )
    try:
        connection.ensure_connection()
        executor = MigrationExecutor(connection)
        unapplied = executor.migration_plan(executor.loader.graph.leaf_nodes())
        unknown = set(executor.loader.applied_migrations) - set(executor.loader.graph.nodes)
    except DatabaseError as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return Finding(FAIL, "database", f"cannot use {where}: {first_line}")
    if unapplied:
        return Finding(
            FAIL, "database", f"{where}: {len(unapplied)} migration(s) not applied; run 'veilleur migrate'"
        )
    version = f"{connection.display_name} {_server_version()}"
    if unknown:
        return Finding(
            WARN,
            "database",
            f"{version} at {where}: {len(unknown)} applied migration(s) this release does not know "
            "(was a newer release run on this database?)",
        )
    return Finding(OK, "database", f"{version} at {where}, schema up to date")


def _database_place() -> str:
    """Where the database is, without its password."""
    from django.db import connection

    options = connection.settings_dict
    if connection.vendor == "sqlite":
        return str(options["NAME"])
    return f"{options.get('HOST') or 'localhost'}:{options.get('PORT') or 5432}/{options['NAME']}"


def _server_version() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    with connection.cursor() as cursor:
        version = cursor.connection.info.server_version  # e.g. 150004
    return f"{version // 10000}.{version % 10000}"


def smtp_finding(url: str) -> Finding:
    from veilleur.notifications.smtp_url import parse_smtp_url

    config = parse_smtp_url(url)
    where = f"{config.host}:{config.port}"
    try:
        smtp: smtplib.SMTP
        if config.implicit_tls:
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=config.timeout_seconds, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
        try:
            code, _ = smtp.ehlo()
            if code != 250:
                return Finding(FAIL, "SMTP", f"{where} refused EHLO (code {code})")
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    except (OSError, smtplib.SMTPException) as exc:
        return Finding(FAIL, "SMTP", f"cannot talk to {where}: {_reason(exc)}")
    tls = ", TLS" if config.implicit_tls else ", STARTTLS" if config.starttls else ""
    return Finding(OK, "SMTP", f"{where} answered EHLO{tls} (no mail sent)")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def default_names(database_answers: bool) -> list[str]:
    """Host names the checker resolves: those of a few monitors; else the public address's."""
    import ipaddress

    from django.conf import settings

    hosts: list[str] = []
    if database_answers:
        from veilleur.monitoring.models import Monitor

        for url in Monitor.objects.order_by("pk").values_list("url", flat=True)[:200].iterator():
            host = urlsplit(url).hostname or ""
            if host and host not in hosts:
                hosts.append(host)
    if not hosts:
        hosts.append(urlsplit(settings.VEILLEUR_BASE_URL).hostname or "")
    names = []
    for host in hosts:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if host:
                names.append(host)
    return names[:NAMES_TO_RESOLVE]


def dns_finding(names: Sequence[str]) -> Finding:
    """The system resolver (what the checker's probes use) answers for the names."""
    if not names:
        return Finding(
            OK, "DNS", "skipped: no host name to resolve yet (no monitors; or give --resolve NAME)"
        )
    unknown: list[str] = []
    failures: list[str] = []
    resolved = ""
    # Not a ``with`` block: leaving it would wait for a lookup that hangs.
    pool = ThreadPoolExecutor(max_workers=len(names), thread_name_prefix="doctor-dns")
    futures = {name: pool.submit(socket.getaddrinfo, name, None, type=socket.SOCK_STREAM) for name in names}
    pool.shutdown(wait=False)
    deadline = time.monotonic() + DNS_TIMEOUT_SECONDS
    for name, future in futures.items():
        try:
            answer = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            failures.append(f"{name}: no answer within {DNS_TIMEOUT_SECONDS:g} s")
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_NONAME:
                unknown.append(name)  # an answer: the name does not exist
            else:
                failures.append(f"{name}: {exc.strerror or exc}")
        except (OSError, UnicodeError) as exc:
            failures.append(f"{name}: {exc}")
        else:
            resolved = resolved or f"{name} → {answer[0][4][0]}"
    if failures:
        return Finding(FAIL, "DNS", "the system resolver did not answer: " + "; ".join(failures))
    if unknown:
        return Finding(
            WARN, "DNS", f"the resolver answers, but these names do not exist: {', '.join(unknown)}"
        )
    return Finding(OK, "DNS", f"the system resolver answered for {len(names)} name(s), e.g. {resolved}")


def clock_finding() -> Finding:
    from django.db import connection

    if connection.vendor == "sqlite":
        return Finding(OK, "clock", "skipped: SQLite runs on this machine's clock")
    with connection.cursor() as cursor:
        before = datetime.now(UTC)
        cursor.execute("SELECT clock_timestamp()")
        database_now = cursor.fetchone()[0]
        after = datetime.now(UTC)
    return clock_skew_finding(before, database_now, after)


def clock_skew_finding(before: datetime, database_now: datetime, after: datetime) -> Finding:
    """This machine's clock against the database's, read between ``before`` and ``after``:
    the round trip's half is the measurement's own uncertainty."""
    midpoint = before + (after - before) / 2
    skew = (database_now - midpoint).total_seconds()
    uncertainty = (after - before).total_seconds() / 2
    off = max(0.0, abs(skew) - uncertainty)
    side = "behind" if skew > 0 else "ahead of"
    text = f"this machine is {abs(skew):.3f} s {side} the database's clock (±{uncertainty:.3f} s)"
    if off >= CLOCK_FAIL_SECONDS:
        return Finding(
            FAIL, "clock", f"{text}: mail retries, response timers and reports go wrong; synchronise with NTP"
        )
    if off >= CLOCK_WARN_SECONDS:
        return Finding(WARN, "clock", f"{text}; synchronise with NTP")
    return Finding(OK, "clock", text)


def trust_store_finding(ca_file: str) -> Finding:
    """The CA certificates HTTPS checks trust: VEILLEUR_CA_FILE's, else the system's."""
    if ca_file:
        try:
            context = ssl.create_default_context(cafile=ca_file)
        except (OSError, ssl.SSLError) as exc:
            return Finding(
                FAIL, "TLS trust store", f"VEILLEUR_CA_FILE {ca_file} cannot be read: {_reason(exc)}"
            )
        source = ca_file
    else:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        paths = ssl.get_default_verify_paths()
        # The system's folder of certificates is read lazily, certificate by certificate: load
        # its bundle file to count them.
        if paths.cafile and Path(paths.cafile).is_file():
            context.load_verify_locations(cafile=paths.cafile)
            source = paths.cafile
        else:
            context.load_default_certs()
            source = paths.capath or "the system's default"
    count = context.cert_store_stats()["x509_ca"]
    if not count:
        return Finding(
            FAIL, "TLS trust store", f"no CA certificate in {source}: every HTTPS check would fail"
        )
    return Finding(OK, "TLS trust store", f"{count} CA certificate(s) from {source}")


def disk_finding(folder: Path, min_free_bytes: int) -> Finding:
    if not folder.is_dir():
        return Finding(FAIL, "disk", f"the data directory {folder} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-") as probe:
            probe.write(b"x")
            probe.flush()
    except OSError as exc:
        return Finding(FAIL, "disk", f"cannot write in {folder}: {exc.strerror or exc}")
    usage = shutil.disk_usage(folder)
    text = f"{_size(usage.free)} free of {_size(usage.total)} under {folder}"
    if usage.free < min_free_bytes:
        return Finding(WARN, "disk", f"{text}, below {_size(min_free_bytes)}")
    return Finding(OK, "disk", text)


def _size(count: float) -> str:
    if count < 1024:
        return f"{count:.0f} B"
    for unit in ("KiB", "MiB"):
        count /= 1024
        if count < 1024:
            return f"{count:.1f} {unit}"
    return f"{count / 1024:.1f} GiB"


def lateness_finding() -> Finding:
    from veilleur.monitoring.models import MonitorRuntime
    from veilleur.operations.lateness import OVERDUE_INTERVALS, overdue_monitors
    from veilleur.operations.metrics import held_leases

    now = datetime.now(UTC)
    scheduled = MonitorRuntime.objects.filter(monitor__paused=False).count()
    if not scheduled:
        return Finding(OK, "checker lateness", "no monitor scheduled yet")
    overdue = overdue_monitors(now)
    leases = held_leases(now)
    holders = ", ".join(f"{owner} ({count})" for owner, count in sorted(leases.items())) or "none"
    if overdue:
        worst = max(item.late_by(now) for item in overdue)
        return Finding(
            FAIL,
            "checker lateness",
            f"{len(overdue)} of {scheduled} monitors overdue by more than {OVERDUE_INTERVALS} × their "
            f"interval (the latest by {_duration(worst)}); checkers holding leases: {holders}. "
            "Is a checker running?",
        )
    return Finding(
        OK,
        "checker lateness",
        f"{scheduled} monitor(s) scheduled, none overdue; checkers holding leases: {holders}",
    )


def checker_network_finding() -> Finding:
    """Checkers cut off from the Internet now (their open outage: checker/selfhealth.py)."""
    from django.conf import settings

    from veilleur.checker.outage_notices import open_outages

    now = datetime.now(UTC)
    canaries = len(settings.VEILLEUR_CANARY_URLS)
    rule = (
        f"{canaries} canary URL(s)" if canaries else "no canary: only DNS failing for every host is noticed"
    )
    cut_off = open_outages()
    if cut_off:
        which = "; ".join(
            f"{outage.owner}{f' ({outage.region})' if outage.region else ''} "
            f"for {_duration(now - outage.started_at)}"
            for outage in cut_off
        )
        return Finding(
            FAIL,
            "checker network",
            f"{len(cut_off)} checker(s) cannot reach the Internet, their verdicts withheld: {which}. "
            "Look at their network and DNS",
        )
    return Finding(OK, "checker network", f"no checker cut off ({rule})")


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def findings_as_json(findings: list[Finding]) -> dict[str, object]:
    return {
        "ok": not any(item.status == FAIL for item in findings),
        "checks": [asdict(item) for item in findings],
    }
