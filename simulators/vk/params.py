"""Typed access to request parameters, limited to the ones a method declares.

Reading a parameter the method did not declare is a bug in the fake (the
declared lists are cross-checked against the VK schema), so it raises.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import GLOBAL_PARAMS, invalid, missing

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


class UndeclaredParamError(AssertionError):
    """A handler read a parameter missing from its method's declaration."""


class Params:
    """Read-only view over the merged query/form parameters of one call."""

    def __init__(self, raw: Mapping[str, str], declared: frozenset[str]) -> None:
        self._raw = dict(raw)
        self._declared = declared

    def _check(self, name: str) -> None:
        if name not in self._declared and name not in GLOBAL_PARAMS:
            raise UndeclaredParamError(f"parameter {name!r} is not declared for this method")

    def has(self, name: str) -> bool:
        """Whether ``name`` was passed with a non-empty value."""
        self._check(name)
        return self._raw.get(name, "") != ""

    def get(self, name: str, default: str | None = None) -> str | None:
        """The raw value or ``default`` when absent or empty."""
        self._check(name)
        value = self._raw.get(name, "")
        return value if value != "" else default

    def require(self, name: str) -> str:
        """The raw value; error 100 ``<name> is missing`` when absent."""
        value = self.get(name)
        if value is None:
            raise missing(name)
        return value

    def integer(self, name: str, default: int | None = None) -> int | None:
        """An integer value; error 100 ``<name> not integer`` when malformed."""
        value = self.get(name)
        if value is None:
            return default
        try:
            return int(value)
        except ValueError:
            raise invalid(name, "not integer") from None

    def require_integer(self, name: str) -> int:
        """A required integer parameter."""
        self.require(name)
        value = self.integer(name)
        assert value is not None
        return value

    def flag(self, name: str) -> bool:
        """A VK boolean (``1``/``0``, also ``true``/``false``)."""
        value = (self.get(name) or "0").lower()
        if value in ("1", "true"):
            return True
        if value in ("0", "false"):
            return False
        raise invalid(name, "should be 0 or 1")

    def items(self, name: str) -> list[str]:
        """A comma-separated list (empty when absent)."""
        value = self.get(name)
        return [part.strip() for part in value.split(",") if part.strip()] if value else []
