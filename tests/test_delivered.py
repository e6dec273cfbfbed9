"""A delivery's typed result: stored by the outbox, read back in every shape it had.

Rows finished before deliveries were typed stay in a deployment's outbox (an edit still
aims at a card sent a week ago): their ``message_ids``/``text_message_ids``/``caption``/
``shown`` and, later, the typed form embedded under ``delivered`` read as the same type.
"""

from __future__ import annotations

from typing import Any

import pytest

from shared.delivered import Delivered, RemoteMessage, Role
from shared.domain import OutboxAction, OutboxState
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.payload import edit
from shared.richtext import from_plain
from shared.storage.engine import Database

CHAT = -1001


def test_the_stored_form_reads_back_the_same() -> None:
    made = Delivered(
        (
            RemoteMessage("7", Role.CAPTION, "c1"),
            RemoteMessage("8", Role.MEDIA),
            RemoteMessage("9", Role.TEXT, "t1"),
        ),
        url="https://example.org/7",
        refs={"chat_id": CHAT},
    )
    again = Delivered.from_dict(made.to_dict())
    assert again == made
    assert again.ids(Role.TEXT) == ["9"]
    assert again.ids(Role.CAPTION, Role.MEDIA) == ["7", "8"]
    assert again.shown() == {"7": "c1", "9": "t1"}


def test_a_result_from_before_typing_reads_as_roles() -> None:
    """A card with a photo album and a text part, as the Telegram sender stored it."""
    old = {
        "chat_id": CHAT,
        "message_ids": [10, 11, 12],
        "text_message_ids": [12],
        "caption": True,
        "url": None,
        "shown": {"10": "cap", "12": "txt"},
    }
    made = Delivered.from_dict(old)
    assert made is not None
    assert [(m.id, m.role) for m in made.messages] == [
        ("10", Role.CAPTION),
        ("11", Role.MEDIA),
        ("12", Role.TEXT),
    ]
    assert made.shown() == {"10": "cap", "12": "txt"}
    assert made.refs == {"chat_id": CHAT}, "the sender's own keys stay its notes"


def test_an_untyped_message_without_text_ids_is_all_text() -> None:
    """A message to a citizen (``peer_id``/``message_ids``) or an edit's result."""
    made = Delivered.from_dict({"peer_id": 5, "message_ids": [41, 42]})
    assert made is not None
    assert made.ids(Role.TEXT) == ["41", "42"]
    assert made.refs == {"peer_id": 5}


def test_a_result_with_the_typed_form_embedded_reads_it_with_its_digests() -> None:
    embedded = Delivered((RemoteMessage("3", Role.TEXT),), refs={"chat_id": CHAT}).to_dict()
    old = {"chat_id": CHAT, "message_ids": [3], "shown": {"3": "d"}, "delivered": embedded}
    made = Delivered.from_dict(old)
    assert made == Delivered((RemoteMessage("3", Role.TEXT, "d"),), refs={"chat_id": CHAT})


@pytest.mark.parametrize(
    "stored",
    [None, {}, {"confirmed_by_moderator": True}, {"post_id": 3}, {"deleted": [1, 2]}],
)
def test_a_result_naming_no_delivery_is_none(stored: dict[str, Any] | None) -> None:
    assert Delivered.from_dict(stored) is None


async def _row(db: Database, payload: dict[str, Any], result: dict[str, Any] | None) -> int:
    """An outbox row of a probe card, finished with ``result`` (or left pending)."""
    action = OutboxAction.EDIT if "message_ids" in payload else OutboxAction.SEND
    async with db.write() as conn:
        made = OutboxMessage(
            "telegram", action, str(CHAT), payload, ref_type="probe_card", ref_id=1
        )
        row_id = await store.enqueue(conn, made)
        if result is not None:
            await store.finish(conn, row_id, OutboxState.SENT, result=result)
    return row_id


async def test_an_edit_aims_at_what_old_rows_say_the_card_shows(db: Database) -> None:
    """The card and its first edit finished before typing; the next edit reads both."""
    card = await _row(
        db,
        {"doc": []},
        {"chat_id": CHAT, "message_ids": [20], "text_message_ids": [20], "shown": {"20": "a"}},
    )
    doc = from_plain("Карточка")
    await _row(
        db,
        edit([20], doc, target=card),
        {"chat_id": CHAT, "message_ids": [20, 21], "shown": {"21": "b"}},
    )
    latest = await _row(db, edit([20], doc, target=card), None)
    async with db.write() as conn:
        item = await store.get(conn, latest)
        assert item is not None
        await store.aim_edit(conn, item)
    assert item.payload["message_ids"] == [20, 21]
    assert item.payload["shown"] == {"20": "a", "21": "b"}


async def test_an_edit_aims_at_what_typed_rows_say_the_card_shows(db: Database) -> None:
    card = await _row(db, {"doc": []}, Delivered((RemoteMessage("30", Role.TEXT, "x"),)).to_dict())
    doc = from_plain("Карточка")
    grown = Delivered((RemoteMessage("30", Role.TEXT), RemoteMessage("31", Role.TEXT, "y")))
    await _row(db, edit([30], doc, target=card), grown.to_dict())
    latest = await _row(db, edit([30], doc, target=card), None)
    async with db.write() as conn:
        item = await store.get(conn, latest)
        assert item is not None
        await store.aim_edit(conn, item)
    assert item.payload["message_ids"] == [30, 31]
    assert item.payload["shown"] == {"30": "x", "31": "y"}
