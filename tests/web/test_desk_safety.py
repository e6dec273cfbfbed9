"""The desk's safety nets, each through the whole app against the fake platforms: text typed
when the session ended (or in a form from before a new login) comes back and is saved on a
second press; a stale edit form does not overwrite a colleague's newer text; the preview
shows the title the platforms publish; a decompression bomb and a TIFF are refused in
Russian with the form kept; a year typo asks for a tick; a refused action says the
service's reason; a feed post saved unchanged is not edited."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import aiohttp
from PIL import Image
from sqlalchemy import update

from shared.clock import utcnow
from shared.domain import PostKind, PostStatus
from shared.errors import Conflict, Refused
from shared.posts import repo, service
from shared.posts.feed.html import html_to_doc
from shared.richtext import from_plain, to_plain
from shared.storage import audit
from shared.storage.schema import desk_sessions
from shared.texts import Texts
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.posts_harness import channel
from tests.web.harness import RunningWeb, wait_published
from tests.web.test_desk_browser import login
from tests.web.test_desk_login import ask_link, client, follow, logged_in

if TYPE_CHECKING:
    from playwright.async_api import Page

TEXT = "Администрация сообщает: с 1 декабря меняется расписание автобусов. " * 20
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
TEXTAREA = re.compile(r'<textarea id="text"[^>]*>(.*?)</textarea>', re.S)
CURRENT = re.compile(r'<textarea id="current-text"[^>]*>(.*?)</textarea>', re.S)
ERROR = re.compile(r'class="error"[^>]*>([^<]*)')


async def _csrf(session: aiohttp.ClientSession, url: str) -> str:
    async with session.get(url) as page:
        assert page.status == 200, await page.text()
        found = CSRF.search(await page.text())
    assert found is not None
    return found.group(1)


def _form(csrf: str, **fields: str | list[tuple[str, bytes, str]]) -> aiohttp.FormData:
    """The editor's multipart form; a list value is files (name, bytes, content type)."""
    data = aiohttp.FormData()
    data.add_field("csrf", csrf)
    for name, value in fields.items():
        if isinstance(value, list):
            for filename, content, ctype in value:
                data.add_field(name, io.BytesIO(content), filename=filename, content_type=ctype)
        else:
            data.add_field(name, value)
    return data


def _new(csrf: str, **fields: Any) -> aiohttp.FormData:
    fields = {"title": "", "text": "Текст", "kind": "press_release", "at": "", **fields}
    data = _form(csrf, **{k: v for k, v in fields.items() if k != "platforms"})
    for platform in fields.get("platforms", ("telegram", "vk")):
        data.add_field("platforms", platform)
    return data


async def _posts(web: RunningWeb) -> list[Any]:
    async with web.services.db.read() as conn:
        return list(await repo.recent(conn))


# --- 1. nothing typed is lost when the session ends or the form is from an older login


async def test_text_typed_when_the_session_ended_is_shown_again_and_saved_after_login(
    web_running: RunningWeb, tg: FakeTelegram, page: Page
) -> None:
    """Eight hours of writing: the session ends before she presses the button. The editor
    comes back with her text and says the session ended (not that a link was used); she
    logs in in another tab, presses again (the form asks once more, with the new
    session's token) and the draft is stored with her text."""
    await login(page, tg)
    await page.get_by_role("link", name="Новая публикация").click()
    await page.get_by_label("Заголовок (необязательно)").fill("Новое расписание")
    await page.get_by_label("Текст", exact=True).fill(TEXT)
    async with web_running.services.db.write() as conn:
        await conn.execute(update(desk_sessions).values(expires_at=utcnow()))
    await page.get_by_role("button", name="Сохранить черновик").click()
    await page.get_by_role("alert").filter(has_text="Сессия закончилась").wait_for()
    assert await page.get_by_label("Текст", exact=True).input_value() == TEXT
    assert await page.get_by_label("Заголовок (необязательно)").input_value() == "Новое расписание"
    assert "уже использована" not in await page.content()
    assert await _posts(web_running) == []

    other = await page.context.new_page()
    await other.goto(await ask_link(tg))
    await other.get_by_role("button", name="Войти").click()
    await other.wait_for_url("**/desk/calendar")
    await other.close()

    await page.get_by_role("button", name="Сохранить черновик").click()
    await page.get_by_role("alert").filter(has_text="нажмите кнопку ещё раз").wait_for()
    assert await _posts(web_running) == []
    assert await page.get_by_label("Текст", exact=True).input_value() == TEXT
    await page.get_by_role("button", name="Сохранить черновик").click()
    await page.wait_for_url(re.compile(r".*/desk/posts/\d+$"))
    [post] = await _posts(web_running)
    assert post.status is PostStatus.DRAFT
    assert post.title == "Новое расписание"
    assert to_plain(post.body) == TEXT.strip()


