"""Reading ahead in a process of its own: same results as in a thread, errors carried over."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sync_harness import Crms, fast_retry, project_for

from leadsync import jsoncodec
from leadsync.connectors.deps import ConnectorDeps
from leadsync.errors import ConfigError, FieldValueError, LeadsyncError
from leadsync.mapping.model import Lead
from leadsync.sandbox.clients import sandbox_session
from leadsync.sandbox.hubspot import seed_hubspot
from leadsync.sandbox.salesforce.seed import seed_salesforce
from leadsync.store.checkpoints import Watermark
from leadsync.store.engine import make_engine, session_factory
from leadsync.store.migrate import upgrade
from leadsync.store.models import AuditEntry, GoldenLead, Identity
from leadsync.sync import readahead, runner
from leadsync.sync.fold import Folded, fold
from leadsync.sync.readahead import ReadAhead, Spec, portable, read_ahead
from leadsync.sync.runner import run_job
from leadsync.sync.setup import object_policy
from leadsync.sync.wiring import Wiring


def _seed(crms: Crms) -> None:
    crms.salesforce.reset()
    crms.hubspot.reset()
    # No Salesforce leads: their seed stamps the time of day, which two runs cannot share.
    seed_salesforce(crms.salesforce, seed=5, leads=0, contacts=0, accounts=5, users=3)
    seed_hubspot(crms.hubspot, seed=5, contacts=230, owners=2)


def _contacts(crms: Crms) -> int:
    return len(list(crms.hubspot.state.store("contacts").live()))


def _job(read_ahead: str) -> dict[str, Any]:
    return {
        "jobs": [
            {"name": "hs-to-sf", "sources": [{"connector": "hubspot", "object": "contacts"}],
             "target": "salesforce", "object": "Lead", "batch_size": 50,
             "read_ahead": read_ahead}
        ]
    }  # fmt: skip


def _wiring(
    crms: Crms, db_url: str, read_ahead: str, environ: dict[str, str] | None = None
) -> Wiring:
    """The Salesforce target is handed in; HubSpot is built from the project (portable)."""
    project = project_for(crms, db_url, **_job(read_ahead))
    deps = {
        "salesforce": ConnectorDeps(
            requests_session=sandbox_session(crms.sf_server), retry=fast_retry()
        )
    }
    return Wiring(project, deps=deps, environ=environ)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[Spec]:
    """The specs the runner started read-ahead processes with."""
    started: list[Spec] = []

    def recording(spec: Spec) -> ReadAhead:
        started.append(spec)
        return read_ahead(spec)

    monkeypatch.setattr(runner, "read_ahead", recording)
    return started


def _outcome(crms: Crms, db_url: str, read_ahead: str) -> dict[str, Any]:
    """Sync the seeded CRMs on a fresh store at ``db_url``; return what a user could see."""
    _seed(crms)
    engine = make_engine(db_url)
    upgrade(engine)
    factory = session_factory(engine)
    wiring = _wiring(crms, db_url, read_ahead)
    try:
        report = run_job(wiring, factory, "hs-to-sf")
    finally:
        wiring.close()
    # Salesforce ids and stamps differ from run to run, golden ids from store to store (a
    # PostgreSQL sequence hands out blocks): records are named by the rank of their golden
    # lead, users by user name.
    with factory() as session:
        rows = list(session.scalars(select(GoldenLead).order_by(GoldenLead.id)))
        rank = {g.id: n for n, g in enumerate(rows)}
        goldens = [g.data for g in rows]
        identities = list(session.scalars(select(Identity)))
        names = {
            i.external_id: f"sf-g{rank[i.golden_id]}"
            for i in identities
            if i.system == "salesforce"
        }
        names.update({u["Id"]: u["Username"] for u in crms.salesforce.rows("User")})
        links = sorted(
            (i.system, names.get(i.external_id, i.external_id), rank[i.golden_id])
            for i in identities
        )
        audit = sorted(
            (a.kind, rank.get(a.golden_id or -1), names.get(a.record or "", a.record or ""),
             a.field or "", str(a.after), re.sub(r"g:\d+", "g:?", a.detail or ""))
            for a in session.scalars(select(AuditEntry))
        )  # fmt: skip
    engine.dispose()
    volatile = {"CreatedDate", "LastModifiedDate", "SystemModstamp"}
    leads = sorted(
        sorted((k, names.get(str(v), str(v))) for k, v in r.items() if k not in volatile)
        for r in crms.salesforce.rows("Lead")
    )
    return {
        "status": report.status,
        "stats": report.stats.as_dict(),
        "goldens": goldens,
        "links": links,
        "audit": audit,
        "leads": leads,
    }


def test_a_process_read_ahead_gives_what_a_thread_gives(
    crms: Crms, db_url: str, tmp_path: Path, spy: list[Spec]
) -> None:
    in_thread = _outcome(crms, f"sqlite:///{tmp_path / 'thread.db'}", "thread")
    assert spy == []
    in_process = _outcome(crms, db_url, "process")
    assert [s.connector for s in spy] == ["hubspot"]
    assert in_thread["stats"]["read"] == _contacts(crms)
    assert in_thread["stats"]["matched"] >= 5  # the seed's twins: matching ran
    assert in_thread["leads"]
    assert in_thread["audit"]
    assert in_process == in_thread


def _errors_in_both_modes(
    crms: Crms,
    db_url: str,
    tmp_path: Path,
    spoil: Callable[[Wiring], None],
    environ: dict[str, str] | None = None,
) -> list[tuple[type, str]]:
    """Run the job in a thread, then in a process, each spoilt alike; return what each raised."""
    _seed(crms)
    errors = []
    for url, mode in ((f"sqlite:///{tmp_path / 'thread.db'}", "thread"), (db_url, "process")):
        engine = make_engine(url)
        upgrade(engine)
        wiring = _wiring(crms, url, mode, environ=environ)
        spoil(wiring)
        with pytest.raises(LeadsyncError) as caught:
            run_job(wiring, session_factory(engine), "hs-to-sf")
        wiring.close()
        engine.dispose()
        errors.append((type(caught.value), str(caught.value)))
    return errors


def test_a_failed_read_raises_the_same_error_from_the_process(
    crms: Crms, db_url: str, tmp_path: Path, spy: list[Spec]
) -> None:
    wrong_token = {**os.environ, "TEST_HS_TOKEN": "not-the-token"}
    errors = _errors_in_both_modes(crms, db_url, tmp_path, lambda _w: None, environ=wrong_token)
    assert len(spy) == 1
    assert errors[1] == errors[0]


def test_a_connector_given_to_the_wiring_is_read_in_a_thread(
    crms: Crms, db_url: str, spy: list[Spec]
) -> None:
    _seed(crms)
    engine = make_engine(db_url)
    upgrade(engine)
    wiring = _wiring(crms, db_url, "process")
    wiring.deps = {**wiring.deps, "hubspot": ConnectorDeps(retry=fast_retry())}
    assert not portable(wiring, "hubspot")
    report = run_job(wiring, session_factory(engine), "hs-to-sf")
    wiring.close()
    engine.dispose()
    assert report.status == "succeeded"
    assert report.stats.read == _contacts(crms)
    assert spy == []


def _spec(crms: Crms, batch_size: int) -> Spec:
    project = project_for(crms, "sqlite://", **_job("process"))
    return Spec(
        project=project,
        base_dir=Path(),
        environ=dict(os.environ),
        connector="hubspot",
        object="contacts",
        mapping=None,
        start=Watermark(),
        batch_size=batch_size,
        region="US",
        policy=object_policy(project.policy, "Lead"),
    )


def _wait_until(done: Callable[[], bool], seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.05)
    return done()


def _closes_cleanly(reader: ReadAhead, children: set[Any]) -> None:
    """``reader.close()`` ends its child by closing the pipe: exit code 0, no kill."""
    assert len(children) == 1
    started = time.monotonic()
    reader.close()
    assert time.monotonic() - started < 5  # the kill comes only after 10 s
    assert [c.exitcode for c in children] == [0]


def test_closing_early_ends_the_process(crms: Crms) -> None:
    _seed(crms)
    before = set(multiprocessing.active_children())
    reader = read_ahead(_spec(crms, batch_size=20))
    first = next(reader)
    assert len(first.records) == 20
    assert [m is not None for m in first.mapped] == [not r.deleted for r in first.records]
    # 20 records taken of 230: the child is still reading, or waiting to send the next 20.
    _closes_cleanly(reader, set(multiprocessing.active_children()) - before)


def test_a_read_ahead_never_asked_for_a_batch_ends_on_close(crms: Crms) -> None:
    _seed(crms)
    before = set(multiprocessing.active_children())
    reader = read_ahead(_spec(crms, batch_size=20))
    time.sleep(0.5)  # the child is ready and waits to be asked
    _closes_cleanly(reader, set(multiprocessing.active_children()) - before)
    assert crms.hubspot.calls.snapshot() == {}  # it never read: nothing was asked for


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="no process priorities here")
def test_the_read_ahead_process_yields_the_cpu_to_the_engine(crms: Crms) -> None:
    _seed(crms)
    before = set(multiprocessing.active_children())
    reader = read_ahead(_spec(crms, batch_size=20))
    try:
        (child,) = set(multiprocessing.active_children()) - before
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        wanted = min(19, ours + readahead.READ_AHEAD_NICENESS)
        assert wanted > ours
        assert _wait_until(lambda: os.getpriority(os.PRIO_PROCESS, child.pid) == wanted)
        assert len(next(reader).records) == 20  # and it still reads
        assert os.getpriority(os.PRIO_PROCESS, 0) == ours  # the engine's own is untouched
    finally:
        reader.close()


def test_a_failure_before_the_first_batch_leaves_no_read_ahead_process(
    crms: Crms, db_url: str, monkeypatch: pytest.MonkeyPatch, spy: list[Spec]
) -> None:
    _seed(crms)

    def broken_refresh(*_args: Any) -> None:
        raise RuntimeError("the refresh broke")

    monkeypatch.setattr("leadsync.sync.refresh.refresh_all", broken_refresh)
    engine = make_engine(db_url)
    upgrade(engine)
    wiring = _wiring(crms, db_url, "process")
    before = set(multiprocessing.active_children())
    with pytest.raises(RuntimeError, match="the refresh broke"):
        run_job(wiring, session_factory(engine), "hs-to-sf")
    wiring.close()
    engine.dispose()
    assert len(spy) == 1  # the read-ahead had started before the refresh
    assert set(multiprocessing.active_children()) - before == set()


def test_a_lead_the_child_cannot_fold_is_left_to_the_engine(
    crms: Crms, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(crms)
    spec = _spec(crms, batch_size=100)
    wiring = Wiring(spec.project)
    records = list(wiring.source("hubspot").read("contacts"))[:3]
    mapping = wiring.mapping("hubspot", "contacts")
    wiring.close()

    def fold_failing_on_second(current: Any, lead: Any, **kwargs: Any) -> Any:
        if lead.email == second:
            raise ValueError("a policy hook failed")
        return fold(current, lead, **kwargs)

    second = mapping.to_canonical(
        records[1].fields, record="r", system="hubspot", observed_at=records[1].updated_at
    ).lead.email  # type: ignore[union-attr]
    monkeypatch.setattr(readahead, "fold", fold_failing_on_second)
    _rows, mapped, keys, drafts = readahead._pack(records, mapping, spec)
    assert [m is not None for m in mapped] == [True, True, True]
    assert [k is not None for k in keys] == [True, False, True]
    assert [d is not None for d in drafts] == [True, False, True]


def test_prepared_batches_hold_the_engine_s_own_results(crms: Crms) -> None:
    _seed(crms)
    spec = _spec(crms, batch_size=100)
    wiring = Wiring(spec.project)
    mapping = wiring.mapping("hubspot", "contacts")
    from leadsync.sync.matching.keys import build_key
    from leadsync.sync.matching.stored import block_hashes

    seen, with_errors = 0, 0
    for prepared in read_ahead(spec):
        for record, mapped, key, draft in zip(
            prepared.records, prepared.mapped, prepared.keys, prepared.drafts, strict=True
        ):
            here = mapping.to_canonical(
                record.fields,
                record=f"hubspot:contacts:{record.id}",
                system="hubspot",
                observed_at=record.updated_at,
            )
            assert mapped is not None
            assert (mapped.lead, mapped.action) == (here.lead, here.action)
            assert [(type(e), str(e)) for e in mapped.errors] == [
                (type(e), str(e)) for e in here.errors
            ]
            with_errors += bool(here.errors)
            assert here.lead is not None
            assert key is not None
            assert draft is not None
            assert key == (build_key(here.lead, "US"), block_hashes(build_key(here.lead, "US")))
            local = fold(
                None, here.lead, system="hubspot", observed_at=record.updated_at,
                policy=spec.policy,
            )  # fmt: skip
            # The data crossed as the JSON text a golden row stores: the same text.
            assert isinstance(draft.data, jsoncodec.Encoded)
            assert jsoncodec.dumps(draft.data) == jsoncodec.dumps(local.data)
            assert draft._replace(data=draft.data.value) == local
            # The lead crossed as what differs from the incoming lead: rebuilt whole.
            assert draft.lead.model_fields_set == local.lead.model_fields_set
            assert draft.lead.model_dump() == local.lead.model_dump()
            seen += 1
    wiring.close()
    assert seen == _contacts(crms)
    assert with_errors > 0  # field errors crossed the pipe too (the seed has messy phones)


def test_a_field_error_survives_pickling() -> None:
    error = FieldValueError("hubspot:contacts:7", "phone", "12", "a phone number")
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is FieldValueError
    assert (back.record, back.field, back.value, back.expected, str(back)) == (
        error.record,
        error.field,
        error.value,
        error.expected,
        str(error),
    )


_ENGINE = """
import multiprocessing, os, sys, time
from pathlib import Path
from leadsync.config.project import Project
from leadsync.store.checkpoints import Watermark
from leadsync.sync.policy import ObjectPolicy
from leadsync.sync.readahead import Spec, read_ahead

