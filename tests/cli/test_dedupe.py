from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from leadsync.cli import app

ROWS = """First Name,Last Name,Email,Company,Phone,Country
Robert,Smith,bob.smith+expo@acme-widgets.com,Acme Widgets Inc.,(415) 555-0134,USA
Bob,Smith,Bob.Smith@acme-widgets.com,Acme Widgets,+1 415 555 0134,US
Alice,Jones,alice@othercorp.io,Other Corp,,UK
Carol,Nguyen,carol.nguyen@gmail.com,Freelance,,Canada
Robert,Smyth,robert.smyth@differentco.com,Different Co,,USA
"""


def test_dedupe_reports_the_cluster_and_nothing_else(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_text(ROWS, encoding="utf-8")
    result = CliRunner().invoke(app, ["--json", "dedupe", "--csv", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["records"] == 5
    assert report["clusters"] == [["leads.csv:2", "leads.csv:3"]]
    assert report["pairs"][0]["probability"] > 0.9


def test_dedupe_without_input_is_a_usage_error(tmp_path: Path) -> None:
    config = tmp_path / "leadsync.yaml"
    config.write_text("version: 1\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["-c", str(config), "dedupe"])
    assert result.exit_code == 2
