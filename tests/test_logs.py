"""Secrets never reach a log line, an exception text or a stored error."""

from __future__ import annotations

import logging

import pytest

from shared.logs import install_record_scrubber, redact, register_secrets

BOT_TOKEN = "987654321:AAF-secret_token_value_0123456789abcd"


def test_bot_token_shapes_are_masked_even_unregistered() -> None:
    url = f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage"
    assert BOT_TOKEN not in redact(url)
    assert "vk1.a.abc-DEF_123.x" not in redact("token vk1.a.abc-DEF_123.x here")
    assert "s3cr3t" not in redact("https://x/?access_token=s3cr3t&v=5.199")


def test_registered_secrets_are_masked() -> None:
    register_secrets(["plain-secret-value"])
    assert redact("oops plain-secret-value!") == "oops ***!"


def test_log_records_and_tracebacks_are_scrubbed(caplog: pytest.LogCaptureFixture) -> None:
    install_record_scrubber()
    logger = logging.getLogger("test.secrets")
    with caplog.at_level(logging.INFO):
        logger.info("calling %s", f"https://api.telegram.org/bot{BOT_TOKEN}/getMe")
        try:
            raise RuntimeError(f"request to /bot{BOT_TOKEN}/getMe failed")
        except RuntimeError:
            logger.exception("failed")
    assert caplog.records
    for record in caplog.records:
        assert BOT_TOKEN not in record.getMessage()
        assert BOT_TOKEN not in (record.exc_text or "")
    assert BOT_TOKEN not in caplog.text
