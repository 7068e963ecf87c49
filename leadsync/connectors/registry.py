"""Connector discovery through the ``leadsync.connectors`` entry-point group.

Built-ins are registered through the same group as third-party plugins (dlt's way), so the
registry has no list of its own. A plugin that fails to import is reported by
:func:`describe_all`, never allowed to break the listing.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from leadsync.connectors.base import Capabilities, Connector, Destination, Source
from leadsync.errors import ConfigError

GROUP = "leadsync.connectors"


@dataclass(frozen=True)
class ConnectorInfo:
    """One registered connector as ``leadsync connectors list`` shows it.

    Attributes:
        name: The entry-point name (what a project file names).
        target: ``module:Class`` the entry point points at.
        dist: The distribution that declared it, with its version, if known.
        capabilities: The class's capabilities, when it loaded.
        roles: ``source`` and/or ``destination``.
        error: Why loading failed, when it did.
    """

    name: str
    target: str
    dist: str | None
    capabilities: Capabilities | None = None
    roles: tuple[str, ...] = ()
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the connector loaded."""
        return self.error is None


def available() -> dict[str, EntryPoint]:
    """Return every registered connector's entry point by name (nothing is imported)."""
    return {ep.name: ep for ep in entry_points(group=GROUP)}


def load(name: str) -> type[Connector]:
    """Import and return the connector class registered as ``name``.

    Raises:
        ConfigError: No connector has that name, or it failed to load / is not a Connector.
    """
    known = available()
    if name not in known:
        names = ", ".join(sorted(known)) or "none"
        raise ConfigError(f"unknown connector {name!r}; known connectors: {names}")
    try:
        cls = known[name].load()
    except Exception as exc:  # noqa: BLE001 - any import failure of a plugin is a config issue
        raise ConfigError(
            f"connector {name!r} ({known[name].value}) failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    if not (isinstance(cls, type) and issubclass(cls, Connector)):
        raise ConfigError(f"connector {name!r} ({known[name].value}) is not a Connector class")
    return cls


def describe_all() -> list[ConnectorInfo]:
    """Describe every registered connector, sorted by name; load failures are reported."""
    infos = []
    for name, ep in sorted(available().items()):
        dist = f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else None
        try:
            cls = load(name)
        except ConfigError as exc:
            infos.append(ConnectorInfo(name, ep.value, dist, error=exc.message))
            continue
        infos.append(
            ConnectorInfo(name, ep.value, dist, getattr(cls, "capabilities", None), _roles(cls))
        )
    return infos


def _roles(cls: type[Connector]) -> tuple[str, ...]:
    roles = []
    if issubclass(cls, Source):
        roles.append("source")
    if issubclass(cls, Destination):
        roles.append("destination")
    return tuple(roles)
