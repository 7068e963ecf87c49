"""Entry-point discovery: load by name, clear errors, broken plugins listed not fatal."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from leadsync.connectors import registry
from leadsync.connectors.base import Connector
from leadsync.errors import ConfigError

BUILT_INS = ["csv", "forms", "hubspot", "salesforce"]


@pytest.mark.parametrize("name", BUILT_INS)
def test_built_ins_load(name: str) -> None:
    cls = registry.load(name)
    assert issubclass(cls, Connector)
    assert cls.name == name


def test_unknown_name_lists_known_ones() -> None:
    with pytest.raises(ConfigError, match="known connectors: .*csv.*salesforce"):
        registry.load("nosuch")


def _fake(monkeypatch: pytest.MonkeyPatch, eps: list[EntryPoint]) -> None:
    monkeypatch.setattr(registry, "available", lambda: {ep.name: ep for ep in eps})


def test_broken_plugin_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    good = EntryPoint("csv", "leadsync.connectors.csv:CsvConnector", registry.GROUP)
    missing = EntryPoint("gone", "no_such_module_xyz:Thing", registry.GROUP)
    wrong = EntryPoint("notconn", "leadsync.errors:ConfigError", registry.GROUP)
    _fake(monkeypatch, [good, missing, wrong])
    infos = {i.name: i for i in registry.describe_all()}
    assert infos["csv"].ok
    assert infos["csv"].roles == ("source",)
    assert infos["csv"].capabilities is not None
    assert "ModuleNotFoundError" in (infos["gone"].error or "")
    assert "not a Connector" in (infos["notconn"].error or "")
    with pytest.raises(ConfigError, match="failed to load"):
        registry.load("gone")


def test_describe_all_is_sorted_and_complete() -> None:
    names = [i.name for i in registry.describe_all()]
    assert names == sorted(names)
    assert set(BUILT_INS) <= set(names)
