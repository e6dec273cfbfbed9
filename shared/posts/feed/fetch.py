"""HTTP for the feed: a conditional GET of the feed and bounded downloads of its files.

A site polled every few minutes should pay nothing when nothing changed, so the feed is
asked for with the ``ETag`` / ``Last-Modified`` it gave last time and a 304 ends the poll.
Pictures and documents are read with a size limit and a timeout: a feed is someone else's
server, and a huge or hanging file must not hold the import up or fill the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

import aiohttp

USER_AGENT = "Glashatai feed import (+https://github.com/glashatai)"
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FeedAnswer:
    """The feed's bytes and the validators to send next time (None: not modified)."""

    body: bytes | None
    etag: str | None
    last_modified: str | None
    content_type: str = ""


class Failure(StrEnum):
    HTTP = "http"  # the server answered with an error status
    TOO_LARGE = "too_large"  # larger than the configured limit
    TIMEOUT = "timeout"  # no complete answer within the timeout
    NETWORK = "network"  # no connection, or the connection broke
    NOT_IMAGE = "not_image"  # the bytes are not a picture (an HTML error page, say)
    OVER_LIMIT = "over_limit"  # more photos than one post can carry


class DownloadFailed(Exception):
    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(f"{failure.value} {detail}".strip())
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True)
class Download:
    data: bytes
    mime: str
    filename: str


async def get_feed(
    session: aiohttp.ClientSession, url: str, etag: str | None, last_modified: str | None
) -> FeedAnswer:
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async with session.get(url, headers=headers) as response:
        if response.status == 304:
            return FeedAnswer(None, etag, last_modified)
        response.raise_for_status()
        body = await response.read()
        return FeedAnswer(
            body,
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            response.headers.get("Content-Type", ""),
        )


def filename_of(url: str, fallback: str) -> str:
    name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]).strip()
    return name[:200] or fallback


async def download(
    session: aiohttp.ClientSession, url: str, limit: int, seconds: float
) -> Download:
    """The file at ``url``, at most ``limit`` bytes within ``seconds``."""
    try:
        async with session.get(
            url,
            headers={"User-Agent": USER_AGENT},
            timeout=aiohttp.ClientTimeout(total=seconds),
        ) as response:
            if response.status >= 400:
                raise DownloadFailed(Failure.HTTP, str(response.status))
            if (response.content_length or 0) > limit:
                raise DownloadFailed(Failure.TOO_LARGE, str(limit))
            data = bytearray()
            async for chunk in response.content.iter_chunked(CHUNK):
                data += chunk
                if len(data) > limit:
                    raise DownloadFailed(Failure.TOO_LARGE, str(limit))
            mime = response.content_type or "application/octet-stream"
    except TimeoutError:
        raise DownloadFailed(Failure.TIMEOUT) from None
    except aiohttp.ClientError as exc:
        raise DownloadFailed(Failure.NETWORK, type(exc).__name__) from None
    return Download(bytes(data), mime, filename_of(url, "file"))
