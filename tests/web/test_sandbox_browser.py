"""The sandbox page in Chromium against a real ``glashatai sandbox``: citizens on Telegram
and MAX consent and ask, the moderator answers from the admin-chat view, the answers reach
the phones, a post made with ``glashatai --sandbox post create`` reaches the channel, the
wall and the MAX channel; hostile text stays text. Then, in this process (the runtime's
pieces, simulators at hand): a citizen's photo, the rehearsal button, a narrow screen.
Synchronised on what the page shows, never on time."""

from __future__ import annotations

import asyncio
import os
import struct
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from sandbox.scenario import Pace
from shared.domain import PostStatus
from shared.posts import service
from shared.richtext import from_markdown
from simulators.telegram import make_png
from tests.posts_harness import wait_post
from tests.test_sandbox import cli, empty_home, local, start, stop
from tests.web.conftest import Axe, PageEvents, Shot, inert
from tests.web.harness import IMG, release
from tests.web.sandbox_world import running_sandbox

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

# The bot's answers pass the outbox's pacing (1 message a second per private chat) and the
# sandbox's scheduler wakes every 5 s: generous on a loaded machine, never a sleep.
WAIT_MS = 45_000
ALL = ("telegram", "vk", "max")
PUBLISHED = PostStatus.PUBLISHED
POST = "Автобусы № 12 и № 14 ходят **по расписанию выходного дня**."


@pytest.fixture(autouse=True)
def patient_expect() -> Iterator[None]:
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)
    yield
    expect.set_options(timeout=5_000)


