"""The digest: answered questions marked for publication, as a .docx in the admin chat, a
draft post, and from the CLI; citizen text stays literal and never breaks the file."""

from __future__ import annotations

import asyncio
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import docx
import pytest
from sqlalchemy import select

from bots.cli import main
from shared.clock import utcnow
from shared.domain import MediaKind, PostStatus
from shared.hotlines import campaigns, digest, moderation, retention
from shared.hotlines import questions as repo
from shared.hotlines.model import Moderator
from shared.posts import service as post_service
from shared.services import Services
from shared.storage import citizens
from shared.storage.engine import Database
from shared.storage.media import NewFile
from shared.storage.migrate import upgrade
from shared.storage.schema import audit_log, posts
from shared.texts import Texts
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.harness import ADMIN_CHAT, MODERATOR, settings_for
from tests.hotline_harness import (
    card_recorded,
    cards,
    containing,
    fast_overrides,
    hotline_people,
    open_hotline,
    question_rows,
    running,
    tg_buttons,
    tg_consent,
    tg_text,
    wait,
)
from tests.test_cli_posts import run as run_cli
from tests.test_process import env_for

CITIZEN = 7301
HOSTILE = '<b>жирный</b> <a href="x">ссылка</a> & {{ x }} *_[\x0b\x00 конец'
MOD = Moderator(MODERATOR, "Ольга", f"tg:{MODERATOR}")


def _docx_text(data: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(io.BytesIO(data)).paragraphs)


async def _hotline_with_answers(db: Database, services: Services) -> int:
    """Three answered questions (one corrected), two marked publishable, one waiting."""
    now = utcnow()
    async with db.write() as conn:
        hotline = await campaigns.create(
            conn, topic="Дороги", starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1), created_by="test",
        )  # fmt: skip
        c = await citizens.get_or_create(conn, "vk", "1")
        ids = [
            await repo.add(conn, citizen_id=c.id, hotline_id=hotline.id, text=text)
            for text in (HOSTILE, "Когда отремонтируют мост?\nИ ещё: тротуар", "Не для газеты", "?")
        ]
    await moderation.answer(services, MOD, ids[0], "Первый ответ")
    await moderation.answer(services, MOD, ids[0], "Исправленный ответ")
    await moderation.answer(services, MOD, ids[1], "Летом")
    await moderation.answer(services, MOD, ids[2], "Ответ не для газеты")
    for marked in (ids[0], ids[1], ids[3]):  # the last one has no answer yet
        await moderation.toggle_publishable(services, MOD, marked)
    return hotline.id


async def test_collect_keeps_answered_publishable_with_the_last_answer(
    db: Database, tmp_path: Path
) -> None:
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    hotline_id = await _hotline_with_answers(db, services)
    async with db.read() as conn:
        found = await digest.collect(conn, hotline_id)
    assert [(e.question, e.answer) for e in found.entries] == [
        (HOSTILE.replace("\x00", ""), "Исправленный ответ"),  # PostgreSQL keeps no NUL
        ("Когда отремонтируют мост?\nИ ещё: тротуар", "Летом"),
    ]
    texts, tz = services.texts, services.settings.tz
    body = digest.document(found, texts, tz).plain
    assert "Вопросов с ответами: 2" in body
    assert HOSTILE.replace("\x00", "").replace("\x0b", " ") in body  # a control char: a space
    assert "Не для газеты" not in body
    assert "Первый ответ" not in body
    # The Word file opens and holds the citizen's text literally (control characters, which
    # XML forbids, as spaces).
    text = _docx_text(digest.docx(found, texts, tz))
    assert '<b>жирный</b> <a href="x">ссылка</a> & {{ x }} *_[  конец' in text
    assert "Исправленный ответ" in text
    assert "И ещё: тротуар" in text


