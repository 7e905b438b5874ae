"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator

import pytest
from django.utils import translation
from hypothesis import settings

from tests.targets import Target
from veilleur.accounts.models import Agency, StaffUser
from veilleur.accounts.provisioning import create_agency

CHROMIUM = "/usr/bin/chromium"

# Tests never assert timings, and hypothesis's per-example deadline is one: on a loaded machine an
# example may take longer than 200 ms without anything being wrong.
settings.register_profile("veilleur", deadline=None)
settings.load_profile("veilleur")


# Tests that take minutes run only when asked for by name: ``pytest -m slow``, ``pytest -m chaos``.
ON_REQUEST_MARKERS = ("slow", "chaos")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the tests marked ``slow`` or ``chaos`` unless ``-m`` names their marker."""
    expression = str(config.getoption("markexpr") or "")
    asked = {marker for marker in ON_REQUEST_MARKERS if re.search(rf"\b{marker}\b", expression)}
    left_out = [
        item
        for item in items
        if any(item.get_closest_marker(marker) for marker in ON_REQUEST_MARKERS if marker not in asked)
    ]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        dropped = set(map(id, left_out))
        items[:] = [item for item in items if id(item) not in dropped]


@pytest.fixture(autouse=True)
def english_outside_requests() -> Iterator[None]:
    """Code a test calls outside a request speaks English (a request activates its own language,
    and tests of French say so): a language an earlier test's request left active never leaks in."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A file-backed SQLite test database, so that roles run as subprocesses see the test's data."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture
def make_agency(db: None) -> Callable[..., Agency]:
    """Create an agency with its calendar and the three default plans."""

    def make(key: str = "atelier", name: str = "Atelier Lumière") -> Agency:
        return create_agency(key=key, name=name)

    return make


@pytest.fixture
def agency(make_agency: Callable[..., Agency]) -> Agency:
    return make_agency()


@pytest.fixture
def owner(agency: Agency) -> StaffUser:
    return StaffUser.objects.create_user(
        email="owner@atelier.example", agency=agency, password="correct horse battery", role="owner"
    )


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; the browser tests are skipped without it, except under CI where they must run."""
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI=true (apt-get install chromium)")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return path


@pytest.fixture
def target() -> Iterator[Target]:
    """An HTTP site on 127.0.0.1 whose health the test switches."""
    server = Target()
    server.start()
    yield server
    server.stop()
