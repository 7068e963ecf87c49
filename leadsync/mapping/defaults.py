"""Locates the default mapping files that connector packages ship in ``mappings/``."""

from __future__ import annotations

import importlib.util
from importlib.resources import as_file, files
from pathlib import Path

from leadsync.errors import ConfigError


def _package_of(connector_module: str) -> str:
    try:
        spec = importlib.util.find_spec(connector_module)
    except (ImportError, ValueError) as exc:
        raise ConfigError(f"cannot find connector module {connector_module!r}: {exc}") from exc
    if spec is None:
        raise ConfigError(f"cannot find connector module {connector_module!r}")
    if spec.submodule_search_locations is not None:
        return connector_module
    return connector_module.rpartition(".")[0] or connector_module


def default_mapping_path(connector_module: str, object: str) -> Path:  # noqa: A002
    """Return ``<package of connector>/mappings/<object>.yaml``.

    Args:
        connector_module: The connector's package or a module inside it, e.g. the
            ``__module__`` of its class.
        object: The object name as the connector spells it (``Lead``, ``contacts``).

    Returns:
        The path of the mapping file.

    Raises:
        ConfigError: the package or its mapping file does not exist.
    """
    package = _package_of(connector_module)
    resource = files(package).joinpath("mappings").joinpath(f"{object}.yaml")
    if not resource.is_file():
        raise ConfigError(f"no default mapping for {object!r} in {package}/mappings/")
    # Packages are installed as plain directories, so the file outlives the context.
    with as_file(resource) as path:
        return Path(path)
