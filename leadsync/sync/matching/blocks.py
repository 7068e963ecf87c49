"""The block store: block name to the ids of the records in it, with a cap on giant blocks.

Block names are stored as their string hash (an int), which halves the memory of a
million-record index; a hash collision only adds a candidate that scoring then rejects.
A block that grows past the cap is replaced by a marker and skipped from then on: a name
shared by thousands ("John Smith") finds nothing useful, and other blocks still do.
"""

from __future__ import annotations

from collections.abc import Iterable

_GIANT = -1


class BlockStore:
    """Map block names to record ids (ints), skipping blocks larger than ``cap``."""

    __slots__ = ("_blocks", "cap", "giant_blocks")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        # value: a single id, a list of ids, or _GIANT
        self._blocks: dict[int, int | list[int]] = {}
        self.giant_blocks = 0

    def __len__(self) -> int:
        return len(self._blocks)

    def add(self, rid: int, names: Iterable[str]) -> None:
        """Put record ``rid`` into every block in ``names``."""
        blocks = self._blocks
        for name in names:
            h = hash(name)
            cur = blocks.get(h)
            if cur is None:
                blocks[h] = rid
            elif isinstance(cur, list):
                if len(cur) >= self.cap:
                    blocks[h] = _GIANT
                    self.giant_blocks += 1
                else:
                    cur.append(rid)
            elif cur != _GIANT and cur != rid:
                blocks[h] = [cur, rid] if self.cap > 1 else _GIANT

    def remove(self, rid: int, names: Iterable[str]) -> None:
        """Take record ``rid`` out of every block in ``names`` (giant blocks stay giant)."""
        blocks = self._blocks
        for name in names:
            h = hash(name)
            cur = blocks.get(h)
            if cur == rid:
                del blocks[h]
            elif isinstance(cur, list) and rid in cur:
                cur.remove(rid)
                if len(cur) == 1:
                    blocks[h] = cur[0]

    def size(self, name: str) -> int:
        """Return how many records block ``name`` holds (``cap + 1`` for a giant block)."""
        cur = self._blocks.get(hash(name))
        if cur is None:
            return 0
        if isinstance(cur, list):
            return len(cur)
        return self.cap + 1 if cur == _GIANT else 1

    def lookup(self, names: Iterable[str], limit: int) -> list[int]:
        """Return the distinct ids in the non-giant blocks of ``names``, at most ``limit``."""
        seen: dict[int, None] = {}
        blocks = self._blocks
        for name in names:
            cur = blocks.get(hash(name))
            if cur is None or cur == _GIANT:
                continue
            if isinstance(cur, list):
                for rid in cur:
                    seen[rid] = None
            else:
                seen[cur] = None
            if len(seen) >= limit:
                break
        return list(seen)[:limit]
