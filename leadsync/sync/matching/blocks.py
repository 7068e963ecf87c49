"""The block store: block name to the ids of the records in it, with a cap on giant blocks.

Block names are stored as an int hash, which halves the memory of a million-record index; a
hash collision only adds a candidate that scoring then rejects. The in-memory index hashes with
:func:`hash` (fast, but salted per process); the stored index uses :func:`stable_hash`, the same
in every process. A block that grows past the cap is replaced by a marker and skipped from then
on: a name shared by thousands ("John Smith") finds nothing useful, and other blocks still do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import blake2b

GIANT = -1

# A block's content: a single id, a list of ids (in the order they were added), or GIANT.
Block = int | list[int]


def stable_hash(name: str) -> int:
    """Return a 64-bit signed hash of ``name`` that every process computes alike."""
    digest = blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class BlockStore:
    """Map block hashes to record ids (ints >= 0), skipping blocks larger than ``cap``."""

    __slots__ = ("_blocks", "cap", "giant_blocks")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._blocks: dict[int, Block] = {}
        self.giant_blocks = 0

    def __len__(self) -> int:
        return len(self._blocks)

    def add(self, rid: int, names: Iterable[str]) -> None:
        """Put record ``rid`` into every block in ``names``."""
        self.add_hashed(rid, map(hash, names))

    def remove(self, rid: int, names: Iterable[str]) -> None:
        """Take record ``rid`` out of every block in ``names`` (giant blocks stay giant)."""
        self.remove_hashed(rid, map(hash, names))

    def size(self, name: str) -> int:
        """Return how many records block ``name`` holds (``cap + 1`` for a giant block)."""
        return self.size_hashed(hash(name))

    def lookup(self, names: Iterable[str], limit: int) -> list[int]:
        """Return the distinct ids in the non-giant blocks of ``names``, at most ``limit``."""
        return self.lookup_hashed(map(hash, names), limit)

    def add_hashed(self, rid: int, hashes: Iterable[int]) -> None:
        """Put record ``rid`` into every block in ``hashes``."""
        blocks = self._blocks
        for h in hashes:
            cur = blocks.get(h)
            if cur is None:
                blocks[h] = rid
            elif isinstance(cur, list):
                if len(cur) >= self.cap:
                    blocks[h] = GIANT
                    self.giant_blocks += 1
                else:
                    cur.append(rid)
            elif cur != GIANT and cur != rid:
                blocks[h] = [cur, rid] if self.cap > 1 else GIANT

    def remove_hashed(self, rid: int, hashes: Iterable[int]) -> None:
        """Take record ``rid`` out of every block in ``hashes`` (giant blocks stay giant)."""
        blocks = self._blocks
        for h in hashes:
            cur = blocks.get(h)
            if cur == rid:
                del blocks[h]
            elif isinstance(cur, list) and rid in cur:
                cur.remove(rid)
                if len(cur) == 1:
                    blocks[h] = cur[0]

    def size_hashed(self, h: int) -> int:
        """Return how many records block ``h`` holds (``cap + 1`` for a giant block)."""
        cur = self._blocks.get(h)
        if cur is None:
            return 0
        if isinstance(cur, list):
            return len(cur)
        return self.cap + 1 if cur == GIANT else 1

    def lookup_hashed(self, hashes: Iterable[int], limit: int) -> list[int]:
        """Return the distinct ids in the non-giant blocks of ``hashes``, at most ``limit``."""
        seen: dict[int, None] = {}
        blocks = self._blocks
        for h in hashes:
            cur = blocks.get(h)
            if cur is None or cur == GIANT:
                continue
            if isinstance(cur, list):
                for rid in cur:
                    seen[rid] = None
            else:
                seen[cur] = None
            if len(seen) >= limit:
                break
        return list(seen)[:limit]

    def members(self, h: int) -> tuple[int, ...] | None:
        """Return the ids in block ``h`` in the order they were added; None for a giant block."""
        cur = self._blocks.get(h)
        if cur is None:
            return ()
        if isinstance(cur, list):
            return tuple(cur)
        return None if cur == GIANT else (cur,)

    def load(self, h: int, members: Sequence[int] | None) -> None:
        """Set block ``h`` to ``members`` (oldest first), or to a giant block for None."""
        if members is None:
            self._blocks[h] = GIANT
        elif len(members) > 1:
            self._blocks[h] = list(members)
        elif members:
            self._blocks[h] = members[0]
        else:
            self._blocks.pop(h, None)
