"""Safe YAML loading that remembers where every key stands, for one-line error messages.

Only ``yaml.SafeLoader`` is used: no tags that construct objects, no code execution. Duplicate
keys are errors (PyYAML would silently keep the last one), and aliases may not expand a
document past a node budget (the "billion laughs" bomb).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from .errors import PolicycheckError
from .inputs import read_bounded

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "PathKey", "YamlDocument", "format_path", "load_yaml", "parse_yaml"]

MAX_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 100

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlDocument:
    """Parsed data plus the line and column of each key path."""

    source: str
    data: Any
    marks: dict[PathKey, tuple[int, int]]

    def place(self, path: PathKey) -> str:
        """``line:column`` of the deepest known prefix of ``path``."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:end]))
            if mark:
                return f"{mark[0]}:{mark[1]}"
        return "1:1"


def format_path(path: PathKey) -> str:
    """``("rules", 3, "require")`` -> ``rules[3].require``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def load_yaml(path: Path, error: type[PolicycheckError], *, what: str = "file", allow_empty: bool = False
              ) -> YamlDocument:
    """Read ``path`` as one YAML document; raise ``error`` with file and line:column on any problem."""
    source = str(path)
    raw = read_bounded(path, error, cap=MAX_BYTES, what=what)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not UTF-8 (byte {exc.start})", source=source) from None
    return parse_yaml(text, source, error, allow_empty=allow_empty)


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as the text written (``expires: 2026-12-31`` stays a string).

    It also refuses what would otherwise end in a RecursionError with no place: nesting deeper
    than :data:`MAX_DEPTH` and an alias inside the node it refers to (``a: &x [*x]``).
    """

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._open_anchors: set[str] = set()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # unannotated in types-PyYAML
        if isinstance(event, yaml.AliasEvent) and event.anchor in self._open_anchors:
            raise yaml.composer.ComposerError(None, None, f"recursive alias *{event.anchor} refers to a node that "
                                              "contains it", event.start_mark)  # type: ignore[arg-type]  # stubs: Mark union
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep",
                                              event.start_mark)
        anchor = event.anchor if isinstance(event, yaml.CollectionStartEvent) else None
        self._depth += 1
        if anchor:
            self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1
            if anchor:
                self._open_anchors.discard(anchor)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(
    cast(yaml.ScalarNode, node)))  # a timestamp is always a scalar


def parse_yaml(text: str, source: str, error: type[PolicycheckError], *, allow_empty: bool = False) -> YamlDocument:
    """Parse one document; an empty one (only comments) is an error unless ``allow_empty`` (data None)."""
    try:
        loader = _Loader(text)  # the reader refuses control characters here, before any parsing
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise error(f"character U+{code:04X} is not allowed in YAML (a control character?)", source=source,
                    place=_place_of(text, exc.position)) from None
    try:
        node = loader.get_single_node()
        if node is None:
            if allow_empty:
                return YamlDocument(source, None, {})
            raise error("file is empty", source=source)
        marks: dict[PathKey, tuple[int, int]] = {}
        _walk(node, (), marks, [0], source, error)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        place = f"{mark.line + 1}:{mark.column + 1}" if mark else None
        problem = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise error(f"YAML syntax error: {problem}", source=source, place=place) from None
    except yaml.YAMLError as exc:
        raise error(f"YAML error: {exc}", source=source) from None
    finally:
        loader.dispose()
    return YamlDocument(source, data, marks)


def _place_of(text: str, position: int) -> str:
    """``line:column`` of a character offset."""
    before = text[:position]
    return f"{before.count(chr(10)) + 1}:{position - (before.rfind(chr(10)) + 1) + 1}"


def _walk(node: yaml.Node, path: PathKey, marks: dict[PathKey, tuple[int, int]], budget: list[int], source: str,
          error: type[PolicycheckError]) -> None:
    """Record where each key path stands; refuse merge keys, duplicate keys and documents past the node budget."""
    budget[0] += 1
    if budget[0] > MAX_NODES:
        raise error(f"document expands to more than {MAX_NODES} nodes (YAML alias bomb?)", source=source,
                    place=f"{node.start_mark.line + 1}:{node.start_mark.column + 1}")
    marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key == "<<":
                raise error("YAML merge keys (<<) are not supported", source=source,
                            place=f"{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}")
            if key in seen:
                raise error(f"{format_path(path)}: duplicate key '{key}' (first at line {seen[key]})",
                            source=source, place=f"{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}")
            seen[key] = key_node.start_mark.line + 1
            marks[(*path, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, (*path, key), marks, budget, source, error)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), marks, budget, source, error)
