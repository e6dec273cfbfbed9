"""photos.* and docs.* methods: upload servers and saving upload receipts."""

from __future__ import annotations

from typing import Any

from ..attachments import add_doc, add_photo, photo_object, saved_doc_object
from ..errors import VkError, invalid, missing
from ..registry import Call, api_method
from ..state import State
from ..uploads import new_upload_server, take_doc, take_photos

WALL_ALBUM = -7
MESSAGES_ALBUM = -3
COMMUNITY_PHOTO_USER = 100  # VK's user_id of photos uploaded on behalf of a community
DOC_TYPES = ("doc", "audio_message", "graffiti")


def _group_owner(call: Call) -> int | None:
    """``-group_id`` when ``group_id`` is passed (must be the fake's community)."""
    group_id = call.params.integer("group_id")
    if group_id is None:
        return None
    if abs(group_id) != call.state.group_id:
        raise VkError(15, f"no access to community {group_id}")
    return -call.state.group_id


@api_method("photos.getWallUploadServer", tokens=("user",), params=("group_id",))
def photos_get_wall_upload_server(call: Call) -> dict[str, Any]:
    """Upload URL for wall photos of the community (or of the user)."""
    owner = _group_owner(call) or call.state.user_id
    with call.state.lock:
        url = new_upload_server(call.state, "photo_wall", owner, call.state.user_id)
    return {"upload_url": url, "album_id": WALL_ALBUM, "user_id": call.state.user_id}


def _save_photos(
    state: State, call: Call, kind: str, owner_id: int, user_id: int, album: int, text: str = ""
) -> list[dict[str, Any]]:
    with state.lock:
        server, uploads = take_photos(
            state,
            call.params.get("server"),
            call.params.require("photo"),
            call.params.get("hash"),
            kind,
        )
        if server.owner_id != owner_id:
            raise invalid("photos_list")
        result = []
        for key, data in uploads:
            if key in state.saved:
                photo = state.photos[state.saved[key]]
            else:
                photo = add_photo(state, data, owner_id, user_id, album, text)
                state.saved[key] = (photo.owner_id, photo.id)
            result.append(photo_object(state, photo))
        return result


@api_method(
    "photos.saveWallPhoto",
    tokens=("user",),
    params=("group_id", "user_id", "photo", "server", "hash", "caption", "latitude", "longitude"),
    required=("photo",),
)
def photos_save_wall_photo(call: Call) -> list[dict[str, Any]]:
    """Save uploaded wall photos; owner is ``-group_id`` when ``group_id`` is passed."""
    state = call.state
    group_owner = _group_owner(call)
    user_id = call.params.integer("user_id")
    if user_id is not None and user_id != state.user_id:
        raise VkError(15, "cannot save photos to another user's wall")
    call.params.get("latitude")
    call.params.get("longitude")
    owner = group_owner or state.user_id
    uploader = COMMUNITY_PHOTO_USER if group_owner else state.user_id
    caption = call.params.get("caption") or ""
    return _save_photos(state, call, "photo_wall", owner, uploader, WALL_ALBUM, caption)


@api_method("photos.getMessagesUploadServer", tokens=("user", "group"), params=("peer_id",))
def photos_get_messages_upload_server(call: Call) -> dict[str, Any]:
    """Upload URL for message photos (group tokens must pass ``peer_id``)."""
    peer_id = call.params.integer("peer_id")
    if call.token_type == "group" and peer_id is None:
        raise missing("peer_id")
    owner = call.caller_id
    with call.state.lock:
        url = new_upload_server(call.state, "photo_messages", owner, owner)
    answer: dict[str, Any] = {"upload_url": url, "album_id": MESSAGES_ALBUM, "user_id": 0}
    if call.token_type == "group":
        answer["group_id"] = call.state.group_id
    else:
        answer["user_id"] = call.state.user_id
    return answer


@api_method(
    "photos.saveMessagesPhoto",
    tokens=("user", "group"),
    params=("photo", "server", "hash"),
    required=("photo",),
)
def photos_save_messages_photo(call: Call) -> list[dict[str, Any]]:
    """Save uploaded message photos (owned by the caller)."""
    owner = call.caller_id
    uploader = COMMUNITY_PHOTO_USER if owner < 0 else owner
    return _save_photos(call.state, call, "photo_messages", owner, uploader, MESSAGES_ALBUM)


@api_method("docs.getWallUploadServer", tokens=("user", "group"), params=("group_id",))
def docs_get_wall_upload_server(call: Call) -> dict[str, str]:
    """Upload URL for documents to attach to wall posts."""
    owner = _group_owner(call) or call.caller_id
    with call.state.lock:
        return {"upload_url": new_upload_server(call.state, "doc_wall", owner, call.caller_id)}


@api_method("docs.getMessagesUploadServer", tokens=("user", "group"), params=("type", "peer_id"))
def docs_get_messages_upload_server(call: Call) -> dict[str, str]:
    """Upload URL for documents/audio messages (group tokens must pass ``peer_id``)."""
    doc_type = call.params.get("type") or "doc"
    if doc_type not in DOC_TYPES:
        raise invalid("type")
    if call.token_type == "group" and call.params.integer("peer_id") is None:
        raise missing("peer_id")
    owner = call.caller_id
    with call.state.lock:
        url = new_upload_server(call.state, "doc_messages", owner, owner, doc_type)
    return {"upload_url": url}


@api_method(
    "docs.save",
    tokens=("user", "group"),
    params=("file", "title", "tags", "return_tags"),
    required=("file",),
)
def docs_save(call: Call) -> dict[str, Any]:
    """Save an uploaded document: ``{"type": "doc", "doc": {...}}``."""
    file_raw = call.params.require("file")
    title = call.params.get("title")
    call.params.items("tags")
    call.params.flag("return_tags")
    state = call.state
    with state.lock:
        server, key, filename, data = take_doc(state, file_raw)
        if server.uploader_id != call.caller_id:
            raise invalid("file")
        if key in state.saved:
            doc = state.docs[state.saved[key]]
        else:
            ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
            doc = add_doc(state, data, server.owner_id, title or filename, ext, server.doc_type)
            state.saved[key] = (doc.owner_id, doc.id)
        return saved_doc_object(state, doc)
