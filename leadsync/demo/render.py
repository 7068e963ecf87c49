"""Print what the demo did: per job, the webhook burst, owners and dead letters."""

from __future__ import annotations

from leadsync.commands.output import Output
from leadsync.demo.run import DemoReport, counts_by_status


def render(out: Output, report: DemoReport) -> None:
    """Print ``report`` (JSON with ``--json``)."""
    if out.json_mode:
        out.emit({
            "workdir": str(report.workdir), "seconds": round(report.seconds, 2),
            "jobs": [{"job": r.job, "status": r.status, "stats": r.stats.as_dict()}
                     for r in report.reports],
            "webhooks": report.webhooks, "salesforce_leads": report.salesforce_leads,
            "assignments": report.assignments, "dead_letters": report.dead_letters,
            "inputs": report.inputs,
        })  # fmt: skip
        return
    columns = [
        "job",
        "status",
        "read",
        "created",
        "updated",
        "unchanged",
        "matched",
        "review",
        "dead-lettered",
    ]
    rows = [
        [
            r.job,
            r.status,
            r.stats.read,
            r.stats.created,
            r.stats.updated,
            r.stats.unchanged,
            r.stats.matched,
            r.stats.review,
            r.stats.dead_lettered,
        ]
        for r in report.reports
    ]
    out.table("Sync runs into Salesforce", columns, rows)
    hooks = report.webhooks
    out.console.print(
        f"web forms: {hooks.get('sent', 0)} deliveries, {hooks.get('accepted', 0)} accepted, "
        f"{hooks.get('duplicates', 0)} redeliveries answered 200 without a second lead, "
        f"{hooks.get('processed', 0)} processed"
    )
    before, after = report.salesforce_leads
    out.console.print(f"Salesforce leads: {before} before, {after} after (+{after - before})")
    if report.assignments:
        out.table(
            "Owners assigned", ["owner", "rule", "leads"], [list(a) for a in report.assignments]
        )
    if report.dead_letters:
        out.table(
            "Dead letters (why)",
            ["record", "stage", "code", "message"],
            [list(d) for d in report.dead_letters],
        )
    total = counts_by_status(report)
    out.console.print(
        f"done in {report.seconds:.1f}s: {total['created']} created, {total['updated']} updated, "
        f"{total['matched']} matched to existing people, {total['dead_lettered']} dead-lettered. "
        f"Explore: leadsync -c {report.workdir / 'leadsync.yaml'} runs list"
    )
