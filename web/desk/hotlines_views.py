"""Hotlines at the desk: open and past hotlines with their counts, one hotline's queue,
its charts (questions per day, time to answer) and its digest as a Word file."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from shared.errors import InvalidInput, NotFound
from shared.hotlines import campaigns, digest
from web import ids
from web.desk import charts, queries
from web.desk.guard import page, staff
from web.desk.sessions import Session
from web.keys import SERVICES
from web.templating import render


@staff
async def hotlines(request: web.Request, session: Session) -> web.StreamResponse:
    async with request.app[SERVICES].db.read() as conn:
        found = await campaigns.listing(conn)
        rows = [(h, await campaigns.tally(conn, h.id)) for h in found]
    rows.sort(key=lambda pair: pair[0].starts_at, reverse=True)
    return page(
        request,
        session,
        "desk/hotlines.html",
        rows=rows,
        tz=request.app[SERVICES].settings.tz,
    )


def _hotline_id(request: web.Request) -> int:
    return ids.path_id(request, "hotline_id")


@staff
async def hotline(request: web.Request, session: Session) -> web.StreamResponse:
    services = request.app[SERVICES]
    hotline_id = _hotline_id(request)
    try:
        async with services.db.read() as conn:
            found = await campaigns.get(conn, hotline_id)
            tally = await campaigns.tally(conn, hotline_id)
            times = await queries.question_times(conn, hotline_id)
            waiting = await queries.waiting(conn, hotline_id)
            printed = (await digest.counts(conn, [hotline_id])).get(hotline_id, 0)
    except NotFound:
        raise web.HTTPNotFound() from None
    tz = services.settings.tz
    labels = [services.texts(key) for _, key in charts.BUCKETS]
    return page(
        request,
        session,
        "desk/hotline.html",
        hotline=found,
        tally=tally,
        waiting=waiting,
        printed=printed,
        per_day=charts.per_day(times, tz),
        answer_times=charts.answer_times(times, labels),
        tz=tz,
    )


@staff
async def digest_docx(request: web.Request, session: Session) -> web.StreamResponse:
    """The same Word file as ``/digest``, recorded the same way (retention counts from the
    last one made); with nothing to publish, the page says so instead of an empty file."""
    services = request.app[SERVICES]
    hotline_id = _hotline_id(request)
    try:
        collected = await digest.publishable(services, hotline_id)
    except NotFound:
        raise web.HTTPNotFound() from None
    except InvalidInput as exc:
        return render(
            request, "error.html", status=409, message_key="web.errors.other", detail=str(exc)
        )
    settings = services.settings
    data = await asyncio.to_thread(
        digest.docx, collected, services.texts, settings.tz, settings.office_name
    )
    async with services.db.write() as conn:
        await digest.record_made(conn, session.owner.actor, collected)
    name = digest.filename(collected)
    return web.Response(
        body=data,
        content_type=digest.DOCX_MIME,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
