"""The VK half of the outbox: wall posts with the user token, messages with the community's.

Every VK send is idempotent on VK's side: a message carries a ``random_id`` and a wall
post a ``guid`` derived from the outbox row, so a retry after a timeout can't duplicate.

The same message to many people (an alert's notices) goes out as one ``messages.send``
per up to 100 of them (``peer_ids``); VK answers per recipient, and each row keeps its
own outcome. Its ``random_id`` is derived from the record and the payload, not the row,
so however a retry regroups the rows, VK drops what a recipient already has.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
from vk_api import VkUpload
from vk_api.exceptions import ApiError, ApiHttpError

from bots.vk import NAME
from bots.vk.client import UploadTooLarge, VkClient
from bots.vk.render import keyboard_json, plain_chunks, wall_text
from config.settings import OutboxSettings
from shared.delivered import KEY as DELIVERED
from shared.delivered import Delivered, RemoteMessage, Role, stored
from shared.domain import MediaKind, OutboxAction
from shared.outbox import store
from shared.outbox.dispatcher import Delivery, RowOutcome
from shared.outbox.model import OutboxItem
from shared.outbox.outcomes import (
    HoldForAction,
    PermanentFailure,
    RetryLater,
    TransientFailure,
)
from shared.outbox.payload import MessagePayload
from shared.outbox.ratelimit import Rate, RateKey
from shared.storage import media as media_repo
from shared.storage.engine import Database
from shared.storage.media import Media

WALL = "wall"
UNREACHABLE = {900, 901, 902}
TRANSIENT = {1, 10, 603}
PEER_IDS = 100  # recipients of one messages.send (``peer_ids``: maxItems in VK's schema)
# How long VK is trusted to drop a message repeating a ``random_id``: it checks the last
# hour, less a margin for the clocks and the time the call took.
RANDOM_ID_KEPT = 50 * 60


def delivered_before(remote: dict[str, Any]) -> Delivered:
    """What a wall post's publication stored, typed or (before that) ``post_id`` and codes."""
    found = Delivered.from_dict(remote)
    if found is not None:
        return found
    post = [RemoteMessage(str(remote["post_id"]), Role.POST)] if remote.get("post_id") else []
    return Delivered(tuple(post), refs={"attachments": list(remote.get("attachments", []))})


def random_id(item_id: int, step: int) -> int:
    """A per-row, per-message id that VK uses to drop a repeated send."""
    return (item_id * 64 + step) % 2_147_483_647 or 1


def shared_random_id(item: OutboxItem) -> int:
    """One ``random_id`` for every recipient of the same send of the same record."""
    key = json.dumps([item.ref_type, item.ref_id, item.payload], sort_keys=True)
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2_147_483_647 or 1


def recipient_outcome(peer: Mapping[str, Any]) -> RowOutcome:
    """One item of a ``peer_ids`` answer: the message's id, or that recipient's failure."""
    error = peer.get("error")
    if not error:
        return in_conversation(int(peer["peer_id"]), [int(peer["message_id"])])
    code = int(error.get("code", 0))
    reason = f"VK error {code}: {error.get('description', '')}"
    if code in UNREACHABLE:
        return PermanentFailure(reason, unreachable=True)
    if code in TRANSIENT:
        return TransientFailure(reason)
    return PermanentFailure(reason)


def in_conversation(peer_id: int, ids: Sequence[int]) -> Delivered:
    """Messages in a conversation: their ids as text, the conversation in the refs."""
    sent = tuple(RemoteMessage(str(i), Role.TEXT) for i in ids)
    return Delivered(sent, refs={"peer_id": peer_id})


def wall_post(group_id: int, post_id: int, attachments: Sequence[str]) -> Delivered:
    """A wall post: one remote object with its link; its attachment codes kept for edits."""
    return Delivered(
        (RemoteMessage(str(post_id), Role.POST),),
        url=f"https://vk.com/wall-{group_id}_{post_id}",
        refs={"attachments": list(attachments)},
    )


def guid(item_id: int) -> str:
    return f"glashatai-outbox-{item_id}"


