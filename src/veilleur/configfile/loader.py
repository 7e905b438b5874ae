"""Reading the YAML file into plain data, remembering the line of every key and list item.

PyYAML follows YAML 1.1, whose implicit types surprise people writing a config by hand:
``12:30`` is the base-60 number 750, ``no`` is false, ``010`` is 8. The loader here keeps
YAML 1.2's narrower rules instead: only ``true``/``false`` are booleans, only plain decimal
numbers are numbers; everything else that is not quoted stays text. Dates (``2026-12-25``)
are still read as dates, which is what a holiday list wants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from veilleur.configfile.issues import ConfigFileError, Issue, Path

_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_MERGE_TAG = "tag:yaml.org,2002:merge"


class ConfigLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2-style booleans and numbers (see the module docstring)."""

    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag not in (_BOOL_TAG, _INT_TAG, _FLOAT_TAG)]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


ConfigLoader.add_implicit_resolver(
    _BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
ConfigLoader.add_implicit_resolver(_INT_TAG, re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789"))
ConfigLoader.add_implicit_resolver(
    _FLOAT_TAG,
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


@dataclass
class Document:
    """The file's content as plain Python data, with the line (1-based) of each path.

    ``issues`` are problems that did not stop the reading (a key given twice, a value YAML
    cannot build): they are reported with whatever else is wrong in the file.
    """

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


def read_document(text: str) -> Document:
    """Parse ``text``; raise ConfigFileError on a syntax error, which leaves nothing to check."""
    loader = ConfigLoader(text)
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise ConfigFileError([_syntax_issue(exc)]) from exc
    except yaml.YAMLError as exc:
        raise ConfigFileError([Issue((), f"YAML syntax error: {exc}")]) from exc
    finally:
        loader.dispose()
    builder = _Builder(loader)
    data = builder.build(root, ()) if root is not None else None
    return Document(data, builder.lines, builder.issues)


def _syntax_issue(exc: yaml.MarkedYAMLError) -> Issue:
    mark = exc.problem_mark or exc.context_mark
    problem = ": ".join(part for part in (exc.context, exc.problem) if part)
    return Issue((), f"YAML syntax error: {problem}", mark.line + 1 if mark else None)


# Far more than any agency's file holds, far less than an alias bomb ("billion laughs") expands to.
MAX_VALUES = 200_000


class _Builder:
    """Turns the node tree into data. Done by hand (rather than by PyYAML's constructor) to see
    each key's position, and to refuse a key written twice in one mapping, which PyYAML would
    silently resolve by keeping the last value."""

    def __init__(self, loader: ConfigLoader) -> None:
        self.loader = loader
        self.lines: dict[Path, int] = {}
        self.issues: list[Issue] = []
        self._open: set[int] = set()
        self._count = 0

    def build(self, node: Node, path: Path) -> Any:
        self.lines.setdefault(path, node.start_mark.line + 1)
        self._count += 1
        if self._count > MAX_VALUES:
            if self._count == MAX_VALUES + 1:
                message = f"the file expands to more than {MAX_VALUES} values (aliases repeating aliases?)"
                self.issues.append(Issue(path, message, node.start_mark.line + 1))
            return None
        if id(node) in self._open:
            self.issues.append(Issue(path, "an alias refers to its own anchor", node.start_mark.line + 1))
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._mapping(node, path)
            if isinstance(node, SequenceNode):
                return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
            return self._scalar(node, path)
        finally:
            self._open.discard(id(node))

    def _scalar(self, node: Node, path: Path) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            # e.g. 2026-13-01 looks like a date to YAML, which then fails to build it.
            self.issues.append(
                Issue(path, f"unreadable value {node.value!r}: {exc}", node.start_mark.line + 1)
            )
            return None

    def _mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        self._refuse_duplicate_keys(node, path)
        # Merge keys ("<<: *defaults") are expanded first; keys written in the mapping win.
        self.loader.flatten_mapping(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node, path)
            if isinstance(key, list | dict):
                self.issues.append(
                    Issue(path, "a mapping key must be a plain value", key_node.start_mark.line + 1)
                )
                continue
            child = (*path, str(key))
            self.lines[child] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, child)
        return result

    def _refuse_duplicate_keys(self, node: MappingNode, path: Path) -> None:
        first_line: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            name, line = key_node.value, key_node.start_mark.line + 1
            if name in first_line:
                message = f"duplicate key {name!r} (first given on line {first_line[name]})"
                self.issues.append(Issue((*path, name), message, line))
            else:
                first_line[name] = line
