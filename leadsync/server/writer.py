"""Group commit of accepted webhooks: one writer thread stores concurrent deliveries together.

Request handlers hand their event to :class:`InboxWriter` and await the answer; the writer
thread takes everything queued (up to ``max_batch``), stores it in one transaction and only
then resolves each waiter, so every acknowledgement still follows its own commit. Alone, an
event is committed at once; under load one commit (and on SQLite one write lock) serves many.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from leadsync.store import inbox

log = logging.getLogger(__name__)


@dataclass
class _Pending:
    event: tuple[str, str, str, datetime]
    future: asyncio.Future[bool]
    loop: asyncio.AbstractEventLoop


def _resolve(future: asyncio.Future[bool], result: bool | BaseException) -> None:
    if future.done():  # the request was cancelled (client went away)
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


class InboxWriter:
    """Stores events for request handlers, batching those that arrive together."""

    def __init__(self, factory: sessionmaker[Session], *, max_batch: int = 256) -> None:
        self.factory = factory
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def accept(self, source: str, event_id: str, body: str, received_at: datetime) -> bool:
        """Store one event; True when it is new (see :func:`leadsync.store.inbox.accept`).

        Raises:
            SQLAlchemyError: The store failed; nothing of the batch was stored.
        """
        self._ensure_running()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self._queue.put(_Pending((source, event_id, body, received_at), future, loop))
        return await future

    def stop(self) -> None:
        """Let the writer finish what is queued, then end its thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(30)

    def _ensure_running(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            self._write(batch)

    def _write(self, batch: list[_Pending]) -> None:
        results: list[bool | BaseException]
        try:
            results = list(inbox.accept_many(self.factory, [p.event for p in batch]))
        except Exception as exc:  # every waiter of the failed batch gets the error
            log.warning("inbox write of %d events failed: %s", len(batch), type(exc).__name__)
            results = [exc] * len(batch)
        for pending, result in zip(batch, results, strict=True):
            pending.loop.call_soon_threadsafe(_resolve, pending.future, result)
