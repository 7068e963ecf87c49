"""``worker``, ``serve`` and ``sandbox serve``: the long-running processes."""

from __future__ import annotations

import signal
import threading
import time
from typing import Annotated

import typer

from leadsync.commands.context import config_path, load, open_store
from leadsync.commands.output import Exit, state
from leadsync.store.engine import session_factory

sandbox_app = typer.Typer(help="The built-in CRM API emulators.", no_args_is_help=True)


def worker(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Worker name (default host:pid).")] = None,
    poll: Annotated[float, typer.Option(help="Seconds between scheduling passes.")] = 1.0,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit.")] = False,
) -> None:
    """Run scheduled jobs (once per cron tick across all workers) and pending webhook work.

    SIGTERM or Ctrl-C finishes the batch in hand, saves its checkpoint and exits.
    """
    from leadsync.server.consumer import InboxConsumer, default_worker_name
    from leadsync.server.metrics import Metrics
    from leadsync.sync.inbox import InboxDispatcher
    from leadsync.sync.wiring import Wiring
    from leadsync.sync.worker import Worker

    project = load(ctx)
    factory = session_factory(open_store(ctx, project))
    wiring = Wiring(project, base_dir=config_path(ctx).parent)
    me = Worker(wiring, factory, name or default_worker_name())
    dispatcher = InboxDispatcher.for_project(wiring, factory)
    if dispatcher.pipelines:
        consumer = InboxConsumer(factory, dispatcher, Metrics(), worker=me.name)
        me.extra_work.append(consumer.run_once)
    _stop_on_signals(me.stop)
    try:
        if once:
            me.tick()
            for work in me.extra_work:
                work()
        else:
            state(ctx).console.print(f"worker {me.name} running; SIGTERM to stop")
            me.run(poll)
    finally:
        wiring.close()


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface (default from server.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default from server.port).")] = None,
) -> None:
    """Serve the webhook receiver; accepted events run through the pipeline at once."""
    from pydantic import ValidationError

    from leadsync.server.app import run_server
    from leadsync.server.settings import ServerSettings
    from leadsync.sync.inbox import InboxDispatcher
    from leadsync.sync.wiring import Wiring

    out = state(ctx)
    project = load(ctx)
    try:
        settings = ServerSettings.model_validate(_resolved(project.server))
    except ValidationError as exc:
        raise out.fail(
            f"server section: {exc.error_count()} problem(s); run leadsync validate", Exit.USAGE
        ) from None
    engine = open_store(ctx, project)
    wiring = Wiring(project, base_dir=config_path(ctx).parent)
    processor = InboxDispatcher.for_project(wiring, session_factory(engine))
    run_server(settings, engine=engine, processor=processor, host=host, port=port)


def _resolved(section: dict[str, object]) -> dict[str, object]:
    from leadsync.config import resolve_secrets

    return resolve_secrets(section)


@sandbox_app.command("serve")
def sandbox_serve(
    ctx: typer.Context,
    seed: Annotated[str | None, typer.Option(help="'demo' seeds realistic data.")] = None,
    salesforce_port: int = 0,
    hubspot_port: int = 0,
) -> None:
    """Run the Salesforce (HTTPS) and HubSpot (HTTP) emulators until interrupted."""
    from leadsync.sandbox.hubspot import DEFAULT_TOKEN, HubSpotSandbox, create_app, seed_hubspot
    from leadsync.sandbox.runtime import serve as serve_app
    from leadsync.sandbox.salesforce import SalesforceSandbox, serve_salesforce
    from leadsync.sandbox.salesforce.seed import seed_salesforce

    out = state(ctx)
    salesforce, hubspot = SalesforceSandbox(), HubSpotSandbox()
    if seed == "demo":
        seed_salesforce(salesforce, seed=7, leads=300, contacts=100, accounts=40, users=6)
        seed_hubspot(hubspot, seed=7, contacts=200)
    with (
        serve_salesforce(salesforce, port=salesforce_port) as sf,
        serve_app(create_app(hubspot), tls=False, port=hubspot_port) as hs,
    ):
        info = {
            "salesforce": sf.base_url,
            "salesforce_ca_bundle": sf.ca_path,
            "hubspot": hs.base_url,
            "hubspot_token": DEFAULT_TOKEN,
        }
        if out.json_mode:
            out.emit(info)
        else:
            for key, value in info.items():
                typer.echo(f"{key}: {value}")
        stop = threading.Event()
        _stop_on_signals(stop)
        while not stop.is_set():
            time.sleep(0.2)


@sandbox_app.command("fault")
def sandbox_fault(
    ctx: typer.Context,
    base_url: Annotated[str, typer.Argument(help="A sandbox's base URL (from sandbox serve).")],
    kind: Annotated[
        str, typer.Option(help="rate_limit, unavailable, timeout, drop or session_expired.")
    ] = "rate_limit",
    count: Annotated[int, typer.Option("--next", help="Fail the next N calls.")] = 0,
    rate: Annotated[float, typer.Option(help="Fail this share of calls at random.")] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the random failures.")] = 0,
    retry_after: Annotated[float, typer.Option(help="Seconds a 429 asks to wait.")] = 1.0,
    ca_bundle: Annotated[str | None, typer.Option(help="CA bundle of an HTTPS sandbox.")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="Remove every fault.")] = False,
) -> None:
    """Inject faults into a running sandbox (its /__sandbox__/faults control endpoint)."""
    import requests

    out = state(ctx)
    body: dict[str, object] = {}
    if count:
        body["fail_next"] = {"n": count, "kind": kind, "retry_after": retry_after}
    if rate:
        body["random"] = {"rate": rate, "seed": seed, "kinds": [kind]}
    with requests.Session() as http:
        http.trust_env = False
        http.verify = ca_bundle or True
        url = f"{base_url.rstrip('/')}/__sandbox__/faults"
        answer = http.delete(url, timeout=10) if clear else http.post(url, json=body, timeout=10)
    if answer.status_code >= 400:
        raise out.fail(f"sandbox refused: {answer.status_code} {answer.text[:200]}", Exit.USAGE)
    out.console.print("faults cleared" if clear else f"faults set: {body}")
