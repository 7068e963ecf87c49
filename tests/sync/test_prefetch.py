"""The read-ahead thread: same items in the same order, errors where they happened, bounded."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from leadsync.sync.prefetch import prefetched


def test_yields_every_item_in_order() -> None:
    assert list(prefetched(iter(range(1000)), depth=2)) == list(range(1000))


def test_an_error_surfaces_after_the_items_before_it() -> None:
    def source() -> Iterator[int]:
        yield 1
        yield 2
        raise RuntimeError("CRM down")

    got: list[int] = []

    def consume() -> None:
        got.extend(prefetched(source()))

    with pytest.raises(RuntimeError, match="CRM down"):
        consume()
    assert got == [1, 2]


def test_reads_at_most_depth_items_ahead() -> None:
    produced: list[int] = []
    pulled = threading.Condition()

    def source() -> Iterator[int]:
        for i in range(100):
            with pulled:
                produced.append(i)
                pulled.notify_all()
            yield i

    stream = prefetched(source(), depth=1)
    assert next(stream) == 0
    with pulled:
        # The reader may hold one item in the queue and one in its hand, never more.
        pulled.wait_for(lambda: len(produced) >= 2, timeout=5)
    threading.Event().wait(0.2)
    assert len(produced) <= 3
    stream.close()


def test_closing_early_stops_the_reader_and_closes_the_source() -> None:
    closed = threading.Event()

    def source() -> Iterator[int]:
        try:
            yield from range(1_000_000)
        finally:
            closed.set()

    stream = prefetched(source(), depth=1)
    assert [next(stream) for _ in range(3)] == [0, 1, 2]
    stream.close()
    assert closed.wait(5)
    assert not any(t.name == "prefetch" for t in threading.enumerate())
