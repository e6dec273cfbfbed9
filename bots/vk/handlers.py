"""VK events to neutral calls into ``shared/``: the hotline conversation and alerts.

``message_new`` is a citizen's message (text, photos, documents, or something we can't
take); ``message_event`` is a press of one of our callback buttons, acknowledged with
``messages.sendMessageEventAnswer`` (with a snackbar saying so when the button is no
longer the citizen's). Domain errors become Russian text here, in one place.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bots.vk import NAME
from bots.vk.client import VkClient
from bots.vk.media import attachments_of
from bots.vk.render import MESSAGE_LIMIT
from shared import callbacks
from shared.alerts import feature as alerts
from shared.errors import GlashataiError
from shared.hotlines import conversation
from shared.hotlines.model import Incoming, may_continue
from shared.replies import send_text
from shared.services import Services

log = logging.getLogger(__name__)

SNACKBAR_LIMIT = 90
# Refused even with text: the question would lose what it was about.
UNSUPPORTED = {"audio_message", "sticker", "video", "audio", "graffiti"}


def _payload(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str) and raw:
        try:
            value = json.loads(raw)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}
    return {}


def _snackbar(text: str) -> str:
    """``event_data`` showing ``text`` in a snackbar (VK shows up to 90 characters)."""
    short = text if len(text) <= SNACKBAR_LIMIT else text[: SNACKBAR_LIMIT - 1] + "…"
    return json.dumps({"type": "show_snackbar", "text": short}, ensure_ascii=False)


def name_lookup(client: VkClient, user_id: int) -> Any:
    async def name() -> str | None:
        try:
            users = await client.group_call("users.get", user_ids=user_id)
        except Exception as exc:
            log.warning("VK: users.get failed: %s", type(exc).__name__)
            return None
        if not users:
            return None
        first, last = users[0].get("first_name", ""), users[0].get("last_name", "")
        return f"{first} {last}".strip() or None

    return name


async def handle_event(services: Services, event: dict[str, Any], client: VkClient) -> None:
    peer: int | None = None
    try:
        kind = event.get("type")
        if kind == "message_new":
            message = event["object"]["message"]
            peer = int(message["peer_id"])
            await _message(services, client, message)
        elif kind == "message_event":
            obj = event["object"]
            peer = int(obj["peer_id"])
            await _press(services, client, obj)
    except GlashataiError as error:
        log.info("VK: domain error shown to %s: %s", peer, type(error).__name__)
        if peer is not None:
            await send_text(services, NAME, peer, services.texts.explain(error))


def _shared_link(attachments: list[dict[str, Any]]) -> str:
    """A link sent with no text of its own: its address is the message (as on MAX)."""
    for item in attachments:
        if item.get("type") == "link":
            return str((item.get("link") or {}).get("url") or "")
    return ""


async def _message(services: Services, client: VkClient, message: dict[str, Any]) -> None:
    from_id = int(message["from_id"])
    peer = int(message["peer_id"])
    if from_id <= 0 or peer != from_id:
        return  # a community or a group chat: not a citizen's private conversation
    payload = _payload(message.get("payload"))
    attachments = message.get("attachments") or []
    kinds = {a.get("type") for a in attachments}
    taken, left_out = await attachments_of(client, attachments)
    text = str(message.get("text") or "") or _shared_link(attachments)
    # Something came that the bot can't take (a voice message; or alone a location, a
    # repost, a poll, a document it could not download): «please write it in text».
    something = bool(attachments or message.get("geo") or message.get("fwd_messages"))
    unsupported = not taken and (bool(kinds & UNSUPPORTED) or (something and not text.strip()))
    if payload.get("t"):
        # A text button carrying one of our tokens works like the callback button.
        async with services.db.read() as conn:
            token = await callbacks.resolve(conn, str(payload["t"]))
        if await conversation(services).press(
            NAME, str(from_id), token, name_lookup(client, from_id)
        ):
            return
        if await alerts(services).subscriptions.press(NAME, str(from_id), token):
            return
        # Not theirs (any more): a text button has no press to answer, so a message says so.
        await send_text(services, NAME, peer, services.texts("citizen.stale_button"))
        return
    subscriptions = alerts(services).subscriptions
    # A photo captioned with the menu word is a question's photo, not a request for the menu.
    typed = str(message.get("text") or "")
    wants = subscriptions.wants_menu(typed) and not attachments
    if wants and await subscriptions.menu(NAME, str(from_id)):
        return  # the alerts menu (without consent, the conversation below asks for it)
    out = subscriptions.wants_out(typed) and not attachments
    if out and await subscriptions.unsubscribe_all(NAME, str(from_id)):
        return
    incoming = Incoming(
        platform=NAME,
        user_id=str(from_id),
        peer=str(peer),
        text=text,
        attachments=taken,
        unsupported=unsupported,
        start=payload.get("command") == "start",
        # The first message of a conversation opened by a ``vk.me/club…?ref=…`` link
        # carries the link's ``ref`` (a hotline's deep link).
        start_payload=str(message.get("ref") or "") or None,
        name=name_lookup(client, from_id),
        message_id=message_id(message),
        left_out=left_out,
        may_continue=not taken and may_continue(text, MESSAGE_LIMIT),
    )
    await conversation(services).message(incoming)


def message_id(message: dict[str, Any]) -> str | None:
    """The message's ``id`` (unique in the community's conversations), or when VK gives
    0 there its ``conversation_message_id`` (unique in its conversation), prefixed so the
    two numberings never meet; None when it carries neither."""
    if int(message.get("id") or 0):
        return str(message["id"])
    cmid = int(message.get("conversation_message_id") or 0)
    return f"c{cmid}" if cmid else None


async def _press(services: Services, client: VkClient, obj: dict[str, Any]) -> None:
    user_id = int(obj["user_id"])
    payload = _payload(obj.get("payload"))
    async with services.db.read() as conn:
        token = await callbacks.resolve(conn, str(payload.get("t") or ""))
    stale = False
    try:
        if not await alerts(services).subscriptions.press(NAME, str(user_id), token):
            stale = not await conversation(services).press(
                NAME, str(user_id), token, name_lookup(client, user_id)
            )
    finally:
        # A button that is not the citizen's (any more: their data deleted) is answered
        # with a snackbar saying so, not left without a word.
        extra = {"event_data": _snackbar(services.texts("citizen.stale_button"))} if stale else {}
        try:
            await client.group_call(
                "messages.sendMessageEventAnswer",
                event_id=obj["event_id"],
                user_id=user_id,
                peer_id=int(obj["peer_id"]),
                **extra,
            )
        except Exception as exc:
            log.warning("VK: could not acknowledge a button press: %s", type(exc).__name__)
