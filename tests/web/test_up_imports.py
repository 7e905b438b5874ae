"""The checker and the worker start without the heavy libraries of the web role and of the
reports, and the web role without those of the API: each is imported where it is used
(docs/deployment.md, "Memory")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# What a role's start-up imports: Django set up as every command does, then the role's modules,
# then ``{then}`` (more code run in the same process); prints the names of the modules loaded.
START_UP = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
import django
django.setup()
{imports}
{then}
print(json.dumps(sorted(sys.modules)))
"""
# The PDF renderer, Pillow, the API's schema machinery, Apprise, the holiday tables, Playwright
# (loaded by the lab job only when it measures a page), whoisit and the HTTP clients and
# command-line extras it brings (loaded by the first RDAP answer read), dnspython (loaded by
# the first custom domain verified).
HEAVY = (
    "weasyprint",
    "PIL",
    "ninja",
    "pydantic",
    "apprise",
    "holidays",
    "veilleur.api.v1",
    "playwright",
    "whoisit",
    "httpx",
    "requests",
    "rich",
    "pygments",
    "click",
    "dns",
)
# The API's own modules, which only a request to the API (or a name reversed in it) loads.
API = ("ninja", "pydantic", "veilleur.api.v1", "veilleur.api.urls")


def modules_loaded(modules: list[str], data_dir: Path, then: str = "") -> set[str]:
    env = {**os.environ, "VEILLEUR_DATA_DIR": str(data_dir)}
    code = START_UP.format(imports="\n".join(f"import {name}" for name in modules), then=then)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def heavy_among(loaded: set[str]) -> list[str]:
    return sorted(name for name in loaded if name.split(".")[0] in HEAVY or name in HEAVY)


@pytest.mark.parametrize("module", ["veilleur.checker.command", "veilleur.worker.command"])
def test_a_role_starts_without_the_heavy_libraries(module: str, tmp_path: Path) -> None:
    loaded = modules_loaded([module], tmp_path)
    assert module in loaded
    assert heavy_among(loaded) == []
    admin_modules = sorted(
        name for name in loaded if name.startswith("veilleur.") and name.endswith(".admin")
    )
    assert admin_modules == []


def test_the_process_of_roles_serves_its_pages_without_the_heavy_libraries(tmp_path: Path) -> None:
    # What `veilleur up` runs in one process: the checker, the worker and the web role's URLs,
    # every one of whose names is then reversed (as the staff pages' links do).
    loaded = modules_loaded(
        ["veilleur.embedded", "veilleur.checker.command", "veilleur.worker.command", "veilleur.urls"],
        tmp_path,
        then="from django.urls import get_resolver\nget_resolver().reverse_dict",
    )
    assert "veilleur.clients.admin" in loaded  # the admin is part of the staff pages
    assert heavy_among(loaded) == []


def test_the_first_api_request_loads_the_api(tmp_path: Path) -> None:
    then = (
        "from django.urls import resolve, reverse\n"
        "match = resolve('/api/v1/clients')\n"
        "assert match.namespace == 'api-v1', match\n"
        "assert resolve('/api/v1/no-such-thing').url_name is None\n"
    )
    loaded = modules_loaded(["veilleur.urls"], tmp_path, then=then)
    assert set(API) <= loaded


def test_a_name_reversed_in_the_api_loads_it(tmp_path: Path) -> None:
    then = (
        "from django.urls import reverse\n"
        "from veilleur.urls import API_NAMESPACE\n"
        "assert 'ninja' not in sys.modules\n"
        "assert reverse(API_NAMESPACE + ':openapi-json') == '/api/v1/openapi.json'\n"
        "from veilleur.api.v1 import api\n"
        "assert api.urls_namespace == API_NAMESPACE\n"
    )
    loaded = modules_loaded(["veilleur.urls"], tmp_path, then=then)
    assert set(API) <= loaded
