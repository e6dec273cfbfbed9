"""The MAX half of the outbox: the office channel's posts and messages to citizens.

MAX has no idempotency key, so every API call is one journalled step (as on Telegram): a
call that may have reached MAX and got no answer leaves the row ``unknown``, never sent
twice. A post goes out as its text's chunks, the first one carrying the photos and
documents; its send row's id names the post, and an edit or a deletion finds the
messages the post shows now in the outbox's record of the post's last accepted call.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from bots.max import NAME
from bots.max.client import MaxFailure, MaxHttp
from bots.max.render import chunks
from config.settings import OutboxSettings
from shared.delivered import Delivered, RemoteMessage, Role, stored
from shared.domain import MediaKind, OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.dispatcher import Delivery
from shared.outbox.model import OutboxItem
from shared.outbox.outcomes import (
    OutcomeUnknown,
    PermanentFailure,
    RetryLater,
    TransientFailure,
)
from shared.outbox.payload import Button, MessagePayload
from shared.outbox.ratelimit import Rate, RateKey
from shared.storage import media as media_repo
from shared.storage.engine import Database
from shared.storage.media import Media

log = logging.getLogger(__name__)

# The destination of the office channel's posts (``shared/posts``' name for "the wall").
CHANNEL = "wall"
NOT_READY = "attachment.not.ready"
NOT_READY_ATTEMPTS = 10  # sends of one message while MAX still processes its uploads
NOT_READY_DELAY = 1.0  # seconds between them
RETRY_AFTER = 1.0  # MAX's 429 names no pause: its window is one second
# Outcomes whose result names what the post shows: sent, or given up part-way (the result
# then lists the messages made before the failure; nothing, if none was).
SHOWING = frozenset({OutboxState.SENT, OutboxState.FAILED, OutboxState.CANCELLED})


def is_channel(destination: str) -> bool:
    return destination == CHANNEL


def keyboard(rows: Sequence[Sequence[Button]]) -> dict[str, Any] | None:
    """An inline keyboard: callback buttons carry our server-side token, nothing else."""
    if not rows:
        return None
    buttons = [
        [
            {"type": "link", "text": b.label, "url": b.url}
            if b.url
            else {"type": "callback", "text": b.label, "payload": b.token or ""}
            for b in row
        ]
        for row in rows
    ]
    return {"type": "inline_keyboard", "payload": {"buttons": buttons}}


def outcome(exc: BaseException, citizen: bool, scope: str) -> BaseException:
    """A failed call in the outbox's vocabulary."""
    if isinstance(exc, MaxFailure):
        if exc.status == 429:
            return RetryLater(str(exc), RETRY_AFTER, scope=scope)
        if exc.status == 403 and citizen:
            return PermanentFailure(str(exc), unreachable=True)
        if exc.status >= 500:
            return TransientFailure(str(exc))
        return PermanentFailure(str(exc))
    if isinstance(exc, aiohttp.ClientConnectorError):
        return TransientFailure(f"MAX unreachable: {type(exc).__name__}")
    if isinstance(exc, aiohttp.ClientError | TimeoutError):
        return OutcomeUnknown(f"no answer from MAX after sending: {type(exc).__name__}")
    return exc


