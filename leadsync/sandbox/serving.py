"""Serving ASGI apps on loopback for the sandboxes: uvicorn in a thread, optional throw-away TLS.

``serve`` wraps the app in an outermost layer that exposes ``scope["extensions"]
["leadsync.abort"]``: a callable that aborts the TCP connection under the request (uvicorn's
transport), which is how the fault middleware drops connections without an answer.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

ABORT_EXTENSION = "leadsync.abort"


class _QuietShutdown(logging.Filter):
    """Drops uvicorn's shutdown complaint about idle TLS keep-alive connections (harmless)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "graceful shutdown exceeded" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietShutdown())


async def abort_connection(scope: Scope, send: Send) -> None:
    """Close the client's connection without an answer (see the module docstring)."""
    abort = scope.get("extensions", {}).get(ABORT_EXTENSION)
    if abort is not None:
        abort()
        # Let uvicorn see the disconnect so it does not try to answer with a 500.
        for _ in range(3):
            await asyncio.sleep(0)
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"64")]}
    )
    await send({"type": "http.response.body", "body": b"{", "more_body": False})


class _AbortCapable:
    """Outermost layer: exposes an abort callable for uvicorn's transport in the scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None and scope["type"] == "http":
            extensions = dict(scope.get("extensions") or {})
            extensions[ABORT_EXTENSION] = transport.abort
            scope["extensions"] = extensions
        await self.app(scope, receive, send)


class RunningServer:
    """A server started by :func:`serve`; stop it with :meth:`stop` or a ``with`` block.

    Attributes:
        base_url: ``http(s)://127.0.0.1:PORT`` without a trailing slash.
        ca_path: Path of the PEM CA that signed the server certificate (TLS only).
    """

    def __init__(
        self,
        server: uvicorn.Server,
        thread: threading.Thread,
        base_url: str,
        ca_path: str | None,
        tmpdir: tempfile.TemporaryDirectory[str] | None,
    ) -> None:
        self._server = server
        self._thread = thread
        self._tmpdir = tmpdir
        self.base_url = base_url
        self.ca_path = ca_path

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self.base_url.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Stop the server, wait for its thread and remove the certificate files."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        if self._tmpdir is not None:
            self._tmpdir.cleanup()
            self._tmpdir = None

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"RunningServer(base_url={self.base_url!r})"


def _write_certs(host: str) -> tuple[tempfile.TemporaryDirectory[str], str, str, str]:
    """Make a throw-away CA and server certificate; return (dir, ca, cert, key) paths."""
    import trustme

    tmpdir = tempfile.TemporaryDirectory(prefix="leadsync-sandbox-")
    ca = trustme.CA()
    cert = ca.issue_cert(host, "localhost", "127.0.0.1")
    root = Path(tmpdir.name)
    ca.cert_pem.write_to_path(str(root / "ca.pem"))
    cert.private_key_pem.write_to_path(str(root / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(root / "cert.pem"), append=True)
    return tmpdir, str(root / "ca.pem"), str(root / "cert.pem"), str(root / "key.pem")


def _listener(host: str, port: int) -> socket.socket:
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose
    # listener says so, and without it every answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            return False
        time.sleep(0.01)
    return True


def serve(app: ASGIApp, *, tls: bool, host: str = "127.0.0.1", port: int = 0) -> RunningServer:
    """Run ``app`` with uvicorn in a daemon thread; return once it accepts connections.

    Args:
        app: Any ASGI application.
        tls: Serve HTTPS with a throw-away CA (its PEM path is ``RunningServer.ca_path``).
        host: Loopback address to bind.
        port: Port to bind; 0 picks a free one.

    Returns:
        The running server.

    Raises:
        RuntimeError: If the server did not start within 10 seconds.
    """
    sock = _listener(host, port)
    bound_port = sock.getsockname()[1]
    tmpdir = ca_path = certfile = keyfile = None
    if tls:
        tmpdir, ca_path, certfile, keyfile = _write_certs(host)
    config = uvicorn.Config(
        _AbortCapable(app),
        log_level="warning",
        access_log=False,
        lifespan="off",
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="leadsync-sandbox", daemon=True
    )
    thread.start()
    if not _wait_started(server, thread):
        if tmpdir is not None:
            tmpdir.cleanup()
        raise RuntimeError("sandbox server did not start")
    scheme = "https" if tls else "http"
    return RunningServer(server, thread, f"{scheme}://{host}:{bound_port}", ca_path, tmpdir)
