"""Scripted failures, captchas and per-token rate limits (lock held by callers)."""

from __future__ import annotations

import secrets
import string
import time
from collections import deque

from simulators.faults import take_fault as take_fault_of
from simulators.ratewindow import admit

from .errors import VkError
from .state import Captcha, Fault, State


def over_rate_limit(state: State, token: str, token_type: str) -> bool:
    """Sliding 1 s window per token; rejected calls do not count."""
    if not state.limits:
        return False
    limit = state.group_rps if token_type == "group" else state.user_rps
    if admit(state.windows.setdefault(token, deque()), time.monotonic(), limit):
        return False
    state.bump("rate_limited")
    return True


def new_captcha(state: State, method: str) -> VkError:
    """Issue a captcha; the error carries ``captcha_sid`` and ``captcha_img``."""
    sid = str(secrets.randbelow(10**12) + 10**11)
    answer = "".join(secrets.choice(string.ascii_lowercase) for _ in range(5))
    state.captchas[sid] = Captcha(sid, answer, method)
    return VkError(14, captcha_sid=sid, captcha_img=state.url(f"/captcha/{sid}.png"))


def check_captcha(state: State, method: str, sid: str | None, key: str | None) -> bool:
    """True when a correct answer was passed (consumes it); a wrong one raises 14."""
    if not sid:
        return False
    captcha = state.captchas.get(sid)
    if captcha is None or captcha.method != method or captcha.answer != (key or ""):
        state.captchas.pop(sid, None)
        raise new_captcha(state, method)
    del state.captchas[sid]
    return True


def take_fault(state: State, method: str) -> Fault | None:
    """The first scripted fault for ``method`` (or ``*``), consuming one use."""
    return take_fault_of(state.faults, lambda fault: fault.method in (method, "*"))


def fault_error(state: State, method: str, fault: Fault) -> VkError:
    """The API error a scripted ``error`` fault answers with."""
    if fault.code == 14:
        return new_captcha(state, method)
    return VkError(fault.code, **fault.extra)
