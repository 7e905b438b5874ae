"""Memory of ``veilleur up``: PSS of its whole process tree, idle and with N HTTP monitors.

Every figure is the proportional set size (``Pss:`` of ``/proc/PID/smaps_rollup``: a page shared
by k processes counts 1/k in each) of ``veilleur up`` and all its descendants, summed, so the
total counts every page once. The run:

1. starts a loopback target server (HTTP on 127.0.0.1: ``/ok`` answers 200 with a 2 KB page,
   ``/flap`` answers 503 for the first ``--flap-down`` seconds of every ``--flap-every``) and an
   SMTP sink on 127.0.0.1, both in one child process of this script;
2. starts ``veilleur up`` on a fresh SQLite data directory (VEILLEUR_ALLOW_PRIVATE_TARGETS=1),
   creates a staff user, and loads the staff pages (``/``, ``/incidents/``, ``/admin/``) and a
   status page every ``--page-every`` seconds for the whole run;
3. samples PSS for ``--idle`` seconds with no monitor (idle);
4. applies a config file of ``--clients`` clients sharing ``--monitors`` HTTP monitors at
   ``--interval`` s (one of them on ``/flap`` when ``--flap-every`` is set), waits ``--warmup``
   seconds and samples for ``--minutes``: mean, max, and the slope of a least-squares line
   through the totals (MiB per hour);
5. with ``--report-day``: backdates the clients so last month's report is due (the worker was
   started with VEILLEUR_REPORT_DAY set to today), waits until the worker has archived every
   client's monthly report (PDF included), sampling the peak, then samples ``--after`` seconds.

``--src DIR`` runs another checkout's code (``PYTHONPATH=DIR``) with this virtualenv, to measure
a version before a change side by side. Traffic is to 127.0.0.1 only; the data directory is
removed at the end.

    .venv/bin/python bench/memory/run.py [--monitors 1000] [--interval 20] [--minutes 10]
        [--idle 60] [--warmup 90] [--flap-every 0] [--report-day] [--src DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
PAGE = b"<!doctype html><html><body><h1>Bienvenue</h1>" + b"." * 2000 + b"</body></html>\n"
EMAIL = "bench@agency.example"
PASSWORD = "bench-password-1234"
STATUS_SLUG = "client-0"
TIME_ZONE = "Europe/Paris"


# --- /proc ----------------------------------------------------------------------------------


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def process_tree(root: int) -> list[int]:
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo += children_of(pid)
    return tree


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def role_of(pid: int) -> str:
    """A short name: the process name a role of ``veilleur up`` set, else the command's words."""
    try:
        comm = Path(f"/proc/{pid}/comm").read_text().strip()
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    if comm.startswith("veilleur-"):
        return comm
    text = " ".join(part.decode(errors="replace") for part in argv if part)
    match = re.search(r"veilleur(?:\.cli)? (\w+)", text)
    return match.group(1) if match else comm


def sample(root: int) -> dict[str, object]:
    per_process = [(pid, role_of(pid), pss_kib(pid)) for pid in process_tree(root)]
    return {
        "t": time.monotonic(),
        "load": os.getloadavg()[0],  # the machine's 1-minute load average (others' jobs included)
        "total_mib": sum(kib for _, _, kib in per_process) / 1024,
        "processes": [{"pid": pid, "role": role, "pss_mib": kib / 1024} for pid, role, kib in per_process],
    }


# --- the loopback targets and SMTP sink (a child process) -----------------------------------


