"""Jinja2 templates: autoescaped HTML, the text catalogue and the public address in every page."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from config.settings import WebSettings
from shared.posts.model import Post
from shared.storage.media import Media
from shared.texts import Texts
from web.keys import JINJA, NAV, SERVICES, SETTINGS
from web.richhtml import excerpt, printable

HTML = "text/html"


def environment(texts: Texts, settings: WebSettings, tz: ZoneInfo) -> Environment:
    env = Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # templates ship with the package: no stat() per page
    )
    root = urlsplit(settings.public_url).path.rstrip("/")
    env.globals["t"] = texts
    env.globals["public_url"] = settings.public_url
    env.globals["url"] = lambda path: f"{root}{path}"
    env.globals["file_path"] = file_path
    env.globals["headline"] = lambda post: headline(post, texts, tz)
    env.globals["local"] = lambda moment: _local(moment, tz)
    env.globals["iso"] = lambda moment: moment.isoformat() if moment else ""
    return env


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M") if moment else ""


def headline(post: Post, texts: Texts, tz: ZoneInfo) -> str:
    """The release's title (its line breaks as spaces), or its first words when it has none,
    or, for photos alone, its kind and date: a link, a page title and a feed item all need
    a name (an empty link is nameless to a screen reader)."""
    title = " ".join(printable(post.title or "").split())
    return title or excerpt(post.body, 90) or _untitled(post, texts, tz)


def _untitled(post: Post, texts: Texts, tz: ZoneInfo) -> str:
    """«Пресс-релиз от 01.12.2026»: the kind and the (local) day it came out."""
    kind = texts(f"web.untitled.kind.{post.kind.value}")
    if post.published_at is None:  # never on a public page; the id still names it
        return texts("web.untitled.numbered", kind=kind, id=post.id)
    day = post.published_at.astimezone(tz).strftime("%d.%m.%Y")
    return texts("web.untitled.dated", kind=kind, date=day)


def file_path(item: Media) -> str:
    """Where a release's photo or document is served (its name kept for the download)."""
    return f"/files/{item.id}/{quote(item.filename, safe='')}"


def absolute(request: web.Request, path: str) -> str:
    """``path`` under the public address (``GLASHATAI_WEB__PUBLIC_URL``), for links and feeds."""
    return f"{request.app[SETTINGS].public_url}{path}"


def render_text(request: web.Request, template: str, **context: Any) -> str:
    app = request.app
    page = app[JINJA].get_template(template)
    return page.render(
        request=request,
        nav=app[NAV],
        path=request.path,
        texts=app[SERVICES].texts,
        **context,
    )


def render(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    content_type: str = HTML,
    **context: Any,
) -> web.Response:
    """A page from ``template`` (an HTML or XML file under ``web/templates/``)."""
    body = render_text(request, template, **context)
    return web.Response(text=body, status=status, content_type=content_type, charset="utf-8")
