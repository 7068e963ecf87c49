"""Process-local counters and a latency histogram, rendered in Prometheus text format."""

from __future__ import annotations

import bisect
import threading
from collections import Counter

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    if not pairs:
        return ""
    escaped = (
        f'{k}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in pairs
    )
    return "{" + ",".join(escaped) + "}"


class Metrics:
    """The server's figures; every method is thread-safe."""

    def __init__(self, buckets: tuple[float, ...] = LATENCY_BUCKETS) -> None:
        self._lock = threading.Lock()
        self._counters: Counter[tuple[str, tuple[tuple[str, str], ...]]] = Counter()
        self._buckets = buckets
        self._bucket_counts = [0] * (len(buckets) + 1)
        self._latency_sum = 0.0
        self._latency_count = 0

    def inc(self, name: str, amount: int = 1, **labels: str) -> None:
        """Add ``amount`` to counter ``name`` with ``labels``."""
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._counters[key] += amount

    def value(self, name: str, **labels: str) -> int:
        """Return a counter's current value (0 when never incremented)."""
        with self._lock:
            return self._counters[(name, tuple(sorted(labels.items())))]

    def observe_latency(self, seconds: float) -> None:
        """Record one receive → processed latency."""
        with self._lock:
            self._bucket_counts[bisect.bisect_left(self._buckets, seconds)] += 1
            self._latency_sum += seconds
            self._latency_count += 1

    def latency_count(self) -> int:
        """Return how many latencies were observed."""
        with self._lock:
            return self._latency_count

    def render(self) -> str:
        """Return every figure in the Prometheus text exposition format (version 0.0.4)."""
        lines: list[str] = []
        with self._lock:
            names = sorted({name for name, _ in self._counters})
            for name in names:
                lines.append(f"# TYPE leadsync_webhook_{name}_total counter")
                for (n, labels), count in sorted(self._counters.items()):
                    if n == name:
                        lines.append(f"leadsync_webhook_{name}_total{_labels(labels)} {count}")
            lines.extend(self._render_histogram())
        return "\n".join(lines) + "\n"

    def _render_histogram(self) -> list[str]:
        metric = "leadsync_webhook_end_to_end_latency_seconds"
        lines = [f"# TYPE {metric} histogram"]
        running = 0
        for bound, count in zip(self._buckets, self._bucket_counts, strict=False):
            running += count
            lines.append(f'{metric}_bucket{{le="{bound}"}} {running}')
        lines.append(f'{metric}_bucket{{le="+Inf"}} {self._latency_count}')
        lines.append(f"{metric}_sum {self._latency_sum}")
        lines.append(f"{metric}_count {self._latency_count}")
        return lines
