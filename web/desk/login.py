"""The login link's page, the login itself and the logout.

Following the link only shows a button: messengers fetch links to show previews, and a
GET that logged in would spend the link on the messenger's robot. The button's POST
carries a double-submit CSRF token (a cookie and the same value in the form), since there
is no session yet to tie it to.
"""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from web.desk import links, sessions
from web.desk.guard import CSRF_FIELD, cookie_secure, current, local, page, refused, staff
from web.desk.keys import KEYS, LOGIN_ATTEMPTS
from web.desk.sessions import COOKIE, SESSION_TTL, Session
from web.keys import SERVICES
from web.templating import render

PRE_COOKIE = "glashatai_desk_login"
HOME = "/desk/calendar"
DESK = "/desk"


def _client(request: web.Request) -> str:
    return request.remote or "?"


def _limited(request: web.Request) -> web.Response | None:
    if request.app[LOGIN_ATTEMPTS].allow(_client(request)):
        return None
    response = render(request, "desk/refused.html", status=429, desk_user=None, csrf="")
    response.headers["Retry-After"] = "600"
    return response


def _no_store(response: web.Response) -> web.Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


async def help_page(request: web.Request) -> web.StreamResponse:
    if await current(request) is not None:
        raise web.HTTPFound(local(request, HOME))
    return _no_store(render(request, "desk/login_help.html", desk_user=None, csrf=""))


async def link_page(request: web.Request) -> web.StreamResponse:
    limited = _limited(request)
    if limited is not None:
        return limited
    token = request.match_info["token"]
    if not await links.valid(request.app[SERVICES], token):
        return _no_store(refused(request))
    pre = secrets.token_urlsafe(24)
    response = render(request, "desk/login_confirm.html", desk_user=None, csrf=pre)
    response.set_cookie(
        PRE_COOKIE,
        pre,
        max_age=int(links.LINK_TTL.total_seconds()),
        path=local(request, links.LOGIN_PATH),
        httponly=True,
        samesite="Lax",
        secure=cookie_secure(request),
    )
    return _no_store(response)


async def link_login(request: web.Request) -> web.StreamResponse:
    limited = _limited(request)
    if limited is not None:
        return limited
    form = await request.post()
    given, expected = form.get(CSRF_FIELD), request.cookies.get(PRE_COOKIE)
    if not (isinstance(given, str) and expected and hmac.compare_digest(given, expected)):
        return _no_store(refused(request))
    session = await sessions.login(request.app[SERVICES], request.match_info["token"])
    if session is None:
        return _no_store(refused(request))
    response = web.HTTPSeeOther(local(request, HOME))
    response.set_cookie(
        COOKIE,
        request.app[KEYS].cookie(session.raw_id),
        max_age=int(SESSION_TTL.total_seconds()),
        path=local(request, DESK),
        httponly=True,
        samesite="Lax",
        secure=cookie_secure(request),
    )
    response.del_cookie(PRE_COOKIE, path=local(request, links.LOGIN_PATH))
    raise response


@staff
async def logout(request: web.Request, session: Session) -> web.StreamResponse:
    await sessions.end(request.app[SERVICES], session)
    response = web.HTTPSeeOther(local(request, "/"))
    response.del_cookie(COOKIE, path=local(request, DESK))
    raise response


@staff
async def home(request: web.Request, session: Session) -> web.StreamResponse:
    raise web.HTTPFound(local(request, HOME))


__all__ = ["help_page", "home", "link_login", "link_page", "logout", "page"]
