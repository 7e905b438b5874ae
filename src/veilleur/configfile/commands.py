"""Entry points of ``veilleur apply`` and ``veilleur export``."""

from __future__ import annotations

from pathlib import Path


def apply_command(path: Path, *, agency_key: str | None, dry_run: bool, prune: bool) -> int:
    raise NotImplementedError


def export_command(output: Path | None, *, agency_key: str | None) -> int:
    raise NotImplementedError
