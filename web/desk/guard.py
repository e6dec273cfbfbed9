"""Who may use a staff route: a live session of a current moderator, and on every POST
the session's CSRF token. Without a session a page redirects to the login explanation and
a POST is refused with 403.

A refused form a person typed into (the editor) is not thrown away: ``staff_form`` hands
what was submitted back to the route's own page, with nothing done and a line saying why
(the session ended; the form is from before a new login). The CSRF check stays whole: the
form comes back with the current session's token, and only a second press acts.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, cast
from urllib.parse import urlsplit

from aiohttp import BodyPartReader, web
from multidict import MultiDict, MultiDictProxy

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

# Text a refused form may bring back without a session (its files are read and dropped).
KEPT_TEXT_LIMIT = 1024 * 1024

Form = MultiDictProxy[str | web.FileField | bytes | bytearray]
StaffHandler = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]
Route = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Refusal(StrEnum):
    """Why a request was refused, which the page says (``web.desk.refused.*``)."""

    LINK = "link"  # a login link used, expired, or not a moderator's
    SESSION = "session"  # no live session: it ended (8 hours, logout) or never was
    STALE = "stale"  # a live session, but the form carries another session's token


# Shows a refused form again: (request, the live session or None, what was submitted, why).
KeepForm = Callable[[web.Request, Session | None, Form, Refusal], Awaitable[web.Response]]


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


def refused(request: web.Request, status: int = 403, why: Refusal = Refusal.LINK) -> web.Response:
    response = render(request, "desk/refused.html", status=status, desk_user=None, csrf="", why=why)
    response.headers["Cache-Control"] = "no-store"
    return response


def staff(handler: StaffHandler) -> Route:
    """Wrap a staff route: session and moderator check, CSRF on POST, no caching."""
    return _guarded(handler, None)


def staff_form(keep: KeepForm) -> Callable[[StaffHandler], Route]:
    """``staff`` for a route whose form a person types into: a refused POST shows the form
    again through ``keep`` (nothing done) instead of the bare refusal page."""
    return lambda handler: _guarded(handler, keep)


def _guarded(handler: StaffHandler, keep: KeepForm | None) -> Route:
    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        session = await current(request)
        if session is None:
            if request.method == "GET":
                raise web.HTTPFound(local(request, LOGIN_HELP))
            kept = await _text_fields(request) if keep is not None else None
            if keep is None or kept is None:
                return refused(request, why=Refusal.SESSION)
            return _no_store(await keep(request, None, kept, Refusal.SESSION))
        if request.method == "POST":
            request = request.clone(client_max_size=UPLOAD_LIMIT)
            form = await request.post()
            given = form.get(CSRF_FIELD)
            if not isinstance(given, str) or not request.app[KEYS].csrf_ok(session.raw_id, given):
                if keep is None:
                    return refused(request, why=Refusal.STALE)
                try:
                    return _no_store(await keep(request, session, form, Refusal.STALE))
                finally:
                    close_files(form)
        return _no_store(await handler(request, session))

    return wrapper


def _no_store(response: web.StreamResponse) -> web.StreamResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


def close_files(form: Form) -> None:
    for value in form.values():
        if isinstance(value, web.FileField):
            value.file.close()


async def _text_fields(request: web.Request) -> Form | None:
    """A refused form's text fields, read without a session: its files are read past and
    dropped (nothing is stored for a visitor who is not logged in), and more than
    ``KEPT_TEXT_LIMIT`` of text, or more than ``UPLOAD_LIMIT`` in all, gives None."""
    if request.content_type != "multipart/form-data":
        try:
            return await request.post()
        except web.HTTPRequestEntityTooLarge:
            return None
    fields: MultiDict[str | web.FileField | bytes | bytearray] = MultiDict()
    total = text = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            return None
        data = bytearray()
        while chunk := await part.read_chunk():
            total += len(chunk)
            if total > UPLOAD_LIMIT:
                return None
            if part.filename is None:
                data.extend(chunk)
        if part.filename is None:
            text += len(data)
            if text > KEPT_TEXT_LIMIT:
                return None
            fields.add(part.name, bytes(data).decode(part.get_charset("utf-8"), "replace"))
    return MultiDictProxy(fields)


def page(
    request: web.Request,
    session: Session | None,
    template: str,
    *,
    status: int = 200,
    **context: Any,
) -> web.Response:
    """A desk page: the moderator's name and the CSRF token for its forms (neither for a
    refused form shown again without a session)."""
    return render(
        request,
        template,
        status=status,
        desk_user=session.owner.name if session is not None else None,
        csrf=request.app[KEYS].csrf(session.raw_id) if session is not None else "",
        **context,
    )


def local(request: web.Request, path: str) -> str:
    """``path`` as the browser sees it: under PUBLIC_URL's path (``/press`` behind a proxy)."""
    return urlsplit(request.app[SETTINGS].public_url).path.rstrip("/") + path


def cookie_secure(request: web.Request) -> bool:
    return request.app[SETTINGS].public_url.startswith("https://")