def serve_targets(http_port: int, smtp_port: int, flap_every: float, flap_down: float) -> None:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    started = time.monotonic()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status = 200
            if self.path.startswith("/flap") and flap_every:
                status = 503 if (time.monotonic() - started) % flap_every < flap_down else 200
            self.send_response(status)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE)))
            self.end_headers()
            self.wfile.write(PAGE)

        def log_message(self, format: str, *args: object) -> None:
            pass

    smtp = Controller(Sink(), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    server = ThreadingHTTPServer(("127.0.0.1", http_port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    server.serve_forever()
    smtp.stop()


# --- driving veilleur -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(url: str, seconds: float = 600) -> None:
    import requests

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    sys.exit(f"{url} did not answer within {seconds:.0f} s")


def django_snippet(env: dict[str, str], code: str) -> str:
    """Run ``code`` with Django set up on the bench's database; its standard output."""
    prelude = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'veilleur.settings'); "
        "django.setup()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", prelude + code], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"snippet failed: {done.stderr[-3000:]}")
    return done.stdout


def create_staff_user(env: dict[str, str]) -> None:
    django_snippet(
        env,
        "from veilleur.accounts.models import Agency, StaffUser\n"
        f"StaffUser.objects.create_user({EMAIL!r}, Agency.objects.get(), {PASSWORD!r}, role='owner')\n",
    )


def config_file(
    env: dict[str, str], path: Path, clients: int, monitors: int, interval: int, port: int, flap: bool
) -> None:
    """The install's own configuration (``veilleur export``) with the bench's clients."""
    import yaml

    exported = subprocess.run(
        [str(VENV_BIN / "veilleur"), "export"], env=env, capture_output=True, text=True, check=True
    ).stdout
    config = yaml.safe_load(exported)
    per_client = [monitors // clients + (1 if n < monitors % clients else 0) for n in range(clients)]
    config["clients"] = []
    for n, count in enumerate(per_client):
        client: dict[str, object] = {
            "key": f"client-{n}",
            "name": f"Client {n}",
            "plan": "standard",
            "time_zone": TIME_ZONE,
            "contacts": [{"email": f"contact@client-{n}.example", "receives_reports": True}],
            "sites": [
                {
                    "key": "www",
                    "name": f"Site {n}",
                    "url": f"http://127.0.0.1:{port}/ok",
                    "monitors": [
                        {
                            "key": f"m{m}",
                            "url": f"http://127.0.0.1:{port}/"
                            + ("flap" if flap and n == 0 and m == 0 else f"ok?c={n}&m={m}"),
                            "interval": interval,
                            "timeout": 5,
                        }
                        for m in range(count)
                    ],
                }
            ],
        }
        if n == 0:
            client["status_page"] = {"slug": STATUS_SLUG}
        config["clients"].append(client)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False))


