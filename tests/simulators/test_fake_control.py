"""The fakes started by hand (``python -m simulators.…``) and driven over their control API."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulators.waiting import wait_sync

REPO = Path(__file__).resolve().parents[2]
ADMINS = -1001234567890
CITIZEN = 7001
VK_CITIZEN = 300001


def http(url: str, body: dict[str, Any] | None = None) -> Any:
    """GET, or POST ``body`` as JSON; the decoded JSON answer (an error's too)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return {"status": error.code, **json.loads(error.read())}


@pytest.fixture
def started() -> Iterator[Any]:
    """Start ``python -m <module> <args>``; yields its first output line."""
    procs: list[subprocess.Popen[str]] = []

    def start(module: str, *args: str) -> str:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, "--port", "0", *args],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        procs.append(proc)
        assert proc.stdout is not None
        return proc.stdout.readline().strip()

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_telegram_chat_with_a_negative_id_and_driving_by_hand(started: Any) -> None:
    base = started(
        "simulators.telegram",
        "--chat", f"{ADMINS}:supergroup:Admins",
        "--chat", "-1009876543210:channel",
        "--user", f"{CITIZEN}:Анна",
    )  # fmt: skip
    assert base.startswith("http://127.0.0.1:")
    api = f"{base}/bot123456:TEST-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

    chat = http(f"{api}/getChat", {"chat_id": ADMINS})
    assert chat["result"]["title"] == "Admins"
    update = http(f"{base}/control/message", {"user_id": CITIZEN, "text": "Здравствуйте"})
    assert update["message"]["text"] == "Здравствуйте"
    got = http(f"{api}/getUpdates", {"offset": 0})["result"]
    assert [u["message"]["text"] for u in got] == ["Здравствуйте"]

    keyboard = {"inline_keyboard": [[{"text": "Взять", "callback_data": "take:1"}]]}
    sent = http(
        f"{api}/sendMessage",
        {"chat_id": ADMINS, "text": "Вопрос №1", "reply_markup": keyboard},
    )["result"]
    listed = http(f"{base}/control/messages?chat_id={ADMINS}")
    assert [m["text"] for m in listed] == ["Вопрос №1"]
    pressed = http(
        f"{base}/control/callback",
        {
            "user_id": CITIZEN,
            "chat_id": ADMINS,
            "message_id": sent["message_id"],
            "button": "Взять",
        },
    )
    assert pressed["callback_query"]["data"] == "take:1"
    got = http(f"{api}/getUpdates", {"offset": update["update_id"] + 1})["result"]
    assert got[0]["callback_query"]["data"] == "take:1"

    missing = http(
        f"{base}/control/callback",
        {"user_id": CITIZEN, "chat_id": ADMINS, "message_id": sent["message_id"], "button": "Нет"},
    )
    assert missing["status"] == 400
    assert "Взять" in missing["error"]
    assert http(f"{base}/control/messages")["status"] == 400
    # Four Bot API calls so far (getChat, two getUpdates, sendMessage); control calls aren't.
    stats = http(f"{base}/control/stats")
    assert stats["requests"] == 4
    assert stats["too_many_requests"] == 0


def test_telegram_chat_option_with_equals_sign(started: Any) -> None:
    base = started("simulators.telegram", f"--chat={ADMINS}:supergroup:Пресс-служба")
    api = f"{base}/bot123456:TEST-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    assert http(f"{api}/getChat", {"chat_id": ADMINS})["result"]["title"] == "Пресс-служба"


def help_of(module: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=REPO, capture_output=True, text=True
    )
    assert done.returncode == 0
    return done.stdout


def test_help_documents_the_control_api() -> None:
    telegram, vk = help_of("simulators.telegram"), help_of("simulators.vk")
    assert "/control/messages?chat_id=" in telegram
    assert "/control/callback" in telegram
    assert "/control/stats" in telegram
    assert "--chat -1001234567890:supergroup:Admins" in " ".join(telegram.split())
    assert "/control/messages?peer_id=" in vk
    assert "/control/wall" in vk
    assert "/control/press" in vk


def test_vk_driving_by_hand(started: Any) -> None:
    info = json.loads(started("simulators.vk"))
    base, group_id = info["base_url"], info["group_id"]

    def method(name: str, token: str, **params: Any) -> Any:
        query = urllib.parse.urlencode({**params, "access_token": token, "v": "5.199"})
        return http(f"{base}/method/{name}?{query}")

    server = method("groups.getLongPollServer", info["group_token"], group_id=group_id)
    server = server["response"]

    def events(ts: str) -> dict[str, Any]:
        url = f"{server['server']}?act=a_check&key={server['key']}&ts={ts}&wait=0"
        return http(url)  # type: ignore[no-any-return]

    written = http(f"{base}/control/message", {"user_id": VK_CITIZEN, "text": "Начать"})
    assert written["text"] == "Начать"
    first = wait_sync(lambda: events(server["ts"])["updates"])
    assert first[0]["object"]["message"]["text"] == "Начать"

    keyboard = {
        "inline": True,
        "buttons": [[{"action": {"type": "callback", "label": "Согласен", "payload": "{}"}}]],
    }
    method(
        "messages.send",
        info["group_token"],
        peer_id=VK_CITIZEN,
        random_id=1,
        message="Согласны?",
        keyboard=json.dumps(keyboard, ensure_ascii=False),
    )
    listed = http(f"{base}/control/messages?peer_id={VK_CITIZEN}")
    assert [m["message"] for m in listed] == ["Согласны?"]
    pressed = http(f"{base}/control/press", {"user_id": VK_CITIZEN, "button": "Согласен"})
    assert pressed["event_id"]
    after = str(int(server["ts"]) + 1)
    event = wait_sync(lambda: events(after)["updates"])
    assert event[0]["type"] == "message_event"

    start = {"type": "text", "label": "Начать", "payload": '{"command": "start"}'}
    method(
        "messages.send",
        info["group_token"],
        peer_id=VK_CITIZEN,
        random_id=2,
        message="Меню",
        keyboard=json.dumps({"buttons": [[{"action": start}]]}, ensure_ascii=False),
    )
    typed = http(f"{base}/control/press", {"user_id": VK_CITIZEN, "button": "Начать"})
    assert (typed["text"], typed["payload"]) == ("Начать", '{"command": "start"}')

    method("wall.post", info["user_token"], owner_id=-group_id, from_group=1, message="Пресс-релиз")
    assert [p["message"] for p in http(f"{base}/control/wall")] == ["Пресс-релиз"]
    refused = http(f"{base}/control/press", {"user_id": 1, "button": "Согласен"})
    assert refused["status"] == 400
