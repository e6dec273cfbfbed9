"""The sandbox page in Chromium: citizens on Telegram and MAX consent and ask, the moderator
answers from the admin-chat view, the answers reach the phones, a post reaches the channel,
the wall and the MAX channel; hostile text stays text. Synchronised on what the page shows."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from shared.domain import PostStatus
from shared.storage.media import NewFile
from simulators.max import FakeMax
from simulators.telegram import FakeTelegram, make_png
from simulators.vk import FakeVK
from tests.hotline_harness import open_hotline
from tests.posts_harness import wait_post
from tests.web.conftest import Axe, PageEvents, Shot, inert
from tests.web.harness import IMG, release
from tests.web.sandbox_world import running_sandbox

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

# The app's answers pass the outbox's pacing (1 message a second per private chat).
WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def patient_expect() -> None:
    from playwright.async_api import expect

    expect.set_options(timeout=WAIT_MS)


def phone(page: Page, platform: str) -> Locator:
    return page.locator(f"section.phone[data-platform={platform}]")


async def consent_and_ask(page: Page, platform: str, question: str, ticket: int) -> None:
    """As the phone's citizen: start the bot, agree, ask; the bot gives the ticket number."""
    from playwright.async_api import expect

    view = phone(page, platform)
    await view.locator("button.start").click()
    await view.get_by_role("button", name="Согласен(на)", exact=True).last.click()
    await expect(view.get_by_text("Спасибо! Теперь")).to_be_visible()
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


async def test_citizens_ask_the_moderator_answers_a_post_reaches_every_channel(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    max: FakeMax,
    page: Page,
    page_events: PageEvents,
    axe: Axe,
    screenshot: Shot,
) -> None:
    from playwright.async_api import expect

    async with running_sandbox(tmp_path, tg, vk, max) as sandbox:
        await open_hotline(sandbox.app)
        await page.goto(sandbox.url)
        await expect(page.get_by_role("heading", name="Песочница")).to_be_visible()

        await consent_and_ask(page, "telegram", "Когда дадут тепло на Ленина, 5?", 1)
        hostile = f"Яма во дворе {IMG}"
        await consent_and_ask(page, "max", hostile, 2)
        max_phone = phone(page, "max")
        await expect(max_phone.get_by_text(hostile)).to_be_visible()

        admin = page.locator("section.admin")
        await expect(admin.get_by_text("Вопрос №2")).to_be_visible()
        await expect(admin.get_by_text(IMG.strip())).to_be_visible()
        await answer_card(page, 1, "Тепло дадут в понедельник.")
        await answer_card(page, 2, "Засыплем яму завтра.")
        tg_phone = phone(page, "telegram")
        await expect(tg_phone.get_by_text("Ответ на ваш вопрос №1")).to_be_visible()
        await expect(tg_phone.get_by_text("Тепло дадут в понедельник.")).to_be_visible()
        await expect(max_phone.get_by_text("Ответ на ваш вопрос №2")).to_be_visible()
        await expect(max_phone.get_by_text("Засыплем яму завтра.")).to_be_visible()

        post_id = await release(
            sandbox.app.services,
            title="Расписание автобусов на праздники",
            body="Автобусы № 12 и № 14 ходят **по расписанию выходного дня**.",
            media=[NewFile("photo", "bus.png", "image/png", make_png(320, 120))],
            platforms=("telegram", "vk", "max"),
        )
        # MAX gives no public link to a channel post: published is enough here.
        await wait_post(sandbox.app, post_id, lambda post, _: post.status is PostStatus.PUBLISHED)
        for platform in ("telegram", "vk", "max"):
            channel = page.locator(f"section.channel[data-channel={platform}]")
            await expect(channel.get_by_text("Расписание автобусов на праздники")).to_be_visible()
            await expect(channel.locator("img.photo")).to_have_count(1)
            loaded = await channel.locator("img.photo").evaluate("img => img.naturalWidth")
            assert loaded > 0, f"the {platform} photo came through the page's own origin"

        await inert(page, page_events)
        assert await axe(page) == []
        await screenshot(page, "sandbox")


async def test_a_citizen_sends_a_photo_and_the_card_shows_it(
    tmp_path: Path,
    tg: FakeTelegram,
    vk: FakeVK,
    max: FakeMax,
    page: Page,
    page_events: PageEvents,
) -> None:
    from playwright.async_api import expect

    async with running_sandbox(tmp_path, tg, vk, max) as sandbox:
        await open_hotline(sandbox.app)
        await page.goto(sandbox.url)
        view = phone(page, "telegram")
        await page.get_by_label("Житель").first.select_option(label="Борис Котов")
        await view.locator("button.start").click()
        await view.get_by_role("button", name="Согласен(на)", exact=True).last.click()
        await expect(view.get_by_text("Спасибо! Теперь")).to_be_visible()
        await view.get_by_label("Сообщение").fill("Вот эта яма")
        await view.get_by_label("Фото (необязательно)").set_input_files(
            {"name": "yama.png", "mimeType": "image/png", "buffer": make_png(40, 30)}
        )
        await view.get_by_role("button", name="Отправить").click()
        await expect(view.get_by_text("Номер вопроса: №1")).to_be_visible()
        card = page.locator("section.admin li.bubble", has_text="Вопрос №1 ")
        await expect(card.locator("img.photo")).to_have_count(1)
        assert await card.locator("img.photo").evaluate("img => img.naturalWidth") > 0
        first = tg.messages(7002, include_incoming=True)[0]
        assert first["from"]["first_name"] == "Борис", "the chosen citizen wrote"
        await inert(page, page_events)
