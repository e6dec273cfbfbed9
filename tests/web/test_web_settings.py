"""The web part's settings and its place in ``glashatai run``."""

from __future__ import annotations

import pytest

from bots.cli import main
from config import load_settings
from simulators.telegram import FakeTelegram
from tests.harness import ADMIN_CHAT, CHANNEL
from tests.web import conftest as web_conftest


def test_web_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLASHATAI_WEB__ENABLED", "true")
    monkeypatch.setenv("GLASHATAI_WEB__PORT", "9090")
    monkeypatch.setenv("GLASHATAI_WEB__PUBLIC_URL", "https://town.example/press/")
    monkeypatch.setenv("GLASHATAI_WEB__SECRET_KEY", "s3cret-key-for-sessions")
    web = load_settings().web
    assert (web.enabled, web.host, web.port) == (True, "127.0.0.1", 9090)
    assert web.public_url == "https://town.example/press"
    assert "s3cret-key-for-sessions" not in repr(web)
    assert "s3cret-key-for-sessions" in load_settings().secrets()


def test_web_is_off_by_default() -> None:
    assert load_settings().web.enabled is False


def test_run_refuses_the_web_part_without_a_secret_key(
    monkeypatch: pytest.MonkeyPatch, tg: FakeTelegram, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GLASHATAI_TELEGRAM__TOKEN", tg.token)
    monkeypatch.setenv("GLASHATAI_TELEGRAM__API_BASE", str(tg.base_url))
    monkeypatch.setenv("GLASHATAI_TELEGRAM__ADMIN_CHAT_ID", str(ADMIN_CHAT))
    monkeypatch.setenv("GLASHATAI_TELEGRAM__CHANNEL_ID", CHANNEL)
    monkeypatch.setenv("GLASHATAI_WEB__ENABLED", "true")
    monkeypatch.setenv("GLASHATAI_WEB__SECRET_KEY", "")
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "GLASHATAI_WEB__SECRET_KEY" in err[0]
    assert tg.token not in err[0]


def test_browser_tests_say_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_conftest, "CHROMIUM", "/nonexistent/chromium")
    reason = web_conftest.browser_missing()
    assert reason is not None
    assert "apt-get install chromium" in reason
    assert "/nonexistent/chromium" in reason
