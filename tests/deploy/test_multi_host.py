"""The multi-host install of docs/deployment.md, started exactly as deploy/ describes it: the
systemd units' commands with the example environment file, two web processes behind the
Caddyfile, two checkers in two regions and a worker, on PostgreSQL, all on loopback.

The commands are read from the unit files (``ExecStart`` with systemd's ``%i`` and ``${VAR}``
expansions), so a unit that stops working fails here."""

from __future__ import annotations

import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import connection

from tests.checker.roles import role_env
from tests.notifications.mailsink import MailSink
from tests.targets import Target
from veilleur.accounts.provisioning import create_agency
from veilleur.clients.models import Client, Site
from veilleur.incidents.models import Incident
from veilleur.monitoring.models import CheckResult, Monitor
from veilleur.notifications.models import OnCallAddress
from veilleur.plans.models import Plan

pytestmark = pytest.mark.django_db(transaction=True)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
INSTALLED_VEILLEUR = "/opt/veilleur/.venv/bin/veilleur"
ONCALL = "oncall@agency.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def environment_file(path: Path) -> dict[str, str]:
    """KEY=value lines, as systemd's EnvironmentFile reads them (comments and blanks skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def unit_command(unit: Path, instance: str, env: dict[str, str]) -> list[str]:
    """The unit's ExecStart as systemd runs it: ``%i`` is the instance, ``${VAR}`` comes from the
    environment, and the installed program is this checkout's."""
    [exec_start] = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    command = exec_start.removeprefix("ExecStart=").replace("%i", instance)
    command = re.sub(r"\$\{(\w+)\}", lambda match: env[match.group(1)], command)
    argv = shlex.split(command)
    assert argv[0] == INSTALLED_VEILLEUR, f"{unit.name} runs {argv[0]}"
    return [str(Path(sys.executable).with_name("veilleur")), *argv[1:]]


@dataclass
class Install:
    env: dict[str, str]
    directory: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def run_unit(self, name: str, unit: str, instance: str = "") -> subprocess.Popen[bytes]:
        argv = unit_command(DEPLOY / "systemd" / unit, instance, self.env)
        with (self.directory / f"{name}.log").open("ab") as log:
            process = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.kill()
            process.wait(timeout=30)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.fixture
def caddy_program() -> str:
    path = shutil.which("caddy")
    if path is None:
        pytest.fail("Caddy is required for this test (apt-get install caddy)")
    return path


@pytest.fixture
def install(tmp_path: Path, sink: MailSink) -> Iterator[Install]:
    if connection.vendor != "postgresql":
        pytest.skip("the multi-host install runs on PostgreSQL: the PostgreSQL pass of the suite runs it")
    documented = environment_file(DEPLOY / "veilleur.env.example")
    test_values = role_env(
        VEILLEUR_SMTP_URL=sink.url,
        VEILLEUR_DATA_DIR=str(tmp_path / "data"),
        VEILLEUR_WEB_ADDRESS="127.0.0.1",
        VEILLEUR_TRUSTED_PROXIES="127.0.0.1",
        VEILLEUR_CONFIRM_DELAY_MS="300",
    )
    # The documented file first, then what only a test on loopback must change.
    env = {**documented, **test_values}
    env["VEILLEUR_BASE_URL"] = "http://127.0.0.1"
    made = Install(env, tmp_path)
    yield made
    made.stop_all()


@pytest.fixture
def sink() -> Iterator[MailSink]:
    server = MailSink().start()
    yield server
    server.stop()


def seed(target: Target) -> list[Monitor]:
    agency = create_agency(key="agence", name="Agence")
    OnCallAddress.objects.create(agency=agency, email=ONCALL)
    client = Client.objects.create(
        agency=agency, key="shop", name="Shop", plan=Plan.objects.get(agency=agency, key="premium")
    )
    url = f"http://127.0.0.1:{target.port}/"
    site = Site.objects.create(client=client, key="www", name="Shop", url=url)
    # Below the minimum interval a form allows: the test wants many checks in a few seconds.
    return Monitor.objects.bulk_create(
        Monitor(agency=agency, site=site, key=f"page-{n}", url=url, interval_seconds=2, timeout_seconds=1)
        for n in range(8)
    )


def test_the_documented_multi_host_install_serves_checks_and_alerts(
    install: Install, target: Target, sink: MailSink, caddy_program: str
) -> None:
    migrated = subprocess.run(
        [str(Path(sys.executable).with_name("veilleur")), "migrate"],
        env=install.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    monitors = seed(target)

    web_ports = [free_port(), free_port()]
    for number, port in enumerate(web_ports, start=1):
        install.run_unit(f"web{number}", "veilleur-web@.service", str(port))
    install.run_unit("checker-west", "veilleur-checker@.service", "eu-west")
    install.run_unit("checker-east", "veilleur-checker@.service", "eu-east")
    install.run_unit("worker", "veilleur-worker.service")

    proxy_port = free_port()
    caddy_env = {
        "PATH": install.env.get("PATH", ""),
        "HOME": str(install.directory / "caddy-home"),
        "XDG_DATA_HOME": str(install.directory / "caddy-data"),
        "XDG_CONFIG_HOME": str(install.directory / "caddy-config"),
        "CADDY_ADMIN": "off",
        "VEILLEUR_SITE_ADDRESS": f"http://127.0.0.1:{proxy_port}",
        "VEILLEUR_WEB_UPSTREAMS": " ".join(f"127.0.0.1:{port}" for port in web_ports),
    }
    with (install.directory / "caddy.log").open("ab") as log:
        install.processes["caddy"] = subprocess.Popen(
            [caddy_program, "run", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
            env=caddy_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    for port in web_ports:
        wait_for(
            lambda port=port: answers(f"http://127.0.0.1:{port}/healthz"), 60, f"the web process on {port}"
        )
    through_proxy = f"http://127.0.0.1:{proxy_port}/healthz"
    wait_for(lambda: answers(through_proxy), 60, "Caddy to answer for the web processes")

    # Both regions' checkers share the monitors.
    regions = lambda: set(CheckResult.objects.values_list("region", flat=True))  # noqa: E731
    wait_for(lambda: regions() >= {"eu-west", "eu-east"}, 60, "results from both checkers")

    # An outage is confirmed and the worker mails the on-call address.
    target.healthy = False
    wait_for(lambda: Incident.objects.filter(monitor__in=monitors).exists(), 60, "an incident")
    sink.wait_for(1, timeout=60)
    assert sink.to(ONCALL), [item.recipients for item in sink.messages()]

    # A web process lost: Caddy sends every request to the other one.
    install.processes["web1"].kill()
    install.processes["web1"].wait(timeout=10)
    time.sleep(3)  # the health check's interval
    assert all(answers(through_proxy) for _ in range(10))

    # Every role stops in order on SIGTERM, as systemd stops it.
    for name in ("web2", "checker-west", "checker-east", "worker"):
        install.processes[name].send_signal(signal.SIGTERM)
    for name in ("web2", "checker-west", "checker-east", "worker"):
        assert install.processes[name].wait(timeout=90) == 0, install.log(name)
        assert "Traceback" not in install.log(name), install.log(name)
