"""Secret references (``${VAR}``, ``env:NAME``, ``file:/path``) resolved only at run time.

The project file never holds a secret, only a reference to where it lives. A reference is
resolved when a connector is built, into a :class:`pydantic.SecretStr`, so the value never
reaches a log line, an exception message or ``repr``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from leadsync.errors import ConfigError

_BRACED = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_ENV = re.compile(r"^env:([A-Za-z_][A-Za-z0-9_]*)$")
_FILE = re.compile(r"^file:(.+)$")


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: an environment variable or a file."""

    kind: str  # "env" or "file"
    target: str

    @classmethod
    def parse(cls, text: str) -> SecretRef | None:
        """Return the reference ``text`` spells, or None when it is not a reference."""
        stripped = text.strip()
        for pattern, kind in ((_BRACED, "env"), (_ENV, "env"), (_FILE, "file")):
            found = pattern.match(stripped)
            if found:
                return cls(kind, found.group(1).strip())
        return None

    def __str__(self) -> str:
        return f"{self.kind}:{self.target}"

    def resolve(self, environ: Mapping[str, str] | None = None) -> SecretStr:
        """Read the secret.

        Raises:
            ConfigError: the variable is unset or the file unreadable (the message names the
                reference, never a value).
        """
        env = os.environ if environ is None else environ
        if self.kind == "env":
            if self.target not in env:
                raise ConfigError(f"secret reference {self}: environment variable is not set")
            return SecretStr(env[self.target])
        try:
            return SecretStr(Path(self.target).read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise ConfigError(
                f"secret reference {self}: cannot read file ({exc.strerror})"
            ) from None


def is_secret_ref(value: Any) -> bool:
    """True when ``value`` is a string spelling a secret reference."""
    return isinstance(value, str) and SecretRef.parse(value) is not None


def resolve_secrets(
    settings: Mapping[str, Any], environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Return a copy of ``settings`` with every secret reference replaced by its SecretStr.

    Nested mappings and lists are walked; other values are kept as they are.
    """
    return {key: _resolve_value(value, environ) for key, value in settings.items()}


def _resolve_value(value: Any, environ: Mapping[str, str] | None) -> Any:
    if isinstance(value, str):
        ref = SecretRef.parse(value)
        return ref.resolve(environ) if ref else value
    if isinstance(value, Mapping):
        return resolve_secrets(value, environ)
    if isinstance(value, list):
        return [_resolve_value(item, environ) for item in value]
    return value
