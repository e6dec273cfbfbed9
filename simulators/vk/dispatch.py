"""The ``/method/{name}`` pipeline, in VK's order of checks.

unknown method (3) -> ``v`` (8) -> token (5) -> rate limit (6) -> token type
(27 for a group token on a user-only method, 15 for a user token on a
group-only one) -> captcha answer (14) -> scripted faults -> required
parameters (100) -> the handler.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from . import methods as _methods  # noqa: F401  (registers the handlers)
from .errors import VkError, missing
from .faults import check_captcha, fault_error, over_rate_limit, take_fault
from .params import Params
from .registry import METHODS, Call
from .state import API_VERSION, CallRecord, State

log = logging.getLogger(__name__)
HTTP_TEXT = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass
class Outcome:
    """What the HTTP layer sends: a JSON body or a bare status, maybe late."""

    body: dict[str, Any] | None
    status: int = 200
    delay: float = 0.0
    held: bool = False  # performed; the answer waits for ``FakeVK.release_answers``


def _record(state: State, name: str, raw: dict[str, str], http_method: str) -> CallRecord:
    token_type = state.token_type(raw.get("access_token"))
    params = {k: v for k, v in raw.items() if k != "access_token"}
    with state.lock:
        record = CallRecord(
            len(state.calls) + 1, name, params, token_type, http_method, time.time()
        )
        state.calls.append(record)
    return record


def _preflight(
    state: State, name: str, raw: dict[str, str], token_type: str
) -> tuple[int, float, bool]:
    """All checks before the handler: (HTTP status to answer, delay of the answer, held)."""
    spec = METHODS.get(name)
    if spec is None:
        raise VkError(3)
    version = raw.get("v")
    if not version:
        raise VkError(8, "v is required")
    if version != API_VERSION:
        raise VkError(8, f"the fake implements only v={API_VERSION}, got v={version}")
    if token_type == "missing":
        raise VkError(5, "no access_token passed.")
    if token_type == "invalid":
        raise VkError(5)
    with state.lock:
        if over_rate_limit(state, raw["access_token"], token_type):
            raise VkError(6)
        if token_type not in spec.tokens:
            if token_type == "group":
                raise VkError(27)
            raise VkError(15, "this method is available only with group auth")
        check_captcha(state, name, raw.get("captcha_sid"), raw.get("captcha_key"))
        fault = take_fault(state, name)
        if fault is not None and fault.kind == "error":
            raise fault_error(state, name, fault)
    if fault is not None and fault.kind == "http":
        return fault.status, 0.0, fault.held
    for param in sorted(spec.required):
        if raw.get(param, "") == "":
            raise missing(param)
    held = fault is not None and fault.kind == "hold"
    return 200, fault.delay if fault is not None else 0.0, held


def _outcome_label(record: CallRecord, outcome: Outcome) -> str:
    if record.outcome == "crash":
        return "crash"
    if outcome.status != 200:
        return "http_error"
    if record.error_code is not None:
        return "error"
    return "timeout" if outcome.delay else "ok"


def dispatch(state: State, name: str, raw: dict[str, str], http_method: str) -> Outcome:
    """Run one API call; never raises."""
    record = _record(state, name, raw, http_method)
    try:
        status, delay, held = _preflight(state, name, raw, record.token_type)
        if status != 200:
            outcome = Outcome(None, status=status, held=held)
        else:
            spec = METHODS[name]
            response = spec.handler(Call(state, Params(raw, spec.params), record.token_type))
            outcome = Outcome({"response": response}, delay=delay, held=held)
    except VkError as error:
        outcome = Outcome(error.body(name, record.params))
        with state.lock:
            record.error_code = error.code
            state.errors_by_code[error.code] = state.errors_by_code.get(error.code, 0) + 1
    except Exception:
        log.exception("fake VK crashed in %s", name)
        outcome = Outcome(None, status=500)
        with state.lock:
            state.bump("crashes")
            record.outcome = "crash"
    with state.lock:
        record.http_status = outcome.status
        record.outcome = _outcome_label(record, outcome)
    return outcome
