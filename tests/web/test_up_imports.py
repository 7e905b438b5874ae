"""The checker and the worker start without the heavy libraries of the web role and of the
reports: each is imported where it is used (docs/deployment.md, "Memory")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# What a role's start-up imports: Django set up as every command does, then the role's module.
START_UP = """
import json, os, sys
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "veilleur.settings")
import django
django.setup()
import {module}
print(json.dumps(sorted(sys.modules)))
"""
# The PDF renderer, Pillow, the API's schema machinery, Apprise, the holiday tables, the admin,
# Playwright (loaded by the lab job only when it measures a page).
HEAVY = ("weasyprint", "PIL", "ninja", "pydantic", "apprise", "holidays", "veilleur.api.v1", "playwright")


def modules_at_start_up(module: str, data_dir: Path) -> set[str]:
    env = {**os.environ, "VEILLEUR_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-c", START_UP.format(module=module)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("module", ["veilleur.checker.command", "veilleur.worker.command"])
def test_a_role_starts_without_the_heavy_libraries(module: str, tmp_path: Path) -> None:
    loaded = modules_at_start_up(module, tmp_path)
    assert module in loaded
    heavy = sorted(name for name in loaded if name.split(".")[0] in HEAVY or name in HEAVY)
    assert heavy == []
    admin_modules = sorted(
        name for name in loaded if name.startswith("veilleur.") and name.endswith(".admin")
    )
    assert admin_modules == []


def test_the_web_role_loads_the_admin_and_the_api_with_its_urls(tmp_path: Path) -> None:
    loaded = modules_at_start_up("veilleur.urls", tmp_path)
    assert {"veilleur.api.v1", "veilleur.clients.admin", "ninja"} <= loaded
