"""Upload URLs (``/upload/{kind}/{id}``) and the receipts the save methods check.

Like VK: a photo upload answers ``{"server": N, "photo": "<json list>",
"hash": "..."}``; files that are not JPEG/PNG/GIF/WebP are dropped, so a
non-image gives ``"photo": "[]"`` which ``photos.save*Photo`` rejects with
error 100 "photos_list is invalid".  Images whose width + height exceed 14000
or whose sides differ more than 20 times answer ``{"error":
"ERR_UPLOAD_BAD_IMAGE_SIZE: ..."}``.  A doc upload answers ``{"file": "..."}``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from aiohttp import web

from .errors import VkError, invalid
from .keys import STATE_KEY
from .media import image_size, sniff_image
from .state import State, UploadRecord, UploadServer

PHOTO_FIELDS = ("photo", "file", *(f"file{i}" for i in range(6)))
MAX_PHOTOS = 6


def new_upload_server(
    state: State, kind: str, owner_id: int, uploader_id: int, doc_type: str = "doc"
) -> str:
    """Register an upload server; returns its URL."""
    server = UploadServer(secrets.token_hex(8), kind, owner_id, uploader_id, doc_type)
    state.upload_servers[server.id] = server
    return state.url(f"/upload/{kind}/{server.id}")


def server_number(server_id: str) -> int:
    """The numeric ``server`` VK puts in upload receipts."""
    return int(hashlib.sha1(server_id.encode()).hexdigest()[:6], 16)


def _sign(state: State, *parts: str) -> str:
    return hmac.new(state.secret, "|".join(parts).encode(), hashlib.sha256).hexdigest()[:32]


def _bad_size(data: bytes) -> str | None:
    width, height = image_size(data)
    if not width or not height:
        return None
    if width + height > 14000:
        return f"ERR_UPLOAD_BAD_IMAGE_SIZE: width + height {width + height} > 14000"
    if max(width, height) / min(width, height) > 20:
        return "ERR_UPLOAD_BAD_IMAGE_SIZE: aspect ratio over 20:1"
    return None


def accept_photos(
    state: State, server: UploadServer, files: list[tuple[str, str, bytes]]
) -> dict[str, Any]:
    """The upload server's answer to photos; keeps accepted ones for saving."""
    entries = []
    for _field, filename, data in files[:MAX_PHOTOS]:
        if sniff_image(data) is None:
            continue
        if error := _bad_size(data):
            return {"error": error, "server": server_number(server.id)}
        key = secrets.token_hex(10)
        state.uploaded[key] = (data, filename, server.id)
        entries.append({"photo": key, "sizes": [], "kid": secrets.token_hex(4)})
    photo = json.dumps(entries, separators=(",", ":"))
    number = str(server_number(server.id))
    return {"server": int(number), "photo": photo, "hash": _sign(state, number, photo)}


def accept_doc(
    state: State, server: UploadServer, files: list[tuple[str, str, bytes]]
) -> dict[str, Any]:
    """The upload server's answer to a document (field ``file``)."""
    found = [(name, data) for field, name, data in files if field == "file"]
    if not found:
        return {"error": "ERR_UPLOAD_FILE_NOT_UPLOADED: no file in field 'file'"}
    filename, data = found[0]
    key = secrets.token_hex(10)
    state.uploaded[key] = (data, filename, server.id)
    receipt = f"{server.id}|{key}"
    return {"file": f"{receipt}|{_sign(state, receipt)}"}


def take_photos(
    state: State, server_raw: str | None, photo_raw: str, hash_raw: str | None, kind: str
) -> tuple[UploadServer, list[tuple[str, bytes]]]:
    """Check a photo receipt; returns its server and ``(upload key, bytes)`` pairs."""
    try:
        entries = json.loads(photo_raw)
        keys = [entry["photo"] for entry in entries]
    except (ValueError, TypeError, KeyError):
        raise invalid("photos_list") from None
    if not keys or any(key not in state.uploaded for key in keys):
        raise invalid("photos_list")
    server = state.upload_servers[state.uploaded[keys[0]][2]]
    if server.kind != kind or any(state.uploaded[key][2] != server.id for key in keys):
        raise invalid("photos_list")
    number = str(server_number(server.id))
    if server_raw != number:
        raise VkError(118)
    if not hash_raw or not hmac.compare_digest(hash_raw, _sign(state, number, photo_raw)):
        raise VkError(121)
    return server, [(key, state.uploaded[key][0]) for key in keys]


def take_doc(state: State, file_raw: str) -> tuple[UploadServer, str, str, bytes]:
    """Check a doc receipt; returns server, upload key, file name and bytes."""
    server_id, _, rest = file_raw.partition("|")
    key, _, signature = rest.partition("|")
    if not hmac.compare_digest(signature, _sign(state, f"{server_id}|{key}")):
        raise invalid("file")
    if key not in state.uploaded:
        raise invalid("file")
    data, filename, _ = state.uploaded[key]
    return state.upload_servers[server_id], key, filename, data


async def handle_upload(request: web.Request) -> web.Response:
    """``POST /upload/{kind}/{id}`` with multipart files, like VK's upload hosts."""
    state = request.app[STATE_KEY]
    with state.lock:
        server = state.upload_servers.get(request.match_info["server_id"])
    if server is None or server.kind != request.match_info["kind"]:
        return web.json_response({"error": "ERR_UPLOAD_BAD_URL: unknown upload server"}, status=404)
    files: list[tuple[str, str, bytes]] = []
    if request.content_type.startswith("multipart/"):
        form = await request.post()
        for field, value in form.items():
            if isinstance(value, web.FileField):
                files.append((field, value.filename or field, value.file.read()))
    photos = server.kind.startswith("photo")
    if photos:
        files = [item for item in files if item[0] in PHOTO_FIELDS]
    with state.lock:
        answer: dict[str, Any] = (
            accept_photos(state, server, files) if photos else accept_doc(state, server, files)
        )
        state.upload_log.append(
            UploadRecord(
                server_id=server.id,
                kind=server.kind,
                owner_id=server.owner_id,
                files=[
                    {
                        "field": field,
                        "filename": name,
                        "size": len(data),
                        "image": sniff_image(data),
                    }
                    for field, name, data in files
                ],
                response=answer,
                time=time.time(),
            )
        )
    return web.json_response(answer)