class PageLoads(threading.Thread):
    """Loads the staff pages and a status page in a loop, as a person and a visitor would."""

    def __init__(self, base: str, every: float) -> None:
        super().__init__(daemon=True)
        self.base, self.every = base, every
        self.stopping = threading.Event()
        self.loads = 0
        self.errors: list[str] = []

    def run(self) -> None:
        import requests

        session = requests.Session()
        login = session.get(f"{self.base}/login/", timeout=30)
        token = session.cookies.get("csrftoken", "")
        answer = session.post(
            f"{self.base}/login/",
            data={"username": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": login.url},
            timeout=30,
        )
        if "sessionid" not in session.cookies:
            self.errors.append(f"sign-in failed ({answer.status_code})")
        while not self.stopping.wait(self.every):
            for path in ("/", "/incidents/", "/admin/", f"/s/{STATUS_SLUG}/", "/healthz"):
                try:
                    status = session.get(self.base + path, timeout=30).status_code
                except requests.RequestException as exc:
                    status, path = 0, f"{path} {exc}"
                self.loads += 1
                if status not in (200, 404):  # the status page exists once the clients do
                    self.errors.append(f"{path}: {status}")


def sample_for(root: int, seconds: float, every: float) -> list[dict[str, object]]:
    samples = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        samples.append(sample(root))
        time.sleep(min(every, max(0.0, deadline - time.monotonic())))
    return samples


def second_half_slope(times: list[float], totals: list[float]) -> float:
    """The slope over the second half of the samples: warming up flattens, a leak keeps its slope."""
    half = len(times) // 2
    if len(times) - half < 3:
        return float("nan")
    return statistics.linear_regression(times[half:], totals[half:]).slope


def summary(samples: list[dict[str, object]]) -> dict[str, object]:
    totals = [float(s["total_mib"]) for s in samples]  # type: ignore[arg-type]
    times = [(float(s["t"]) - float(samples[0]["t"])) / 3600 for s in samples]  # type: ignore[arg-type]
    slope = statistics.linear_regression(times, totals).slope if len(samples) > 2 else float("nan")
    by_role: dict[str, list[float]] = {}
    for s in samples:
        counts: dict[str, int] = {}
        for p in s["processes"]:  # type: ignore[attr-defined]
            counts[p["role"]] = counts.get(p["role"], 0) + 1
            name = p["role"] if counts[p["role"]] == 1 else f"{p['role']} #{counts[p['role']]}"
            by_role.setdefault(name, []).append(p["pss_mib"])
    return {
        "samples": len(samples),
        "total_mean_mib": round(statistics.fmean(totals), 1),
        "total_max_mib": round(max(totals), 1),
        "total_min_mib": round(min(totals), 1),
        "slope_mib_per_hour": round(slope, 2),
        "second_half_slope_mib_per_hour": round(second_half_slope(times, totals), 2),
        "load_mean": round(statistics.fmean(float(s.get("load", 0.0)) for s in samples), 1),  # type: ignore[arg-type]
        "per_process_mean_mib": {role: round(statistics.fmean(v), 1) for role, v in by_role.items()},
        "per_process_max_mib": {role: round(max(v), 1) for role, v in by_role.items()},
    }


def checks_done(env: dict[str, str], seconds: float) -> dict[str, float]:
    """Checks stored over the last ``seconds`` (at most 300): they are still raw rows, since the
    worker compacts an hour only some minutes after it ends."""
    out = django_snippet(
        env,
        "from datetime import timedelta\nfrom django.utils import timezone\n"
        "from veilleur.monitoring.models import CheckResult\n"
        f"rows = CheckResult.objects.filter(checked_at__gte=timezone.now() - timedelta(seconds={seconds}))\n"
        "print(rows.count(), rows.filter(ok=False).count())\n",
    )
    total, failed = (int(word) for word in out.split()[-2:])
    return {"checks_per_s": round(total / seconds, 1), "failed": failed}


def report_count(env: dict[str, str]) -> int:
    out = django_snippet(
        env,
        "from veilleur.reports.models import Report\n"
        "print(Report.objects.filter(sent_at__isnull=False).count())\n",
    )
    return int(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--monitors", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--interval", type=int, default=20)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--idle", type=float, default=60, help="seconds sampled before any monitor exists")
    parser.add_argument("--warmup", type=float, default=90)
    parser.add_argument("--every", type=float, default=10, help="seconds between samples")
    parser.add_argument("--page-every", type=float, default=5, help="seconds between rounds of page loads")
    parser.add_argument("--flap-every", type=float, default=0, help="seconds between failures of one target")
    parser.add_argument("--flap-down", type=float, default=60)
    parser.add_argument("--report-day", action="store_true", help="render every client's monthly report")
    parser.add_argument("--after", type=float, default=120, help="seconds sampled after the reports")
    parser.add_argument("--report-timeout", type=float, default=3600)
    parser.add_argument("--src", help="run the code of this checkout's src/ instead")
    parser.add_argument("--up-args", default="", help="extra arguments for veilleur up")
    parser.add_argument("--json", help="write every sample and the summary here")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="veilleur-memory-"))
    http_port, smtp_port, web_port = free_port(), free_port(), free_port()
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("VEILLEUR_", "DATABASE_URL"))
    }
    env.update(
        VEILLEUR_DATA_DIR=str(workdir / "data"),
        VEILLEUR_ALLOW_PRIVATE_TARGETS="1",
        VEILLEUR_SMTP_URL=f"smtp://127.0.0.1:{smtp_port}",
        VEILLEUR_LOG_LEVEL="WARNING",
    )
    if args.src:
        env["PYTHONPATH"] = str(Path(args.src).resolve())
    if args.report_day:
        env["VEILLEUR_REPORT_DAY"] = str(min(28, datetime.now(ZoneInfo(TIME_ZONE)).day))
        env["VEILLEUR_REPORT_HOUR"] = "0"
    targets = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--serve-targets",
            f"{http_port},{smtp_port},{args.flap_every},{args.flap_down}",
        ]
    )
    base = f"http://127.0.0.1:{web_port}"
    up = subprocess.Popen(
        [str(VENV_BIN / "veilleur"), "up", "--bind", f"127.0.0.1:{web_port}", *args.up_args.split()],
        env=env,
        stdout=open(workdir / "up.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
    )
    result: dict[str, object] = {"argv": sys.argv[1:], "started": datetime.now(UTC).isoformat()}
    pages = PageLoads(base, args.page_every)
    try:
        wait_for(f"{base}/healthz")
        create_staff_user(env)
        pages.start()
        time.sleep(10)  # the first page loads and roles settle
        idle = sample_for(up.pid, args.idle, args.every)
        result["idle"] = summary(idle)
        print("idle:", json.dumps(result["idle"]), flush=True)
        config = workdir / "bench.yaml"
        config_file(env, config, args.clients, args.monitors, args.interval, http_port, bool(args.flap_every))
        subprocess.run(
            [str(VENV_BIN / "veilleur"), "apply", str(config)], env=env, check=True, stdout=subprocess.DEVNULL
        )
        time.sleep(args.warmup)
        loaded = sample_for(up.pid, args.minutes * 60, args.every)
        checks = checks_done(env, min(300.0, args.minutes * 60))
        checks["due_per_s"] = args.monitors / args.interval
        result["loaded"] = {**summary(loaded), "checks": checks}
        print("loaded:", json.dumps(result["loaded"]), flush=True)
        if args.report_day:
            django_snippet(
                env,
                "from datetime import timedelta\nfrom django.utils import timezone\n"
                "from veilleur.clients.models import Client\n"
                "Client.objects.update(created_at=timezone.now() - timedelta(days=62))\n",
            )
            peak: list[dict[str, object]] = []
            started = time.monotonic()
            while time.monotonic() - started < args.report_timeout:
                peak += sample_for(up.pid, 20, 2)
                if report_count(env) >= args.clients:
                    break
            result["report_seconds"] = round(time.monotonic() - started)
            result["reports"] = report_count(env)
            result["report_day"] = summary(peak)
            print(
                "report day:",
                json.dumps(result["report_day"]),
                result["reports"],
                "reports in",
                result["report_seconds"],
                "s",
                flush=True,
            )
            after = sample_for(up.pid, args.after, args.every)
            result["after_reports"] = summary(after)
            print("after reports:", json.dumps(result["after_reports"]), flush=True)
        result["page_loads"] = pages.loads
        result["page_errors"] = pages.errors[:20]
        print("page loads:", pages.loads, "errors:", pages.errors[:5], flush=True)
        if args.json:
            result["samples"] = {"idle": idle, "loaded": loaded}
            Path(args.json).write_text(json.dumps(result, indent=1))
    finally:
        pages.stopping.set()
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=60)
        except subprocess.TimeoutExpired:
            up.kill()
        targets.terminate()
        targets.wait(timeout=10)
        print("veilleur up exited with", up.returncode, flush=True)
        if args.json:  # veilleur's own log, beside the figures
            shutil.copyfile(workdir / "up.log", f"{args.json}.log")
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-targets":
        http, smtp, every, down = sys.argv[2].split(",")
        serve_targets(int(http), int(smtp), float(every), float(down))
        sys.exit(0)
    sys.exit(main())