def picture(width: int, height: int) -> bytes:
    """A real PNG with something to look at in the screenshot: a sky over a street."""

    def pixel(x: int, y: int) -> bytes:
        if y > height * 2 // 3:
            return bytes((90, 90, 100))
        return bytes((80 + y, 150 + y // 2, 230))

    rows = b"".join(b"\x00" + b"".join(pixel(x, y) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def phone(page: Page, platform: str) -> Locator:
    return page.locator(f"section.phone[data-platform={platform}]")


def channel(page: Page, platform: str) -> Locator:
    return page.locator(f"section.channel[data-channel={platform}]")


async def consent(page: Page, platform: str) -> None:
    """As the phone's citizen: start the bot and agree."""
    from playwright.async_api import expect

    view = phone(page, platform)
    await view.locator("button.start").click()
    await view.get_by_role("button", name="Согласен(на)", exact=True).last.click()
    await expect(view.get_by_text("Спасибо! Теперь")).to_be_visible()


async def ask(page: Page, platform: str, question: str, ticket: int) -> None:
    """As the phone's citizen: ask; the bot gives the ticket number."""
    from playwright.async_api import expect

    view = phone(page, platform)
    await view.get_by_label("Сообщение").fill(question)
    await view.get_by_role("button", name="Отправить").click()
    await expect(view.get_by_text(f"Номер вопроса: №{ticket}")).to_be_visible()


async def answer_card(page: Page, ticket: int, answer: str) -> None:
    """As the moderator: reply to the question's card in the admin chat."""
    admin = page.locator("section.admin")
    card = admin.locator("li.bubble", has_text=f"Вопрос №{ticket} ")
    await card.get_by_role("button", name="Ответить").click()
    await admin.get_by_label("Сообщение или команда").fill(answer)
    await admin.get_by_role("button", name="Отправить").click()


async def test_the_sandbox_from_first_questions_to_a_post_on_every_channel(
    tmp_path: Path, page: Page, page_events: PageEvents, axe: Axe, screenshot: Shot
) -> None:
    from playwright.async_api import expect

    env = empty_home(tmp_path)
    sandbox = await start(env, tmp_path)
    try:
        await page.goto(sandbox.url)
        await expect(page.get_by_role("heading", name="Песочница")).to_be_visible()
        now = datetime.now(ZoneInfo("UTC"))
        opened = await asyncio.to_thread(
            cli, env, tmp_path, "--sandbox", "hotline", "create", "--topic", "Отопление",
            "--start", local(now), "--end", local(now + timedelta(hours=2)),
        )  # fmt: skip
        assert opened.returncode == 0, opened.stderr
        announced = channel(page, "telegram").get_by_text("Горячая линия: Отопление")
        await expect(announced).to_be_visible()

        await consent(page, "telegram")
        await ask(page, "telegram", "Когда дадут тепло на Ленина, 5?", 1)
        await consent(page, "max")
        hostile = f"Яма во дворе {IMG}"
        await ask(page, "max", hostile, 2)
        max_phone = phone(page, "max")
        await expect(max_phone.get_by_text(hostile)).to_be_visible()

        admin = page.locator("section.admin")
        await expect(admin.get_by_text(IMG.strip())).to_be_visible()
        await answer_card(page, 1, "Тепло дадут в понедельник.")
        await answer_card(page, 2, "Засыплем яму завтра.")
        tg_phone = phone(page, "telegram")
        await expect(tg_phone.get_by_text("Ответ на ваш вопрос №1")).to_be_visible()
        await expect(tg_phone.get_by_text("Тепло дадут в понедельник.")).to_be_visible()
        await expect(max_phone.get_by_text("Ответ на ваш вопрос №2")).to_be_visible()
        await expect(max_phone.get_by_text("Засыплем яму завтра.")).to_be_visible()

        (tmp_path / "post.md").write_text(POST, encoding="utf-8")
        (tmp_path / "bus.png").write_bytes(picture(320, 120))
        made = await asyncio.to_thread(
            cli, env, tmp_path, "--sandbox", "post", "create", "--text-file", "post.md",
            "--title", "Расписание автобусов на праздники", "--photo", "bus.png",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        for platform in ("telegram", "vk", "max"):
            view = channel(page, platform)
            await expect(view.get_by_text("Расписание автобусов на праздники")).to_be_visible()
            await expect(view.locator("img.photo")).to_have_count(1)
            loaded = await view.locator("img.photo").evaluate("img => img.naturalWidth")
            assert loaded == 320, f"the {platform} photo came through the page's own origin"

        await inert(page, page_events)
        assert await axe(page) == []
        await screenshot(page, "sandbox")
    finally:
        code, err = await stop(sandbox)
    assert code == 0, err
    assert "Traceback" not in err, err


async def test_a_citizen_sends_a_photo_and_the_card_shows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: Page, page_events: PageEvents
) -> None:
    from playwright.async_api import expect

    from tests.hotline_harness import open_hotline

    async with running_sandbox(tmp_path, monkeypatch) as sandbox:
        await open_hotline(sandbox.app)
        await page.goto(sandbox.url)
        await page.locator("#citizen-telegram").select_option(label="Пётр Смирнов")
        await consent(page, "telegram")
        view = phone(page, "telegram")
        await view.get_by_label("Сообщение").fill("Вот эта яма")
        await view.get_by_label("Фото (необязательно)").set_input_files(
            {"name": "yama.png", "mimeType": "image/png", "buffer": make_png(40, 30)}
        )
        await view.get_by_role("button", name="Отправить").click()
        await expect(view.get_by_text("Номер вопроса: №1")).to_be_visible()
        card = page.locator("section.admin li.bubble", has_text="Вопрос №1 ")
        await expect(card.locator("img.photo")).to_have_count(1)
        assert await card.locator("img.photo").evaluate("img => img.naturalWidth") == 40
        wrote = sandbox.sims.telegram.messages(7002, include_incoming=True)[0]
        assert wrote["from"]["first_name"] == "Пётр", "the chosen citizen wrote"

        # The moderator presses a card's button and types a command in the admin chat.
        await card.get_by_role("button", name="Взять").click()
        await expect(card).to_contain_text("Взял(а): Мария")
        admin = page.locator("section.admin")
        await admin.get_by_label("Сообщение или команда").fill("/queue")
        await admin.get_by_role("button", name="Отправить").click()
        await expect(admin.locator("li.bubble.mine", has_text="/queue")).to_be_visible()
        await expect(admin.locator("li.bubble.mine + li.bubble.theirs")).to_be_visible()
        await inert(page, page_events)


async def test_the_channels_show_edits_and_deletions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: Page, page_events: PageEvents
) -> None:
    from playwright.async_api import expect

    async with running_sandbox(tmp_path, monkeypatch) as sandbox:
        services = sandbox.app.services
        await page.goto(sandbox.url)
        kept = await release(services, title="Ремонт моста", body="Мост закрыт.", platforms=ALL)
        gone = await release(services, title="Ошибочный пост", body="Удалим.", platforms=ALL)
        for post_id in (kept, gone):
            await wait_post(sandbox.app, post_id, lambda post, _: post.status is PUBLISHED)
        await service.edit(services, kept, from_markdown("Мост открыт с понедельника."), "test")
        await service.delete(services, gone, "test")
        for platform in ALL:
            view = channel(page, platform)
            edited = view.locator("li.bubble", has_text="Мост открыт с понедельника.")
            await expect(edited).to_contain_text("изменено")
            await expect(view.locator("li.bubble.deleted", has_text="Удалим.")).to_contain_text(
                "удалено"
            )
        await inert(page, page_events)


async def test_the_rehearsal_button_starts_and_stops_the_scenario(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: Page, page_events: PageEvents
) -> None:
    from playwright.async_api import expect

    # A quicker rehearsal than a person's pace, still a dozen citizens arriving in turn.
    async with running_sandbox(tmp_path, monkeypatch, pace=Pace().scaled(0.3)) as sandbox:
        await page.goto(sandbox.url)
        state = page.locator("#rehearsal-state")
        await expect(state).to_have_text("Репетиция не запущена.")
        await page.get_by_role("button", name="Начать репетицию").click()
        await expect(state).to_contain_text("Жители задают вопросы.")
        await expect(state).to_contain_text("«Зима в городе")
        admin = page.locator("section.admin")
        await expect(admin.get_by_text("Вопрос №1 ")).to_be_visible()
        await page.get_by_role("button", name="Остановить репетицию").click()
        await expect(state).to_contain_text("Репетиция не запущена.")
        assert not sandbox.scenario.running
        await expect(page.get_by_role("button", name="Начать репетицию")).to_be_visible()
        await inert(page, page_events)


async def test_a_narrow_screen_stacks_the_views(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: Page, axe: Axe
) -> None:
    async with running_sandbox(tmp_path, monkeypatch) as sandbox:
        await page.set_viewport_size({"width": 400, "height": 800})
        await page.goto(sandbox.url)
        boxes = [
            await page.locator(selector).bounding_box()
            for selector in (
                "section.phone[data-platform=telegram]",
                "section.phone[data-platform=vk]",
                "section.phone[data-platform=max]",
                "section.admin",
            )
        ]
        assert all(box is not None for box in boxes)
        lefts = {round(box["x"]) for box in boxes if box is not None}
        tops = [box["y"] for box in boxes if box is not None]
        assert len(lefts) == 1, "one column"
        assert tops == sorted(tops), "one under another"
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 400, "nothing wider than the screen"
        assert await axe(page) == []


async def test_a_large_photo_is_scaled_down_before_it_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: Page, page_events: PageEvents
) -> None:
    from playwright.async_api import expect

    async with running_sandbox(tmp_path, monkeypatch) as sandbox:
        await page.goto(sandbox.url)
        view = phone(page, "telegram")
        # A camera-sized photo, bigger than the web server takes in one request (1 MiB).
        large = noise(2000, 1000)
        assert len(large) > 2 * 1024 * 1024
        await view.get_by_label("Фото (необязательно)").set_input_files(
            {"name": "camera.png", "mimeType": "image/png", "buffer": large}
        )
        await view.get_by_role("button", name="Отправить").click()
        sent = view.locator("li.bubble.mine img.photo")
        await expect(sent).to_have_count(1)
        width, height = await sent.evaluate("img => [img.naturalWidth, img.naturalHeight]")
        assert 0 < width <= 1600, "scaled down"
        assert abs(width - 2 * height) <= 1, "the same picture"
        photo = sandbox.sims.telegram.messages(7001, include_incoming=True)[0]["photo"]
        assert photo, "the citizen's message carries the photo"
        await view.get_by_label("Фото (необязательно)").set_input_files(
            {"name": "notes.png", "mimeType": "image/png", "buffer": b"not an image" * 80_000}
        )
        await view.get_by_role("button", name="Отправить").click()
        await expect(page.locator("#sandbox-status")).to_have_text(
            "Этот файл не похож на фото: выберите изображение."
        )
        await inert(page, page_events)


def noise(width: int, height: int) -> bytes:
    """A PNG that does not compress: random pixels."""
    rows = b"".join(b"\x00" + os.urandom(width * 3) for _ in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 1))
        + chunk(b"IEND", b"")
    )