async def test_a_form_from_before_a_new_login_keeps_its_text_and_acts_on_a_second_press(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    url = web_running.url
    async with await logged_in(tg) as s:
        old = await _csrf(s, f"{url}/desk/posts/new")
        assert (await follow(s, await ask_link(tg))).status == 303  # a new login, a new token
        form = _new(old, title="Новое расписание", text=TEXT, action="draft")
        async with s.post(f"{url}/desk/posts/new", data=form, allow_redirects=False) as r:
            assert r.status == 403
            shown = await r.text()
        assert await _posts(web_running) == []  # the CSRF check still holds
        assert html.unescape(TEXTAREA.search(shown).group(1)) == TEXT  # type: ignore[union-attr]
        assert "нажмите кнопку ещё раз" in ERROR.search(shown).group(1)  # type: ignore[union-attr]
        fresh = CSRF.search(shown).group(1)  # type: ignore[union-attr]
        assert fresh
        assert fresh != old
        form = _new(fresh, title="Новое расписание", text=TEXT, action="draft")
        async with s.post(f"{url}/desk/posts/new", data=form, allow_redirects=False) as r:
            assert r.status == 303
    [post] = await _posts(web_running)
    assert to_plain(post.body) == TEXT.strip()


async def test_a_refused_action_without_a_session_says_the_session_ended(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    """A button on a post page after the session ended: nothing done, and the page says the
    session ended, not that a login link was used or expired."""
    post_id = await service.create_post(
        web_running.services,
        body=from_plain("Анонс."),
        at=utcnow() + timedelta(days=1),
        created_by="test",
    )
    page = f"{web_running.url}/desk/posts/{post_id}"
    async with await logged_in(tg) as s:
        csrf = await _csrf(s, page)
        async with web_running.services.db.write() as conn:
            await conn.execute(update(desk_sessions).values(expires_at=utcnow()))
        async with s.post(f"{page}/cancel", data={"csrf": csrf}) as r:
            assert r.status == 403
            text = await r.text()
    assert "Сессия закончилась" in text
    assert "уже использована" not in text
    async with web_running.services.db.read() as conn:
        assert (await repo.get(conn, post_id)).status is PostStatus.SCHEDULED
    # Without any cookie, a kept form brings back its text and no token at all.
    async with client() as anonymous:
        form = _new("", text=TEXT, action="draft")
        async with anonymous.post(f"{web_running.url}/desk/posts/new", data=form) as r:
            assert r.status == 403
            shown = await r.text()
    assert html.unescape(TEXTAREA.search(shown).group(1)) == TEXT  # type: ignore[union-attr]
    assert CSRF.search(shown).group(1) == ""  # type: ignore[union-attr]
    assert [p.id for p in await _posts(web_running)] == [post_id]


# --- 2. a stale edit form does not overwrite a colleague's newer text


async def test_a_stale_edit_form_is_refused_with_both_texts_and_saves_only_when_pressed_again(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    services = web_running.services
    post_id = await service.create_post(
        services,
        body=from_plain("Отключение воды 5 декабря с 10:00 до 14:00."),
        at=utcnow() + timedelta(days=1),
        created_by="test",
    )
    edit = f"{web_running.url}/desk/posts/{post_id}/edit"
    async with await logged_in(tg) as s:
        async with s.get(edit) as r:
            opened = await r.text()
        csrf = CSRF.search(opened).group(1)  # type: ignore[union-attr]
        assert 'name="version" value="1"' in opened
        corrected = "Отключение воды 5 декабря с 10:00 до 18:00 (работы продлены)."
        await service.edit(services, post_id, from_plain(corrected), "tg:5002")  # the chat
        mine = "Отключение воды 5 декабря с 10:00 до 14:00. Подробности по телефону."
        form = {"csrf": csrf, "title": "Отключение воды", "text": mine, "version": "1"}
        async with s.post(edit, data={**form, "action": "save"}, allow_redirects=False) as r:
            assert r.status == 409
            page = await r.text()
        async with services.db.read() as conn:
            assert to_plain((await repo.get(conn, post_id)).body) == corrected
        assert html.unescape(TEXTAREA.search(page).group(1)) == mine  # type: ignore[union-attr]
        assert corrected in html.unescape(CURRENT.search(page).group(1))  # type: ignore[union-attr]
        assert "изменили" in ERROR.search(page).group(1)  # type: ignore[union-attr]
        assert 'name="version" value="2"' in page
        # A form without a version can't show it is fresh: refused the same way.
        no_version = {k: v for k, v in form.items() if k != "version"}
        async with s.post(edit, data={**no_version, "action": "save"}) as r:
            assert r.status == 409
        # Pressed again from the refusal (version 2): her text replaces it, knowingly.
        form["version"] = "2"
        async with s.post(edit, data={**form, "action": "save"}, allow_redirects=False) as r:
            assert r.status == 303
    async with services.db.read() as conn:
        post = await repo.get(conn, post_id)
    assert (to_plain(post.body), post.title, post.version) == (mine, "Отключение воды", 3)


# --- 3. the preview shows the title


async def test_preview_shows_the_title_the_platforms_publish(
    web_running: RunningWeb, tg: FakeTelegram, vk: FakeVK
) -> None:
    title, body = "Перекрытие улицы Ленина", "С 5 по 7 декабря движение будет закрыто."
    url = web_running.url
    async with await logged_in(tg) as s:
        csrf = await _csrf(s, f"{url}/desk/posts/new")
        form = _new(csrf, title=title, text=body, action="preview")
        async with s.post(f"{url}/desk/posts/new", data=form) as r:
            assert r.status == 200
            page = await r.text()
        form = _new(csrf, title=title, text=body, action="schedule")
        async with s.post(f"{url}/desk/posts/new", data=form, allow_redirects=False) as r:
            assert r.status == 303
            post_id = int(r.headers["Location"].rsplit("/", 1)[1])
        async with s.post(
            f"{url}/desk/posts/{post_id}/edit",
            data={"csrf": csrf, "title": title, "text": body, "action": "preview"},
        ) as r:
            edit_page = await r.text()
    await wait_published(web_running, post_id)
    assert title in channel(tg)[-1]["text"]
    assert any(title in (p.get("message") or "") for p in vk.wall_posts())
    for shown in (page, edit_page):
        previews = shown[shown.index('id="previews-heading"') :]
        for platform in ("Telegram", "ВКонтакте"):
            start = previews.index(f"<h3>{platform}</h3>")
            assert title in previews[start : previews.find("<h3>", start + 4)], platform


# --- 4, 5. a decompression bomb and a TIFF are refused in Russian, the form kept


def _image(kind: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, kind)
    return buf.getvalue()


async def test_a_huge_picture_and_a_tiff_are_refused_before_anything_is_stored(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    url = web_running.url
    bomb = _image("PNG", (20000, 20000), "1")  # ~50 KB, 400 megapixels
    # ASCII names: aiohttp's client percent-encodes others (a browser sends them as UTF-8).
    cases = {
        "слишком большое изображение": ("plan.png", bomb, "image/png"),
        "в формате TIFF": ("scan.tif", _image("TIFF", (800, 600)), "image/tiff"),
    }
    async with await logged_in(tg) as s:
        csrf = await _csrf(s, f"{url}/desk/posts/new")
        for expected, photo in cases.items():
            form = _new(csrf, title="Схема", text="Схема во вложении.", photos=[photo])
            async with s.post(f"{url}/desk/posts/new", data=form, allow_redirects=False) as r:
                page = await r.text()
                assert r.status == 400, (expected, r.status)
            [error] = ERROR.findall(page)
            assert expected in html.unescape(error)
            assert photo[0] in html.unescape(error)
            assert "Схема во вложении." in page
        # Edit adds photos through the same check.
        post_id = await service.create_post(
            web_running.services,
            body=from_plain("Анонс."),
            at=utcnow() + timedelta(days=1),
            created_by="test",
        )
        edit = f"{url}/desk/posts/{post_id}/edit"
        form = _form(await _csrf(s, edit), text="Анонс.", action="save", version="1")
        form.add_field("photos", io.BytesIO(bomb), filename="plan.png", content_type="image/png")
        async with s.post(edit, data=form) as r:
            assert r.status == 400
            assert "слишком большое изображение" in html.unescape(await r.text())
    assert [p.id for p in await _posts(web_running)] == [post_id]


# --- 6. a year typo asks for a tick


async def test_a_time_more_than_a_year_ahead_asks_for_a_tick_on_create_and_reschedule(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    services = web_running.services
    tz = services.settings.tz
    soon = (utcnow() + timedelta(days=2)).astimezone(tz).replace(day=1)
    typo = soon.replace(year=soon.year + 36).strftime("%Y-%m-%dT10:00")
    new = f"{web_running.url}/desk/posts/new"
    async with await logged_in(tg) as s:
        csrf = await _csrf(s, new)
        async with s.post(new, data=_new(csrf, text="Ярмарка.", at=typo)) as r:
            assert r.status == 400
            page = await r.text()
        assert "больше чем через год" in html.unescape(ERROR.search(page).group(1))  # type: ignore[union-attr]
        assert 'name="far_ok"' in page
        assert f'value="{typo}"' in page
        assert await _posts(web_running) == []
        confirmed = _new(csrf, text="Ярмарка.", at=typo, far_ok="1")
        async with s.post(new, data=confirmed, allow_redirects=False) as r:
            assert r.status == 303
            post_id = int(r.headers["Location"].rsplit("/", 1)[1])
        # Rescheduling to another typo asks the same; the tick confirms it.
        other = soon.replace(year=soon.year + 10).strftime("%Y-%m-%dT09:00")
        reschedule = f"{web_running.url}/desk/posts/{post_id}/reschedule"
        async with s.post(reschedule, data={"csrf": csrf, "at": other}) as r:
            assert r.status == 409
            page = await r.text()
        assert "больше чем через год" in html.unescape(page)
        assert 'name="far_ok"' in page
        assert f'value="{other}"' in page
        async with services.db.read() as conn:
            assert (await repo.get(conn, post_id)).scheduled_at.year == soon.year + 36  # type: ignore[union-attr]
        form = {"csrf": csrf, "at": other, "far_ok": "1"}
        async with s.post(reschedule, data=form, allow_redirects=False) as r:
            assert r.status == 303
    async with services.db.read() as conn:
        assert (await repo.get(conn, post_id)).scheduled_at.year == soon.year + 10  # type: ignore[union-attr]


# --- 7. a refused action says why


async def test_a_stale_cancel_says_the_services_reason(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    services = web_running.services
    post_id = await service.create_post(
        services, body=from_plain("Анонс."), at=utcnow() + timedelta(days=1), created_by="test"
    )
    page = f"{web_running.url}/desk/posts/{post_id}"
    async with await logged_in(tg) as s:
        csrf = await _csrf(s, page)
        await service.publish_now(services, post_id, "tg:5002")  # it went out meanwhile
        await wait_published(web_running, post_id)
        async with s.post(f"{page}/cancel", data={"csrf": csrf}) as r:
            assert r.status == 409
            [shown] = ERROR.findall(await r.text())
    assert html.unescape(shown).startswith("пост уже нельзя отменить (статус: ")


def test_a_conflict_without_a_reason_for_people_keeps_the_generic_text() -> None:
    texts = Texts.load()
    reason = texts("posts.errors.cannot_cancel", status="опубликован")
    assert texts.explain(Refused(reason)) == reason
    for note in ("post 5 is PostStatus.PUBLISHED", "outbox 3 is sent", ""):
        assert texts.explain(Conflict(note)) == texts("errors.conflict")


# --- 8. a feed post saved unchanged stays as it was


async def test_a_feed_post_saved_unchanged_is_not_edited(
    web_running: RunningWeb, tg: FakeTelegram, vk: FakeVK
) -> None:
    """1C-Bitrix writes <br><br> between paragraphs, <br> inside headings and links with
    spaces: Markdown can't say all of it, so an untouched text is never read back."""
    services = web_running.services
    body, _ = html_to_doc(
        "<h2>Внимание!<br>Отключение воды</h2><p>5 декабря<br><br>с 10:00 до 14:00</p>"
        '<p><a href="https://town.example/files/график отключений.pdf">График</a></p>',
        "https://town.example/news/1",
    )
    post_id = await service.create(
        services, body=body, title="Отключение воды", kind=PostKind.NOTICE,
        platforms=["telegram", "vk"], created_by="feed",
    )  # fmt: skip
    await wait_published(web_running, post_id)
    edit = f"{web_running.url}/desk/posts/{post_id}/edit"
    async with await logged_in(tg) as s:
        async with s.get(edit) as r:
            opened = await r.text()
        text = html.unescape(TEXTAREA.search(opened).group(1))  # type: ignore[union-attr]
        form = {
            "csrf": CSRF.search(opened).group(1),  # type: ignore[union-attr]
            "title": "Отключение воды",
            "text": text.replace("\n", "\r\n"),  # as a browser sends a textarea
            "version": "1",
            "action": "save",
        }
        async with s.post(edit, data=form, allow_redirects=False) as r:
            assert r.status == 303
    async with services.db.read() as conn:
        post = await repo.get(conn, post_id)
        edits = [
            e for e in await audit.entries(conn, "post", post_id) if e["action"] == "post.edit"
        ]
    assert (post.version, post.body, edits) == (1, body, [])
