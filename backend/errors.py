"""Domain exceptions. Services raise these; one handler (system/errors.py) turns them into
responses in the user's language. Messages are msgids, translated when rendered."""

from __future__ import annotations

from typing import Any

from backend import i18n
from backend.i18n import N_

BUSY = N_("Many people are saving at this moment. Nothing was lost: please try again in a few seconds.")

UNAVAILABLE = N_("Please try again in a moment.")


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class InvalidInput(DomainError):
    status_code = 422

    def __init__(
        self, message: str, field: str | None = None, fields: dict[str, str] | None = None, **params: Any
    ) -> None:
        super().__init__(message, **params)
        self.field = field
        self.fields = fields or {}  # field → msgid, when several are wrong at once


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class RateLimited(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int, **params: Any) -> None:
        super().__init__(message, minutes=max(1, -(-retry_after // 60)), **params)
        self.retry_after = retry_after


class DatabaseBusy(DomainError):
    """The database stayed locked longer than a writer may wait: nothing was written."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__(BUSY)
        self.retry_after = 5


def message_of(exc: DomainError, locale: str) -> str:
    """A domain error's message in the person's language, its parameters filled in."""
    params = {k: i18n.translate(locale, v) if isinstance(v, str) else v for k, v in exc.params.items()}
    return i18n.translate(locale, exc.message, **params)


class DatabaseUnavailable(DomainError):
    """The database server cannot be reached (a restart, a failover): nothing was written."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__(UNAVAILABLE)
        self.retry_after = 5
