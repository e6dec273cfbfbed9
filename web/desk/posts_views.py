"""The content calendar and a post's page with the admin chat's actions: publish now,
reschedule, cancel, and the way out of an ``unknown`` send. Every change goes through
``shared.posts.service`` with the moderator as the actor, so it is audited the same way."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from zoneinfo import ZoneInfo

from aiohttp import web

from shared.clock import utcnow
from shared.domain import PostStatus
from shared.errors import GlashataiError, InvalidInput, NotFound
from shared.posts import service
from shared.posts.notices import EDITABLE
from shared.richtext import to_plain
from web import ids
from web.desk import queries
from web.desk.actions import PostAction, UnknownChoice
from web.desk.calendar import View, period, weeks
from web.desk.guard import local, page, staff
from web.desk.sessions import Session
from web.desk.states import DeskState
from web.desk.times import CONFIRM_FIELD, FarAhead, when
from web.keys import SERVICES
from web.templating import render

# What "publish now" accepts (``service.publish_now``): a retry of a failed post included.
PUBLISHABLE = {*EDITABLE, PostStatus.FAILED, PostStatus.PARTLY_PUBLISHED}
# What ``service.edit`` refuses: a post on its way out, or one that will never go.
FIXED = {PostStatus.PUBLISHING, PostStatus.CANCELLED}


# The days the calendar can show: a period, its neighbours and its bounds in UTC stay
# inside what ``datetime`` can hold.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


def _bad_request(request: web.Request, key: str, **values: str) -> web.Response:
    """A 400 whose page says, in Russian, what the calendar expects."""
    detail = request.app[SERVICES].texts(key, **values)
    return render(request, "error.html", status=400, message_key="web.errors.other", detail=detail)


def _focus(request: web.Request) -> date | None:
    """The day asked for (today when none), or None when it is no day the calendar shows."""
    raw = request.query.get("date", "")
    try:
        focus = date.fromisoformat(raw) if raw else utcnow().astimezone(_tz(request)).date()
    except ValueError:
        return None
    return focus if FIRST_DAY <= focus <= LAST_DAY else None


def _tz(request: web.Request) -> ZoneInfo:
    return request.app[SERVICES].settings.tz


@staff
async def calendar(request: web.Request, session: Session) -> web.StreamResponse:
    try:
        view = View(request.query.get("view", View.MONTH.value))
    except ValueError:
        return _bad_request(request, "web.desk.calendar.bad_view")
    focus = _focus(request)
    if focus is None:
        first, last = (day.strftime("%d.%m.%Y") for day in (FIRST_DAY, LAST_DAY))
        return _bad_request(request, "web.desk.calendar.bad_date", first=first, last=last)
    tz = _tz(request)
    p = period(view, focus)
    start, end = p.bounds(tz)
    async with request.app[SERVICES].db.read() as conn:
        found = await queries.entries(conn, start, end)
    today = utcnow().astimezone(tz).date()
    return page(
        request,
        session,
        "desk/calendar.html",
        period=p,
        weeks=weeks(p, found, tz, today),
        tz=tz,
        View=View,
    )


async def _view(request: web.Request, post_id: int) -> queries.PostView:
    try:
        async with request.app[SERVICES].db.read() as conn:
            return await queries.post_view(conn, post_id)
    except NotFound:
        raise web.HTTPNotFound() from None


def _post_id(request: web.Request) -> int:
    return ids.path_id(request, "post_id")


async def _post_page(
    request: web.Request,
    session: Session,
    post_id: int,
    *,
    error: str | None = None,
    status: int = 200,
    far_at: str | None = None,
) -> web.Response:
    """The post's page; ``far_at`` is a time more than a year ahead to confirm (its tick
    box is shown, the time kept as typed)."""
    view = await _view(request, post_id)
    return page(
        request,
        session,
        "desk/post.html",
        status=status,
        view=view,
        tz=_tz(request),
        error=error,
        DeskState=DeskState,
        to_plain=to_plain,
        can_publish=view.entry.post.status in PUBLISHABLE,
        can_change=view.entry.post.status in EDITABLE,
        can_edit=view.entry.post.status not in FIXED,
        PostAction=PostAction,
        far_at=far_at,
        CONFIRM_FIELD=CONFIRM_FIELD,
    )


@staff
async def post_page(request: web.Request, session: Session) -> web.StreamResponse:
    return await _post_page(request, session, _post_id(request))


async def _publish(request: web.Request, post_id: int, actor: str) -> None:
    await service.publish_now(request.app[SERVICES], post_id, actor)


async def _retry(request: web.Request, post_id: int, actor: str) -> None:
    await service.retry(request.app[SERVICES], post_id, actor)


async def _cancel(request: web.Request, post_id: int, actor: str) -> None:
    await service.cancel(request.app[SERVICES], post_id, actor)


async def _reschedule(request: web.Request, post_id: int, actor: str) -> None:
    services = request.app[SERVICES]
    form = await request.post()
    raw = str(form.get("at", "")).strip()
    if not raw:
        raise InvalidInput(services.texts("web.desk.post.no_time"))
    at = when(services, raw, bool(form.get(CONFIRM_FIELD)))
    await service.schedule(services, post_id, at, actor)


ACTIONS: dict[PostAction, Callable[[web.Request, int, str], Awaitable[None]]] = {
    PostAction.PUBLISH: _publish,
    PostAction.CANCEL: _cancel,
    PostAction.RESCHEDULE: _reschedule,
    PostAction.RETRY: _retry,
}


@staff
async def post_action(request: web.Request, session: Session) -> web.StreamResponse:
    post_id = _post_id(request)
    await _view(request, post_id)
    try:
        act = ACTIONS[PostAction(request.match_info["action"])]
        await act(request, post_id, session.owner.actor)
    except FarAhead as exc:
        return await _post_page(
            request, session, post_id, error=str(exc), status=409, far_at=exc.typed
        )
    except GlashataiError as exc:
        text = request.app[SERVICES].texts.explain(exc)
        return await _post_page(request, session, post_id, error=text, status=409)
    raise web.HTTPSeeOther(local(request, f"/desk/posts/{post_id}"))


def _unknown_line(view: queries.PostView, outbox_id: int) -> queries.PlatformLine:
    for line in view.entry.unknown:
        if line.publication is not None and line.publication.outbox_id == outbox_id:
            return line
    raise web.HTTPNotFound()


@staff
async def unknown_page(request: web.Request, session: Session) -> web.StreamResponse:
    """Asks to confirm, naming the risk: the post may already be there, and go out twice."""
    post_id = _post_id(request)
    view = await _view(request, post_id)
    line = _unknown_line(view, ids.path_id(request, "outbox_id"))
    return page(
        request, session, "desk/unknown.html", view=view, line=line, UnknownChoice=UnknownChoice
    )


@staff
async def unknown_resolve(request: web.Request, session: Session) -> web.StreamResponse:
    post_id = _post_id(request)
    view = await _view(request, post_id)
    outbox_id = ids.path_id(request, "outbox_id")
    _unknown_line(view, outbox_id)
    form = await request.post()
    choice = form.get("choice")
    if choice not in set(UnknownChoice):
        raise web.HTTPBadRequest()
    services = request.app[SERVICES]
    try:
        await service.resolve_unknown(
            services,
            outbox_id,
            delivered=choice == UnknownChoice.DELIVERED,
            actor=session.owner.actor,
        )
    except GlashataiError as exc:
        return await _post_page(
            request, session, post_id, error=services.texts.explain(exc), status=409
        )
    raise web.HTTPSeeOther(local(request, f"/desk/posts/{post_id}"))
