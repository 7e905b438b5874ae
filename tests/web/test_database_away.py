"""The web role while its PostgreSQL is stopped or crashed: status pages keep their last
rendering, the API and staff pages answer 503, /healthz says so in stable codes; never a 500."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.pgcluster import Cluster, free_port, role_env, veilleur, wait_for

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "agency.yaml"
PAGE = "/s/cabinet-durand/"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body)


@dataclass
class Web:
    cluster: Cluster
    base_url: str
    token: str
    log: Path

    def get(self, path: str, **headers: str) -> Answer:
        request = urllib.request.Request(self.base_url + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return Answer(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, dict(error.headers), error.read())

    def healthy(self) -> bool:
        return self.get("/healthz").status == 200


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    cluster = Cluster()
    process = None
    try:
        cluster.start()
        data_dir = tmp_path_factory.mktemp("data")
        env = role_env(cluster, data_dir)
        veilleur(env, "migrate")
        veilleur(env, "apply", str(EXAMPLE))
        token = veilleur(env, "token", "create", "failover").strip()
        port = free_port()
        log = data_dir / "web.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "veilleur.cli",
                    "web",
                    "--no-migrate",
                    "--workers",
                    "1",
                    "--bind",
                    f"127.0.0.1:{port}",
                ],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        served = Web(cluster, f"http://127.0.0.1:{port}", token, log)
        wait_for(lambda: _answers(served), 30, "the web role")
        yield served
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=20)
        cluster.remove()


def _answers(web: Web) -> bool:
    try:
        return web.healthy()
    except OSError:
        return False


def _api(web: Web, path: str) -> Answer:
    return web.get(path, Authorization=f"Bearer {web.token}")


def _assert_unavailable_for_people(answer: Answer) -> None:
    assert answer.status == 503
    assert answer.headers["Content-Type"].startswith("text/html")
    assert b"Server Error" not in answer.body and b"Traceback" not in answer.body
    assert int(answer.headers["Retry-After"]) > 0


@pytest.mark.parametrize("outage", ["stopped", "crashed"])
def test_database_away_never_gives_a_500(web: Web, outage: str) -> None:
    if not web.cluster.is_running():
        web.cluster.start()
    wait_for(web.healthy, 30, "the database to answer again")
    assert web.get("/healthz").json() == {"status": "ok", "database": "up"}
    page = web.get(PAGE)
    summary = web.get(PAGE + "api/status.json")
    assert page.status == 200 and summary.status == 200
    assert _api(web, "/api/v1/clients").status == 200

    web.cluster.stop() if outage == "stopped" else web.cluster.crash()

    # The status page: its last rendering, "updated" time included, byte for byte.
    during = web.get(PAGE)
    assert during.status == 200 and during.body == page.body
    assert "Mis à jour".encode() in during.body
    assert during.headers["Content-Security-Policy"] == page.headers["Content-Security-Policy"]
    assert web.get(PAGE + "api/status.json").body == summary.body
    # An address never served before has nothing to show.
    never_served = f"{PAGE}history/?{outage}"
    _assert_unavailable_for_people(web.get(never_served))

    # The API: its JSON error, with when to try again.
    api = _api(web, "/api/v1/clients")
    assert api.status == 503 and api.headers["Content-Type"] == "application/json"
    assert api.json() == {"error": "The database is unavailable; try again in a moment.", "fields": {}}
    assert int(api.headers["Retry-After"]) > 0

    # Staff pages: a plain page, whether the view or the session middleware meets the outage.
    _assert_unavailable_for_people(web.get("/setup/not-a-token/"))
    _assert_unavailable_for_people(web.get("/", Cookie="sessionid=abcdefghijklmnopqrstuvwxyz012345"))

    # /healthz: machine codes, in English although the install speaks French.
    health = web.get("/healthz")
    assert health.status == 503 and health.json() == {"status": "unavailable", "database": "down"}

    web.cluster.start()
    wait_for(web.healthy, 30, "the database to answer again")
    assert web.get(never_served).status == 200
    assert _api(web, "/api/v1/clients").status == 200
    log = web.log.read_text()
    assert "Traceback" not in log
    # One line when the database was lost, one when it came back: per outage, not per request.
    assert log.count("database unavailable, waiting for it") == log.count("database available again") >= 1