async def test_a_photo_only_correction_keeps_the_answer_text_in_the_digest(
    db: Database, tmp_path: Path
) -> None:
    """A moderator adds a photo (a timetable) to the answer as a reply with no caption: it
    is a correction with no text, and the digest, which prints no photos, keeps the text."""
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    now = utcnow()
    async with db.write() as conn:
        hotline = await campaigns.create(
            conn, topic="Отопление", starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1), created_by="test",
        )  # fmt: skip
        c = await citizens.get_or_create(conn, "vk", "1")
        qid = await repo.add(conn, citizen_id=c.id, hotline_id=hotline.id, text="Когда тепло?")
    await moderation.answer(services, MOD, qid, "Тепло дадут 15 октября.")
    await moderation.toggle_publishable(services, MOD, qid)
    photo = NewFile(MediaKind.PHOTO, "graf.png", "image/png", make_png())
    await moderation.answer(services, MOD, qid, "", (photo,))
    async with db.read() as conn:
        [entry] = (await digest.collect(conn, hotline.id)).entries
    assert entry.answer == "Тепло дадут 15 октября."
    # A later correction with text still replaces it.
    await moderation.answer(services, MOD, qid, "Тепло дадут 14 октября.")
    await moderation.answer(services, MOD, qid, "", (photo,))
    async with db.read() as conn:
        found = await digest.collect(conn, hotline.id)
    assert [e.answer for e in found.entries] == ["Тепло дадут 14 октября."]
    body = digest.document(found, services.texts, services.settings.tz).plain
    assert "15 октября" not in body
    assert "Ответ:\n\nТепло дадут 14 октября." in body


PHOTO = NewFile(MediaKind.PHOTO, "raspisanie.png", "image/png", make_png())


async def _marked(
    db: Database, services: Services, pairs: list[tuple[str, list[str | tuple[str, ...]]]]
) -> int:
    """A hotline whose questions are all answered (an answer in a tuple comes with a photo,
    its text the tuple's first item) and marked for publication."""
    now = utcnow()
    async with db.write() as conn:
        hotline = await campaigns.create(
            conn, topic="Транспорт", starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=1), created_by="test",
        )  # fmt: skip
        c = await citizens.get_or_create(conn, "vk", "1")
        ids = [
            await repo.add(conn, citizen_id=c.id, hotline_id=hotline.id, text=question)
            for question, _ in pairs
        ]
    for question_id, (_, given) in zip(ids, pairs, strict=True):
        for answer in given:
            if isinstance(answer, tuple):
                await moderation.answer(services, MOD, question_id, answer[0], (PHOTO,))
            else:
                await moderation.answer(services, MOD, question_id, answer)
        await moderation.toggle_publishable(services, MOD, question_id)
    return hotline.id


async def test_a_question_with_no_text_to_print_is_left_out_and_counted(
    db: Database, tmp_path: Path
) -> None:
    """An answer that is only a photo (a timetable), or only control characters and spaces,
    has nothing the digest prints: a question answered only so is left out — not printed
    with an empty «Ответ:» — and so is a question that was a photo alone (intake keeps one
    with no text). The digest counts them for the office, and the count of answers in it
    leaves them out."""
    services = Services(settings=settings_for(tmp_path), db=db, texts=Texts.load())
    hotline_id = await _marked(
        db,
        services,
        [
            ("Когда пойдёт автобус №5?", [("",)]),
            ("Будет ли маршрут 12?", [" \x0b\u200b\x7f", ("",)]),
            ("", ["Яму засыплем до пятницы."]),  # the question was a photo alone
            ("Когда тепло?", [("",), "В октябре.", ("",)]),
        ],
    )
    async with db.read() as conn:
        found = await digest.collect(conn, hotline_id)
        counted = await digest.counts(conn, [hotline_id, hotline_id + 1])
    assert [(e.question, e.answer) for e in found.entries] == [("Когда тепло?", "В октябре.")]
    assert found.left_out == 3
    assert counted == {hotline_id: 1}
    texts, tz = services.texts, services.settings.tz
    note = digest.left_out_note(found, texts)
    assert note.startswith("Не вошло вопросов с отметкой «Для публикации»: 3 — ")
    body = digest.document(found, texts, tz).plain
    assert "Вопросов с ответами: 1." in body
    assert "автобус" not in body
    assert "маршрут" not in body
    assert "засыплем" not in body
    assert "Ответ:\n\nВ октябре." in body
    paragraphs = [
        p.text for p in docx.Document(io.BytesIO(digest.docx(found, texts, tz))).paragraphs
    ]
    assert "Ответ: В октябре." in paragraphs
    assert not [p for p in paragraphs if p.strip() in ("Ответ:", "1. Вопрос:", "2. Вопрос:")]


