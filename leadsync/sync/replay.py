"""Turn due dead letters back into source batches, so retries use the same pipeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from leadsync.connectors.base import Record
from leadsync.store import dead_letters
from leadsync.store.checkpoints import Watermark
from leadsync.sync.batch import SourceBatch
from leadsync.sync.context import RunContext
from leadsync.sync.wiring import Wiring


def due_records(wiring: Wiring, ctx: RunContext) -> Iterator[SourceBatch]:
    """Yield one batch per source object of the job's dead letters that are due for a retry.

    Only letters that still carry their source record (mapping and push failures of source
    records) can be replayed; the batches do not move checkpoints (their watermark is empty
    and admits everything).
    """
    with ctx.factory() as session:
        letters = dead_letters.due(session, ctx.job.name, ctx.clock())
    grouped: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for letter in letters:
        system, obj, record_id = letter.source.split(":", 2)
        fields = letter.payload.get("fields")
        if "updated_at" not in letter.payload or not isinstance(fields, dict):
            continue
        updated = datetime.fromisoformat(letter.payload["updated_at"])
        grouped[(system, obj)].append(Record(obj, record_id, fields, updated))
    sources = {(s.connector, s.object): s for s in ctx.job.sources}
    for (system, obj), records in grouped.items():
        source = sources.get((system, obj))
        if source is None:
            continue
        mapping = wiring.mapping(system, obj, source.mapping)
        yield SourceBatch(system, obj, mapping, records, Watermark(), checkpoint=False)
