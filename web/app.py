"""The aiohttp application: public pages, feeds, static files and (when present) the staff desk.

Contract for the staff desk (``web/desk/``):

- ``build_app(services, settings)`` calls ``web.desk.setup(app)`` when the package exists,
  after the public routes and before the app is frozen. ``setup`` adds its routes (under
  ``/desk``), middlewares and cleanup hooks to ``app`` and may append a
  :class:`web.keys.NavItem` to ``app[NAV]`` to get a link in the header.
- What the app holds, by typed key (:mod:`web.keys`): ``app[SERVICES]`` (the same
  :class:`shared.services.Services` the bots use: ``db``, ``texts``, ``settings``,
  ``wake_outbox``), ``app[SETTINGS]`` (:class:`config.settings.WebSettings`: ``public_url``,
  ``secret_key``), ``app[JINJA]`` (the Jinja2 environment).
- Pages: ``web.templating.render(request, "desk/x.html", **context)``. Templates live in
  ``web/templates/`` (the desk's in ``web/templates/desk/``), are autoescaped and
  ``StrictUndefined``; they extend ``base.html`` and fill ``{% block title %}`` and
  ``{% block content %}`` (``{% block head %}`` for extra ``<meta>``/``<link>``). Globals:
  ``t(key, **values)`` (the text catalogue; keys of the desk under ``[web.desk]``),
  ``public_url``, ``nav``, ``path`` and ``request``.
- Styles: ``/static/site.css`` (no JavaScript is needed by any public page; the CSP allows
  scripts from ``/static`` only, never inline).
- Every response gets the security headers of :func:`security_headers`; an error status
  without a body gets the catalogue's error page (keeping the exception's own headers, such
  as a 405's ``Allow``), and any other exception is logged with its traceback and answered
  with the catalogue's server-error page.
- ``request.remote`` is the visitor's address also behind the reverse proxy (see
  :func:`behind_proxy`), so per-visitor limits can key on it.
"""

from __future__ import annotations

import importlib
import importlib.util
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from config.settings import WebSettings
from shared.services import Services
from web import public
from web.keys import JINJA, NAV, SERVICES, SETTINGS, NavItem
from web.templating import environment, render

log = logging.getLogger(__name__)

STATIC = Path(__file__).with_name("static")
DESK = "web.desk"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@web.middleware
async def behind_proxy(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Behind the office's reverse proxy on this machine, the visitor is in X-Forwarded-For.

    Only a loopback peer is trusted to say so; links never come from these headers
    (they are built on ``GLASHATAI_WEB__PUBLIC_URL``).
    """
    forwarded = request.headers.get("X-Forwarded-For")
    if forwarded and _loopback(request.remote):
        client = forwarded.split(",")[-1].strip()
        scheme = request.headers.get("X-Forwarded-Proto", request.scheme)
        if _is_ip(client):
            request = request.clone(
                remote=client, scheme=scheme if scheme in ("http", "https") else request.scheme
            )
    return await handler(request)


def _is_ip(value: str | None) -> bool:
    try:
        ipaddress.ip_address(value or "")
    except ValueError:
        return False
    return True


def _loopback(value: str | None) -> bool:
    return _is_ip(value) and ipaddress.ip_address(value or "").is_loopback


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No framing, no sniffing, no inline script: citizen text can never become a script."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.text not in (None, "", f"{exc.status}: {exc.reason}"):
            for name, value in HEADERS.items():
                exc.headers.setdefault(name, value)
            raise
        response = error_page(request, exc.status)
        for name, value in exc.headers.items():  # a 405's Allow, a 429's Retry-After
            if name.lower() not in _OWN_HEADERS and name not in response.headers:
                response.headers[name] = value
    except Exception:
        # The route's pattern, never the path itself: a login link's token is in its path.
        log.exception("web: %s %s failed", request.method, _route(request))
        response = error_page(request, 500)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


# What the error page sets itself rather than take from the exception.
_OWN_HEADERS = {"content-type", "content-length"}


def _route(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "(no route)"


def error_page(request: web.Request, status: int) -> web.Response:
    key = {404: "web.errors.not_found", 500: "web.errors.server"}.get(status, "web.errors.other")
    return render(request, "error.html", status=status, message_key=key)


def build_app(services: Services, settings: WebSettings) -> web.Application:
    app = web.Application(middlewares=[behind_proxy, security_headers])
    app[SERVICES] = services
    app[SETTINGS] = settings
    app[JINJA] = environment(services.texts, settings, services.settings.tz)
    app[NAV] = [
        NavItem("/", "web.nav.releases"),
        NavItem("/hotlines", "web.nav.hotlines"),
    ]
    app.router.add_static("/static", STATIC, name="static")
    public.setup(app)
    if importlib.util.find_spec(DESK) is not None:
        importlib.import_module(DESK).setup(app)
    return app
