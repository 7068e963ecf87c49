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


class PipelineProcessor(RecordingProcessor):
    """The real inbox pipeline into a Salesforce sandbox, recording ids as well."""

    def __init__(self, path: str, engine: Any, salesforce_url: str, ca_bundle: str) -> None:
        super().__init__(path)
        from leadsync.config.project import Project
        from leadsync.store.engine import session_factory
        from leadsync.sync.inbox import InboxDispatcher
        from leadsync.sync.wiring import Wiring

        os.environ.setdefault("CRASH_SF_PASSWORD", "sandbox")
        project = Project.model_validate({
            "connectors": {
                "salesforce": {"type": "salesforce", "ca_bundle": ca_bundle, "settings": {
                    "auth": {"kind": "password", "username": "admin@leadsync.example",
                             "password": "${CRASH_SF_PASSWORD}", "client_id": "crash-test",
                             "client_secret": "${CRASH_SF_PASSWORD}"},
                    "login_url": salesforce_url}},
                "std": {"type": "forms", "settings": {}},
            },
            "jobs": [{"name": "forms-to-sf", "target": "salesforce", "object": "Lead",
                      "sources": [{"connector": "std", "object": "submissions"}]}],
        })  # fmt: skip
        self.dispatcher = InboxDispatcher.for_project(Wiring(project), session_factory(engine))

    def process(self, events: list[InboxEvent]) -> list[ProcessOutcome]:
        outcomes = self.dispatcher.process(events)
        super().process([e for e, o in zip(events, outcomes, strict=True) if o.ok])
        return outcomes


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
    parser.add_argument("--salesforce", help="run the real pipeline into this sandbox URL")
    parser.add_argument("--ca", help="the Salesforce sandbox's CA bundle")
    args = parser.parse_args()
    if args.crash_after_commit:
        _crash_after_commit()
    engine = make_engine(args.db)
    processor = (
        PipelineProcessor(args.record, engine, args.salesforce, args.ca)
        if args.salesforce
        else RecordingProcessor(args.record)
    )
    run_server(
        make_settings(),
        engine=engine,
        processor=processor,
        host="127.0.0.1",
        port=args.port,
    )


if __name__ == "__main__":
    main()
