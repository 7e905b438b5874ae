"""A problem found in a config file, and how it is shown: ``file:line: field.path: message``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# A path into the document: mapping keys and list indexes, e.g. ("clients", 1, "sites", 0, "url").
Path = tuple[str | int, ...]
LineMap = Mapping[Path, int]

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Issue:
    path: Path
    message: str
    line: int | None = None


class ConfigFileError(Exception):
    """The file cannot be applied; carries every problem found."""

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the config file")
        self.issues = list(issues)


def format_path(path: Path) -> str:
    """("clients", 1, "sites", 0, "url") → ``clients[1].sites[0].url``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_NAME.match(part):
            text += f".{part}" if text else part
        else:
            # Header names and other free-form keys: quoted so the path stays unambiguous.
            text += f"[{part!r}]"
    return text


def line_of(path: Path, lines: LineMap) -> int | None:
    """The line of ``path``, or of its closest ancestor that appears in the file (a missing field
    is reported on the line of the object that should hold it)."""
    for end in range(len(path), -1, -1):
        line = lines.get(path[:end])
        if line is not None:
            return line
    return None


def locate(issue: Issue, lines: LineMap) -> Issue:
    if issue.line is not None:
        return issue
    return Issue(issue.path, issue.message, line_of(issue.path, lines))


def render(issue: Issue, source: str) -> str:
    where = source if issue.line is None else f"{source}:{issue.line}"
    field = format_path(issue.path)
    return f"{where}: {field}: {issue.message}" if field else f"{where}: {issue.message}"
