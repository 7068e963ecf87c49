"""The stored match index decides exactly as the in-memory one, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Engine, delete, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from leadsync.errors import FatalError
from leadsync.mapping.model import Lead
from leadsync.store import golden
from leadsync.store.engine import session_factory, transaction
from leadsync.store.match_index import pack_members, unpack_members
from leadsync.store.models import GoldenLead, MatchBlock, MatchRecord, MatchState
from leadsync.sync.matching import MatchIndex, MatchResult, MatchSettings
from leadsync.sync.matching.catchup import catch_up, open_index
from leadsync.sync.matching.keys import KEY_FIELDS, build_key
from leadsync.sync.matching.stored import StoredMatchIndex

NOW = datetime(2026, 1, 1, tzinfo=UTC)
FIRST = ("Ann", "Anne", "Bob", "Robert", "Rob", "Jon", "John", "Maria", "Mario", "Li", "Lee")
LAST = ("Lee", "Li", "Smith", "Smyth", "Chan", "Chen", "Garcia", "Shah", "Robert")
DOMAINS = ("acme.com", "globex.com", "initech.io", "gmail.com", "yahoo.com")
COMPANIES = ("Acme", "Acme Inc", "Globex", "Initech", "Initech LLC")
CITIES = (("Denver", "80202", "US"), ("Boston", "02110", "US"), ("London", "SW1A 1AA", "GB"))


def _maybe(rng: random.Random, value: Any, p: float = 0.75) -> Any:
    return value if rng.random() < p else None


def _lead(rng: random.Random) -> Lead:
    """A lead from small pools: shared names, mailboxes, phones and places, plenty of ties."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = rng.choice((f"{first}.{last}", f"{first[0]}{last}", "info", "sales", first))
    city, postal, country = rng.choice(CITIES)
    return Lead(
        email=_maybe(rng, f"{local}@{rng.choice(DOMAINS)}".lower()),
        phone=_maybe(rng, f"+1415555{rng.randrange(12):04d}", 0.5),
        first_name=_maybe(rng, first, 0.9),
        last_name=_maybe(rng, last, 0.9),
        company=_maybe(rng, rng.choice(COMPANIES), 0.6),
        city=_maybe(rng, city, 0.5),
        postal_code=_maybe(rng, postal, 0.4),
        country=_maybe(rng, country, 0.6),
    )


def _changed(rng: random.Random, lead: Lead) -> Lead:
    """The lead after an update: some fields from a random other lead, or only a title."""
    if rng.random() < 0.3:
        return lead.model_copy(update={"title": "VP Sales"})  # not a key field
    other = _lead(rng)
    fields = rng.sample(("email", "phone", "first_name", "last_name", "company", "city"), 2)
    return lead.model_copy(update={f: getattr(other, f) for f in fields})


def _merged(golden_lead: Lead, incoming: Lead) -> Lead:
    """What a merge might keep: the golden's values, gaps filled from the incoming lead."""
    data = golden_lead.model_dump()
    for name, value in incoming.model_dump().items():
        if data.get(name) in (None, "", {}, []):
            data[name] = value
    return Lead.model_validate(data)


def _view(result: MatchResult) -> tuple[Any, ...]:
    best = result.best
    return (
        result.decision,
        None if best is None else (best.key, best.score, best.probability, best.reasons),
        [(c.key, c.score, c.probability, c.reasons) for c in result.candidates],
    )


