"""Every public leadsync exception, grouped by what the caller should do next.

::

    LeadsyncError
    ├── ConfigError             settings are wrong: fix them, never retry
    ├── MappingError            a map is invalid or a value cannot be coerced
    │   └── FieldValueError     one record's field holds a value that cannot be used
    └── SyncError
        ├── RetryableError      back off and retry (timeouts, 5xx, lock contention)
        │   └── RateLimitError  the server said how long to wait
        ├── FatalError          stop the job; retrying will not help
        │   └── LeaseLostError  another worker holds the job now (fencing number moved on)
        ├── BudgetExhaustedError pause the job: the vendor's allocation is nearly spent
        └── RejectedRecordError skip this record, record why, keep going

Catch by recovery strategy, never by vendor. Vendor error codes travel on ``code``.
"""

from __future__ import annotations


class LeadsyncError(Exception):
    """Base of every leadsync exception.

    Args:
        message: Human-readable text; must never contain a secret.
        code: The vendor's error code (e.g. ``INVALID_SESSION_ID``), when there is one.
    """

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


class ConfigError(LeadsyncError):
    """Settings are wrong (including rejected credentials): fix them, never retry."""


class MappingError(LeadsyncError):
    """A mapping is invalid, or a value cannot be coerced to its target type."""


class FieldValueError(MappingError):
    """One record's field holds a value that cannot be used.

    Args:
        record: An identifier of the record (external id, line number, email...).
        field: The field's name (source or canonical).
        value: The offending value, already rendered safe for logs.
        expected: What was expected instead.
    """

    def __init__(self, record: str, field: str, value: object, expected: str) -> None:
        super().__init__(f"record {record}: field {field!r}: got {value!r}, expected {expected}")
        self.record = record
        self.field = field
        self.value = value
        self.expected = expected

    def __reduce__(self) -> tuple[type[FieldValueError], tuple[str, str, object, str]]:
        # Mapping results cross to the engine from a read-ahead process: pickle the arguments,
        # not the message (the default), which __init__ cannot take back.
        return (type(self), (self.record, self.field, self.value, self.expected))


class SyncError(LeadsyncError):
    """A failure while talking to a system or running a job."""


class RetryableError(SyncError):
    """Transient failure: back off and retry (timeouts, 5xx, lock contention)."""


class RateLimitError(RetryableError):
    """The server refused for rate reasons and may have said how long to wait.

    Args:
        retry_after: Seconds the server asked us to wait, if it said.
    """

    def __init__(
        self, message: str, *, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class FatalError(SyncError):
    """Stop the job; retrying will not help."""


class LeaseLostError(FatalError):
    """The job's lease was taken over: this worker must stop writing."""


class BudgetExhaustedError(SyncError):
    """The vendor's API allocation is nearly spent: pause the job, do not fail it."""


class RejectedRecordError(SyncError):
    """The target rejected one record: record why, skip it, keep going."""

    def __init__(
        self, message: str, *, code: str | None = None, fields: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, code=code)
        self.fields = fields
