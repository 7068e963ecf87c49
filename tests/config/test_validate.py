from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadsync.cli import app
from leadsync.config import load_project, resolve_secrets, validate_file
from leadsync.config.secrets import SecretRef
from leadsync.connectors.registry import available
from leadsync.errors import ConfigError

SECRET = "hunter2-literal-secret"

BROKEN = f"""\
version: 1
connectors:
  salesforce:
    type: salesforce
    settings:
      auth:
        kind: session
        session_id: {SECRET}
        instance_url: https://127.0.0.1:1
  files:
    type: csvv
jobs:
  - name: Bad Name
    sources: [{{connector: hubspot, object: contacts}}]
    target: sf
    object: Lead
    schedule: "every day"
    colour: blue
  - name: ok-job
    sources:
      - connector: salesforce
        object: Leed
    target: salesforce
    object: Lead
"""

GOOD = """\
version: 1
connectors:
  salesforce:
    type: salesforce
    settings:
      auth: {kind: session, session_id: "${SF_SESSION}", instance_url: "https://127.0.0.1:1"}
  trade-show:
    type: csv
    settings: {path: leads.csv}
jobs:
  - name: csv-to-salesforce
    sources: [{connector: trade-show, object: rows}]
    target: salesforce
    object: Lead
    schedule: "*/15 * * * *"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "leadsync.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_mistake_is_reported_with_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BROKEN)
    installed = ", ".join(sorted(available()))
    _, issues = validate_file(path)
    assert [str(i).removeprefix(f"{path}") for i in issues] == [
        ":8 connectors.salesforce.settings.auth.session_id: secrets must be references "
        "(${VAR}, env:NAME or file:/path), not literal values",
        f":11 connectors.files.type: unknown connector type 'csvv' (installed: {installed})",
        ":13 jobs[0].name: must be lower-case letters, digits, '-' or '_', starting with a letter",
        ":14 jobs[0].sources[0].connector: unknown connector 'hubspot' (known: files, salesforce)",
        ":15 jobs[0].target: unknown connector 'sf' (known: files, salesforce)",
        ":17 jobs[0].schedule: invalid cron expression 'every day' (expected 5 fields, "
        "e.g. '*/15 * * * *')",
        ":18 jobs[0].colour: unknown key",
        ":22 jobs[1].sources[0].object: connector 'salesforce' has no object 'Leed' "
        "(supported: Lead, Contact, Account)",
    ]


def test_validate_command_exits_2_and_never_prints_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(tmp_path, BROKEN)
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(app, ["-c", str(path), "validate"])
    assert result.exit_code == 2
    assert "leadsync.yaml:15 jobs[0].target: unknown connector 'sf'" in result.output
    assert "8 problem(s) found" in result.output
    json_result = CliRunner().invoke(app, ["--json", "-c", str(path), "validate"])
    assert json_result.exit_code == 2
    assert len(json.loads(json_result.output)["issues"]) == 8
    with pytest.raises(ConfigError) as raised:
        load_project(path)
    for text in (
        result.output,
        json_result.output,
        str(raised.value),
        repr(raised.value),
        caplog.text,
    ):
        assert SECRET not in text


def test_a_valid_file_passes_and_secrets_resolve_only_at_run_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, GOOD)
    result = CliRunner().invoke(app, ["-c", str(path), "validate"])
    assert result.exit_code == 0, result.output
    project = load_project(path)
    settings = project.connectors["salesforce"].settings
    assert settings["auth"]["session_id"] == "${SF_SESSION}"  # still a reference
    with pytest.raises(ConfigError, match="SF_SESSION") as raised:
        resolve_secrets(settings, environ={})
    assert "environment variable is not set" in str(raised.value)
    resolved = resolve_secrets(settings, environ={"SF_SESSION": "s3cr3t-value"})
    secret = resolved["auth"]["session_id"]
    assert secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(resolved)
    assert "s3cr3t-value" not in str(resolved)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${SF_PASSWORD}", SecretRef("env", "SF_PASSWORD")),
        ("env:HUBSPOT_TOKEN", SecretRef("env", "HUBSPOT_TOKEN")),
        ("file:/run/secrets/token", SecretRef("file", "/run/secrets/token")),
        ("plain-value", None),
        ("${not closed", None),
    ],
    ids=["braced", "env", "file", "literal", "malformed"],
)
def test_secret_reference_syntax(text: str, expected: SecretRef | None) -> None:
    assert SecretRef.parse(text) == expected


def test_file_reference_reads_the_file_and_hides_failures(tmp_path: Path) -> None:
    secret_file = tmp_path / "token"
    secret_file.write_text("from-a-file\n", encoding="utf-8")
    assert SecretRef("file", str(secret_file)).resolve().get_secret_value() == "from-a-file"
    with pytest.raises(ConfigError, match="cannot read file"):
        SecretRef("file", str(tmp_path / "missing")).resolve()


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "version: 1\njobs:\n  - name: [unclosed\n")
    _, issues = validate_file(path)
    assert len(issues) == 1
    assert issues[0].line >= 3
    assert "invalid YAML" in issues[0].message


def test_init_writes_a_file_that_validates(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.yaml"
    result = CliRunner().invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(app, ["init", str(path)])
    assert again.exit_code == 2
    checked = CliRunner().invoke(app, ["-c", str(path), "validate"])
    assert checked.exit_code == 0, checked.output


def test_config_schema_is_json_schema_of_the_project() -> None:
    result = CliRunner().invoke(app, ["config", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "leadsync project file"
    assert {"connectors", "jobs", "store"} <= set(schema["properties"])
