"""``leadsync validate`` reports routing mistakes at their line in the project file."""

from __future__ import annotations

from pathlib import Path

from leadsync.config import validate_file
from leadsync.sync.routing.config_check import check_project

PROJECT = """\
version: 1
connectors:
  trade-show:
    type: csv
    settings: {path: leads.csv}
routing:
  rules:
    - name: emea
      when: {countries: [DE], colour: blue}
      assign: {team: emea}
    - name: both
      assign: {owner: a@x.example, team: emea}
    - name: typo
      when:
        conditions: [{field: custom.plan, op: matches, value: x}]
      assign: {team: emea}
  teams:
    emea:
      members:
        - {email: a@x.example, weight: 0}
"""


def test_routing_mistakes_are_reported_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.yaml"
    path.write_text(PROJECT, encoding="utf-8")
    _, issues = validate_file(path, [check_project])
    found = {(i.line, i.path): i.message for i in issues}
    assert found[(9, "routing.rules[0].when.colour")] == "unknown key"
    assert "exactly one of" in found[(12, "routing.rules[1].assign")]
    assert "'eq'" in found[(15, "routing.rules[2].when.conditions[0].op")]
    assert "greater than or equal to 1" in found[(20, "routing.teams.emea.members[0].weight")]
    assert len(found) == 4


def test_a_rule_naming_an_unknown_team_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.yaml"
    text = PROJECT.split("  teams:")[0].replace("colour: blue", "regions: [DE-BY]")
    text = text.replace("owner: a@x.example, team: emea", "owner: a@x.example")
    path.write_text(text.replace("op: matches", "op: eq"), encoding="utf-8")
    _, issues = validate_file(path, [check_project])
    assert [(i.line, i.path, i.message) for i in issues] == [
        (10, "routing.rules[0].assign.team", "unknown team 'emea' (teams: none)"),
        (16, "routing.rules[2].assign.team", "unknown team 'emea' (teams: none)"),
    ]


def test_no_routing_section_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.yaml"
    path.write_text(PROJECT.split("routing:")[0], encoding="utf-8")
    assert validate_file(path, [check_project])[1] == []
