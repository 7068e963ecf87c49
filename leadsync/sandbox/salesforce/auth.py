"""OAuth access and refresh tokens issued by the Salesforce sandbox (thread-safe)."""

from __future__ import annotations

import secrets
import threading


class TokenStore:
    """Maps access and refresh tokens to user ids."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._access: dict[str, str] = {}
        self._refresh: dict[str, str] = {}

    def issue(self, user_id: str) -> tuple[str, str]:
        """A new (access token, refresh token) pair for ``user_id``."""
        # Shaped like real ones: an org-id-like prefix, "!", then opaque text.
        access = "00D" + secrets.token_hex(4) + "!" + secrets.token_urlsafe(40)
        refresh = "5Aep" + secrets.token_urlsafe(40)
        with self._lock:
            self._access[access] = user_id
            self._refresh[refresh] = user_id
        return access, refresh

    def refresh(self, refresh: str) -> str | None:
        """A new access token for a known refresh token, else None."""
        with self._lock:
            user_id = self._refresh.get(refresh)
        return self.issue(user_id)[0] if user_id else None

    def user_for(self, access: str) -> str | None:
        """The user a valid access token belongs to, else None."""
        with self._lock:
            return self._access.get(access)

    def expire(self, access: str | None = None) -> None:
        """Invalidate one access token, or every one when None."""
        with self._lock:
            if access is None:
                self._access.clear()
            else:
                self._access.pop(access, None)

    def clear(self) -> None:
        """Forget every access and refresh token."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()
