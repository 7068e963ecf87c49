"""Stateful Salesforce REST API emulator: state in ``models``, wire format in ``routes*``.

Typical use::

    sandbox = SalesforceSandbox()
    seed_salesforce(sandbox, seed=1, leads=100)
    with serve_salesforce(sandbox) as server:
        sf = salesforce_client(server)  # from leadsync.sandbox.clients
"""

from __future__ import annotations

from leadsync.sandbox.runtime import RunningServer, serve
from leadsync.sandbox.salesforce.models import SalesforceSandbox
from leadsync.sandbox.salesforce.routes import create_app
from leadsync.sandbox.salesforce.seed import SeedResult, seed_salesforce
from leadsync.sandbox.salesforce.validation import SaveError

__all__ = [
    "SalesforceSandbox",
    "SaveError",
    "SeedResult",
    "create_app",
    "seed_salesforce",
    "serve_salesforce",
]


def serve_salesforce(
    sandbox: SalesforceSandbox, *, tls: bool = True, port: int = 0
) -> RunningServer:
    """Serve ``sandbox`` on loopback (HTTPS by default: simple-salesforce only speaks https).

    Args:
        sandbox: The org to serve.
        tls: Serve HTTPS with a throw-away CA (``RunningServer.ca_path``).
        port: Port to bind; 0 picks a free one.

    Returns:
        The running server; stop it with ``stop()`` or a ``with`` block.
    """
    return serve(create_app(sandbox), tls=tls, port=port)