class _Twin:
    """Drives the in-memory and the stored index through the same ingest-shaped batches."""

    def __init__(self, factory: sessionmaker[Session], settings: MatchSettings) -> None:
        self.factory, self.settings = factory, settings
        self.memory = MatchIndex(settings)
        self.stored = open_index(factory, settings)
        self.goldens: dict[int, Lead] = {}
        self.compared = 0
        self.decisions: set[str] = set()

    def seed(self, leads: list[Lead]) -> None:
        """Goldens that predate the index: caught up on open, loaded in id order in memory."""
        with transaction(self.factory) as session:
            for lead in leads:
                data = lead.model_dump(mode="json", exclude_defaults=True)
                row = golden.create_golden(session, data, None, NOW)
                self.goldens[row.id] = lead
        for golden_id, lead in sorted(self.goldens.items()):
            self.memory.add(f"g:{golden_id}", lead)
        self.stored = open_index(self.factory, self.settings)

    def batch(self, rng: random.Random, size: int) -> None:
        incoming = [_lead(rng) for _ in range(size)]
        with transaction(self.factory) as session:
            ids = golden.GoldenIds(session, size)
            self.stored.begin(session, incoming, list(self.goldens))
            committed = sorted(self.goldens)
            new: list[golden.NewGolden] = []
            for lead in incoming:
                roll = rng.random()
                if roll < 0.15 and committed:
                    golden_id = rng.choice(committed)
                    if golden_id in self.goldens:
                        self._update(golden_id, _changed(rng, self.goldens[golden_id]))
                elif roll < 0.2 and committed:
                    self._remove(session, rng.choice(committed))
                else:
                    self._match(lead, ids, new)
            golden.insert_new(session, new)
            self.stored.flush()

    def _match(self, lead: Lead, ids: golden.GoldenIds, new: list[golden.NewGolden]) -> None:
        expected, got = self.memory.match(lead), self.stored.match(lead)
        assert _view(got) == _view(expected)
        self.compared += 1
        self.decisions.add(expected.decision)
        if expected.decision == "match" and expected.best is not None:
            golden_id = int(expected.best.key[2:])
            self._update(golden_id, _merged(self.goldens[golden_id], lead))
            return
        golden_id = ids.take()
        new.append(golden.NewGolden(golden_id, {}, None, NOW))
        self.memory.update(f"g:{golden_id}", lead)
        self.stored.update(golden_id, lead)
        self.goldens[golden_id] = lead

    def _update(self, golden_id: int, lead: Lead) -> None:
        self.memory.update(f"g:{golden_id}", lead)
        self.stored.update(golden_id, lead, before=self.goldens[golden_id])
        self.goldens[golden_id] = lead

    def _remove(self, session: Session, golden_id: int) -> None:
        # As merge code would: the golden leaves the index, then the store.
        if golden_id not in self.goldens:
            return
        assert self.memory.remove(f"g:{golden_id}")
        assert self.stored.remove(golden_id)
        session.execute(delete(GoldenLead).where(GoldenLead.id == golden_id))
        del self.goldens[golden_id]


SETTINGS = [
    pytest.param(MatchSettings(), id="defaults"),
    pytest.param(MatchSettings(max_block_size=3, max_candidates=4), id="small-blocks"),
    pytest.param(MatchSettings(max_block_size=1, term_frequency=False), id="cap-1-no-tf"),
]


@pytest.mark.parametrize("settings", SETTINGS)
def test_stored_index_decides_exactly_like_the_in_memory_one(
    engine: Engine, settings: MatchSettings
) -> None:
    rng = random.Random(20261125)
    twin = _Twin(session_factory(engine), settings)
    twin.seed([_lead(rng) for _ in range(30)])
    for number in range(8):
        if number == 4:  # a new process: nothing but the store survives
            twin.stored = open_index(twin.factory, settings)
        twin.batch(rng, 40)
    assert twin.compared > 200
    assert twin.decisions >= {"match", "new"}
    # Every golden, matched again by a fresh index, scores the same in both.
    stored = open_index(twin.factory, settings)
    with transaction(twin.factory) as session:
        leads = list(twin.goldens.values())
        stored.begin(session, leads)
        assert len(stored) == len(twin.memory) == len(twin.goldens)
        for lead in leads:
            assert _view(stored.match(lead)) == _view(twin.memory.match(lead))
        stored.flush()


