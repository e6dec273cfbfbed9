"""The post editor: the same ``service.create`` as ``glashatai post create`` and the admin
chat, so the same checks (platforms, photos, time, an empty post) refuse the same input;
photos are checked to be images with Pillow as the CLI does. "Preview" shows how each
platform will render the text, through the platforms' own renderers."""

from __future__ import annotations

import io
import mimetypes
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web
from multidict import MultiDictProxy
from PIL import Image, UnidentifiedImageError

from shared.clock import utcnow
from shared.domain import MediaKind, PostKind
from shared.errors import GlashataiError, InvalidInput, NotFound
from shared.images import image_mime
from shared.posts import repo, service
from shared.posts.model import Post
from shared.posts.notices import EDITABLE
from shared.posts.service import NewMedia
from shared.posts.when import parse_when
from shared.richtext import from_markdown
from shared.services import Services
from web import ids
from web.desk.actions import EditorAction
from web.desk.guard import local, page, staff
from web.desk.markdown import to_markdown
from web.desk.preview import Shown, clean, previews
from web.desk.sessions import Session
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


def _draft(form: MultiDictProxy[str | web.FileField | bytes | bytearray]) -> Draft:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    return Draft(
        title=text("title").strip(),
        text=text("text"),
        kind=text("kind") or PostKind.PRESS_RELEASE.value,
        platforms=[p for p in form.getall("platforms", []) if isinstance(p, str)],
        at=text("at").strip(),
        urgent=bool(text("urgent")),
    )


def _files(
    form: MultiDictProxy[str | web.FileField | bytes | bytearray], name: str
) -> list[web.FileField]:
    return [f for f in form.getall(name, []) if isinstance(f, web.FileField) and f.filename]


def _photo(services: Services, upload: web.FileField) -> NewMedia:
    data = upload.file.read()
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
            mime = image_mime(image.format)
    except (UnidentifiedImageError, OSError, SyntaxError):
        raise InvalidInput(
            services.texts("web.desk.editor.not_image", name=upload.filename)
        ) from None
    return NewMedia(MediaKind.PHOTO, upload.filename, mime, data)


def _document(upload: web.FileField) -> NewMedia:
    mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    return NewMedia(MediaKind.DOCUMENT, upload.filename, mime, upload.file.read())


def _when(services: Services, draft: Draft) -> datetime | None:
    if not draft.at:
        return None
    try:
        at = parse_when(draft.at.replace("T", " "), utcnow(), services.settings.tz)
    except InvalidInput:
        raise InvalidInput(services.texts("web.desk.editor.bad_time", text=draft.at[:40])) from None
    service.check_time(services, at)
    return at


def _kind(draft: Draft) -> PostKind:
    if draft.urgent:
        return PostKind.URGENT
    try:
        return PostKind(draft.kind)
    except ValueError:
        return PostKind.PRESS_RELEASE


def _form(
    request: web.Request,
    session: Session,
    draft: Draft,
    *,
    shown: list[Shown] | None = None,
    error: str | None = None,
    status: int = 200,
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
        EditorAction=EditorAction,
    )


@staff
async def new_post(request: web.Request, session: Session) -> web.StreamResponse:
    configured = service.configured_platforms(request.app[SERVICES].settings)
    return _form(request, session, Draft(platforms=configured))


@staff
async def create_post(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    draft = _draft(form)
    action = form.get("action")
    photos, documents = _files(form, "photos"), _files(form, "documents")
    try:
        return await _save_or_preview(request, session, draft, action, photos, documents)
    finally:
        for upload in form.values():
            if isinstance(upload, web.FileField):
                upload.file.close()


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
        shown = previews(body, draft.platforms, len(photos), len(documents))
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
    except GlashataiError as exc:
        return _form(request, session, draft, error=services.texts.explain(exc), status=400)
    raise web.HTTPSeeOther(local(request, f"/desk/posts/{post_id}"))


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
    session: Session,
    post: Post,
    draft: Draft,
    *,
    shown: list[Shown] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    return page(
        request,
        session,
        "desk/edit.html",
        status=status,
        post=post,
        draft=draft,
        shown=shown,
        clean=clean,
        error=error,
        EditorAction=EditorAction,
        published=post.status not in EDITABLE,
        can_add_media=post.status in EDITABLE,
    )


@staff
async def edit_post(request: web.Request, session: Session) -> web.StreamResponse:
    post = await _post(request)
    draft = Draft(title=post.title or "", text=to_markdown(post.body))
    return _edit_form(request, session, post, draft)


@staff
async def save_post(request: web.Request, session: Session) -> web.StreamResponse:
    post = await _post(request)
    form = await request.post()
    try:
        return await _save_edit(request, session, post, form)
    finally:
        for upload in form.values():
            if isinstance(upload, web.FileField):
                upload.file.close()


async def _save_edit(
    request: web.Request,
    session: Session,
    post: Post,
    form: MultiDictProxy[str | web.FileField | bytes | bytearray],
) -> web.StreamResponse:
    services = request.app[SERVICES]
    draft = _draft(form)
    body = from_markdown(draft.text)
    photos, documents = _files(form, "photos"), _files(form, "documents")
    if form.get("action") == EditorAction.PREVIEW:
        shown = previews(body, post.platforms, len(photos), len(documents))
        return _edit_form(request, session, post, draft, shown=shown)
    actor = session.owner.actor
    try:
        media = [_photo(services, p) for p in photos] + [_document(d) for d in documents]
        if body != post.body or draft.title != (post.title or ""):
            await service.edit(services, post.id, body, actor, title=draft.title)
        if media:
            await service.add_media(services, post.id, media, actor)
    except GlashataiError as exc:
        text = services.texts.explain(exc)
        return _edit_form(request, session, post, draft, error=text, status=400)
    raise web.HTTPSeeOther(local(request, f"/desk/posts/{post.id}"))