project = Project.model_validate({
    "connectors": {"hubspot": {"type": "hubspot", "settings": {
        "auth": {"kind": "private_app", "access_token": "${TEST_HS_TOKEN}"},
        "base_url": sys.argv[1]}}},
    "jobs": [{"name": "j", "sources": [{"connector": "hubspot", "object": "contacts"}],
              "target": "hubspot", "object": "contacts"}],
})
spec = Spec(project, Path(), dict(os.environ), "hubspot", "contacts", None, Watermark(), 10,
            "US", ObjectPolicy())
batches = read_ahead(spec)
next(batches)
print(multiprocessing.active_children()[0].pid, flush=True)
time.sleep(600)  # killed here, one batch taken, the child blocked on its next send
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return True
    return state == "Z"  # a zombie has exited; only its parent's reaping is left


def test_a_killed_engine_leaves_no_read_ahead_process(crms: Crms) -> None:
    _seed(crms)
    engine = subprocess.Popen(
        [sys.executable, "-c", _ENGINE, crms.hs_server.base_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert engine.stdout is not None
        child = int(engine.stdout.readline())
        time.sleep(0.5)
        assert not _gone(child)  # still there while the engine lives
    finally:
        engine.kill()  # SIGKILL: no cleanup runs in the engine
        engine.wait()
    assert _wait_until(lambda: _gone(child))


def test_a_connector_that_cannot_be_built_fails_alike_in_the_process(
    crms: Crms, db_url: str, tmp_path: Path, spy: list[Spec]
) -> None:
    """The child fails while getting ready, before the engine asks: the same error."""

    def bad_settings(wiring: Wiring) -> None:
        wiring.project.connectors["hubspot"].settings["rate_limit"] = "fast"

    errors = _errors_in_both_modes(crms, db_url, tmp_path, bad_settings)
    assert len(spy) == 1
    assert errors[1] == errors[0]
    assert "connector 'hubspot' settings" in errors[0][1]


def test_an_error_while_getting_ready_is_read_after_the_child_is_gone(crms: Crms) -> None:
    spec = _spec(crms, batch_size=20)
    spec.project.connectors["hubspot"].settings["rate_limit"] = "fast"
    before = set(multiprocessing.active_children())
    reader = read_ahead(spec)
    children = set(multiprocessing.active_children()) - before
    # The child fails building its connector, sends why and exits before anyone asks.
    assert _wait_until(lambda: not any(c.is_alive() for c in children))
    with pytest.raises(ConfigError, match="connector 'hubspot' settings"):
        next(reader)
    reader.close()


def test_a_folded_lead_crosses_as_its_changes_and_is_rebuilt_whole() -> None:
    incoming = Lead(email="ann@example.com", first_name="Ann", custom={"tier": "gold"})
    merged = incoming.model_copy(update={"title": "CTO", "company": "Acme"})
    draft = Folded(merged, True, [], [], {"email": "ann@example.com"}, "ann@example.com")
    packed = pickle.loads(pickle.dumps(readahead._pack_draft(incoming, draft)))
    assert packed[0] == {"title": "CTO", "company": "Acme"}  # not the whole lead
    back = readahead._unpack_draft(packed, incoming)
    assert back.lead == merged
    assert back.lead.model_fields_set == merged.model_fields_set
    assert back.lead.__dict__ is not incoming.__dict__  # a lead of its own
    assert jsoncodec.dumps(back.data) == '{"email":"ann@example.com"}'


def test_a_folded_lead_that_is_not_a_plain_lead_crosses_whole() -> None:
    class Special(Lead):
        pass

    incoming = Lead(email="ann@example.com")
    merged = Special(email="ann@example.com", first_name="Ann")
    packed = readahead._pack_draft(incoming, Folded(merged, True, [], [], None, None))
    assert packed[0] is merged
    assert packed[1] is None
    back = readahead._unpack_draft(packed, incoming)
    assert back.lead is merged
    assert back.data is None


_WHERE_IS_LEADSYNC = """
import os, sys

def where():
    import leadsync
    print("child", leadsync.__file__, flush=True)

if __name__ == "__main__":
    from leadsync.sync import readahead
    before = dict(os.environ)
    readahead.start_fork_server()  # as ReadAhead does before its child starts
    assert dict(os.environ) == before, "the fork server's environment leaked"
    child = readahead._CONTEXT.Process(target=where)
    child.start()
    child.join()
"""


def test_a_child_runs_this_leadsync_not_one_in_the_working_directory(tmp_path: Path) -> None:
    script, elsewhere = tmp_path / "script", tmp_path / "elsewhere"
    (elsewhere / "leadsync").mkdir(parents=True)
    (elsewhere / "leadsync" / "__init__.py").write_text("SHADOW = True\n")
    script.mkdir()
    (script / "main.py").write_text(_WHERE_IS_LEADSYNC)
    done = subprocess.run(
        [sys.executable, str(script / "main.py")],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    real = Path(readahead.__file__).resolve().parents[1] / "__init__.py"
    assert done.stdout.splitlines()[-1] == f"child {real}"