async def test_a_digest_makes_one_draft_until_that_draft_is_cancelled(
    db: Database, tmp_path: Path, tg: FakeTelegram
) -> None:
    """A double press (or the chat and the CLI) names the draft already made; once it is
    cancelled, or the digest has changed, the next request makes a new one."""
    settings = settings_for(tmp_path, tg=tg)  # a post needs a platform to be for
    services = Services(settings=settings, db=db, texts=Texts.load())
    hotline_id = await _hotline_with_answers(db, services)
    first = await digest.draft_post(services, hotline_id, "tg:1")
    again = await asyncio.gather(*(digest.draft_post(services, hotline_id, "tg:2") for _ in "ab"))
    assert first.created
    assert [(d.post_id, d.created) for d in again] == [(first.post_id, False)] * 2
    await post_service.cancel(services, first.post_id, "tg:1")
    second = await digest.draft_post(services, hotline_id, "tg:1")
    assert second.created
    assert second.post_id != first.post_id
    await moderation.answer(services, MOD, 1, "Ещё раз исправленный ответ")
    changed = await digest.draft_post(services, hotline_id, "tg:1")
    assert changed.created, "a changed digest is a new draft"
    async with db.read() as conn:
        statuses = (await conn.execute(select(posts.c.status).order_by(posts.c.id))).scalars()
        assert list(statuses) == ["cancelled", "draft", "draft"]


@pytest.fixture
def tg(tg: FakeTelegram) -> FakeTelegram:
    """conftest's strict fake (limits and teardown checks on) with the hotline's people."""
    return hotline_people(tg)


async def test_digest_in_the_admin_chat_and_a_draft_post(tmp_path: Path, tg: FakeTelegram) -> None:
    async with running(tmp_path, tg) as app:
        hotline_id = await open_hotline(app)
        await tg_consent(tg, CITIZEN)
        tg.user_message(CITIZEN, text=HOSTILE)
        card = (await wait(lambda: cards(tg)))[0]
        await wait(lambda: card_recorded(app, card["message_id"]))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="Ответ", reply_to_message_id=card["message_id"])
        await wait(lambda: containing(tg.messages(CITIZEN), "Ответ"))
        tg.callback(MODERATOR, card["message_id"], ADMIN_CHAT, tg_buttons(card)["Для публикации"])

        async def marked() -> bool:
            rows = await question_rows(app.services.db)
            return bool(rows[0]["publishable"])

        await wait(marked)
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/digest")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Напишите номер горячей линии"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/digest {hotline_id}")
        sent = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("document")])
        assert "Дайджест горячей линии «Отопление»: 1" in tg_text(sent[0])
        data = tg.file_bytes(sent[0]["document"]["file_id"])
        assert data is not None
        assert "<b>жирный</b>" in _docx_text(data)
        # The button makes a draft post; its preview appears in the admin chat.
        draft = tg_buttons(sent[0])["📝 Черновик публикации"]
        tg.callback(MODERATOR, sent[0]["message_id"], ADMIN_CHAT, draft)
        preview = await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Пост №2"))
        assert "<b>жирный</b>" in tg_text(preview[-1])
        async with app.services.db.read() as conn:
            query = select(posts.c.status, posts.c.title).where(posts.c.id == 2)
            row = (await conn.execute(query)).one()
        assert row.status == PostStatus.DRAFT.value
        assert row.title == "Горячая линия «Отопление»: вопросы и ответы"


