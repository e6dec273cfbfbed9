"""HTTP for the feed: a conditional GET of the feed and bounded downloads of its files.

A site polled every few minutes should pay nothing when nothing changed, so the feed is
asked for with the ``ETag`` / ``Last-Modified`` it gave last time and a 304 ends the poll.
The feed itself, pictures and documents are read with a size limit (and the files with a
timeout): a feed is someone else's server, and a huge or hanging answer must not hold the
import up, fill the memory or the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

import aiohttp

USER_AGENT = "Glashatai feed import (+https://github.com/glashatai)"
CHUNK = 64 * 1024
MIB = 1024 * 1024
FEED_MAX_BYTES = 20 * MIB  # a news feed is a few hundred kilobytes; more is not a feed


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
    SIDES = "sides"  # a picture larger (width + height) than a platform takes
    RATIO = "ratio"  # a picture more elongated than a platform takes (a tall infographic)
    OVER_LIMIT = "over_limit"  # more photos than one post can carry
    FORMAT = "format"  # a picture in a format a platform does not take (a TIFF scan)
    PIXELS = "pixels"  # so many pixels that decoding it could exhaust the memory


class FeedTooLarge(Exception):
    """The feed's answer is larger than ``FEED_MAX_BYTES``: refused, not read to the end."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the answer is larger than {limit / MIB:g} MB; not read")


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
    session: aiohttp.ClientSession,
    url: str,
    etag: str | None,
    last_modified: str | None,
    limit: int = FEED_MAX_BYTES,
) -> FeedAnswer:
    """The feed, or ``FeedTooLarge`` past ``limit`` bytes (with or without a Content-Length)."""
    headers = {"User-Agent": USER_AGENT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    async with session.get(url, headers=headers) as response:
        if response.status == 304:
            return FeedAnswer(None, etag, last_modified)
        response.raise_for_status()
        if (response.content_length or 0) > limit:
            raise FeedTooLarge(limit)
        body = bytearray()
        async for chunk in response.content.iter_chunked(CHUNK):
            body += chunk
            if len(body) > limit:
                raise FeedTooLarge(limit)
        return FeedAnswer(
            bytes(body),
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
