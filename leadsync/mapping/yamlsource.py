"""YAML loading that remembers the line of every key, so mapping errors can cite file:line."""

from __future__ import annotations

from typing import Any

import yaml

from leadsync.errors import MappingError

Path_ = tuple[str | int, ...]


class LocatedYaml:
    """A parsed YAML document plus the 1-based line of each key path in it.

    Args:
        file: The file name used in messages.
        data: The plain Python value of the document.
        lines: Key path (e.g. ``("fields", "email", "source")``) to line number.
    """

    def __init__(self, file: str, data: Any, lines: dict[Path_, int]) -> None:
        self.file = file
        self.data = data
        self.lines = lines

    def line(self, path: Path_) -> int:
        """Return the line of ``path`` or of its nearest located ancestor (1 at worst)."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), 1)


def _convert(
    loader: yaml.SafeLoader, node: yaml.Node, path: Path_, lines: dict[Path_, int], file: str
) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                raise MappingError(f"{file}:{key_node.start_mark.line + 1}: keys must be scalars")
            if key in result:
                raise MappingError(f"{file}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
            child = (*path, str(key))
            lines[child] = key_node.start_mark.line + 1
            result[key] = _convert(loader, value_node, child, lines, file)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(loader, n, (*path, i), lines, file) for i, n in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_located_yaml(text: str, file: str) -> LocatedYaml:
    """Parse one YAML document, keeping line numbers.

    Args:
        text: The YAML text.
        file: Name of the file, for messages.

    Returns:
        The document and its key lines.

    Raises:
        MappingError: the text is not valid YAML (message cites file:line).
    """
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        data = None if node is None else _convert(loader, node, (), lines, file)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise MappingError(f"{file}:{line}: invalid YAML: {exc.problem or exc}") from exc
    finally:
        loader.dispose()
    return LocatedYaml(file, data, lines)