async def test_digest_of_a_hotline_with_nothing_to_publish(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    async with running(tmp_path, tg) as app:
        hotline_id = await open_hotline(app)
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/digest {hotline_id}")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "пока нет отвеченных вопросов"))
        tg.user_message(MODERATOR, ADMIN_CHAT, text="/digest 99")
        await wait(lambda: containing(tg.messages(ADMIN_CHAT), "Горячей линии №99 нет."))
        assert not [m for m in tg.messages(ADMIN_CHAT) if m.get("document")]


async def test_the_admin_chat_digest_leaves_out_what_has_no_text_and_says_so(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    """Through the bot: a question answered with a timetable photo alone, and a question
    that was a photo alone, both marked for publication, are not in the Word file or the
    draft (no empty «Ответ:»), and the file's caption says how many were left out."""
    async with running(tmp_path, tg) as app:
        hotline_id = await open_hotline(app)
        await tg_consent(tg, CITIZEN)

        async def answered(ask: dict[str, Any], reply: dict[str, Any], seen: int) -> None:
            """The citizen asks; the moderator marks the card and replies to it."""
            tg.user_message(CITIZEN, **ask)
            card = (await wait(lambda: cards(tg)[seen:]))[0]
            await wait(lambda: card_recorded(app, card["message_id"]))
            tg.callback(
                MODERATOR, card["message_id"], ADMIN_CHAT, tg_buttons(card)["Для публикации"]
            )

            async def marked() -> bool:
                return bool((await question_rows(app.services.db))[seen]["publishable"])

            await wait(marked)
            tg.user_message(MODERATOR, ADMIN_CHAT, reply_to_message_id=card["message_id"], **reply)

            async def done() -> bool:
                return (await question_rows(app.services.db))[seen]["status"] == "answered"

            await wait(done)

        await answered({"text": "Когда пойдёт автобус №5?"}, {"photo": make_png()}, 0)
        await answered({"photo": make_png()}, {"text": "Яму засыплем до пятницы."}, 1)
        await answered({"text": "Когда тепло?"}, {"text": "В октябре."}, 2)
        rows = await question_rows(app.services.db)
        assert rows[1]["text"] == "", "intake keeps a question that is a photo alone"
        assert rows[1]["attachments"]
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/digest {hotline_id}")
        sent = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("document")])
        caption = tg_text(sent[0])
        assert "Дайджест горячей линии «Отопление»: 1 — " in caption
        assert "Не вошло вопросов с отметкой «Для публикации»: 2 — " in caption
        data = tg.file_bytes(sent[0]["document"]["file_id"])
        assert data is not None
        printed = _docx_text(data)
        assert "Ответ: В октябре." in printed
        assert "автобус" not in printed
        assert "засыплем" not in printed
        assert "Ответ: \n" not in printed + "\n"
        draft = tg_buttons(sent[0])["📝 Черновик публикации"]
        tg.callback(MODERATOR, sent[0]["message_id"], ADMIN_CHAT, draft)
        preview = tg_text(
            (await wait(lambda: containing(tg.messages(ADMIN_CHAT), "вопросы и ответы")))[-1]
        )
        assert "В октябре." in preview
        assert "автобус" not in preview
        assert "засыплем" not in preview


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("GLASHATAI_DATABASE__URL", f"sqlite+aiosqlite:///{tmp_path}/glashatai.db")
    return tmp_path


async def _seed(env: Path) -> int:
    db = Database(f"sqlite+aiosqlite:///{env}/glashatai.db")
    await upgrade(db)
    services = Services(settings=settings_for(env), db=db, texts=Texts.load())
    try:
        return await _hotline_with_answers(db, services)
    finally:
        await db.dispose()


