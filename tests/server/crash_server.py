"""A webhook server process for the crash test (run as a script, not collected by pytest).

``--crash-after-commit`` makes the process die with ``os._exit`` right after the inbox
commit of the first delivery and before any answer: the worst moment for a receiver.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from webhook_support import make_settings

from leadsync.server import ProcessOutcome, run_server
from leadsync.store import inbox
from leadsync.store.engine import make_engine
from leadsync.store.models import InboxEvent

CRASH_CODE = 17


class RecordingProcessor:
    """Appends each processed event id to a file (durably), so the test can count them."""

    def __init__(self, path: str) -> None:
        self.path = path

    def process(self, events: list[InboxEvent]) -> list[ProcessOutcome]:
        with open(self.path, "a", encoding="utf-8") as out:
            out.writelines(f"{e.event_id}\n" for e in events)
            out.flush()
            os.fsync(out.fileno())
        return [ProcessOutcome(e.id, ok=True) for e in events]


def _crash_after_commit() -> None:
    real = inbox.accept_many

    def accept_then_die(*args: Any, **kwargs: Any) -> list[bool]:
        real(*args, **kwargs)
        os._exit(CRASH_CODE)

    inbox.accept_many = accept_then_die  # type: ignore[assignment]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--record", required=True)
    parser.add_argument("--crash-after-commit", action="store_true")
    args = parser.parse_args()
    if args.crash_after_commit:
        _crash_after_commit()
    engine = make_engine(args.db)
    run_server(
        make_settings(),
        engine=engine,
        processor=RecordingProcessor(args.record),
        host="127.0.0.1",
        port=args.port,
    )


if __name__ == "__main__":
    main()
