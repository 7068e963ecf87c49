"""Load and validate ``leadsync.yaml``, reporting every problem with its file and line."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

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
    if project is not None:
        _check_references(project, reporter, file.parent)
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
    # Keep checking what can be checked: rebuild with the broken sections dropped.
    return _partial(data, reporter)


def _partial(data: dict[str, Any], reporter: _Reporter) -> Project | None:
    bad_tops = {issue.path.split(".")[0].split("[")[0] for issue in reporter.issues}
    kept = {key: value for key, value in data.items() if key not in bad_tops}
    try:
        return Project.model_validate(kept)
    except ValidationError:
        return None


def _check_references(project: Project, reporter: _Reporter, base: Path) -> None:
    known = sorted(project.connectors)
    known_text = ", ".join(known) or "none configured"
    objects: dict[str, tuple[str, ...]] = {}
    for name, connector in project.connectors.items():
        where: Path_ = ("connectors", name)
        model, caps_objects, problem = check_connector_settings(connector.type)
        if problem:
            reporter.add((*where, "type"), problem)
            continue
        objects[name] = caps_objects
        if model is not None:
            _check_settings(model, connector.settings, (*where, "settings"), reporter)
    seen: set[str] = set()
    for index, job in enumerate(project.jobs):
        where = ("jobs", index)
        if job.name in seen:
            reporter.add((*where, "name"), f"duplicate job name {job.name!r}")
        seen.add(job.name)
        _check_endpoint(
            job.target,
            job.object,
            (*where, "target"),
            (*where, "object"),
            known,
            known_text,
            objects,
            reporter,
        )
        for source_index, source in enumerate(job.sources):
            src: Path_ = (*where, "sources", source_index)
            _check_endpoint(
                source.connector,
                source.object,
                (*src, "connector"),
                (*src, "object"),
                known,
                known_text,
                objects,
                reporter,
            )
        if job.schedule is not None:
            problem = check_cron(job.schedule)
            if problem:
                reporter.add((*where, "schedule"), problem)
    for index, mapping in enumerate(project.mappings):
        if mapping.connector not in project.connectors:
            reporter.add(
                ("mappings", index, "connector"),
                f"unknown connector {mapping.connector!r} (known: {known_text})",
            )
        if not (base / mapping.file).is_file():
            reporter.add(("mappings", index, "file"), f"file not found: {mapping.file}")


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
    secret_fields = _secret_fields(model)
    for key, value in settings.items():
        if key in secret_fields and not is_secret_ref(value):
            reporter.add(
                (*where, key),
                "secrets must be references (${VAR}, env:NAME or file:/path), not literal values",
            )
    try:
        model.model_validate(settings)
    except ValidationError as error:
        reporter.add_validation(where, error)


def _secret_fields(model: type[BaseModel]) -> set[str]:
    return {
        name for name, info in model.model_fields.items() if "SecretStr" in repr(info.annotation)
    }
