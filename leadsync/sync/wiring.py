"""Build a job's parts from the project file: connectors, mappings and policies."""

from __future__ import annotations

from collections.abc import Mapping as MappingABC
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from leadsync.config import Project, resolve_secrets
from leadsync.connectors import registry
from leadsync.connectors.base import Connector, Destination, Source
from leadsync.connectors.deps import ConnectorDeps
from leadsync.errors import ConfigError
from leadsync.mapping import Mapping, load_mapping
from leadsync.mapping.defaults import default_mapping_path


@dataclass
class Wiring:
    """Connectors and mappings of one project, built once and shared by its jobs.

    Args:
        project: The loaded project file.
        base_dir: Directory that relative mapping paths are resolved against.
        deps: Per-connector dependencies (sessions, CA bundles) by connector name.
        environ: Where secret references are resolved (the process environment by default).
    """

    project: Project
    base_dir: Path = Path()
    deps: MappingABC[str, ConnectorDeps] = field(default_factory=dict)
    environ: MappingABC[str, str] | None = None
    _connectors: dict[str, Connector] = field(default_factory=dict)
    _mappings: dict[tuple[str, str, str | None], Mapping] = field(default_factory=dict)
    _given: set[str] = field(default_factory=set)

    def connector(self, name: str) -> Connector:
        """Return the connector configured as ``name`` (built on first use)."""
        if name not in self._connectors:
            self._connectors[name] = self._build(name)
        return self._connectors[name]

    def use(self, name: str, connector: Connector) -> None:
        """Use an already built ``connector`` for ``name`` (e.g. one wrapped for a test)."""
        self._connectors[name] = connector
        self._given.add(name)

    def uses(self, name: str) -> bool:
        """True when connector ``name`` was handed in with :meth:`use`, not built here."""
        return name in self._given

    def source(self, name: str) -> Source:
        """Return connector ``name``, which must be able to read."""
        connector = self.connector(name)
        if not isinstance(connector, Source):
            raise ConfigError(f"connector {name!r} cannot be read from")
        return connector

    def destination(self, name: str) -> Destination:
        """Return connector ``name``, which must be able to write."""
        connector = self.connector(name)
        if not isinstance(connector, Destination):
            raise ConfigError(f"connector {name!r} cannot be written to")
        return connector

    def mapping(self, connector: str, obj: str, override: str | None = None) -> Mapping:
        """Return the mapping of ``connector``'s ``obj``: the job's, the project's or default."""
        key = (connector, obj, override)
        if key not in self._mappings:
            self._mappings[key] = load_mapping(self._mapping_path(connector, obj, override))
        return self._mappings[key]

    def close(self) -> None:
        """Close every connector built so far."""
        for connector in self._connectors.values():
            connector.close()
        self._connectors.clear()

    def _mapping_path(self, connector: str, obj: str, override: str | None) -> Path:
        if override:
            return self.base_dir / override
        for entry in self.project.mappings:
            if entry.connector == connector and entry.object == obj:
                return self.base_dir / entry.file
        config = self.project.connectors.get(connector)
        if config is None:
            raise ConfigError(f"unknown connector {connector!r}")
        module = registry.load(config.type).__module__
        try:
            return default_mapping_path(module, obj)
        except ConfigError:
            # File-like sources (CSV, forms) ship one mapping for whatever they read.
            return default_mapping_path(module, "default")

    def _build(self, name: str) -> Connector:
        config = self.project.connectors.get(name)
        if config is None:
            known = ", ".join(sorted(self.project.connectors)) or "none configured"
            raise ConfigError(f"unknown connector {name!r} (known: {known})")
        cls = registry.load(config.type)
        settings_data: dict[str, Any] = resolve_secrets(config.settings, self.environ)
        try:
            settings = cls.settings_model.model_validate(settings_data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
                for e in exc.errors(include_input=False, include_url=False)
            )
            raise ConfigError(f"connector {name!r} settings: {problems}") from None
        deps = self.deps.get(name) or _deps_for(config.ca_bundle)
        return cls(settings, deps=deps)  # type: ignore[call-arg]


def _deps_for(ca_bundle: str | None) -> ConnectorDeps | None:
    """Dependencies trusting ``ca_bundle`` (and ignoring REQUESTS_CA_BUNDLE, which would win)."""
    if ca_bundle is None:
        return None
    import requests

    session = requests.Session()
    session.verify = ca_bundle
    session.trust_env = False
    return ConnectorDeps(requests_session=session, ca_path=ca_bundle)
