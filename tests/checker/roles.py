"""Running Veilleur's roles as real processes against the test database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.db import connection


def role_env(**extra: str) -> dict[str, str]:
    """The environment of a role process that uses the test's own database."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "VEILLEUR_ALLOW_PRIVATE_TARGETS": "1", **extra}
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        env.pop("DATABASE_URL", None)
        env["VEILLEUR_SQLITE_PATH"] = str(database["NAME"])
    else:
        user = database.get("USER") or ""
        host = database.get("HOST") or "127.0.0.1"
        port = database.get("PORT") or 5432
        env["DATABASE_URL"] = f"postgres://{user}@{host}:{port}/{database['NAME']}"
    return env


def start_checker(log: Path, region: str = "test", **extra: str) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "veilleur.cli", "checker", "--no-migrate", "--region", region],
            env=role_env(VEILLEUR_CONFIRM_DELAY_MS="300", **extra),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
