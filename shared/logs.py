"""Logging set-up that keeps secrets out of every line, message and traceback."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

# A Telegram bot token: the bot id, a colon, 35 url-safe characters. aiogram puts it in
# request URLs, so a failed request can print it.
BOT_TOKEN_RE = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}")
# VK tokens (vk1.a.… and the old 85-hex form) and access_token=… in URLs or forms.
VK_TOKEN_RE = re.compile(r"\bvk1\.a\.[A-Za-z0-9_\-.]+|\b[0-9a-f]{85}\b")
ACCESS_TOKEN_RE = re.compile(r"(access_token=)[^&\s'\"]+")

MASK = "***"

_secrets: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    _secrets.update(v for v in values if len(v) >= 4)


def redact(text: str) -> str:
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = BOT_TOKEN_RE.sub(MASK, text)
    text = VK_TOKEN_RE.sub(MASK, text)
    return ACCESS_TOKEN_RE.sub(rf"\g<1>{MASK}", text)


def _scrub(record: logging.LogRecord) -> logging.LogRecord:
    """Format the record once and mask it, exception text included."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


_base_factory = logging.getLogRecordFactory()
_installed = False


def _factory(*args: object, **kwargs: object) -> logging.LogRecord:
    return _scrub(_base_factory(*args, **kwargs))


def install_record_scrubber() -> None:
    """Mask every log record at creation, whoever handles it later (pytest's caplog too)."""
    global _installed
    if not _installed:
        logging.setLogRecordFactory(_factory)
        _installed = True


class RedactingFormatter(logging.Formatter):
    """Masks the final text too, for anything a filter could not see (handlers' own output)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup_logging(level: str, secrets: Iterable[str] = ()) -> None:
    register_secrets(secrets)
    install_record_scrubber()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Their INFO lines (Alembic's "Context impl SQLiteImpl.", pymorphy3 loading its
    # dictionaries) mean nothing to the office.
    for name in ("aiogram.event", "apscheduler", "urllib3", "alembic", "pymorphy3"):
        logging.getLogger(name).setLevel(max(logging.getLevelName(level), logging.WARNING))
