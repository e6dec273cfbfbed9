"""The staff desk: a moderator's login by a one-time link from the admin chat, the content
calendar, the post editor, hotlines and delivery health. ``setup(app)`` mounts it under
``/desk`` (``web.app.build_app`` calls it)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from web.desk import editor, health_views, hotlines_views, login, posts_views
from web.desk.actions import PostAction
from web.desk.keys import KEYS, LOGIN_ATTEMPTS
from web.desk.limits import Attempts
from web.desk.sessions import Keys
from web.keys import JINJA, NAV, SERVICES, SETTINGS, NavItem

log = logging.getLogger(__name__)

# Login-link pages per client address: a person needs two (the page, the button).
LOGIN_ATTEMPTS_LIMIT = 10
LOGIN_ATTEMPTS_WINDOW = 600.0

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Every route that needs a moderator's session: (method, path, handler).
STAFF_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/desk", login.home),
    ("POST", "/desk/logout", login.logout),
    ("GET", "/desk/calendar", posts_views.calendar),
    ("GET", "/desk/posts/new", editor.new_post),
    ("POST", "/desk/posts/new", editor.create_post),
    ("GET", r"/desk/posts/{post_id:\d+}", posts_views.post_page),
    ("GET", r"/desk/posts/{post_id:\d+}/edit", editor.edit_post),
    ("POST", r"/desk/posts/{post_id:\d+}/edit", editor.save_post),
    (
        "POST",
        r"/desk/posts/{post_id:\d+}/{action:" + "|".join(PostAction) + "}",
        posts_views.post_action,
    ),
    ("GET", r"/desk/posts/{post_id:\d+}/unknown/{outbox_id:\d+}", posts_views.unknown_page),
    ("POST", r"/desk/posts/{post_id:\d+}/unknown/{outbox_id:\d+}", posts_views.unknown_resolve),
    ("GET", "/desk/hotlines", hotlines_views.hotlines),
    ("GET", r"/desk/hotlines/{hotline_id:\d+}", hotlines_views.hotline),
    ("GET", r"/desk/hotlines/{hotline_id:\d+}/digest.docx", hotlines_views.digest_docx),
    ("GET", "/desk/health", health_views.health),
]

PUBLIC_ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/desk/login", login.help_page),
    ("GET", "/desk/login/{token}", login.link_page),
    ("POST", "/desk/login/{token}", login.link_login),
]


def setup(app: web.Application) -> None:
    secret = app[SETTINGS].secret_key
    if secret is None:
        log.warning("staff desk: off, GLASHATAI_WEB__SECRET_KEY is not set")
        return
    app[KEYS] = Keys(secret.get_secret_value())
    app[LOGIN_ATTEMPTS] = Attempts(LOGIN_ATTEMPTS_LIMIT, LOGIN_ATTEMPTS_WINDOW)
    for method, path, handler in [*PUBLIC_ROUTES, *STAFF_ROUTES]:
        app.router.add_route(method, path, handler)
    app[NAV].append(NavItem("/desk", "web.desk.nav.desk"))
    texts = app[SERVICES].texts

    def platform_label(name: str) -> str:
        key = f"web.desk.platform.{name}"
        return texts(key) if key in texts else name

    app[JINJA].globals["desk_platform"] = platform_label
