"""Outbox outcomes of publications and admin-chat notices, recorded on the post.

These run inside the transaction that records the outbox row's final state, so a
publication's ids and link are stored exactly when the platform accepted the post.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.delivered import Delivered
from shared.domain import OutboxAction, OutboxState, PostStatus
from shared.domain import PublicationState as PubState
from shared.outbox.model import OutboxItem
from shared.outbox.payload import MessagePayload
from shared.posts import changes, notices, repo, service, withdraw
from shared.posts.model import Publication, full_doc
from shared.services import Services

log = logging.getLogger(__name__)
CAPTCHA_TIMEOUT = 15.0


def made_in_part(item: OutboxItem) -> Delivered | None:
    """What a send or an edit that ended without being sent (failed, called off, unknown)
    had made on the platform before that, when it made anything: the outbox keeps it as
    the row's result."""
    if item.state is OutboxState.SENT:
        return None
    made = Delivered.from_dict(item.result)
    return made if made is not None and made.ids() else None


def _sent_ids(item: OutboxItem) -> list[str]:
    """The messages a notice's send made, as its sender typed them (older rows too)."""
    delivered = Delivered.from_dict(item.result)
    return delivered.ids() if delivered is not None else []


class PublicationHooks:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._tasks: set[asyncio.Task[None]] = set()

    def _later(self, coro: Coroutine[Any, Any, None]) -> None:
        """Work that must not run inside the outbox's transaction (a download)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _captcha(self, post_id: int, outbox_id: int, url: str) -> None:
        """Fetch VK's captcha image and show it in the admin chat (a link if it won't load)."""
        image: bytes | None = None
        if url:
            try:
                timeout = aiohttp.ClientTimeout(total=CAPTCHA_TIMEOUT)
                async with (
                    aiohttp.ClientSession(timeout=timeout) as session,
                    session.get(url) as response,
                ):
                    response.raise_for_status()
                    image = await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("captcha image for outbox %s not loaded: %s", outbox_id, exc)
        try:
            async with self.services.db.write() as conn:
                post = await repo.get(conn, post_id)
                await notices.ask_captcha(self.services, conn, post, outbox_id, url, image)
        except Exception:
            log.exception("captcha notice for outbox %s failed", outbox_id)
            return
        self.services.wake_outbox()

    async def still_wanted(self, conn: AsyncConnection, item: OutboxItem) -> bool:
        """A send to retry is called off when its post was deleted while its call was out
        (the call failed, so nothing came out: nothing to take back)."""
        if item.action is not OutboxAction.SEND:
            return True
        pub = await repo.publication(conn, item.ref_id or 0)
        if pub is None:
            return True
        return (await repo.get(conn, pub.post_id)).status is not PostStatus.CANCELLED

    async def on_publication(self, conn: AsyncConnection, item: OutboxItem) -> None:
        pub = await repo.publication(conn, item.ref_id or 0)
        if pub is None:
            return
        if item.action is OutboxAction.SEND:
            await self._sent(conn, item, pub.id)
        elif item.action is OutboxAction.EDIT:
            await self._edited(conn, item, pub.id)
        else:
            await self._deleted(conn, item, pub.id)
        post = await repo.get(conn, pub.post_id)
        current = await repo.publication(conn, pub.id)
        if current is None:
            return
        withdrawn = post.status is PostStatus.CANCELLED and item.action is OutboxAction.SEND
        if withdrawn and item.state is not OutboxState.UNKNOWN:
            await self._withdrawn(conn, item, current)
        elif item.state is OutboxState.UNKNOWN:
            await notices.ask_unknown(self.services, conn, post, current, item.id, item.action)
        elif item.state is OutboxState.HELD:
            hold = item.progress.get("hold", {})
            self._later(self._captcha(post.id, item.id, str(hold.get("img", ""))))
        await notices.settle_post(self.services, conn, pub.post_id)

    async def _withdrawn(self, conn: AsyncConnection, item: OutboxItem, pub: Publication) -> None:
        """A send that was in flight when its post was deleted: take back what it made.

        Landed, its messages are deleted at once; refused, failed for now (then called off
        before its retry: ``still_wanted``), or stopped by a captcha, it never comes out (an
        unknown outcome is still asked about: a person checks).
        """
        if item.state is OutboxState.SENT:
            await withdraw.enqueue_deletion(conn, pub)
        elif item.state in {OutboxState.FAILED, OutboxState.CANCELLED}:
            if made_in_part(item) is not None:  # part of it is out: that part is deleted
                await withdraw.enqueue_deletion(conn, pub)
            else:
                await repo.set_publication(conn, pub.id, state=PubState.CANCELLED)
        elif item.state is OutboxState.HELD:
            await withdraw.call_off(conn, pub)

    async def _sent(self, conn: AsyncConnection, item: OutboxItem, pub_id: int) -> None:
        if item.state is OutboxState.SENT:
            delivered = Delivered.from_dict(item.result) or Delivered()
            await repo.set_publication(
                conn,
                pub_id,
                state=PubState.PUBLISHED,
                remote=delivered.to_dict(),
                url=delivered.url,
                error=None,
            )
            await self._catch_up(conn, item, pub_id)
        elif item.state in {OutboxState.FAILED, OutboxState.CANCELLED}:
            # A send given up part-way (an album out, its text refused): the publication
            # keeps what is out, for a new try to skip and a deletion to take down.
            values: dict[str, Any] = {"error": item.error}
            if item.state is OutboxState.FAILED:
                values["state"] = PubState.FAILED
            if (made := made_in_part(item)) is not None:
                values.update(remote=made.to_dict(), url=made.url)
            await repo.set_publication(conn, pub_id, **values)
        elif item.state is OutboxState.UNKNOWN:
            await repo.set_publication(conn, pub_id, state=PubState.UNKNOWN, error=item.error)
        elif item.state is OutboxState.HELD:
            await repo.set_publication(conn, pub_id, state=PubState.HELD, error=item.error)

    async def _edited(self, conn: AsyncConnection, item: OutboxItem, pub_id: int) -> None:
        pub = await repo.publication(conn, pub_id)
        if pub is None:
            return
        if item.state is OutboxState.SENT:
            # The platform's sender says what the post shows now (an edit may add or drop
            # messages); a sender that says nothing left it as it was.
            delivered = Delivered.from_dict(item.result)
            if delivered is not None:
                await repo.set_publication(conn, pub_id, remote=delivered.to_dict(), error=None)
            else:
                await repo.set_publication(conn, pub_id, error=None)
        elif item.state in {OutboxState.FAILED, OutboxState.UNKNOWN}:
            # Part of the edit may be made (a longer text's new message out, the next one
            # refused): the publication names every message it shows now, so a new try
            # does not post that part again and a deletion takes it down too.
            made = made_in_part(item)
            if made is not None:
                await repo.set_publication(conn, pub_id, remote=made.to_dict(), error=item.error)
            else:
                await repo.set_publication(conn, pub_id, error=item.error)

    async def _catch_up(self, conn: AsyncConnection, item: OutboxItem, pub_id: int) -> None:
        """A send that finished an earlier try's text (``service.publish``) while the post
        was edited meanwhile: the new text follows as an edit."""
        pub = await repo.publication(conn, pub_id)
        if pub is None or not changes.known(pub):
            return
        post = await repo.get(conn, pub.post_id)
        stale = MessagePayload.from_dict(item.payload).doc != full_doc(post)
        if stale and post.status is not PostStatus.CANCELLED:
            await service.enqueue_edit(conn, post, pub)

    async def _deleted(self, conn: AsyncConnection, item: OutboxItem, pub_id: int) -> None:
        if item.state is OutboxState.SENT:
            await repo.set_publication(conn, pub_id, state=PubState.DELETED, error=None)
        elif item.state in {OutboxState.FAILED, OutboxState.UNKNOWN}:
            await repo.set_publication(conn, pub_id, error=item.error)

    async def on_notice(self, conn: AsyncConnection, item: OutboxItem) -> None:
        """Remember our admin-chat messages, so replies to them find their post."""
        extra = dict(item.payload.get("extra", {}))
        if item.state is not OutboxState.SENT or item.action is not OutboxAction.SEND:
            return
        post_id = int(extra.get("post") or item.ref_id or 0)
        post = await repo.find(conn, post_id)
        if post is None:
            return
        chat = int(item.destination)
        role = str(extra.get("role", "notice"))
        ids = [int(i) for i in _sent_ids(item)]
        for message_id in ids:
            outbox_id = extra.get("outbox_id")
            await repo.remember_message(
                conn, post_id, chat, message_id, role, int(outbox_id) if outbox_id else None
            )
        if role == "preview" and ids:
            await repo.set_fields(conn, post_id, preview_message_id=ids[-1])
            changed = (post.status.value, post.version) != (
                extra.get("status"),
                extra.get("version"),
            )
            if changed:
                await notices.refresh_preview(self.services, conn, post)
