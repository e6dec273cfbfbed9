"""How a platform's sender tells the dispatcher what happened. Raised, never returned."""

from __future__ import annotations

from typing import Any


class DeliveryError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryError):
    """The platform asked us to slow down (Telegram 429, VK 6/9): try again after a pause."""

    def __init__(self, reason: str, retry_after: float, scope: str | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.scope = scope


class TransientFailure(DeliveryError):
    """A failure that may pass (5xx, a refused connection): back off and retry."""


class PermanentFailure(DeliveryError):
    """The platform refused for good (400, 403, VK 15/27/901): do not retry."""

    def __init__(self, reason: str, *, unreachable: bool = False) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class OutcomeUnknown(DeliveryError):
    """The request may have been carried out (a timeout after it went out): never resend blindly."""


class HoldForAction(DeliveryError):
    """A person must act first (a VK captcha): park the row until they do."""

    def __init__(self, reason: str, kind: str, data: dict[str, Any]) -> None:
        super().__init__(reason)
        self.kind = kind
        self.data = data
