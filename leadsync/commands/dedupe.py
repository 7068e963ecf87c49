"""``dedupe``: the data-quality sweep — duplicate clusters inside one system."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from leadsync.commands.context import config_path, load
from leadsync.commands.output import Exit, state
from leadsync.errors import LeadsyncError
from leadsync.mapping.model import Lead


def dedupe(
    ctx: typer.Context,
    connector: Annotated[str | None, typer.Argument(help="Connector name.")] = None,
    obj: Annotated[str | None, typer.Argument(metavar="OBJECT", help="Object to sweep.")] = None,
    csv_file: Annotated[
        Path | None, typer.Option("--csv", help="Sweep a CSV file instead.")
    ] = None,
    mapping: Annotated[Path | None, typer.Option(help="Mapping file for --csv.")] = None,
    output: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """Report duplicate clusters (with pair scores) inside one system or CSV file."""
    out = state(ctx)
    try:
        records = (
            _records_from_csv(csv_file, mapping) if csv_file else _records(ctx, connector, obj)
        )
    except LeadsyncError as exc:
        raise out.fail(str(exc), Exit.USAGE) from None
    from leadsync.sync.matching import find_clusters

    clusters = find_clusters(records)
    rows = [
        {"cluster": n, "a": p.a, "b": p.b, "score": round(p.score, 2),
         "probability": round(p.probability, 4)}
        for n, cluster in enumerate(clusters, 1) for p in cluster.pairs
    ]  # fmt: skip
    if out.json_mode or output == "json":
        out.emit({"records": len(records), "clusters": [list(c.keys) for c in clusters],
                  "pairs": rows})  # fmt: skip
    elif output == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, ["cluster", "a", "b", "score", "probability"])
        writer.writeheader()
        writer.writerows(rows)
        typer.echo(buffer.getvalue().rstrip("\n"))
    else:
        out.table(
            f"{len(clusters)} duplicate cluster(s) in {len(records)} records",
            ["cluster", "record", "duplicate of", "score", "probability"],
            [[r["cluster"], r["b"], r["a"], r["score"], r["probability"]] for r in rows],
        )


def _records(ctx: typer.Context, connector: str | None, obj: str | None) -> list[tuple[str, Lead]]:
    from leadsync.sync.wiring import Wiring

    if not connector or not obj:
        raise LeadsyncError("name a CONNECTOR and OBJECT, or give --csv FILE --mapping M")
    project = load(ctx)
    wiring = Wiring(project, base_dir=config_path(ctx).parent)
    try:
        mapping = wiring.mapping(connector, obj)
        found = []
        for record in wiring.source(connector).read(obj):
            if record.deleted:
                continue
            result = mapping.to_canonical(
                record.fields, record=record.id, system=connector, observed_at=record.updated_at
            )
            if result.lead is not None:
                found.append((f"{connector}:{obj}:{record.id}", result.lead))
        return found
    finally:
        wiring.close()


def _records_from_csv(path: Path, mapping_path: Path | None) -> list[tuple[str, Lead]]:
    from leadsync.connectors.csv import CsvConnector, CsvSettings
    from leadsync.mapping import load_mapping
    from leadsync.mapping.defaults import default_mapping_path

    mapping = load_mapping(mapping_path or default_mapping_path(CsvConnector.__module__, "default"))
    source = CsvConnector(CsvSettings(path=path))
    now = datetime.now(UTC)
    found = []
    for record in source.read("rows"):
        result = mapping.to_canonical(
            record.fields, record=f"line {record.id}", system="csv", observed_at=now
        )
        if result.lead is not None:
            found.append((f"{path.name}:{record.id}", result.lead))
    return found
