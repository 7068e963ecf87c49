"""Outbound notifications: signed (Standard Webhooks), retried, allow-listed JSON events.

A target's host name is resolved before every attempt and each address it resolves to must
be public (not loopback, private, link-local, shared, reserved or multicast) unless it lies in
an explicitly allowed network; redirects are never followed, since they could lead anywhere.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from pydantic import SecretStr

from leadsync.connectors.http import error_for, error_for_transport
from leadsync.connectors.retry import RetryPolicy
from leadsync.errors import ConfigError, FatalError, RetryableError
from leadsync.server.settings import standard_key
from leadsync.server.signatures import sign_standard

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], list[str]]


def resolve_host(host: str, port: int) -> list[str]:
    """Return every address ``host`` resolves to (the system resolver).

    Raises:
        RetryableError: The name does not resolve right now.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise RetryableError("target host does not resolve", code="DNS") from None
    return sorted({str(info[4][0]).partition("%")[0] for info in infos})


def _restricted(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


@dataclass(frozen=True)
class Delivery:
    """A delivered notification: the receiver's status, the message id, attempts made."""

    status: int
    msg_id: str
    attempts: int


class OutboundSender:
    """Sends signed JSON events to webhook targets.

    Args:
        secret: The Standard Webhooks secret (``whsec_<base64>``) shared with receivers.
        allowed: Networks or addresses (``127.0.0.1``, ``10.0.0.0/8``) allowed although
            they are not public.
        retry: Retry policy for timeouts, resets, 408/425/429 and 5xx answers.
        session: HTTP session to use.
        timeout: Seconds per attempt.
        resolver: ``(host, port) -> addresses``; the system resolver by default.
        clock: Unix seconds, for ``webhook-timestamp``.
    """

    def __init__(
        self,
        secret: SecretStr,
        *,
        allowed: Sequence[str] = (),
        retry: RetryPolicy | None = None,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        resolver: Resolver = resolve_host,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = standard_key(secret.get_secret_value())
        self.allowed: tuple[IpNetwork, ...] = tuple(
            ipaddress.ip_network(a, strict=False) for a in allowed
        )
        self.retry = retry or RetryPolicy(max_attempts=5, base=0.5, cap=30.0)
        self.session = session or requests.Session()
        self.timeout = timeout
        self.resolver = resolver
        self.clock = clock

    def __repr__(self) -> str:
        return f"OutboundSender(allowed={[str(a) for a in self.allowed]!r})"

    def check_target(self, url: str) -> None:
        """Refuse a URL whose host resolves to any address that is not allowed.

        Raises:
            ConfigError: Bad URL or a forbidden address.
            RetryableError: The host does not resolve right now.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("webhook target must be an http(s) URL with a host")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        for text in self.resolver(parts.hostname, port):
            address = ipaddress.ip_address(text)
            if _restricted(address) and not any(address in net for net in self.allowed):
                raise ConfigError(
                    f"webhook target {parts.hostname} resolves to non-public address {address}"
                    " (allow it in server.allowed_targets if intended)",
                    code="TARGET_NOT_ALLOWED",
                )

    def send(
        self,
        url: str,
        event_type: str,
        data: Mapping[str, Any],
        *,
        msg_id: str | None = None,
    ) -> Delivery:
        """Deliver one event, retrying transient failures with the same ``webhook-id``.

        Returns:
            The successful delivery.

        Raises:
            ConfigError: The target is not allowed or refused our credentials.
            FatalError: The receiver refused the event for good (4xx, redirect).
            RetryableError: Still failing when the retry policy ran out.
        """
        msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
        payload = {"type": event_type, "timestamp": _iso(self.clock()), "data": dict(data)}
        body = json.dumps(payload, separators=(",", ":"), default=str).encode("utf-8")
        attempts = 0

        def attempt() -> int:
            nonlocal attempts
            attempts += 1
            return self._attempt(url, msg_id, body)

        status = self.retry.call(attempt)
        return Delivery(status=status, msg_id=msg_id, attempts=attempts)

    def _attempt(self, url: str, msg_id: str, body: bytes) -> int:
        self.check_target(url)
        # Each attempt is signed afresh: receivers refuse timestamps older than 5 minutes.
        timestamp = int(self.clock())
        headers = {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard(self._key, msg_id, timestamp, body),
        }
        try:
            answer = self.session.post(
                url, data=body, headers=headers, timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException as exc:
            mapped = error_for_transport(exc)
            if mapped is None:
                raise FatalError(f"transport failure: {type(exc).__name__}") from None
            raise mapped from None
        if 200 <= answer.status_code < 300:
            return answer.status_code
        if 300 <= answer.status_code < 400:
            raise FatalError(f"HTTP {answer.status_code}: redirects are not followed")
        raise error_for(answer.status_code, answer.reason or "", headers=answer.headers)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