def test_giant_blocks_are_kept_as_rows_without_members(engine: Engine) -> None:
    settings = MatchSettings(max_block_size=2)
    factory = session_factory(engine)
    index = open_index(factory, settings)
    smiths = [Lead(first_name="John", last_name="Smith", city="Denver") for _ in range(4)]
    with transaction(factory) as session:
        index.begin(session, smiths)
        rows = [golden.create_golden(session, {}, None, NOW) for _ in smiths]
        for row, lead in zip(rows, smiths, strict=True):
            index.update(row.id, lead)
        index.flush()
    with factory() as session:
        members = session.execute(select(MatchBlock.members)).scalars().all()
    assert set(members) == {None}  # every name block outgrew the cap


def test_likely_matches_are_the_goldens_sharing_an_email_or_phone(engine: Engine) -> None:
    settings = MatchSettings(max_block_size=5)
    factory = session_factory(engine)
    index = open_index(factory, settings)
    ann = Lead(email="ann.lee@acme.com", first_name="Ann", last_name="Lee")
    bob = Lead(phone="+14155550111", first_name="Bob", last_name="Ray")
    desk = [Lead(phone="+14155550100", last_name=f"Desk{i}") for i in range(3)]  # a switchboard
    same_name = Lead(first_name="Ann", last_name="Lee", city="Denver")
    people = {"ann": ann, "bob": bob, "name": same_name} | {
        f"desk{i}": d for i, d in enumerate(desk)
    }
    with transaction(factory) as session:
        rows = {
            name: golden.create_golden(session, lead.model_dump(mode="json"), None, NOW)
            for name, lead in people.items()
        }
        index.begin(session, list(people.values()))
        for name, lead in people.items():
            index.update(rows[name].id, lead)
        index.flush()
    incoming = [
        Lead(email="ANN.LEE@acme.com", first_name="Annie"),  # the same mailbox
        Lead(phone="(415) 555-0111", last_name="Ray"),  # the same phone
        Lead(phone="+14155550100", last_name="Desk9"),  # a phone three goldens share
        Lead(first_name="Ann", last_name="Lee", city="Denver"),  # a name alone is no sure sign
    ]
    with transaction(factory) as session:
        index.begin(session, incoming)
        likely = index.likely_matches()
        index.flush()
    assert likely == {rows["ann"].id, rows["bob"].id}


def _count(session: Session, model: Any) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_goldens_that_predate_the_index_are_caught_up_in_chunks(engine: Engine) -> None:
    factory = session_factory(engine)
    ann = Lead(email="ann.lee@acme.com", first_name="Ann", last_name="Lee")
    with transaction(factory) as session:
        for i in range(7):
            golden.create_golden(
                session, {"email": f"p{i}@globex.com", "last_name": "X"}, None, NOW
            )
        ann_id = golden.create_golden(session, ann.model_dump(mode="json"), None, NOW).id
    index = StoredMatchIndex(MatchSettings())
    assert catch_up(factory, index, chunk=3) == 8
    assert catch_up(factory, index, chunk=3) == 0  # level: nothing to do
    with transaction(factory) as session:
        index.begin(session, [ann])
        result = index.match(ann)
        index.flush()
    assert result.decision == "match"
    assert result.best is not None
    assert result.best.key == f"g:{ann_id}"


def test_other_settings_or_deleted_goldens_rebuild_the_index(engine: Engine) -> None:
    factory = session_factory(engine)
    with transaction(factory) as session:
        ids = [
            golden.create_golden(
                session, {"email": f"{n}@acme.com", "phone": "4155550100"}, None, NOW
            ).id
            for n in "ab"
        ]
    us = open_index(factory, MatchSettings())
    gb = open_index(factory, MatchSettings(default_region="GB"))  # phones read otherwise
    with transaction(factory) as session:
        assert session.execute(select(MatchState.built_with)).scalar_one() == gb.built_with
        with pytest.raises(FatalError, match="built with"):
            us.begin(session)
    with transaction(factory) as session:
        session.execute(delete(GoldenLead).where(GoldenLead.id == ids[0]))  # under the index
    open_index(factory, MatchSettings(default_region="GB"))
    with factory() as session:
        assert session.execute(select(MatchRecord.golden_id)).scalars().all() == [ids[1]]
        assert session.execute(select(MatchState.records)).scalar_one() == 1
        blocks = session.execute(select(MatchBlock.members)).scalars().all()
        assert {g for packed in blocks for g in unpack_members(packed)} == {ids[1]}


