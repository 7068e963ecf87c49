"""Read the next batch from a source while the current one is processed.

A source read mostly waits on the CRM; doing that wait in a thread overlaps it with the
engine's work on the batch before (the CRM, the sandbox included, works on its own cores). The
thread runs at most ``depth`` batches ahead, so memory stays bounded, and a consumer that stops
early stops the reader too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()
_POLL_SECONDS = 0.1


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(
    items: Iterator[T], *, depth: int = 1, name: str = "prefetch"
) -> Generator[T, None, None]:
    """Yield what ``items`` yields, pulling up to ``depth`` items ahead in a thread.

    An exception raised by ``items`` is raised here, at the item where it happened.
    """
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                slots.put(item, timeout=_POLL_SECONDS)
                return True
            except queue.Full:
                continue
        return False

    def pull() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
        except BaseException as error:  # handed to the consumer, who decides
            offer(_Failed(error))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()
        offer(_DONE)

    reader = threading.Thread(target=pull, name=name, daemon=True)
    reader.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        reader.join()
