"""``map preview``: source → canonical → target for real sample records."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from leadsync.commands.context import config_path, load
from leadsync.commands.output import Exit, state
from leadsync.errors import LeadsyncError

map_app = typer.Typer(help="Field mappings.", no_args_is_help=True)


@map_app.command("preview")
def preview(
    ctx: typer.Context,
    connector: Annotated[str, typer.Argument(help="Source connector name.")],
    obj: Annotated[str, typer.Argument(metavar="OBJECT", help="Source object.")],
    limit: Annotated[int, typer.Option(help="Records to show.")] = 10,
    target: Annotated[
        str | None, typer.Option(help="Target connector (default: the job's).")
    ] = None,
) -> None:
    """Map sample records and show each step; errors name the record and field."""
    from leadsync.sync.wiring import Wiring

    out = state(ctx)
    project = load(ctx)
    wiring = Wiring(project, base_dir=config_path(ctx).parent)
    target_name, target_obj = _target_of(project, connector, obj, target)
    try:
        source_map = wiring.mapping(connector, obj)
        target_map = wiring.mapping(target_name, target_obj) if target_name and target_obj else None
        records = list(itertools.islice(wiring.source(connector).read(obj), limit))
    except LeadsyncError as exc:
        raise out.fail(str(exc), Exit.USAGE) from None
    finally:
        wiring.close()
    rows: list[dict[str, Any]] = []
    for record in records:
        result = source_map.to_canonical(
            record.fields,
            record=f"{connector}:{obj}:{record.id}",
            system=connector,
            observed_at=datetime.now(UTC),
        )
        lead = result.lead
        rows.append({
            "record": record.id,
            "source": {k: v for k, v in record.fields.items() if v not in (None, "")},
            "canonical": lead.model_dump(mode="json", exclude_defaults=True,
                                         exclude={"provenance"}) if lead else None,
            "target": target_map.to_target(lead) if (target_map and lead) else None,
            "errors": [str(e) for e in result.errors],
            "action": result.action,
        })  # fmt: skip
    if out.json_mode:
        out.emit(rows)
        return
    out.table(
        f"{connector} {obj} → canonical → {target_name or '-'} {target_obj or ''}",
        ["record", "source", "canonical", "target", "errors"],
        [
            [
                r["record"],
                _short(r["source"]),
                _short(r["canonical"]),
                _short(r["target"]),
                "\n".join(r["errors"]) or r["action"],
            ]
            for r in rows
        ],
    )


def _short(data: Any) -> str:
    if not data:
        return ""
    return "\n".join(f"{k}: {v}" for k, v in data.items())


def _target_of(
    project: Any, connector: str, obj: str, target: str | None
) -> tuple[str | None, str | None]:
    for job in project.jobs:
        reads = any(s.connector == connector and s.object == obj for s in job.sources)
        if reads and target in (None, job.target):
            return job.target, job.object
    return target, None
