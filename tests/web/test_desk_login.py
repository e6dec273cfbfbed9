"""Staff desk login: the /web link from the admin chat (through the fake Telegram), the
one-time link, sessions, logout, the moderator allowlist, rate limits, the audit log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update

from shared.clock import utcnow
from shared.storage import audit
from shared.storage.schema import desk_login_links, desk_sessions
from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from simulators.waiting import wait
from tests.harness import ADMIN_CHAT, MODERATOR
from tests.web.harness import RunningWeb, running_web, web_settings
from web.desk import LOGIN_ATTEMPTS_LIMIT, STAFF_ROUTES
from web.desk.links import LINKS_PER_TTL
from web.desk.login import PRE_COOKIE
from web.desk.sessions import COOKIE

LINK = re.compile(r"https?://\S+/desk/login/[A-Za-z0-9_-]+")
STRANGER = 6002


def private_links(tg: FakeTelegram, user_id: int = MODERATOR) -> list[str]:
    return [m for msg in tg.messages(user_id) for m in LINK.findall(msg.get("text") or "")]


async def ask_link(tg: FakeTelegram, user_id: int = MODERATOR) -> str:
    """Send /web in the admin chat and wait for the private message with the link."""
    before = len(private_links(tg, user_id))
    tg.user_message(user_id, ADMIN_CHAT, text="/web")
    found = await wait(lambda: private_links(tg, user_id)[before:], timeout=10)
    return found[0]


def client() -> aiohttp.ClientSession:
    # unsafe: the test server is an IP address, whose cookies aiohttp ignores otherwise.
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def follow(session: aiohttp.ClientSession, link: str) -> aiohttp.ClientResponse:
    """Open the link's page, then press its button (a POST with the page's CSRF token)."""
    async with session.get(link) as page:
        html = await page.text()
        assert page.status == 200, html
    token = re.search(r'name="csrf" value="([^"]+)"', html)
    assert token is not None
    return await session.post(link, data={"csrf": token.group(1)}, allow_redirects=False)


async def logged_in(tg: FakeTelegram) -> aiohttp.ClientSession:
    session = client()
    response = await follow(session, await ask_link(tg))
    assert response.status == 303
    return session


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with client() as session:
        yield session


async def test_web_link_logs_in_once_and_is_audited(
    web_running: RunningWeb, tg: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    link = await ask_link(tg)
    assert link.startswith(web_running.url)
    # The admin chat is told to look in the private chat; the link itself is never there.
    assert not LINK.search(" ".join(m.get("text") or "" for m in tg.messages(ADMIN_CHAT)))

    response = await follow(http, link)
    assert response.status == 303
    assert response.headers["Location"] == "/desk/calendar"
    cookie = response.headers["Set-Cookie"]
    assert f"{COOKIE}=" in cookie
    assert "HttpOnly" in cookie
    assert "Path=/desk;" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # PUBLIC_URL is http here
    async with http.get(f"{web_running.url}/desk/calendar") as page:
        assert page.status == 200
        assert "Мария" in await page.text()

    # The link is spent: its page and its button refuse it now.
    async with http.get(link) as again:
        assert again.status == 403
    async with http.post(link, data={"csrf": "x"}) as again:
        assert again.status == 403

    async with web_running.services.db.read() as conn:
        actions = [e["action"] for e in await audit.entries(conn, "desk_user", MODERATOR)]
    assert actions[:2] == ["desk.link_issued", "desk.login"]


async def test_only_a_hash_of_the_link_is_stored(web_running: RunningWeb, tg: FakeTelegram) -> None:
    link = await ask_link(tg)
    token = link.rsplit("/", 1)[1]
    async with web_running.services.db.read() as conn:
        rows = (await conn.execute(desk_login_links.select())).all()
    assert rows
    assert all(token not in str(tuple(r)) for r in rows)


async def test_expired_link_is_refused(
    web_running: RunningWeb, tg: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    link = await ask_link(tg)
    async with web_running.services.db.write() as conn:
        await conn.execute(
            update(desk_login_links).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    async with http.get(link) as page:
        assert page.status == 403
    async with http.post(link, data={"csrf": "x"}, allow_redirects=False) as response:
        assert response.status == 403
        assert COOKIE not in response.cookies


async def test_login_button_needs_its_csrf_token(
    web_running: RunningWeb, tg: FakeTelegram, http: aiohttp.ClientSession
) -> None:
    link = await ask_link(tg)
    async with http.get(link) as page:
        assert page.status == 200
    async with http.post(link, data={}, allow_redirects=False) as response:
        assert response.status == 403
    async with http.post(link, data={"csrf": "forged"}, allow_redirects=False) as response:
        assert response.status == 403
    # The link was not spent by the refused attempts.
    assert (await follow(http, link)).status == 303


async def test_a_non_moderator_gets_no_link(web_running: RunningWeb, tg: FakeTelegram) -> None:
    tg.add_user(STRANGER, "Пётр")
    tg.user_message(STRANGER, ADMIN_CHAT, text="/web")

    async def denied() -> bool:
        async with web_running.services.db.read() as conn:
            entries = await audit.entries(conn)
        return any(e["action"] == "denied" and e["actor"] == f"tg:{STRANGER}" for e in entries)

    await wait(denied)
    assert private_links(tg, STRANGER) == []
    async with web_running.services.db.read() as conn:
        assert (await conn.execute(desk_login_links.select())).all() == []


async def test_links_per_moderator_are_limited(web_running: RunningWeb, tg: FakeTelegram) -> None:
    for _ in range(LINKS_PER_TTL):
        await ask_link(tg)
    tg.user_message(MODERATOR, ADMIN_CHAT, text="/web")
    too_many = web_running.services.texts("web.desk.bot.too_many")
    await wait(lambda: any(m.get("text") == too_many for m in tg.messages(ADMIN_CHAT)))
    assert len(private_links(tg)) == LINKS_PER_TTL


async def test_login_link_attempts_are_rate_limited(
    web_running: RunningWeb, http: aiohttp.ClientSession
) -> None:
    statuses = []
    for n in range(LOGIN_ATTEMPTS_LIMIT + 2):
        async with http.get(f"{web_running.url}/desk/login/guess{n}") as response:
            statuses.append(response.status)
    assert statuses[:LOGIN_ATTEMPTS_LIMIT] == [403] * LOGIN_ATTEMPTS_LIMIT
    assert statuses[LOGIN_ATTEMPTS_LIMIT:] == [429, 429]
    async with http.post(f"{web_running.url}/desk/login/guess", data={"csrf": "x"}) as response:
        assert response.status == 429


async def test_logout_ends_the_session_on_the_server(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    async with await logged_in(tg) as session:
        cookie = next(c for c in session.cookie_jar if c.key == COOKIE)
        stolen = cookie.value
        async with session.get(f"{web_running.url}/desk/calendar") as page:
            csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text())
        assert csrf is not None
        async with session.post(
            f"{web_running.url}/desk/logout", data={"csrf": csrf.group(1)}, allow_redirects=False
        ) as response:
            assert response.status == 303
    # A copy of the old cookie opens nothing any more.
    async with (
        aiohttp.ClientSession(cookies={COOKIE: stolen}) as thief,
        thief.get(f"{web_running.url}/desk/calendar", allow_redirects=False) as page,
    ):
        assert page.status == 302
        assert page.headers["Location"] == "/desk/login"
    async with web_running.services.db.read() as conn:
        actions = [e["action"] for e in await audit.entries(conn, "desk_user", MODERATOR)]
    assert "desk.logout" in actions


async def test_an_expired_session_is_refused(web_running: RunningWeb, tg: FakeTelegram) -> None:
    async with await logged_in(tg) as session:
        async with web_running.services.db.write() as conn:
            await conn.execute(
                update(desk_sessions).values(expires_at=utcnow() - timedelta(seconds=1))
            )
        async with session.get(f"{web_running.url}/desk/calendar", allow_redirects=False) as page:
            assert page.status == 302


async def test_a_former_moderator_is_let_out(web_running: RunningWeb, tg: FakeTelegram) -> None:
    async with await logged_in(tg) as session:
        web_running.services.settings.telegram.moderator_ids.remove(MODERATOR)
        async with session.get(f"{web_running.url}/desk/calendar", allow_redirects=False) as page:
            assert page.status == 302
    async with web_running.services.db.read() as conn:
        actions = [e["action"] for e in await audit.entries(conn, "desk_user", MODERATOR)]
    assert "desk.refused" in actions


def _concrete(path: str) -> str:
    return re.sub(
        r"\{(\w+)(:[^}]*)?\}", lambda m: "1" if m.group(1) != "action" else "cancel", path
    )


async def test_every_staff_route_needs_a_session(
    web_running: RunningWeb, http: aiohttp.ClientSession
) -> None:
    seen: list[Any] = []
    for method, path, _ in STAFF_ROUTES:
        url = f"{web_running.url}{_concrete(path)}"
        async with http.request(method, url, data={}, allow_redirects=False) as response:
            seen.append((method, path, response.status))
            if method == "GET":
                assert response.status == 302, seen[-1]
                assert response.headers["Location"] == "/desk/login"
            else:
                assert response.status == 403, seen[-1]
    assert len(seen) == len(STAFF_ROUTES)


async def test_a_forged_cookie_is_refused(web_running: RunningWeb) -> None:
    async with (
        aiohttp.ClientSession(cookies={COOKIE: "x.y.z"}) as forged,
        forged.get(f"{web_running.url}/desk/calendar", allow_redirects=False) as page,
    ):
        assert page.status == 302


async def test_a_form_without_its_csrf_token_is_refused(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    async with await logged_in(tg) as session:
        for path in ("/desk/logout", "/desk/posts/new"):
            async with session.post(f"{web_running.url}{path}", data={"title": "x"}) as response:
                assert response.status == 403
            async with session.post(
                f"{web_running.url}{path}", data={"csrf": "0" * 64}
            ) as response:
                assert response.status == 403
        # Still logged in: the refused logout did nothing.
        async with session.get(f"{web_running.url}/desk/calendar", allow_redirects=False) as page:
            assert page.status == 200


async def test_no_secret_in_desk_pages_or_headers(
    web_running: RunningWeb, tg: FakeTelegram
) -> None:
    settings = web_running.services.settings
    secrets = [v for v in settings.secrets() if v]
    async with await logged_in(tg) as session:
        for path in ("/desk/calendar", "/desk/calendar?view=week", "/desk/posts/new",
                     "/desk/hotlines", "/desk/health", "/desk/login"):  # fmt: skip
            async with session.get(f"{web_running.url}{path}") as page:
                body = await page.text()
                headers = " ".join(f"{k}: {v}" for k, v in page.headers.items())
            assert page.status == 200, path
            for secret in secrets:
                assert secret not in body, path
                assert secret not in headers, path
            assert PRE_COOKIE not in headers


async def test_cookies_and_redirects_behind_an_https_proxy_with_a_path(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, http: aiohttp.ClientSession
) -> None:
    """Behind the office's TLS proxy at ``/press`` the cookies are Secure and scoped to
    ``/press/desk``, and redirects stay under ``/press``."""
    public = "https://admin.town.example/press"
    settings = web_settings(tmp_path, tg, vk, web={"public_url": public})
    async with running_web(settings) as running:
        link = await ask_link(tg)
        assert link.startswith(f"{public}/desk/login/")
        # The test talks to the server directly, as the proxy would (it strips /press).
        direct = running.url + link.removeprefix(public)
        async with http.get(direct) as page:
            assert "Secure" in page.headers["Set-Cookie"]
            assert "Path=/press/desk/login/" in page.headers["Set-Cookie"]
            html = await page.text()
        token = re.search(r'name="csrf" value="([^"]+)"', html)
        assert token is not None
        # aiohttp keeps Secure cookies for https only: hand the pre-login cookie over.
        pre = page.cookies[PRE_COOKIE].value
        async with http.post(
            direct,
            data={"csrf": token.group(1)},
            cookies={PRE_COOKIE: pre},
            allow_redirects=False,
        ) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/press/desk/calendar"
            cookie = response.headers.getall("Set-Cookie")[0]
    assert f"{COOKIE}=" in cookie
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "Path=/press/desk;" in cookie