def test_an_update_that_keeps_the_key_fields_writes_nothing(engine: Engine) -> None:
    factory = session_factory(engine)
    lead = Lead(email="ann.lee@acme.com", first_name="Ann", last_name="Lee")
    index = open_index(factory, MatchSettings())
    with transaction(factory) as session:
        row = golden.create_golden(session, lead.model_dump(mode="json"), None, NOW)
        index.begin(session, golden_ids=[row.id])
        index.update(row.id, lead)
        index.flush()
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        with transaction(factory) as session:
            index.begin(session, golden_ids=[row.id])
            index.update(row.id, lead.model_copy(update={"title": "CTO"}), before=lead)
            index.update(row.id, lead.model_copy(update={"email": "ANN.LEE@acme.com"}), before=lead)
            index.flush()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert statements  # the index was read
    assert [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "BEGIN"))] == []
    with factory() as session:
        assert _count(session, MatchRecord) == 1
        assert _count(session, MatchBlock) > 0


@pytest.mark.parametrize(
    "ids",
    [[], [1], [7, 3, 2**40, 5], [2**63 - 1, 1]],
    ids=["empty", "one", "in-order-not-sorted", "largest-id"],
)
def test_block_members_pack_to_the_same_bytes_on_every_machine(ids: list[int]) -> None:
    packed = pack_members(ids)
    assert packed == b"".join(g.to_bytes(8, "little", signed=True) for g in ids)
    assert unpack_members(packed) == tuple(ids)


def test_a_key_another_job_reindexed_is_read_anew(engine: Engine) -> None:
    factory = session_factory(engine)
    ann = Lead(email="ann.lee@acme.com", first_name="Ann", last_name="Lee", company="Acme")
    moved = ann.model_copy(update={"email": "ann.lee@globex.com", "company": "Globex"})
    ours, theirs = open_index(factory, MatchSettings()), open_index(factory, MatchSettings())
    with transaction(factory) as session:
        golden_id = golden.create_golden(session, ann.model_dump(mode="json"), None, NOW).id
        ours.begin(session, golden_ids=[golden_id])
        ours.update(golden_id, ann)
        ours.flush()
    for index, lead, before in ((ours, ann, None), (theirs, moved, ann), (ours, moved, None)):
        with transaction(factory) as session:  # we decode the key, they re-index it, we match
            index.begin(session, [lead], golden_ids=[golden_id])
            if before is None:
                got = index.match(lead)
            else:
                index.update(golden_id, lead, before=before)
            index.flush()
    memory = MatchIndex(MatchSettings())
    memory.add(f"g:{golden_id}", moved)
    assert got.decision == "match"
    assert _view(got) == _view(memory.match(moved))


class _Spy:
    """Stands in for a Lead and remembers which fields were read."""

    def __init__(self, lead: Lead) -> None:
        self._lead, self.read = lead, set[str]()

    def __getattr__(self, name: str) -> Any:
        self.read.add(name)
        return getattr(self._lead, name)


@pytest.mark.parametrize(
    "lead",
    [
        Lead(
            email="ann.lee@acme.com", phone="+14155550100", first_name="Ann", last_name="Lee",
            company="Acme", website_domain="acme.com", country="US", city="Denver",
            postal_code="80202", title="CTO", street="1 Main St", region="CO",
        ),
        Lead(first_name="Mary Ann Jones", email="info@gmail.com", country="GB"),
    ],
    ids=["every-field", "full-name-in-first-name"],
)  # fmt: skip
def test_key_fields_name_every_field_a_match_key_is_built_from(lead: Lead) -> None:
    spy = _Spy(lead)
    assert build_key(cast(Lead, spy)) == build_key(lead)
    assert spy.read <= set(KEY_FIELDS)