class MaxSender:
    platform = NAME

    def __init__(
        self, http: MaxHttp, db: Database, settings: OutboxSettings, channel_id: int | None
    ) -> None:
        self.http = http
        self.db = db
        self.channel_id = channel_id
        per_second = settings.max_per_second
        self.rate = RateKey("max:bot", Rate.per_second(per_second, max(1, int(per_second))))
        self.not_ready_delay = NOT_READY_DELAY

    def idempotent(self, item: OutboxItem) -> bool:
        return item.action is OutboxAction.DELETE

    async def deliver(self, item: OutboxItem, delivery: Delivery) -> Delivered:
        payload = MessagePayload.from_dict(item.payload)
        if item.action is OutboxAction.SEND:
            return await self._send(item, payload, delivery)
        if item.action is OutboxAction.EDIT:
            return await self._edit(item, payload, delivery)
        if item.action is OutboxAction.DELETE:
            return await self._delete(item, payload, delivery)
        raise PermanentFailure(f"unsupported action {item.action}")

    # -- calls ---------------------------------------------------------------------------

    async def _call(
        self,
        delivery: Delivery,
        name: str,
        item: OutboxItem,
        call: Callable[[], Awaitable[Any]],
        *,
        repeatable: bool = False,
    ) -> Any:
        """One journalled call; ``repeatable`` for an upload, which nobody sees: one that
        got no answer is made again, never left ``unknown``."""
        citizen = not is_channel(item.destination)

        async def run() -> Any:
            try:
                return await call()
            except Exception as exc:
                raise outcome(exc, citizen, self.rate.name) from None

        return await delivery.step(name, run, rates=[self.rate], repeatable=repeatable)

    def _where(self, item: OutboxItem) -> dict[str, Any]:
        if is_channel(item.destination):
            if self.channel_id is None:
                raise PermanentFailure("GLASHATAI_MAX__CHANNEL_ID is not set")
            return {"chat_id": self.channel_id}
        return {"user_id": int(item.destination)}

    async def _post_message(
        self, delivery: Delivery, query: dict[str, Any], body: dict[str, Any]
    ) -> dict[str, Any]:
        """``POST /messages``, sent again (paced) while MAX still processes the uploads."""
        for attempt in range(NOT_READY_ATTEMPTS):
            try:
                answer = await self.http.call("POST", "/messages", query=query, body=body)
                return dict(answer["message"])
            except MaxFailure as exc:
                if exc.code != NOT_READY or attempt == NOT_READY_ATTEMPTS - 1:
                    raise
            await asyncio.sleep(self.not_ready_delay)
            # Paced in the row's lane like its first try: a broadcast's retries yield to
            # an answer to a citizen waiting for the same limit.
            await delivery.dispatcher.limiter.acquire([self.rate], 1, delivery.lane)
        raise TransientFailure("MAX kept the attachments not ready")  # not reached

    async def _media(self, ids: Sequence[int]) -> list[Media]:
        async with self.db.read() as conn:
            found = [await media_repo.get(conn, i) for i in ids]
        return [m for m in found if m is not None]

    async def _attachments(
        self, item: OutboxItem, p: MessagePayload, delivery: Delivery
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for index, media in enumerate(await self._media(p.media)):
            kind = "image" if media.kind == MediaKind.PHOTO else "file"
            if media.data is None:
                raise PermanentFailure(f"media {media.id} has no data to upload to MAX")

            async def upload(media: Media = media, kind: str = kind) -> str:
                return await self.http.upload(kind, media.data or b"", media.filename)

            token = await self._call(delivery, f"upload{index}", item, upload, repeatable=True)
            out.append({"type": kind, "payload": {"token": token}})
        return out

    # -- send, edit, delete --------------------------------------------------------------

    async def _send(self, item: OutboxItem, p: MessagePayload, delivery: Delivery) -> Delivered:
        where = self._where(item)
        attachments = await self._attachments(item, p, delivery)
        parts = chunks(p.doc) if not p.doc.is_empty() else []
        if not parts and not attachments:
            raise PermanentFailure("nothing to send: no text and no attachments")
        parts = parts or [""]
        markup = keyboard(p.buttons)
        mids: list[str] = []
        url: str | None = None
        for index, html in enumerate(parts):
            extra = list(attachments) if index == 0 else []
            if markup is not None and index == len(parts) - 1:
                extra.append(markup)
            body: dict[str, Any] = {"text": html or None, "attachments": extra, "link": None}
            if html:
                body["format"] = "html"
            query = {**where, "disable_link_preview": "false" if p.preview else "true"}

            async def send(body: dict[str, Any] = body, query: dict[str, Any] = query) -> Any:
                message = await self._post_message(delivery, query, body)
                return {"mid": message["body"]["mid"], "url": message.get("url")}

            sent = await self._call(delivery, f"text{index}", item, send)
            mids.append(str(sent["mid"]))
            url = url or sent.get("url")
            # Kept if a later part fails: a new try skips these, a deletion finds them.
            delivery.made(self._delivered(item, mids, attachments, bool(parts[0]), url))
        return self._delivered(item, mids, attachments, bool(parts[0]), url)

    @staticmethod
    def _delivered(
        item: OutboxItem,
        mids: Sequence[str],
        attachments: list[dict[str, Any]],
        text: bool,
        url: str | None = None,
    ) -> Delivered:
        """The messages, the first carrying the attachments; a channel post keeps those for
        its edits (MAX reads an edit's attachments as the message's whole set)."""
        first = Role.TEXT if not attachments else Role.CAPTION if text else Role.MEDIA
        roles = [first] + [Role.TEXT] * (len(mids) - 1)
        messages = tuple(RemoteMessage(m, r) for m, r in zip(mids, roles, strict=True))
        if is_channel(item.destination):
            return Delivered(messages, url=url, refs={"attachments": attachments})
        return Delivered(messages, refs={"user_id": int(item.destination)})

    async def _shown(self, item: OutboxItem, p: MessagePayload) -> list[str]:
        """The messages a post shows now: the result of its last accepted call.

        Read when the call goes out, not taken from the payload alone: an edit queued
        while the previous one was still out names the messages the post showed then.
        """
        if not is_channel(item.destination):
            return [str(i) for i in p.message_ids]
        latest = await self._latest(item)
        if latest is not None:
            return latest
        before = Delivered.from_dict(stored(p.extra))
        if before is not None and before.ids():
            return before.ids()
        # Nothing names the post's messages (a send confirmed by a moderator): an edit
        # would post a second copy, a deletion would delete nothing.
        raise PermanentFailure("the MAX post to change was never accepted")

    async def _latest(self, item: OutboxItem) -> list[str] | None:
        """The messages of the publication's last send or edit MAX accepted, from the
        outbox's record (a row of an older version lists them under ``mids``).

        A send or an edit that failed part-way counts too: its result names what the post
        shows after the parts it made (a new try skips them, a deletion takes them down).
        """
        if item.ref_type is None or item.ref_id is None:
            return None
        async with self.db.read() as conn:
            rows = await store.by_ref(conn, item.ref_type, item.ref_id)
        for row in sorted(rows, key=lambda r: r.id, reverse=True):
            if (
                row.platform != NAME
                or row.id == item.id
                or row.state not in SHOWING
                or row.action is OutboxAction.DELETE
            ):
                continue
            made = Delivered.from_dict(row.result)
            mids = made.ids() if made is not None else []
            mids = mids or [str(m) for m in (row.result or {}).get("mids", [])]
            if mids:
                return mids
        return None

    async def _edit(self, item: OutboxItem, p: MessagePayload, delivery: Delivery) -> Delivered:
        """Edit in place; a longer text gets more messages, a shorter one loses the extra.

        The first message gets its photos and documents again: MAX reads an edit's
        attachments as the message's whole set.
        """
        old = await self._shown(item, p)
        before = Delivered.from_dict(stored(p.extra))
        if before is not None:
            attachments = list(before.refs.get("attachments", []))
        else:
            attachments = list(stored(p.extra).get("attachments", p.extra.get("attachments", [])))
        parts = chunks(p.doc) if not p.doc.is_empty() else [""]
        markup = keyboard(p.buttons)
        where = self._where(item)
        url = before.url if before is not None else None
        kept: list[str] = []

        def shows(mids: list[str]) -> None:
            """What the post shows after this step: kept if a later one fails."""
            delivery.made(self._delivered(item, mids, attachments, bool(parts[0]), url))

        for index, html in enumerate(parts):
            extra = list(attachments) if index == 0 else []
            if markup is not None and index == len(parts) - 1:
                extra.append(markup)
            body: dict[str, Any] = {
                "text": html,
                "format": "html",
                "attachments": extra,
                "link": None,
            }
            if index < len(old):
                mid = old[index]

                async def edit(body: dict[str, Any] = body, mid: str = mid) -> str:
                    await self.http.call("PUT", "/messages", query={"message_id": mid}, body=body)
                    return mid

                kept.append(await self._call(delivery, f"edit{index}", item, edit))
            else:

                async def more(body: dict[str, Any] = body) -> str:
                    message = await self._post_message(delivery, where, body)
                    return str(message["body"]["mid"])

                kept.append(await self._call(delivery, f"extra{index}", item, more))
            shows([*kept, *old[len(kept) :]])
        for index, mid in enumerate(old[len(parts) :]):
            await self._call(delivery, f"drop{index}", item, self._deleter(mid))
            shows([*kept, *old[len(parts) + index + 1 :]])
        return self._delivered(item, kept, attachments, bool(parts[0]), url)

    def _deleter(self, mid: str) -> Callable[[], Awaitable[str]]:
        async def drop() -> str:
            try:
                await self.http.call("DELETE", "/messages", query={"message_id": mid})
            except MaxFailure as exc:
                if exc.status != 404:  # gone already: what a deletion wants
                    raise
            return mid

        return drop

    async def _delete(self, item: OutboxItem, p: MessagePayload, delivery: Delivery) -> Delivered:
        mids = await self._shown(item, p)
        for index, mid in enumerate(mids):
            await self._call(delivery, f"delete{index}", item, self._deleter(mid))
        return Delivered(refs={"deleted": mids})
