"""Photos/docs as VK objects, and ``attachment(s)`` string validation."""

from __future__ import annotations

import re
from typing import Any

from .errors import VkError, invalid
from .media import image_size, sniff_image, store_blob
from .state import Doc, Photo, State, access_key, now

ATTACHMENT_RE = re.compile(
    r"^(?P<type>[a-z_]+)(?P<owner>-?\d+)_(?P<id>\d+)(?:_(?P<key>[0-9a-zA-Z]+))?$"
)
LINK_RE = re.compile(r"^https?://\S+$")
MAX_ATTACHMENTS = 10
DOC_TYPES = {
    "txt": 1,
    "doc": 1,
    "docx": 1,
    "pdf": 1,
    "odt": 1,
    "zip": 2,
    "rar": 2,
    "7z": 2,
    "gif": 3,
    "jpg": 4,
    "jpeg": 4,
    "png": 4,
    "webp": 4,
    "mp3": 5,
    "ogg": 5,
    "mp4": 6,
    "epub": 7,
    "fb2": 7,
}


def add_photo(
    state: State, data: bytes, owner_id: int, user_id: int, album_id: int, text: str = ""
) -> Photo:
    """Store image bytes as a new photo of ``owner_id``."""
    photo_id = state.next_photo_id
    state.next_photo_id += 1
    ext = sniff_image(data) or "jpg"
    blob = f"photo{owner_id}_{photo_id}.{ext}"
    store_blob(state, blob, data)
    width, height = image_size(data)
    photo = Photo(
        photo_id, owner_id, album_id, user_id, now(), width, height, access_key(), blob, text
    )
    state.photos[(owner_id, photo_id)] = photo
    return photo


def add_doc(
    state: State, data: bytes, owner_id: int, title: str, ext: str, kind: str = "doc"
) -> Doc:
    """Store bytes as a new document (or audio message) of ``owner_id``."""
    doc_id = state.next_doc_id
    state.next_doc_id += 1
    blob = f"doc{owner_id}_{doc_id}.{ext or 'bin'}"
    store_blob(state, blob, data, ext)
    doc_type = DOC_TYPES.get(ext.lower(), 8)
    doc = Doc(doc_id, owner_id, title, ext, len(data), doc_type, now(), access_key(), blob, kind)
    state.docs[(owner_id, doc_id)] = doc
    return doc


def photo_object(state: State, photo: Photo) -> dict[str, Any]:
    """A v5.199 ``photos_photo`` object."""
    url = state.url(f"/media/{photo.blob}")
    sizes = [
        {"type": kind, "url": url, "width": photo.width, "height": photo.height}
        for kind in ("s", "m", "x")
    ]
    return {
        "album_id": photo.album_id,
        "date": photo.date,
        "id": photo.id,
        "owner_id": photo.owner_id,
        "access_key": photo.access_key,
        "sizes": sizes,
        "orig_photo": {"type": "base", "url": url, "width": photo.width, "height": photo.height},
        "text": photo.text,
        "user_id": photo.user_id,
        "has_tags": False,
        "web_view_token": photo.access_key,
    }


def doc_object(state: State, doc: Doc) -> dict[str, Any]:
    """A v5.199 ``docs_doc`` object."""
    return {
        "id": doc.id,
        "owner_id": doc.owner_id,
        "title": doc.title,
        "size": doc.size,
        "ext": doc.ext,
        "date": doc.date,
        "type": doc.type,
        "url": state.url(f"/media/{doc.blob}"),
        "access_key": doc.access_key,
    }


def audio_message_object(state: State, doc: Doc, duration: int = 3) -> dict[str, Any]:
    """A ``messages_audio_message`` object."""
    url = state.url(f"/media/{doc.blob}")
    return {
        "id": doc.id,
        "owner_id": doc.owner_id,
        "duration": duration,
        "waveform": [0, 5, 12, 20, 12, 5, 0],
        "link_ogg": url,
        "link_mp3": url,
        "access_key": doc.access_key,
    }


def saved_doc_object(state: State, doc: Doc) -> dict[str, Any]:
    """What ``docs.save`` answers: ``{"type": ..., <type>: {...}}``."""
    if doc.kind == "audio_message":
        return {"type": "audio_message", "audio_message": audio_message_object(state, doc)}
    return {"type": doc.kind, doc.kind: doc_object(state, doc)}


def attachment_object(state: State, ref: str) -> dict[str, Any]:
    """The object form of a validated attachment string (for wall.getById etc.)."""
    if LINK_RE.match(ref):
        return {
            "type": "link",
            "link": {"url": ref, "title": ref, "caption": "", "description": ""},
        }
    match = ATTACHMENT_RE.match(ref)
    assert match, ref
    key = (int(match["owner"]), int(match["id"]))
    if match["type"] == "photo":
        return {"type": "photo", "photo": photo_object(state, state.photos[key])}
    if match["type"] == "doc":
        doc = state.docs[key]
        return saved_doc_object(state, doc)
    post = state.posts[key[1]]
    return {
        "type": "wall",
        "wall": {"id": post.id, "owner_id": post.owner_id, "text": post.message},
    }


def validate_attachments(
    state: State, raw: list[str], *, param: str, allow_links: bool = False
) -> list[str]:
    """Check ``photo{owner}_{id}``/``doc…``/``wall…`` refs exist; returns them."""
    if len(raw) > MAX_ATTACHMENTS:
        raise invalid(param, f"is invalid: too many attachments (max {MAX_ATTACHMENTS})")
    links = 0
    for ref in raw:
        if allow_links and LINK_RE.match(ref):
            links += 1
            if links > 1:
                raise invalid(param, "is invalid: only one link can be attached")
            continue
        match = ATTACHMENT_RE.match(ref)
        if not match:
            raise invalid(param, f"is invalid: {ref!r}")
        kind, key = match["type"], (int(match["owner"]), int(match["id"]))
        stored: Photo | Doc | None
        if kind == "photo":
            stored = state.photos.get(key)
        elif kind == "doc":
            stored = state.docs.get(key)
        elif kind == "wall":
            post = state.posts.get(key[1])
            if post is None or post.owner_id != key[0] or post.deleted:
                raise invalid(param, f"is invalid: {ref} not found")
            continue
        else:
            raise invalid(param, f"is invalid: type {kind!r} is not supported by the fake")
        if stored is None:
            raise invalid(param, f"is invalid: {ref} not found")
        if match["key"] and match["key"] != stored.access_key:
            raise VkError(15, f"wrong access_key in {ref}")
    return raw
