"""The post editor: the same ``service.create`` as ``glashatai post create`` and the admin
chat, so the same checks (platforms, photos, time, an empty post) refuse the same input;
photos are checked to be images with Pillow as the CLI does (``limits.read_photo``).
"Preview" shows how each platform will render the post, its title included, through the
platforms' own renderers.

Nothing typed is lost: a refused form (the session ended, a form from before a new login,
a year typo to confirm, a colleague's newer text) comes back with what was submitted and
a line saying why, and nothing is stored until the press officer presses again.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from shared.domain import MediaKind, PostKind
from shared.errors import ChangedMeanwhile, GlashataiError, NotFound
from shared.images import image_mime
from shared.posts import limits, repo, service
from shared.posts.model import Post, titled
from shared.posts.notices import EDITABLE
from shared.posts.service import NewMedia
from shared.richtext import Document, from_markdown
from shared.services import Services
from web import ids
from web.desk.actions import EditorAction
from web.desk.guard import Form, Refusal, close_files, local, page, staff, staff_form
from web.desk.markdown import to_markdown
from web.desk.preview import Shown, clean, previews
from web.desk.sessions import Session
from web.desk.times import CONFIRM_FIELD, FarAhead, when
from web.keys import SERVICES

KINDS = [k for k in PostKind if k is not PostKind.URGENT]


@dataclass
class Draft:
    """What the form holds, to show it again after a preview or a refusal."""

    title: str = ""
    text: str = ""
    kind: str = PostKind.PRESS_RELEASE.value
    platforms: list[str] = field(default_factory=list)
    at: str = ""
    urgent: bool = False
    far_ok: bool = False  # "the date is right": a time more than a year ahead confirmed
    version: str = ""  # the version of the post the edit form was opened on


def _draft(form: Form) -> Draft:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    return Draft(
        title=text("title").strip(),
        # A browser sends a textarea's line breaks as CRLF; the text is compared and parsed
        # as the editor showed it.
        text=text("text").replace("\r\n", "\n"),
        kind=text("kind") or PostKind.PRESS_RELEASE.value,
        platforms=[p for p in form.getall("platforms", []) if isinstance(p, str)],
        at=text("at").strip(),
        urgent=bool(text("urgent")),
        far_ok=bool(text(CONFIRM_FIELD)),
        version=text("version").strip(),
    )


def _files(form: Form, name: str) -> list[web.FileField]:
    return [f for f in form.getall(name, []) if isinstance(f, web.FileField) and f.filename]


def _photo(services: Services, upload: web.FileField) -> NewMedia:
    data = upload.file.read()
    not_image = services.texts("web.desk.editor.not_image", name=upload.filename)
    kind = limits.read_photo(data, upload.filename, services.texts, not_image)
    return NewMedia(MediaKind.PHOTO, upload.filename, image_mime(kind), data)


def _document(upload: web.FileField) -> NewMedia:
    mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    return NewMedia(MediaKind.DOCUMENT, upload.filename, mime, upload.file.read())


def _when(services: Services, draft: Draft) -> datetime | None:
    return when(services, draft.at, draft.far_ok) if draft.at else None


def _kind(draft: Draft) -> PostKind:
    if draft.urgent:
        return PostKind.URGENT
    try:
        return PostKind(draft.kind)
    except ValueError:
        return PostKind.PRESS_RELEASE


def _form(
    request: web.Request,
    session: Session | None,
    draft: Draft,
    *,
    shown: list[Shown] | None = None,
    error: str | None = None,
    status: int = 200,
    ask_far: bool = False,
) -> web.Response:
    services = request.app[SERVICES]
    return page(
        request,
        session,
        "desk/editor.html",
        status=status,
        draft=draft,
        kinds=KINDS,
        configured=service.configured_platforms(services.settings),
        shown=shown,
        clean=clean,
        error=error,
        ask_far=ask_far,
        CONFIRM_FIELD=CONFIRM_FIELD,
        EditorAction=EditorAction,
    )


def _kept_note(request: web.Request, why: Refusal) -> str:
    """Why the form came back unsaved (a browser can't be given its chosen files back)."""
    return request.app[SERVICES].texts(f"web.desk.kept.{why}_form")


async def _keep_new(
    request: web.Request, session: Session | None, form: Form, why: Refusal
) -> web.Response:
    """The new-post form refused (no session, a stale token): shown again, nothing stored."""
    note = _kept_note(request, why)
    return _form(request, session, _draft(form), error=note, status=403)


@staff
async def new_post(request: web.Request, session: Session) -> web.StreamResponse:
    configured = service.configured_platforms(request.app[SERVICES].settings)
    return _form(request, session, Draft(platforms=configured))


@staff_form(_keep_new)
async def create_post(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    draft = _draft(form)
    action = form.get("action")
    photos, documents = _files(form, "photos"), _files(form, "documents")
    try:
        return await _save_or_preview(request, session, draft, action, photos, documents)
    finally:
        close_files(form)


async def _save_or_preview(
    request: web.Request,
    session: Session,
    draft: Draft,
    action: object,
    photos: list[web.FileField],
    documents: list[web.FileField],
) -> web.StreamResponse:
    services = request.app[SERVICES]
    body = from_markdown(draft.text)
    if action == EditorAction.PREVIEW:
        shown = _previews(draft.title, body, draft.platforms, len(photos), len(documents))
        return _form(request, session, draft, shown=shown)
    try:
        media = [_photo(services, p) for p in photos] + [_document(d) for d in documents]
        post_id = await service.create(
            services,
            body=body,
            title=draft.title or None,
            kind=_kind(draft),
            platforms=draft.platforms,
            at=_when(services, draft),
            created_by=session.owner.actor,
            media=media,
            draft=action == EditorAction.DRAFT,
        )
    except FarAhead as exc:
        return _form(request, session, draft, error=str(exc), status=400, ask_far=True)
    except GlashataiError as exc:
        return _form(request, session, draft, error=services.texts.explain(exc), status=400)
    raise web.HTTPSeeOther(local(request, f"/desk/posts/{post_id}"))


def _previews(
    title: str, body: Document, platforms: list[str], photos: int, documents: int
) -> list[Shown]:
    """Each platform's rendering of the post as it goes out: the title is its heading."""
    return previews(titled(title or None, body), platforms, photos, documents)


# --- an existing post: its title and text (on every platform once published), more files


async def _post(request: web.Request) -> Post:
    post_id = ids.path_id(request, "post_id")
    try:
        async with request.app[SERVICES].db.read() as conn:
            return await repo.get(conn, post_id)
    except NotFound:
        raise web.HTTPNotFound() from None


def _edit_form(
    request: web.Request,
    session: Session | None,
    post_id: int,
    draft: Draft,
    *,
    post: Post | None = None,
    current: Draft | None = None,
    shown: list[Shown] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    """The edit form; ``post`` is None for a form kept without a session (nothing about the
    post is read for it), ``current`` is a colleague's newer text shown beside hers."""
    return page(
        request,
        session,
        "desk/edit.html",
        status=status,
        post_id=post_id,
        draft=draft,
        current=current,
        shown=shown,
        clean=clean,
        error=error,
        EditorAction=EditorAction,
        published=post is not None and post.status not in EDITABLE,
        can_add_media=post is not None and post.status in EDITABLE,
    )


def _as_draft(post: Post) -> Draft:
    """The post as the edit form shows it: its text as Markdown, its version to check."""
    return Draft(title=post.title or "", text=to_markdown(post.body), version=str(post.version))


@staff
async def edit_post(request: web.Request, session: Session) -> web.StreamResponse:
    post = await _post(request)
    return _edit_form(request, session, post.id, _as_draft(post), post=post)


async def _keep_edit(
    request: web.Request, session: Session | None, form: Form, why: Refusal
) -> web.Response:
    """The edit form refused (no session, a stale token): shown again, nothing changed."""
    post_id = ids.path_id(request, "post_id")
    note = _kept_note(request, why)
    return _edit_form(request, session, post_id, _draft(form), error=note, status=403)


@staff_form(_keep_edit)
async def save_post(request: web.Request, session: Session) -> web.StreamResponse:
    post = await _post(request)
    form = await request.post()
    try:
        return await _save_edit(request, session, post, form)
    finally:
        close_files(form)


def _changes(post: Post, draft: Draft) -> tuple[Document, bool]:
    """The body to store and whether the form changes the post at all.

    The text is compared as the editor showed it (``to_markdown``): Markdown can't say
    everything a post from a feed holds (a line break in a heading, a link with spaces),
    so reading back an untouched text could restructure it, and edit it on every platform.
    """
    if draft.text == to_markdown(post.body):
        return post.body, draft.title != (post.title or "")
    return from_markdown(draft.text), True


async def _save_edit(
    request: web.Request,
    session: Session,
    post: Post,
    form: Form,
) -> web.StreamResponse:
    services = request.app[SERVICES]
    draft = _draft(form)
    photos, documents = _files(form, "photos"), _files(form, "documents")
    if form.get("action") == EditorAction.PREVIEW:
        body, _ = _changes(post, draft)
        shown = _previews(draft.title, body, post.platforms, len(photos), len(documents))
        return _edit_form(request, session, post.id, draft, post=post, shown=shown)
    actor = session.owner.actor
    try:
        media = [_photo(services, p) for p in photos] + [_document(d) for d in documents]
        post = await _post(request)  # as it is now, right before the change
        body, changed = _changes(post, draft)
        if changed and draft.version != str(post.version):
            return _conflict(request, session, post, draft)
        if changed:
            seen = post.version  # checked again in the edit's own transaction
            await service.edit(
                services, post.id, body, actor, title=draft.title, expected_version=seen
            )
        if media:
            await service.add_media(services, post.id, media, actor)
    except ChangedMeanwhile:
        return _conflict(request, session, await _post(request), draft)
    except GlashataiError as exc:
        text = services.texts.explain(exc)
        return _edit_form(request, session, post.id, draft, post=post, error=text, status=400)
    raise web.HTTPSeeOther(local(request, f"/desk/posts/{post.id}"))


def _conflict(request: web.Request, session: Session, post: Post, draft: Draft) -> web.Response:
    """Someone changed the post since the form was opened: nothing is saved; her text stays
    in the form, the current one is shown beside it, and the form now carries the current
    version, so saving again replaces the colleague's text knowingly."""
    texts = request.app[SERVICES].texts
    current = _as_draft(post)
    mine = Draft(title=draft.title, text=draft.text, version=current.version)
    error = texts("web.desk.safety.changed_meanwhile", version=post.version)
    return _edit_form(
        request, session, post.id, mine, post=post, current=current, error=error, status=409
    )
