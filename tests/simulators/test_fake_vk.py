"""The fake VK API driven by the real ``vk_api`` library (sync tests, mostly)."""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import vk_api
from PIL import Image
from vk_api.bot_longpoll import VkBotEventType, VkBotLongPoll
from vk_api.exceptions import ApiError, ApiHttpError, Captcha

from simulators.vk import FakeVK
from simulators.vk.errors import ERROR_MESSAGES
from simulators.vk.params import Params, UndeclaredParamError
from simulators.vk.registry import METHODS

SPEC_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "vk"
VK_PREFIX = "https://api.vk.ru/"
REPO = Path(__file__).resolve().parents[2]
CITIZEN = 500001

MakeVk = Callable[..., vk_api.VkApi]


class RewritingSession(requests.Session):
    """What the product does: send ``https://api.vk.ru/...`` to the fake."""

    def __init__(self, api_base: str, timeout: float = 10.0) -> None:
        super().__init__()
        self.api_base = api_base
        self.timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if isinstance(url, str) and url.startswith(VK_PREFIX):
            url = self.api_base + url[len(VK_PREFIX) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def fake() -> Iterator[FakeVK]:
    """A running fake with rate limits off, so that tests of other rules may call freely
    (``vk_api`` is not paced here); the tests of the limits switch them on."""
    with FakeVK(limits=False) as server:  # limits off: tests of other rules call freely
        yield server
        assert server.stats()["crashes"] == 0, "the fake crashed; see the log"


@pytest.fixture
def make_vk(fake: FakeVK) -> Iterator[MakeVk]:
    """Factory of real ``VkApi`` clients pointed at the fake."""
    sessions: list[requests.Session] = []

    def make(token: str, *, rps_delay: float = 0.0, timeout: float = 10.0) -> vk_api.VkApi:
        session = RewritingSession(fake.api_base, timeout)
        sessions.append(session)
        vk = vk_api.VkApi(token=token, api_version="5.199", session=session)
        vk.RPS_DELAY = rps_delay
        return vk

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def group_vk(fake: FakeVK, make_vk: MakeVk) -> vk_api.VkApi:
    return make_vk(fake.group_token)


@pytest.fixture
def user_vk(fake: FakeVK, make_vk: MakeVk) -> vk_api.VkApi:
    return make_vk(fake.user_token)


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, fmt)
    return buffer.getvalue()


def raw_call(fake: FakeVK, method: str, **params: Any) -> dict[str, Any]:
    with requests.Session() as session:
        return session.post(f"{fake.base_url}/method/{method}", data=params, timeout=10).json()


def send(vk: vk_api.VkApi, peer_id: int = CITIZEN, **values: Any) -> int:
    values = {"peer_id": peer_id, "random_id": values.pop("random_id", 0), **values}
    return vk.method("messages.send", values)


def api_error(call: Callable[[], Any]) -> ApiError:
    with pytest.raises(ApiError) as info:
        call()
    return info.value


# -- auth, tokens, common errors -----------------------------------------------------------


