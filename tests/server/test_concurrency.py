"""Through a real uvicorn server: 50 simultaneous duplicates, and HubSpot URL signing."""

from __future__ import annotations

import threading
from collections import Counter

import requests
from sqlalchemy import Engine
from webhook_support import LEAD, body_of, hubspot_headers, make_settings, std_headers

from leadsync.sandbox.runtime import serve
from leadsync.server import create_app
from leadsync.store import inbox
from leadsync.store.engine import session_factory


def test_concurrent_duplicates_store_one_row(engine: Engine) -> None:
    body = body_of(LEAD)
    headers = std_headers(body, msg_id="msg_storm")
    statuses: list[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(50)

    with serve(create_app(make_settings(), engine=engine), tls=False) as server:
        url = f"{server.base_url}/hooks/std"

        def deliver() -> None:
            with requests.Session() as session:
                barrier.wait()
                status = session.post(url, data=body, headers=headers, timeout=30).status_code
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=deliver) for _ in range(50)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)

    assert Counter(statuses) == {202: 1, 200: 49}
    assert inbox.counts(session_factory(engine)) == {"pending": 1}


def test_hubspot_uri_as_uvicorn_sees_it(engine: Engine) -> None:
    # HubSpot signs the URL it called, with some escapes decoded: the raw query must survive.
    body = body_of(LEAD)
    with serve(create_app(make_settings(), engine=engine), tls=False) as server:
        url = f"{server.base_url}/hooks/hubspot?portal=1&ref=a%3Ab%20c"
        signed_as = url.replace("%3A", ":")
        answer = requests.post(url, data=body, headers=hubspot_headers(body, signed_as), timeout=30)
        wrong = requests.post(url, data=body, headers=hubspot_headers(body, url + "x"), timeout=30)
    assert (answer.status_code, wrong.status_code) == (202, 401)
