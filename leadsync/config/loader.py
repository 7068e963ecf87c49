"""Load and validate ``leadsync.yaml``, reporting every problem with its file and line."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, SecretStr, ValidationError

from leadsync.config.project import Project
from leadsync.config.secrets import is_secret_ref
from leadsync.config.settings_check import check_connector_settings, check_cron
from leadsync.config.yaml_lines import LocatedYaml, Path_, format_path, load_located
from leadsync.errors import ConfigError

SectionValidator = Callable[[Project], Iterable[tuple[Path_, str]]]


@dataclass(frozen=True, order=True)
class ConfigIssue:
    """One problem in a project file."""

    line: int
    path: str
    message: str
    file: str = "leadsync.yaml"

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.path}: {self.message}"


def validate_file(
    path: str | Path, extra_checks: Iterable[SectionValidator] = ()
) -> tuple[Project | None, list[ConfigIssue]]:
    """Validate the project file at ``path``.

    Args:
        path: The YAML file.
        extra_checks: Validators for sections owned by other layers (matching, policy...).

    Returns:
        The project (None when it could not be built) and every issue found, sorted by line.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [ConfigIssue(1, "<file>", f"cannot read: {exc.strerror}", str(file))]
    try:
        located = load_located(text)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 1
        return None, [ConfigIssue(line, "<yaml>", f"invalid YAML: {exc.problem}", str(file))]
    reporter = _Reporter(located, str(file))
    project = _build(located, reporter)
    _check_references(located.data, reporter, file.parent)
    if project is not None:
        for check in extra_checks:
            for issue_path, message in check(project):
                reporter.add(issue_path, message)
    return project, sorted(reporter.issues)


def load_project(path: str | Path, extra_checks: Iterable[SectionValidator] = ()) -> Project:
    """Load the project file, or raise listing every issue.

    Raises:
        ConfigError: the file is missing, malformed or inconsistent.
    """
    project, issues = validate_file(path, extra_checks)
    if issues or project is None:
        raise ConfigError("\n".join(str(issue) for issue in issues))
    return project


class _Reporter:
    def __init__(self, located: LocatedYaml, file: str) -> None:
        self.located = located
        self.file = file
        self.issues: list[ConfigIssue] = []

    def add(self, path: Path_, message: str) -> None:
        line = self.located.line_of(path)
        self.issues.append(ConfigIssue(line, format_path(path), message, self.file))

    def add_validation(self, prefix: Path_, error: ValidationError) -> None:
        for detail in error.errors(include_input=False, include_url=False):
            self.add((*prefix, *detail["loc"]), _message(detail["type"], detail["msg"]))


def _message(kind: str, text: str) -> str:
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    return text.removeprefix("Value error, ")


def _build(located: LocatedYaml, reporter: _Reporter) -> Project | None:
    data: Any = located.data if located.data is not None else {}
    if not isinstance(data, dict):
        reporter.add((), "the project file must be a mapping")
        return None
    try:
        return Project.model_validate(data)
    except ValidationError as error:
        reporter.add_validation((), error)
        broken = [tuple(e["loc"]) for e in error.errors(include_input=False, include_url=False)]
    # Keep checking what can be checked: rebuild without the broken entries.
    try:
        return Project.model_validate(_without(data, broken))
    except ValidationError:
        return None


def _without(data: dict[str, Any], broken: list[tuple[Any, ...]]) -> dict[str, Any]:
    kept = dict(data)
    drop_items: dict[str, set[Any]] = {}
    for loc in broken:
        if len(loc) >= 2 and isinstance(kept.get(loc[0]), list | dict):
            drop_items.setdefault(str(loc[0]), set()).add(loc[1])
        else:
            kept.pop(str(loc[0]), None)
    for section, items in drop_items.items():
        value = kept.get(section)
        if isinstance(value, list):
            kept[section] = [v for i, v in enumerate(value) if i not in items]
        elif isinstance(value, dict):
            kept[section] = {k: v for k, v in value.items() if k not in items}
    return kept