def test_cli_digest_text_docx_and_draft(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    hotline_id = asyncio.run(_seed(env))
    assert main(["hotline", "digest", str(hotline_id)]) == 0
    out = capsys.readouterr().out
    assert "Горячая линия «Дороги»: вопросы и ответы" in out
    assert "Исправленный ответ" in out
    target = env / "digest.docx"
    assert main(["hotline", "digest", str(hotline_id), "--output", str(target)]) == 0
    assert "Когда отремонтируют мост?" in _docx_text(target.read_bytes())
    # A draft needs a platform to go to: without one it says so.
    assert main(["hotline", "digest", str(hotline_id), "--draft"]) == 1
    assert "telegram" in capsys.readouterr().err
    monkeypatch.setenv("GLASHATAI_TELEGRAM__TOKEN", "123456:TEST")
    monkeypatch.setenv("GLASHATAI_TELEGRAM__CHANNEL_ID", "-1001")
    assert main(["hotline", "digest", str(hotline_id), "--draft"]) == 0
    assert "Черновик публикации №" in capsys.readouterr().out
    assert main(["hotline", "digest", "42"]) != 0


async def _seed_marked(env: Path, pairs: list[tuple[str, list[str | tuple[str, ...]]]]) -> int:
    db = Database(f"sqlite+aiosqlite:///{env}/glashatai.db")
    await upgrade(db)
    services = Services(settings=settings_for(env), db=db, texts=Texts.load())
    try:
        return await _marked(db, services, pairs)
    finally:
        await db.dispose()


async def _made(env: Path, hotline_id: int) -> list[tuple[str, datetime]]:
    """The audit log's records of the hotline's digest (retention counts from the last)."""
    db = Database(f"sqlite+aiosqlite:///{env}/glashatai.db")
    try:
        async with db.read() as conn:
            rows = await conn.execute(
                select(audit_log.c.actor, audit_log.c.at)
                .where(
                    audit_log.c.action == retention.DIGEST_ACTION,
                    audit_log.c.target_id == str(hotline_id),
                )
                .order_by(audit_log.c.id)
            )
            made = [(actor, at) for actor, at in rows]
            assert await retention.digest_made(conn, hotline_id) == (made[-1][1] if made else None)
            return made
    finally:
        await db.dispose()


def test_a_digest_from_the_cli_is_recorded_for_retention(
    env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, Retention: personal data goes RETENTION_DAYS after the last digest, «the last
    /digest or `glashatai hotline digest` for it, as the audit log records». Each form of
    the command records it, as ``/digest`` does (``hotline.digest``)."""
    hotline_id = asyncio.run(_seed(env))
    assert asyncio.run(_made(env, hotline_id)) == []
    assert main(["hotline", "digest", str(hotline_id)]) == 0
    assert [actor for actor, _ in asyncio.run(_made(env, hotline_id))] == ["cli"]
    assert main(["hotline", "digest", str(hotline_id), "-o", str(env / "d.docx")]) == 0
    assert main(["hotline", "digest", str(hotline_id), "-o", str(env / "d.txt")]) == 0
    monkeypatch.setenv("GLASHATAI_TELEGRAM__TOKEN", "123456:TEST")
    monkeypatch.setenv("GLASHATAI_TELEGRAM__CHANNEL_ID", "-1001")
    assert main(["hotline", "digest", str(hotline_id), "--draft"]) == 0
    made = asyncio.run(_made(env, hotline_id))
    assert [actor for actor, _ in made] == ["cli"] * 4
    assert made == sorted(made, key=lambda row: row[1])
    capsys.readouterr()


@pytest.mark.parametrize(
    "pairs",
    [
        pytest.param([], id="nothing-marked"),
        pytest.param([("Когда пойдёт автобус №5?", [("",)])], id="a-photo-answer-only"),
    ],
)
def test_a_digest_from_the_cli_with_nothing_to_publish_refuses(
    env: Path,
    capsys: pytest.CaptureFixture[str],
    pairs: list[tuple[str, list[str | tuple[str, ...]]]],
) -> None:
    """As ``/digest ID`` and ``--draft`` do: one line, exit 1, no file (an empty Word file
    for the paper would look like a digest), nothing recorded."""
    hotline_id = asyncio.run(_seed_marked(env, pairs))
    for output in ([], ["-o", str(env / "d.docx")], ["-o", str(env / "d.txt")]):
        assert main(["hotline", "digest", str(hotline_id), *output]) == 1
        captured = capsys.readouterr()
        assert captured.out == ""
        assert "пока нет отвеченных вопросов с отметкой «Для публикации»" in captured.err
        left_out = "Не вошло вопросов с отметкой «Для публикации»: 1 — "
        assert (left_out in captured.err) == bool(pairs), captured.err
    assert not (env / "d.docx").exists()
    assert not (env / "d.txt").exists()
    assert asyncio.run(_made(env, hotline_id)) == []


def test_a_digest_from_the_cli_names_what_it_left_out(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A question answered with a photo alone is not printed; the command says how many
    were left out — after the file's line, or on stderr when the digest goes to stdout."""
    pairs: list[tuple[str, list[str | tuple[str, ...]]]] = [
        ("Когда пойдёт автобус №5?", [("",)]),
        ("Когда тепло?", ["В октябре."]),
    ]
    hotline_id = asyncio.run(_seed_marked(env, pairs))
    note = "Не вошло вопросов с отметкой «Для публикации»: 1 — "
    assert main(["hotline", "digest", str(hotline_id)]) == 0
    captured = capsys.readouterr()
    assert "Вопросов с ответами: 1." in captured.out
    assert "В октябре." in captured.out
    assert "автобус" not in captured.out
    assert note not in captured.out
    assert note in captured.err
    target = env / "d.docx"
    assert main(["hotline", "digest", str(hotline_id), "-o", str(target)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{target}: вопросов с ответами — 1"
    assert lines[1].startswith(note)
    assert "автобус" not in _docx_text(target.read_bytes())


LONG_DIGEST = "Горячая линия «Отопление»: вопросы и ответы"


async def _busy_hotline(tmp_path: Path, tg: FakeTelegram, vk: FakeVK) -> int:
    """40 answers marked for print: a digest over the VK wall's 16,384 characters."""
    settings = settings_for(tmp_path, tg, vk, fast_overrides())
    db = Database(settings.database.url)
    await upgrade(db)
    services = Services(settings=settings, db=db, texts=Texts.load())
    now = utcnow()
    try:
        async with db.write() as conn:
            hotline = await campaigns.create(
                conn, topic="Отопление", starts_at=now - timedelta(hours=1),
                ends_at=now + timedelta(hours=1), created_by="test",
            )  # fmt: skip
            ids = []
            for n in range(40):
                tg.add_user(8100 + n, "Житель")
                c = await citizens.get_or_create(conn, "telegram", str(8100 + n))
                text = f"Вопрос {n}: когда дадут отопление в дом {n}?"
                ids.append(await repo.add(conn, citizen_id=c.id, hotline_id=hotline.id, text=text))
        answer = "Отопительный сезон начинается после пяти дней средней температуры ниже +8. " * 6
        for question_id in ids:
            await moderation.answer(services, MOD, question_id, answer.strip())
            await moderation.toggle_publishable(services, MOD, question_id)
    finally:
        await db.dispose()
    return hotline.id


async def test_a_digest_too_long_for_the_vk_wall_is_drafted_for_the_other_platforms(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """A busy hotline: 40 answers marked for print make a digest over the VK wall's 16,384
    characters. The draft is made all the same, for Telegram, and its preview says that
    VK was left out and why (as for a long article from the site's feed)."""
    hotline_id = await _busy_hotline(tmp_path, tg, vk)
    async with running(tmp_path, tg, vk) as app:
        tg.user_message(MODERATOR, ADMIN_CHAT, text=f"/digest {hotline_id}")
        sent = await wait(lambda: [m for m in tg.messages(ADMIN_CHAT) if m.get("document")])
        draft = tg_buttons(sent[0])["📝 Черновик публикации"]
        tg.callback(MODERATOR, sent[0]["message_id"], ADMIN_CHAT, draft)
        heading = LONG_DIGEST
        preview = tg_text((await wait(lambda: containing(tg.messages(ADMIN_CHAT), heading)))[-1])
        async with app.services.db.read() as conn:
            query = select(posts.c.status, posts.c.platforms).where(posts.c.title == heading)
            row = (await conn.execute(query)).one()
        assert (row.status, row.platforms) == (PostStatus.DRAFT.value, ["telegram"])
        assert "Площадки: Telegram\n" in preview
        assert "ВКонтакте: текст поста — " in preview
        assert "а можно не больше 16 384" in preview


async def test_a_digest_too_long_for_the_vk_wall_drafted_from_the_cli(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    """``hotline digest --draft`` knows the platforms' limits as the admin chat's button does:
    the draft is for Telegram only, ``post show`` says so, ``post publish`` takes it, and
    the preview the running bot posts in the admin chat says why VK was left out."""
    hotline_id = await _busy_hotline(tmp_path, tg, vk)
    env = env_for(tmp_path, tg, vk)
    done = run_cli(tmp_path, env, "hotline", "digest", str(hotline_id), "--draft")
    post_id = int(done.stdout.split("Черновик публикации №", 1)[1].split(" ", 1)[0])
    shown = run_cli(tmp_path, env, "post", "show", str(post_id)).stdout
    assert shown.startswith(f"Пост №{post_id}: черновик")
    assert "Площадки: telegram\n" in shown
    assert "ВКонтакте: текст поста" in shown, shown  # and why it was left out
    assert "16 384" in shown, shown
    async with running(tmp_path, tg, vk):
        found = await wait(lambda: containing(tg.messages(ADMIN_CHAT), LONG_DIGEST))
        preview = tg_text(found[-1])
    assert "Площадки: Telegram\n" in preview
    assert "ВКонтакте: текст поста — " in preview
    assert "а можно не больше 16 384" in preview
    done = run_cli(tmp_path, env, "post", "publish", str(post_id))
    assert done.stdout.strip() == f"Пост №{post_id} отправлен на публикацию."
