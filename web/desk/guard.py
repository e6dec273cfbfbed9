"""Who may use a staff route: a live session of a current moderator, and on every POST
the session's CSRF token. Without a session a page redirects to the login explanation and
a POST is refused with 403."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, cast
from urllib.parse import urlsplit

from aiohttp import web

from shared.services import Services
from web.desk import sessions
from web.desk.keys import KEYS, MODERATORS, ModeratorCheck
from web.desk.sessions import COOKIE, Session
from web.keys import SERVICES, SETTINGS
from web.templating import render

CSRF_FIELD = "csrf"
LOGIN_HELP = "/desk/login"
# Photos and documents arrive in the editor's form: more than aiohttp's default 1 MiB.
UPLOAD_LIMIT = 60 * 1024 * 1024

StaffHandler = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]


async def is_moderator(services: Services, user_id: int) -> bool:
    check = cast(ModeratorCheck | None, services.features.get(MODERATORS))
    return check is not None and await check.is_moderator(user_id)


async def current(request: web.Request) -> Session | None:
    """The request's session, if its cookie is genuine and its moderator still moderates."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    raw_id = request.app[KEYS].unsign(value)
    if raw_id is None:
        return None
    services = request.app[SERVICES]
    session = await sessions.load(services, raw_id)
    if session is None:
        return None
    if not await is_moderator(services, session.owner.user_id):
        await sessions.end(services, session, why="desk.refused")
        return None
    return session


def refused(request: web.Request, status: int = 403) -> web.Response:
    response = render(request, "desk/refused.html", status=status, desk_user=None, csrf="")
    response.headers["Cache-Control"] = "no-store"
    return response


def staff(handler: StaffHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Wrap a staff route: session and moderator check, CSRF on POST, no caching."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        session = await current(request)
        if session is None:
            if request.method == "GET":
                raise web.HTTPFound(local(request, LOGIN_HELP))
            return refused(request)
        if request.method == "POST":
            request = request.clone(client_max_size=UPLOAD_LIMIT)
            form = await request.post()
            given = form.get(CSRF_FIELD)
            if not isinstance(given, str) or not request.app[KEYS].csrf_ok(session.raw_id, given):
                return refused(request)
        response = await handler(request, session)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapper


def page(
    request: web.Request, session: Session, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """A desk page: the moderator's name and the CSRF token for its forms."""
    return render(
        request,
        template,
        status=status,
        desk_user=session.owner.name,
        csrf=request.app[KEYS].csrf(session.raw_id),
        **context,
    )


def local(request: web.Request, path: str) -> str:
    """``path`` as the browser sees it: under PUBLIC_URL's path (``/press`` behind a proxy)."""
    return urlsplit(request.app[SETTINGS].public_url).path.rstrip("/") + path


def cookie_secure(request: web.Request) -> bool:
    return request.app[SETTINGS].public_url.startswith("https://")
