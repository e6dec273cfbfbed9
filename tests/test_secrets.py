"""No secret in any captured log line or stored error, whatever goes wrong on the way."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from shared.domain import OutboxAction
from shared.logs import install_record_scrubber, register_secrets
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import message
from shared.richtext import from_plain
from shared.storage.engine import Database
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.harness import prepare_telegram, running_outbox, settings_for, settle


async def test_faults_leave_no_secret_in_logs_or_errors(
    sqlite_db: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeTelegram() as tg, FakeVK() as vk:
        prepare_telegram(tg)
        tg.add_user(31337, "Пётр")
        vk.add_user(31338, "Олег", "Сидоров")
        settings = settings_for(tmp_path, tg=tg, vk=vk)
        secrets = settings.secrets()
        assert len(secrets) == 3
        register_secrets(secrets)
        install_record_scrubber()
        tg.fail("sendMessage", "500", times=1)
        tg.fail("sendMessage", "timeout_after_accept", times=1, delay=5)
        vk.fail("messages.send", 5, times=1)
        vk.fail_http("wall.post", 502, times=1)
        with caplog.at_level(logging.DEBUG):
            async with running_outbox(sqlite_db, settings):
                async with sqlite_db.write() as conn:
                    ids = [
                        await store.enqueue(
                            conn,
                            OutboxMessage(
                                platform, OutboxAction.SEND, dest, message(from_plain("x"))
                            ),
                        )
                        for platform, dest in [
                            ("telegram", "31337"),
                            ("telegram", "31337"),
                            ("vk", "31338"),
                            ("vk", "wall"),
                        ]
                    ]
                items = await settle(sqlite_db, ids, timeout=30)
        stored = " ".join(f"{i.error} {i.result} {i.progress}" for i in items)
        for secret in secrets:
            assert secret not in caplog.text
            assert secret not in stored
        assert any(i.error for i in items)
        assert tg.internal_errors == []
        assert vk.stats()["crashes"] == 0
