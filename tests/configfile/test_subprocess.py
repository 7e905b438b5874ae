"""The real command in its own process, on a fresh SQLite database in a temporary data directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .conftest import EXAMPLE


def _veilleur(data_dir: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VEILLEUR_DATA_DIR": str(data_dir)}
    # Always the embedded SQLite database, never a server the test run may point at.
    env.pop("DATABASE_URL", None)
    env.pop("VEILLEUR_TEST_DATABASE_NAME", None)
    return subprocess.run(
        [sys.executable, "-m", "veilleur.cli", *(str(arg) for arg in args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_apply_reapply_export_and_a_bad_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"

    first = _veilleur(data_dir, "apply", EXAMPLE)
    second = _veilleur(data_dir, "apply", EXAMPLE)
    exported = tmp_path / "exported.yaml"
    export = _veilleur(data_dir, "export", "-o", exported)
    third = _veilleur(data_dir, "apply", exported)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        exported.read_text(encoding="utf-8").replace("timeout: 5", "timeout: 500"), encoding="utf-8"
    )
    refused = _veilleur(data_dir, "apply", bad)
    after = _veilleur(data_dir, "export")

    assert first.returncode == 0, first.stderr
    assert "+ client boulangerie-martin" in first.stdout
    assert (data_dir / "veilleur.sqlite3").exists()
    assert second.stdout.strip() == "no changes"
    assert export.returncode == 0, export.stderr
    assert third.stdout.strip() == "no changes"
    assert refused.returncode == 2
    assert (
        f"{bad}:" in refused.stderr
        and ".timeout: Ensure this value is less than or equal to 60." in refused.stderr
    )
    assert "Traceback" not in refused.stderr
    assert after.stdout == exported.read_text(encoding="utf-8")