def _check_references(data: Any, reporter: _Reporter, base: Path) -> None:
    """Cross-reference checks on the raw data, so broken entries are still checked."""
    data = data if isinstance(data, dict) else {}
    connectors = _mapping(data.get("connectors"))
    known = sorted(connectors)
    known_text = ", ".join(known) or "none configured"
    objects: dict[str, tuple[str, ...]] = {}
    for name, raw in connectors.items():
        entry = _mapping(raw)
        connector_type = entry.get("type")
        if not isinstance(connector_type, str):
            continue
        where: Path_ = ("connectors", name)
        model, caps_objects, problem = check_connector_settings(connector_type)
        if problem:
            reporter.add((*where, "type"), problem)
            continue
        objects[name] = caps_objects
        if model is not None:
            settings = _mapping(entry.get("settings"))
            _check_settings(model, settings, (*where, "settings"), reporter)
    jobs = _list(data.get("jobs"))
    seen: set[str] = set()
    for index, raw_job in enumerate(jobs):
        job = _mapping(raw_job)
        where = ("jobs", index)
        job_name = job.get("name")
        if isinstance(job_name, str) and job_name in seen:
            reporter.add((*where, "name"), f"duplicate job name {job_name!r}")
        seen.add(str(job_name))
        endpoints: list[tuple[Any, Any, Path_, Path_]] = [
            (job.get("target"), job.get("object"), (*where, "target"), (*where, "object"))
        ]
        sources = _list(job.get("sources"))
        for source_index, raw_source in enumerate(sources):
            source = _mapping(raw_source)
            src: Path_ = (*where, "sources", source_index)
            endpoints.append(
                (
                    source.get("connector"),
                    source.get("object"),
                    (*src, "connector"),
                    (*src, "object"),
                )
            )
        for connector, obj, connector_path, object_path in endpoints:
            if isinstance(connector, str):
                _check_endpoint(
                    connector,
                    str(obj),
                    connector_path,
                    object_path,
                    known,
                    known_text,
                    objects,
                    reporter,
                )
        schedule = job.get("schedule")
        if isinstance(schedule, str):
            problem = check_cron(schedule)
            if problem:
                reporter.add((*where, "schedule"), problem)
    mappings = _list(data.get("mappings"))
    for index, raw_mapping in enumerate(mappings):
        mapping = _mapping(raw_mapping)
        target = mapping.get("connector")
        if isinstance(target, str) and target not in connectors:
            reporter.add(
                ("mappings", index, "connector"),
                f"unknown connector {target!r} (known: {known_text})",
            )
        file = mapping.get("file")
        if isinstance(file, str) and not (base / file).is_file():
            reporter.add(("mappings", index, "file"), f"file not found: {file}")


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_endpoint(
    connector: str,
    obj: str,
    connector_path: Path_,
    object_path: Path_,
    known: list[str],
    known_text: str,
    objects: dict[str, tuple[str, ...]],
    reporter: _Reporter,
) -> None:
    if connector not in known:
        reporter.add(connector_path, f"unknown connector {connector!r} (known: {known_text})")
        return
    supported = objects.get(connector, ())
    if supported and obj not in supported:
        reporter.add(
            object_path,
            f"connector {connector!r} has no object {obj!r} (supported: {', '.join(supported)})",
        )


def _check_settings(
    model: type[BaseModel], settings: dict[str, Any], where: Path_, reporter: _Reporter
) -> None:
    try:
        validated = model.model_validate(settings)
    except ValidationError as error:
        reporter.add_validation(where, error)
        return
    for path in literal_secret_paths(validated, ()):
        reporter.add(
            (*where, *path),
            "secrets must be references (${VAR}, env:NAME or file:/path), not literal values",
        )


def literal_secret_paths(value: Any, path: Path_) -> Iterator[Path_]:
    """Yield the paths of SecretStr values that hold a literal instead of a reference."""
    if isinstance(value, SecretStr):
        text = value.get_secret_value()
        if text and not is_secret_ref(text):
            yield path
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from literal_secret_paths(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from literal_secret_paths(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from literal_secret_paths(item, (*path, index))