def classify(exc: BaseException, flood_retry: float = 30.0) -> BaseException:
    """A vk_api or requests failure as an outbox outcome."""
    if isinstance(exc, UploadTooLarge):
        return PermanentFailure(str(exc))
    if isinstance(exc, ApiError):
        code = exc.code
        message = f"VK error {code}: {exc.error.get('error_msg', '')}"
        if code == 14:
            return HoldForAction(
                "VK asks for a captcha",
                "captcha",
                {
                    "sid": str(exc.error.get("captcha_sid", "")),
                    "img": str(exc.error.get("captcha_img", "")),
                },
            )
        if code == 6:
            return RetryLater(message, 1.0)
        if code == 9:
            return RetryLater(message, flood_retry)
        if code in UNREACHABLE:
            return PermanentFailure(message, unreachable=True)
        if code in TRANSIENT:
            return TransientFailure(message)
        return PermanentFailure(message)
    if isinstance(exc, ApiHttpError):
        return TransientFailure(f"VK HTTP {exc.response.status_code}")
    if isinstance(exc, requests.RequestException):
        # Safe to repeat: VK drops a repeated random_id or guid.
        return TransientFailure(f"VK unreachable: {type(exc).__name__}")
    return exc


class VkSender:
    platform = NAME

    def __init__(self, client: VkClient, db: Database, settings: OutboxSettings) -> None:
        self.client = client
        self.db = db
        self.flood_retry = settings.vk_flood_retry_seconds
        self.group_rate = RateKey(
            "vk:group",
            Rate.per_second(
                settings.vk_group_token_per_second, int(settings.vk_group_token_per_second)
            ),
        )
        self.user_rate = RateKey(
            "vk:user",
            Rate.per_second(
                settings.vk_user_token_per_second, int(settings.vk_user_token_per_second)
            ),
        )

    def idempotent(self, item: OutboxItem) -> bool:
        """A wall post's ``guid`` drops a repeat for good; a message's ``random_id`` only
        within an hour of the first send (VK's documentation): a message whose call went
        out longer ago than ``RANDOM_ID_KEPT`` is not resumed blindly."""
        if item.action is not OutboxAction.SEND or item.destination == WALL:
            return True
        out_for = store.inflight_for(item.progress, time.time())
        return out_for is None or out_for < RANDOM_ID_KEPT

    def batch_limit(self, item: OutboxItem) -> int:
        """A message of one part, replying to nothing, goes to up to 100 people at once."""
        if item.action is not OutboxAction.SEND or item.destination == WALL:
            return 1
        if item.ref_type is None or item.ref_id is None:
            return 1
        p = MessagePayload.from_dict(item.payload)
        if p.reply_to or len(plain_chunks(p.doc)) > 1:
            return 1
        return PEER_IDS

    async def deliver_batch(
        self, items: Sequence[OutboxItem], delivery: Delivery
    ) -> Mapping[int, RowOutcome]:
        """One ``messages.send`` to every row's peer; each row gets its recipient's answer."""
        first = items[0]
        p = MessagePayload.from_dict(first.payload)
        peers = {int(item.destination): item.id for item in items}
        media = await self._media(p.media)
        attachments = await self._attachments(media, delivery, peer_id=int(first.destination))
        values: dict[str, Any] = {
            "peer_ids": ",".join(str(peer) for peer in peers),
            "random_id": shared_random_id(first),
            "message": (plain_chunks(p.doc) or [""])[0],
            "dont_parse_links": 0 if p.preview else 1,
        }
        if attachments:
            values["attachment"] = ",".join(attachments)
        if p.buttons:
            values["keyboard"] = keyboard_json(p.buttons)

        def send(**captcha: Any) -> Any:
            return self.client.group.method("messages.send", {**values, **captcha})

        answer = await self._call(delivery, "text0", send, rate=self.group_rate)
        outcomes: dict[int, RowOutcome] = {}
        for peer in answer if isinstance(answer, list) else []:
            item_id = peers.get(int(peer.get("peer_id", 0)))
            if item_id is not None:
                outcomes[item_id] = recipient_outcome(peer)
        return outcomes

    async def deliver(self, item: OutboxItem, delivery: Delivery) -> Delivered:
        payload = MessagePayload.from_dict(item.payload)
        wall = item.destination == WALL
        if DELIVERED in payload.extra:  # a publication's edit or deletion: its own refs
            before = delivered_before(dict(stored(payload.extra)))
            if not before.ids(Role.POST):
                raise PermanentFailure("the publication names no wall post")
            payload = MessagePayload(
                doc=payload.doc,
                message_ids=tuple(int(i) for i in before.ids(Role.POST)),
                extra={"attachments": list(before.refs.get("attachments", [])), DELIVERED: {}},
            )
        if item.action is OutboxAction.SEND:
            if wall:
                return await self._wall_post(item, payload, delivery)
            return await self._message(item, payload, delivery)
        if item.action is OutboxAction.EDIT:
            if wall:
                return await self._wall_edit(item, payload, delivery)
            return await self._message_edit(item, payload, delivery)
        if item.action is OutboxAction.DELETE:
            return await self._delete(item, payload, delivery, wall)
        raise PermanentFailure(f"unsupported action {item.action}")

    async def _call(
        self,
        delivery: Delivery,
        name: str,
        func: Callable[..., Any],
        *args: Any,
        rate: RateKey,
        calls: int = 1,
    ) -> Any:
        """One step of ``calls`` API calls on one token, paced and journalled."""
        captcha = delivery.progress.get("captcha")

        async def run() -> Any:
            extra: dict[str, Any] = {}
            if captcha and captcha.get("step") == name and captcha.get("key"):
                extra = {"captcha_sid": captcha["sid"], "captcha_key": captcha["key"]}
            try:
                return await self.client.run(func, *args, **extra)
            except Exception as exc:
                outcome = classify(exc, self.flood_retry)
                if isinstance(outcome, HoldForAction):
                    outcome.data["step"] = name
                if isinstance(outcome, RetryLater) and outcome.scope is None:
                    outcome.scope = rate.name
                raise outcome from None

        result = await delivery.step(name, run, rates=[rate], cost=calls)
        if captcha and captcha.get("step") == name:
            delivery.progress.pop("captcha", None)
            delivery.progress.pop("hold", None)
        return result

    async def _media(self, ids: Sequence[int]) -> list[Media]:
        async with self.db.read() as conn:
            found = [await media_repo.get(conn, i) for i in ids]
        return [m for m in found if m is not None]

    def _user(self) -> Any:
        if self.client.user is None:
            raise PermanentFailure(
                "VK accepts wall posts only with a user token: set GLASHATAI_VK__USER_TOKEN"
            )
        return self.client.user

    @staticmethod
    def _file(item: Media) -> io.BytesIO:
        if item.data is None:
            raise PermanentFailure(f"media {item.id} has no data to upload to VK")
        stream = io.BytesIO(item.data)
        stream.name = item.filename
        return stream

    async def _attachments(
        self, items: Sequence[Media], delivery: Delivery, *, peer_id: int | None = None
    ) -> list[str]:
        """Upload media to the community wall (user token), or for a message to ``peer_id``."""
        wall = peer_id is None
        upload = VkUpload(self._user() if wall else self.client.group)
        rate = self.user_rate if wall else self.group_rate
        group_id = self.client.group_id
        out: list[str] = []
        for index, item in enumerate(items):

            def send(item: Media = item, **captcha: Any) -> str:
                file = self._file(item)
                if item.kind == MediaKind.PHOTO:
                    photos = (
                        upload.photo_wall([file], group_id=group_id)
                        if wall
                        else upload.photo_messages([file], peer_id=peer_id)
                    )
                    return f"photo{photos[0]['owner_id']}_{photos[0]['id']}"
                saved = (
                    upload.document_wall(file, title=item.filename, group_id=group_id)
                    if wall
                    else upload.document(file, title=item.filename, message_peer_id=peer_id)
                )
                return f"doc{saved['doc']['owner_id']}_{saved['doc']['id']}"

            # An upload is two API calls on the token: get the upload server, then save.
            out.append(await self._call(delivery, f"upload{index}", send, rate=rate, calls=2))
        return out

    async def _wall_post(
        self, item: OutboxItem, p: MessagePayload, delivery: Delivery
    ) -> Delivered:
        user = self._user()
        attachments = await self._attachments(await self._media(p.media), delivery)
        values: dict[str, Any] = {
            "owner_id": -self.client.group_id,
            "from_group": 1,
            "message": wall_text(p.doc),
            "guid": guid(item.id),
        }
        if attachments:
            values["attachments"] = ",".join(attachments)

        def post(**captcha: Any) -> int:
            return int(user.method("wall.post", {**values, **captcha})["post_id"])

        post_id = await self._call(delivery, "post", post, rate=self.user_rate)
        return wall_post(self.client.group_id, post_id, attachments)

    async def _wall_edit(
        self, item: OutboxItem, p: MessagePayload, delivery: Delivery
    ) -> Delivered:
        user = self._user()
        post_id = p.message_ids[0]
        values: dict[str, Any] = {
            "owner_id": -self.client.group_id,
            "post_id": post_id,
            "message": wall_text(p.doc),
        }
        if p.extra.get("attachments"):
            values["attachments"] = ",".join(p.extra["attachments"])

        def edit(**captcha: Any) -> int:
            user.method("wall.edit", {**values, **captcha})
            return post_id

        await self._call(delivery, "edit", edit, rate=self.user_rate)
        return wall_post(self.client.group_id, post_id, p.extra.get("attachments", []))

    async def _message(self, item: OutboxItem, p: MessagePayload, delivery: Delivery) -> Delivered:
        peer_id = int(item.destination)
        attachments = await self._attachments(await self._media(p.media), delivery, peer_id=peer_id)
        parts = plain_chunks(p.doc) or [""]
        ids: list[int] = []
        for index, text in enumerate(parts):
            last = index == len(parts) - 1
            values: dict[str, Any] = {
                "peer_id": peer_id,
                "random_id": random_id(item.id, index),
                "message": text,
                "dont_parse_links": 0 if p.preview else 1,
            }
            if last and attachments:
                values["attachment"] = ",".join(attachments)
            if last and p.buttons:
                values["keyboard"] = keyboard_json(p.buttons)
            if index == 0 and p.reply_to:
                values["reply_to"] = p.reply_to

            def send(values: dict[str, Any] = values, **captcha: Any) -> int:
                return int(self.client.group.method("messages.send", {**values, **captcha}))

            ids.append(await self._call(delivery, f"text{index}", send, rate=self.group_rate))
        return in_conversation(peer_id, ids)

    async def _message_edit(
        self, item: OutboxItem, p: MessagePayload, delivery: Delivery
    ) -> Delivered:
        peer_id = int(item.destination)
        values: dict[str, Any] = {
            "peer_id": peer_id,
            "message_id": p.message_ids[0],
            "message": (plain_chunks(p.doc) or [""])[0],
        }
        if p.buttons:
            values["keyboard"] = keyboard_json(p.buttons)

        def edit(**captcha: Any) -> Any:
            return self.client.group.method("messages.edit", {**values, **captcha})

        await self._call(delivery, "edit", edit, rate=self.group_rate)
        return in_conversation(peer_id, p.message_ids)

    async def _delete(
        self, item: OutboxItem, p: MessagePayload, delivery: Delivery, wall: bool
    ) -> Delivered:
        if wall:
            user = self._user()
            for index, post_id in enumerate(p.message_ids):

                def drop(post_id: int = post_id, **captcha: Any) -> int:
                    try:
                        user.method(
                            "wall.delete",
                            {"owner_id": -self.client.group_id, "post_id": post_id, **captcha},
                        )
                    except ApiError as exc:
                        if exc.code != 100:
                            raise
                    return post_id

                await self._call(delivery, f"delete{index}", drop, rate=self.user_rate)
        else:

            def drop_messages(**captcha: Any) -> Any:
                return self.client.group.method(
                    "messages.delete",
                    {
                        "peer_id": int(item.destination),
                        "message_ids": ",".join(str(i) for i in p.message_ids),
                        "delete_for_all": 1,
                        **captcha,
                    },
                )

            await self._call(delivery, "delete", drop_messages, rate=self.group_rate)
        return Delivered(refs={"deleted": list(p.message_ids)})
