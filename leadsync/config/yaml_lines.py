"""YAML loading that remembers the line of every mapping key and sequence item."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


@dataclass
class LocatedYaml:
    """A parsed YAML document with a line number (1-based) for each path in it."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int:
        """Return the line of ``path`` or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), 1)


def load_located(text: str) -> LocatedYaml:
    """Parse ``text`` (one YAML document) keeping line numbers.

    Raises:
        yaml.YAMLError: the text is not valid YAML.
    """
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return LocatedYaml(data=None, lines={(): 1})
    data = yaml.safe_load(text)
    lines: dict[Path_, int] = {}
    _walk(node, (), lines)
    return LocatedYaml(data=data, lines=lines)


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = str(key_node.value)
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), lines)


def format_path(path: Path_) -> str:
    """Render a path as ``jobs[0].target``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "<root>"