def test_group_token_on_user_only_method_is_27(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    error = api_error(lambda: group_vk.method("wall.post", {"message": "x"}))
    assert error.code == 27
    assert error.error["error_msg"] == (
        "Group authorization failed: method is unavailable with group auth."
    )
    assert {"key": "method", "value": "wall.post"} in error.error["request_params"]
    assert fake.calls("wall.post")[0]["token_type"] == "group"
    assert fake.wall_posts() == []


def test_user_token_on_group_only_method_is_15(user_vk: vk_api.VkApi) -> None:
    error = api_error(lambda: user_vk.method("groups.getTokenPermissions"))
    assert error.code == 15
    assert error.error["error_msg"].startswith("Access denied")


def test_auth_version_and_unknown_method(fake: FakeVK, make_vk: MakeVk) -> None:
    assert api_error(lambda: make_vk("vk1.a.nope").method("users.get")).code == 5
    no_token = raw_call(fake, "users.get", v="5.199")["error"]
    assert no_token["error_code"] == 5
    assert no_token["error_msg"] == "User authorization failed: no access_token passed."
    no_v = raw_call(fake, "users.get", access_token=fake.user_token)["error"]
    assert (no_v["error_code"], no_v["error_msg"]) == (8, "Invalid request: v is required")
    old_v = raw_call(fake, "users.get", access_token=fake.user_token, v="5.92")["error"]
    assert old_v["error_code"] == 8
    unknown = api_error(lambda: make_vk(fake.group_token).method("wall.posts"))
    assert (unknown.code, unknown.error["error_msg"]) == (3, "Unknown method passed")
    assert [c["token_type"] for c in fake.calls("users.get")] == [
        "invalid",
        "missing",
        "user",
        "user",
    ]


def test_get_by_id_users_and_time(
    fake: FakeVK, user_vk: vk_api.VkApi, group_vk: vk_api.VkApi
) -> None:
    groups = user_vk.method(
        "groups.getById", {"group_id": fake.group_id, "fields": "is_admin,admin_level"}
    )
    assert groups["profiles"] == []
    assert groups["groups"][0] | {"is_admin": 1, "admin_level": 3} == groups["groups"][0]
    fake.set_user_admin(0)
    group = user_vk.method("groups.getById", {"group_id": fake.group_id, "fields": "is_admin"})
    assert group["groups"][0]["is_admin"] == 0
    assert "admin_level" not in group["groups"][0]
    assert group_vk.method("groups.getById")["groups"][0]["id"] == fake.group_id
    assert api_error(lambda: group_vk.method("groups.getById", {"group_id": 1})).code == 100

    fake.add_user(CITIZEN, "Мария", "Иванова")
    assert group_vk.method("users.get", {"user_ids": CITIZEN})[0]["first_name"] == "Мария"
    assert user_vk.method("users.get")[0]["id"] == fake.user_id
    assert user_vk.method("users.get", {"user_ids": 42})[0]["deactivated"] == "deleted"
    assert abs(group_vk.method("utils.getServerTime") - time.time()) < 5
    perms = group_vk.method("groups.getTokenPermissions")
    assert {p["name"] for p in perms["permissions"]} >= {"messages", "photos", "docs"}


# -- messages ------------------------------------------------------------------------------


def test_random_id_is_required(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.add_user(CITIZEN, "Мария", "Иванова")
    error = api_error(
        lambda: group_vk.method("messages.send", {"peer_id": CITIZEN, "message": "a"})
    )
    assert error.code == 100
    assert error.error["error_msg"] == (
        "One of the parameters specified was missing or invalid: random_id is missing"
    )
    assert fake.messages() == []


def test_random_id_dedupes_per_peer(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.add_user(CITIZEN, "Мария", "Иванова")
    fake.add_user(CITIZEN + 1, "Пётр", "Сидоров")
    first = send(group_vk, message="Здравствуйте", random_id=777)
    assert send(group_vk, message="Здравствуйте", random_id=777) == first
    assert send(group_vk, CITIZEN + 1, message="Здравствуйте", random_id=777) != first
    assert send(group_vk, message="x", random_id=0) != send(group_vk, message="x", random_id=0)
    sent = fake.messages(peer_id=CITIZEN)
    assert [m["random_id"] for m in sent] == [777, 0, 0]
    assert sent[0]["token_type"] == "group"
    assert sent[0]["from_id"] == -fake.group_id
    assert fake.stats()["deduplicated_messages"] == 1


def test_send_validation(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.add_user(CITIZEN, "Мария", "Иванова")
    assert api_error(lambda: send(group_vk, message="я" * 4097)).code == 914
    assert api_error(lambda: send(group_vk, message="")).code == 100
    assert api_error(lambda: send(group_vk, message="x", attachment="photo1_2")).code == 100
    for keyboard in (
        "{not json",
        json.dumps({"buttons": [[{"action": {"type": "text", "label": "д" * 41}}]]}),
        json.dumps({"buttons": [[{"action": {"type": "teleport", "label": "x"}}]]}),
        json.dumps({"buttons": [[{"action": {"type": "text", "label": "x", "payload": "{"}}]]}),
        json.dumps({"inline": True, "buttons": [[{"action": {"type": "text", "label": "x"}}]] * 7}),
    ):
        assert api_error(lambda k=keyboard: send(group_vk, message="x", keyboard=k)).code == 911
    keyboard = {
        "inline": True,
        "buttons": [
            [{"action": {"type": "callback", "label": "Да", "payload": '{"a":1}'}}],
            [{"action": {"type": "open_link", "label": "Сайт", "link": "https://example.org"}}],
        ],
    }
    send(group_vk, message="Ок?", keyboard=json.dumps(keyboard))
    assert fake.messages()[-1]["keyboard"] == keyboard


def test_blocked_and_unknown_users_get_901(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.add_user(CITIZEN, "Мария", "Иванова")
    fake.block_messages(CITIZEN)
    error = api_error(lambda: send(group_vk, message="x"))
    assert (error.code, error.error["error_msg"]) == (
        901,
        "Can't send messages for users without permission",
    )
    assert api_error(lambda: send(group_vk, 999, message="x")).code == 901
    fake.unblock_messages(CITIZEN)
    send(group_vk, message="x")
    assert len(fake.messages()) == 1


def test_edit_and_reply(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    incoming = fake.user_message(CITIZEN, "Вопрос")
    message_id = send(group_vk, message="Черновик", reply_to=incoming["id"])
    edit = {"peer_id": CITIZEN, "message_id": message_id, "message": "Ответ"}
    assert group_vk.method("messages.edit", edit) == 1
    [sent] = fake.messages(CITIZEN)
    assert (sent["message"], sent["edits"], sent["reply_to"]) == ("Ответ", 1, incoming["id"])
    assert sent["history"][0]["message"] == "Черновик"
    wrong = {"peer_id": CITIZEN, "message_id": 12345, "message": "x"}
    assert api_error(lambda: group_vk.method("messages.edit", wrong)).code == 100
    conversations = group_vk.method("messages.getConversationsById", {"peer_ids": CITIZEN})
    assert conversations["items"][0]["can_write"] == {"allowed": True}


# -- wall ------------------------------------------------------------------------------------


def test_guid_dedupes_posts(fake: FakeVK, user_vk: vk_api.VkApi) -> None:
    post = {"owner_id": -fake.group_id, "from_group": 1, "message": "Новость", "guid": "n-1"}
    first = user_vk.method("wall.post", post)
    assert user_vk.method("wall.post", post) == first
    second = user_vk.method("wall.post", post | {"guid": "n-2"})
    assert second["post_id"] != first["post_id"]
    assert [p["guid"] for p in fake.wall_posts()] == ["n-1", "n-2"]
    assert fake.stats()["deduplicated_posts"] == 1

    edit = {"owner_id": -fake.group_id, "post_id": first["post_id"], "message": "Правка"}
    assert user_vk.method("wall.edit", edit) == {"post_id": first["post_id"]}
    ref = {"owner_id": -fake.group_id, "post_id": second["post_id"]}
    assert user_vk.method("wall.delete", ref) == 1
    posts = {p["id"]: p for p in fake.wall_posts()}
    assert (posts[first["post_id"]]["message"], posts[first["post_id"]]["edits"]) == ("Правка", 1)
    assert posts[second["post_id"]]["deleted"]
    refs = f"-{fake.group_id}_{first['post_id']},-{fake.group_id}_{second['post_id']}"
    items = user_vk.method("wall.getById", {"posts": refs})["items"]
    assert [item["text"] for item in items] == ["Правка"]


def test_wall_post_rules(fake: FakeVK, user_vk: vk_api.VkApi) -> None:
    base = {"owner_id": -fake.group_id, "from_group": 1}
    assert api_error(lambda: user_vk.method("wall.post", base)).code == 100
    too_long = base | {"message": "ы" * 16385}
    assert api_error(lambda: user_vk.method("wall.post", too_long)).code == 100
    other_wall = base | {"owner_id": -1, "message": "x"}
    assert api_error(lambda: user_vk.method("wall.post", other_wall)).code == 214
    not_as_group = {"owner_id": -fake.group_id, "message": "x"}
    assert api_error(lambda: user_vk.method("wall.post", not_as_group)).code == 100
    fake.set_user_admin(1)
    assert api_error(lambda: user_vk.method("wall.post", base | {"message": "x"})).code == 214
    assert fake.wall_posts() == []


# -- uploads ---------------------------------------------------------------------------------


def test_photo_upload_chain_then_post(fake: FakeVK, user_vk: vk_api.VkApi) -> None:
    upload = vk_api.VkUpload(user_vk)
    try:
        photos = upload.photo_wall(io.BytesIO(image_bytes("JPEG")), group_id=fake.group_id)
        [photo] = photos
        assert photo["owner_id"] == -fake.group_id
        assert photo["sizes"][0]["width"] == 64
        downloaded = upload.http.get(photo["sizes"][-1]["url"], timeout=5)
        assert downloaded.content.startswith(b"\xff\xd8\xff")
    finally:
        upload.http.close()
    attachment = f"photo{photo['owner_id']}_{photo['id']}"
    post = {"owner_id": -fake.group_id, "from_group": 1, "attachments": attachment}
    post_id = user_vk.method("wall.post", post)["post_id"]
    [stored] = fake.wall_posts()
    assert (stored["id"], stored["attachments"]) == (post_id, [attachment])
    [item] = user_vk.method("wall.getById", {"posts": f"-{fake.group_id}_{post_id}"})["items"]
    assert item["attachments"][0]["photo"]["id"] == photo["id"]
    assert [u["kind"] for u in fake.uploads()] == ["photo_wall"]
    assert [c["method"] for c in fake.calls()] == [
        "photos.getWallUploadServer",
        "photos.saveWallPhoto",
        "wall.post",
        "wall.getById",
    ]


def test_non_image_upload_is_rejected_on_save(fake: FakeVK, user_vk: vk_api.VkApi) -> None:
    upload = vk_api.VkUpload(user_vk)
    try:
        doc = io.BytesIO(b"%PDF-1.4 definitely not an image")
        error = api_error(lambda: upload.photo_wall(doc, group_id=fake.group_id))
    finally:
        upload.http.close()
    assert error.code == 100
    assert error.error["error_msg"].endswith("photos_list is invalid")
    [record] = fake.uploads()
    assert record["response"]["photo"] == "[]"
    assert record["files"][0]["image"] is None


def test_save_rejects_a_forged_hash(fake: FakeVK, user_vk: vk_api.VkApi) -> None:
    server = user_vk.method("photos.getWallUploadServer", {"group_id": fake.group_id})
    with requests.Session() as http:
        files = {"photo": ("a.png", image_bytes())}
        receipt = http.post(server["upload_url"], files=files, timeout=5).json()
    save = {"group_id": fake.group_id} | receipt
    assert (
        api_error(lambda: user_vk.method("photos.saveWallPhoto", save | {"hash": "0"})).code == 121
    )
    assert user_vk.method("photos.saveWallPhoto", save)[0]["owner_id"] == -fake.group_id


def test_doc_and_message_photo_chains(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.user_message(CITIZEN, "Пришлите справку")
    upload = vk_api.VkUpload(group_vk)
    try:
        pdf = io.BytesIO(b"%PDF-1.4 report")
        pdf.name = "report.pdf"
        saved = upload.document_message(pdf, title="Справка.pdf", peer_id=CITIZEN)
        photo = upload.photo_messages(io.BytesIO(image_bytes()), peer_id=CITIZEN)[0]
    finally:
        upload.http.close()
    assert saved["type"] == "doc"
    doc = saved["doc"]
    assert (doc["owner_id"], doc["title"], doc["ext"]) == (-fake.group_id, "Справка.pdf", "pdf")
    assert fake.media(doc["url"]) == b"%PDF-1.4 report"
    attachment = f"doc{doc['owner_id']}_{doc['id']},photo{photo['owner_id']}_{photo['id']}"
    send(group_vk, message="Вот", attachment=attachment)
    assert fake.messages(CITIZEN)[0]["attachments"] == attachment.split(",")


def test_doc_wall_chain_with_user_token(fake: FakeVK, user_vk: vk_api.VkApi) -> None:
    upload = vk_api.VkUpload(user_vk)
    try:
        saved = upload.document_wall(
            io.BytesIO(b"plain text"), title="a.txt", group_id=fake.group_id
        )
    finally:
        upload.http.close()
    ref = f"doc{saved['doc']['owner_id']}_{saved['doc']['id']}"
    post = {"owner_id": -fake.group_id, "from_group": 1, "message": "Док", "attachments": ref}
    user_vk.method("wall.post", post)
    assert fake.wall_posts()[0]["attachments"] == [ref]


def test_extreme_aspect_ratio_is_refused_by_the_upload_server(
    fake: FakeVK, user_vk: vk_api.VkApi
) -> None:
    upload = vk_api.VkUpload(user_vk)
    try:
        strip = io.BytesIO(image_bytes(size=(2100, 10)))
        error = api_error(lambda: upload.photo_wall(strip, group_id=fake.group_id))
    finally:
        upload.http.close()
    assert error.error["error_msg"].endswith("photo is missing")
    assert fake.uploads()[0]["response"]["error"].startswith("ERR_UPLOAD_BAD_IMAGE_SIZE")


# -- bots long poll ----------------------------------------------------------------------------


def test_longpoll_delivers_message_new(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    longpoll = VkBotLongPoll(group_vk, fake.group_id, wait=2)
    try:
        fake.user_message(
            CITIZEN,
            "Яма на дороге",
            attachments=[("photo", image_bytes()), ("audio_message",), ("sticker",)],
            payload={"command": "report"},
        )
        [event] = longpoll.check()
        assert event.type == VkBotEventType.MESSAGE_NEW
        assert event.from_user
        assert event.group_id == fake.group_id
        assert event.message.text == "Яма на дороге"
        assert json.loads(event.message.payload) == {"command": "report"}
        types = [a["type"] for a in event.message.attachments]
        assert types == ["photo", "audio_message", "sticker"]
        assert event.client_info.keyboard is True
        assert event.raw["v"] == "5.199"
        assert event.raw["event_id"]
        photo_url = event.message.attachments[0]["photo"]["sizes"][-1]["url"]
        assert longpoll.session.get(photo_url, timeout=5).content.startswith(b"\x89PNG")
    finally:
        longpoll.session.close()
    assert fake.users()[CITIZEN]["first_name"] == "Иван"


def test_longpoll_holds_until_an_event(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    longpoll = VkBotLongPoll(group_vk, fake.group_id, wait=5)
    try:
        timer = threading.Timer(0.3, fake.user_message, args=(CITIZEN, "Позже"))
        started = time.monotonic()
        timer.start()
        events = longpoll.check()
        timer.join()
        assert 0.2 < time.monotonic() - started < 3
        assert [e.message.text for e in events] == ["Позже"]
        longpoll.wait = 0
        assert longpoll.check() == []
    finally:
        longpoll.session.close()


def test_longpoll_failures_recover(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    longpoll = VkBotLongPoll(group_vk, fake.group_id, wait=1)
    try:
        fake.force_longpoll_failure(2)
        assert longpoll.check() == []
        assert len(fake.calls("groups.getLongPollServer")) == 2
        fake.user_message(CITIZEN, "после ключа")
        assert [e.message.text for e in longpoll.check()] == ["после ключа"]

        fake.expire_longpoll_keys()
        fake.user_message(CITIZEN, "ключи истекли")
        assert longpoll.check() == []  # failed: 2, vk_api re-requests the key, keeps ts
        assert [e.message.text for e in longpoll.check()] == ["ключи истекли"]

        fake.force_longpoll_failure(1)
        assert longpoll.check() == []
        longpoll.ts = "999"
        assert longpoll.check() == []  # ts ahead: failed 1 with the current ts
        fake.user_message(CITIZEN, "снова")
        assert [e.message.text for e in longpoll.check()] == ["снова"]

        fake.force_longpoll_failure(3)
        assert longpoll.check() == []  # failed: 3, new key and ts
        assert len(fake.calls("groups.getLongPollServer")) == 4
    finally:
        longpoll.session.close()


def test_callback_button_round_trip(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.user_message(CITIZEN, "Меню")
    keyboard = {"inline": True, "buttons": [[{"action": {"type": "callback", "label": "Да"}}]]}
    send(group_vk, message="Подтвердите", keyboard=json.dumps(keyboard))
    longpoll = VkBotLongPoll(group_vk, fake.group_id, wait=1)
    try:
        event_id = fake.message_event(CITIZEN, {"answer": "yes"})
        [event] = longpoll.check()
    finally:
        longpoll.session.close()
    assert event.type == VkBotEventType.MESSAGE_EVENT
    assert event.object.payload == {"answer": "yes"}
    assert event.object.event_id == event_id
    answer = {
        "event_id": event_id,
        "user_id": CITIZEN,
        "peer_id": CITIZEN,
        "event_data": json.dumps({"type": "show_snackbar", "text": "Принято"}),
    }
    assert group_vk.method("messages.sendMessageEventAnswer", answer) == 1
    assert api_error(lambda: group_vk.method("messages.sendMessageEventAnswer", answer)).code == 100
    assert fake.event_answers()[0]["event_data"]["text"] == "Принято"


def test_optional_message_reply_events(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.user_message(CITIZEN, "Привет")
    longpoll = VkBotLongPoll(group_vk, fake.group_id, wait=0)
    try:
        send(group_vk, message="без события")
        fake.emit_message_reply = True
        send(group_vk, message="с событием")
        fake.push_event("message_allow", {"user_id": CITIZEN, "key": ""})
        events = longpoll.check()
    finally:
        longpoll.session.close()
    assert [e.type for e in events] == [VkBotEventType.MESSAGE_REPLY, VkBotEventType.MESSAGE_ALLOW]
    assert events[0].object.text == "с событием"  # message_reply carries the message itself


# -- faults ----------------------------------------------------------------------------------


def test_injected_flood_and_rps_errors(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.user_message(CITIZEN, "Привет")
    fake.fail("messages.send", 9)
    error = api_error(lambda: send(group_vk, message="x"))
    assert (error.code, error.error["error_msg"]) == (9, "Flood control")
    fake.fail("messages.send", 6)
    send(group_vk, message="vk_api retries error 6 by itself")
    del group_vk.error_handlers[6]
    fake.fail("messages.send", 6, times=2)
    assert api_error(lambda: send(group_vk, message="x")).code == 6
    assert api_error(lambda: send(group_vk, message="x")).code == 6
    send(group_vk, message="ok")
    assert [m["message"] for m in fake.messages()] == ["vk_api retries error 6 by itself", "ok"]
    assert fake.stats()["errors"] == {9: 1, 6: 3}


def test_captcha_is_solved_with_try_again(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.user_message(CITIZEN, "Привет")
    fake.fail("messages.send", 14)
    with pytest.raises(Captcha) as info:
        send(group_vk, message="С капчей", random_id=5)
    captcha = info.value
    assert captcha.get_url().startswith(f"{fake.base_url}/captcha/")
    assert captcha.get_image().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(Captcha) as again:
        captcha.try_again("wrong")
    retry = again.value
    assert retry.sid != captcha.sid
    message_id = retry.try_again(fake.captcha_answer(retry.sid))
    assert [m["id"] for m in fake.messages()] == [message_id]
    assert [c["error_code"] for c in fake.calls("messages.send")] == [14, 14, None]


def test_http_errors(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.user_message(CITIZEN, "Привет")
    fake.fail_http("messages.send", 500)
    fake.fail_http("*", 502)
    with pytest.raises(ApiHttpError) as info:
        send(group_vk, message="x")
    assert info.value.response.status_code == 500
    with pytest.raises(ApiHttpError) as info:
        group_vk.method("utils.getServerTime")
    assert info.value.response.status_code == 502
    assert fake.messages() == []
    send(group_vk, message="x")
    assert [c["http_status"] for c in fake.calls()] == [500, 502, 200]


def test_a_held_http_error_is_answered_once_released_and_makes_nothing(
    fake: FakeVK, make_vk: MakeVk
) -> None:
    """``fail_http(held=True)``: the call is out (logged, unanswered) until the test lets
    it go, then fails with the status; nothing was made."""
    vk = make_vk(fake.user_token, timeout=0.5)
    fake.fail_http("wall.post", 500, held=True)
    post = {"owner_id": -fake.group_id, "from_group": 1, "message": "Важно", "guid": "g-8"}
    with pytest.raises(requests.exceptions.ReadTimeout):
        vk.method("wall.post", post)  # still held when the client gives up
    assert len(fake.calls("wall.post")) == 1
    fake.release_answers()
    vk = make_vk(fake.user_token)
    assert vk.method("wall.post", post)["post_id"] == 1  # only this one made a post
    assert len(fake.wall_posts()) == 1


def test_timeout_after_accept(fake: FakeVK, make_vk: MakeVk) -> None:
    vk = make_vk(fake.user_token, timeout=0.5)
    fake.fail_timeout_after_accept("wall.post", delay=30)
    post = {"owner_id": -fake.group_id, "from_group": 1, "message": "Важно", "guid": "g-7"}
    with pytest.raises(requests.exceptions.ReadTimeout):
        vk.method("wall.post", post)
    [stored] = fake.wall_posts()
    assert fake.calls("wall.post")[0]["outcome"] == "timeout"
    assert vk.method("wall.post", post) == {"post_id": stored["id"]}  # guid makes retry safe
    assert len(fake.wall_posts()) == 1


def test_rate_limits(fake: FakeVK, make_vk: MakeVk) -> None:
    fake.limits = True
    user = make_vk(fake.user_token)
    del user.error_handlers[6]
    for _ in range(3):
        user.method("utils.getServerTime")
    error = api_error(lambda: user.method("utils.getServerTime"))
    assert (error.code, error.error["error_msg"]) == (6, "Too many requests per second")
    group = make_vk(fake.group_token)
    del group.error_handlers[6]
    for _ in range(20):
        group.method("utils.getServerTime")
    assert api_error(lambda: group.method("utils.getServerTime")).code == 6
    assert fake.stats()["rate_limited"] == 2

    patient = make_vk(fake.user_token)  # vk_api's own handler sleeps 0.5 s and retries
    patient.method("utils.getServerTime")
    limited = fake.stats()["rate_limited"]
    assert limited > 2
    time.sleep(1)  # the limit is per second of wall time: let this second's window pass
    paced = make_vk(fake.user_token, rps_delay=vk_api.VkApi.RPS_DELAY)
    for _ in range(4):  # vk_api's default pacing stays under 3 rps
        paced.method("utils.getServerTime")
    fake.limits = False
    for _ in range(10):
        user.method("utils.getServerTime")
    assert fake.stats()["rate_limited"] == limited
    assert fake.stats()["errors"][6] == limited


async def test_usable_from_async_tests(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.user_message(CITIZEN, "Привет")
    values = {"peer_id": CITIZEN, "random_id": 1, "message": "из потока"}
    await asyncio.to_thread(group_vk.method, "messages.send", values)
    sent = await fake.wait_for(lambda: fake.messages(peer_id=CITIZEN))
    assert sent[0]["message"] == "из потока"
    with pytest.raises(TimeoutError):
        await fake.wait_for(lambda: fake.wall_posts(), timeout=0.05)


def test_wait_for_sync_sees_other_threads(fake: FakeVK, group_vk: vk_api.VkApi) -> None:
    fake.add_user(CITIZEN, "Мария", "Иванова")
    threading.Timer(0.1, send, args=(group_vk,), kwargs={"message": "позже"}).start()
    assert fake.wait_for_sync(lambda: fake.messages(CITIZEN))[0]["message"] == "позже"
    with pytest.raises(TimeoutError):
        fake.wait_for_sync(lambda: fake.wall_posts(), timeout=0.05)


def test_cli_serves() -> None:
    command = [sys.executable, "-m", "simulators.vk", "--port", "0"]
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            info = json.loads(proc.stdout.readline())
            params = {"v": "5.199", "access_token": info["group_token"]}
            with requests.Session() as http:
                url = f"{info['base_url']}/method/utils.getServerTime"
                assert "response" in http.get(url, params=params, timeout=5).json()
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(10) == 0


# -- the fake against the VK schema ----------------------------------------------------------


def load_spec() -> dict[str, dict[str, Any]]:
    if not SPEC_DIR.is_dir():
        pytest.skip(f"VK schema not found at {SPEC_DIR}")
    spec: dict[str, dict[str, Any]] = {}
    for path in SPEC_DIR.glob("*/methods.json"):
        for method in json.loads(path.read_text(encoding="utf-8"))["methods"]:
            spec[method["name"]] = method
    return spec


def test_methods_agree_with_the_schema() -> None:
    spec = load_spec()
    for name, fake_method in METHODS.items():
        assert name in spec, f"{name} is not a VK method"
        method = spec[name]
        params = {p["name"] for p in method.get("parameters", [])}
        assert fake_method.params <= params, f"{name}: {fake_method.params - params} not in schema"
        tokens = set(method["access_token_type"]) & {"user", "group"}
        assert fake_method.tokens == tokens, f"{name}: tokens {fake_method.tokens} != {tokens}"
        required = {p["name"] for p in method.get("parameters", []) if p.get("required")}
        assert required <= fake_method.required, f"{name}: laxer than the schema"
    for name in ("wall.post", "wall.edit", "photos.getWallUploadServer", "photos.saveWallPhoto"):
        assert METHODS[name].tokens == {"user"}
    assert "random_id" in METHODS["messages.send"].required


def test_error_messages_agree_with_the_schema() -> None:
    load_spec()
    errors = json.loads((SPEC_DIR / "errors.json").read_text(encoding="utf-8"))["errors"]
    described = {error["code"]: error["description"] for error in errors.values()}
    for code, message in ERROR_MESSAGES.items():
        assert described.get(code) == message, code


def test_params_guard_rejects_undeclared_reads() -> None:
    params = Params({"message": "x", "v": "5.199"}, frozenset({"message"}))
    assert params.get("message") == "x"
    assert params.get("v") == "5.199"
    with pytest.raises(UndeclaredParamError):
        params.get("peer_id")


def test_group_fields_are_schema_fields(fake: FakeVK) -> None:
    load_spec()
    objects = json.loads((SPEC_DIR / "groups" / "objects.json").read_text(encoding="utf-8"))
    allowed = set(objects["definitions"]["groups_fields"]["enum"])
    fields = "is_admin,admin_level,is_member,can_message,can_post,members_count"
    answer = raw_call(
        fake,
        "groups.getById",
        v="5.199",
        access_token=fake.user_token,
        group_id=fake.group_id,
        fields=fields,
    )
    [group] = answer["response"]["groups"]
    assert set(fields.split(",")) <= set(group) <= allowed
