"""An item's photos and documents fetched from a site made in the test, over real HTTP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import replace

import aiohttp
import pytest

from config import Settings
from shared.platform import PostLimits
from shared.posts.feed.fetch import Failure, FeedTooLarge, get_feed
from shared.posts.feed.parse import FeedItem
from shared.posts.feed.photos import Caps, collect
from shared.richtext import Document
from tests.feed_site import Site, jpeg, png, serve_site

LIMIT = 50_000
CAPS = Caps(photo_bytes=LIMIT, document_bytes=LIMIT, attachments=10, seconds=5.0)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    async for served in serve_site():
        yield served


def item(photos: list[str], documents: list[str] = ()) -> FeedItem:  # type: ignore[assignment]
    return FeedItem("k", "t", Document(), Document(), None, (), tuple(photos), tuple(documents))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_what_fails_is_named_with_its_reason(site: Site) -> None:
    good = jpeg(120, 80)
    big = jpeg(1600, 1600, (10, 200, 10)) + b"\0" * LIMIT
    urls = [
        site.put("/ok.jpg", good, "image/jpeg"),
        site.base + "/gone.jpg",
        site.put("/page.jpg", "<html><body>Ошибка</body></html>", "text/html"),
        site.put("/err.jpg", "oops", "text/plain", status=500),
        site.put("/big.jpg", big, "image/jpeg"),
        site.put("/streamed.jpg", big, "image/jpeg"),
        f"http://127.0.0.1:{free_port()}/nobody.jpg",
    ]
    site.resources["/streamed.jpg"].chunked = True
    async with aiohttp.ClientSession() as session:
        files, missing = await collect(session, item(urls), CAPS)
    assert [f.data for f in files] == [good]
    assert files[0].mime == "image/jpeg"
    assert files[0].filename == "ok.jpg"
    assert [(m.url.rsplit("/", 1)[-1], m.failure, m.detail) for m in missing] == [
        ("gone.jpg", Failure.HTTP, "404"),
        ("page.jpg", Failure.NOT_IMAGE, ""),
        ("err.jpg", Failure.HTTP, "500"),
        ("big.jpg", Failure.TOO_LARGE, str(LIMIT)),
        ("streamed.jpg", Failure.TOO_LARGE, str(LIMIT)),
        ("nobody.jpg", Failure.NETWORK, "ClientConnectorError"),
    ]


async def test_a_hanging_server_times_out(site: Site) -> None:
    hold = asyncio.Event()
    url = site.put("/slow.jpg", jpeg(10, 10), "image/jpeg")
    site.resources["/slow.jpg"].hold = hold
    try:
        async with aiohttp.ClientSession() as session:
            files, missing = await collect(session, item([url]), replace(CAPS, seconds=0.3))
    finally:
        hold.set()
    assert files == []
    assert [(m.url, m.failure) for m in missing] == [(url, Failure.TIMEOUT)]


async def test_album_size_same_picture_once_and_documents(site: Site) -> None:
    photos = [site.put(f"/p{i}.jpg", jpeg(100 + i, 100), "image/jpeg") for i in range(12)]
    copy = site.put("/copy-of-p0.jpg", jpeg(100, 100), "image/jpeg")
    doc = site.put("/files/Постановление%20№1.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    named = item([photos[0], copy, *photos[1:]], [doc])
    async with aiohttp.ClientSession() as session:
        files, missing = await collect(session, named, replace(CAPS, attachments=20))
        assert [f.kind for f in files] == ["photo"] * 10 + ["document"]
        assert files[-1].filename == "Постановление №1.pdf"
        assert files[-1].mime == "application/pdf"
        assert [(m.url, m.failure) for m in missing] == [
            (photos[10], Failure.OVER_LIMIT),
            (photos[11], Failure.OVER_LIMIT),
        ]
        assert site.hits("/copy-of-p0.jpg") == 1
        # A platform that takes ten attachments in all: the document does not fit.
        files, missing = await collect(session, named, CAPS)
    assert [f.kind for f in files] == ["photo"] * 10
    assert [m.url for m in missing] == [photos[10], photos[11], doc]


def test_caps_are_the_strictest_of_settings_and_platforms() -> None:
    publishing = Settings(_env_file=None).publishing
    limits = {
        "a": PostLimits(photo_bytes=5_000_000, document_bytes=50_000_000),
        "b": PostLimits(photo_bytes=50_000_000, document_bytes=20_000_000, attachments=6),
        "c": PostLimits(photo_bytes=1, document_bytes=1, attachments=1),
    }
    caps = Caps.of(publishing, limits, ["a", "b"])
    assert caps == Caps(5_000_000, 20_000_000, 6, publishing.feed_photo_timeout)
    shapes = {
        "a": PostLimits(photo_sides=10_000, photo_ratio=20),
        "b": PostLimits(photo_sides=14_000, photo_ratio=10),
    }
    caps = Caps.of(publishing, shapes, ["a", "b"])
    assert (caps.photo_sides, caps.photo_ratio) == (10_000, 10)
    assert Caps.of(publishing, {}, ["a"]) == Caps(
        publishing.feed_photo_max_bytes, 50 * 1024 * 1024, 10, publishing.feed_photo_timeout
    )


async def test_a_picture_no_platform_takes_is_named_with_its_size(site: Site) -> None:
    """A site's tall infographic, and a huge poster: pictures, but not for these platforms."""
    urls = [
        site.put("/info.jpg", jpeg(600, 12500), "image/jpeg"),
        site.put("/poster.png", png(6000, 5000), "image/png"),
        site.put("/fine.jpg", jpeg(400, 7000), "image/jpeg"),
    ]
    caps = replace(CAPS, photo_bytes=10_000_000, photo_sides=10_000, photo_ratio=20)
    async with aiohttp.ClientSession() as session:
        files, missing = await collect(session, item(urls), caps)
    assert [f.filename for f in files] == ["fine.jpg"]
    assert [(m.url.rsplit("/", 1)[-1], m.failure, m.detail) for m in missing] == [
        ("info.jpg", Failure.RATIO, "600×12500"),
        ("poster.png", Failure.SIDES, "6000×5000"),
    ]


async def test_a_feed_larger_than_the_limit_is_not_read_to_the_end(site: Site) -> None:
    body = b"<rss>" + b" " * 5000 + b"</rss>"
    url = site.put("/big.rss", body, "application/rss+xml")
    site.put("/streamed.rss", body, "application/rss+xml")
    site.resources["/streamed.rss"].chunked = True  # no Content-Length to go by
    async with aiohttp.ClientSession() as session:
        with pytest.raises(FeedTooLarge):
            await get_feed(session, url, None, None, limit=4096)
        with pytest.raises(FeedTooLarge):
            await get_feed(session, site.base + "/streamed.rss", None, None, limit=4096)
        answer = await get_feed(session, url, None, None, limit=len(body))
    assert answer.body == body


async def test_a_picture_in_a_format_a_platform_refuses_is_left_out_and_named(site: Site) -> None:
    """A site's TIFF scan: a picture, but not one the chosen platforms take (Telegram would
    take a BMP, VK would not: only the formats every chosen platform takes pass)."""
    from io import BytesIO

    from PIL import Image

    def picture(kind: str) -> bytes:
        out = BytesIO()
        Image.new("RGB", (40, 30), "navy").save(out, kind)
        return out.getvalue()

    urls = [
        site.put("/scan.tiff", picture("TIFF"), "image/tiff"),
        site.put("/chart.bmp", picture("BMP"), "image/bmp"),
        site.put("/fine.png", png(40, 30), "image/png"),
    ]
    limits = {
        "a": PostLimits(photo_formats=frozenset({"JPEG", "PNG", "GIF", "BMP"})),
        "b": PostLimits(photo_formats=frozenset({"JPEG", "PNG", "GIF"})),
    }
    caps = Caps.of(Settings(_env_file=None).publishing, limits, ["a", "b"])
    assert caps.photo_formats == {"JPEG", "PNG", "GIF"}
    async with aiohttp.ClientSession() as session:
        files, missing = await collect(
            session, item(urls), replace(CAPS, photo_formats=caps.photo_formats)
        )
    assert [f.filename for f in files] == ["fine.png"]
    assert [(m.url.rsplit("/", 1)[-1], m.failure, m.detail) for m in missing] == [
        ("scan.tiff", Failure.FORMAT, "TIFF"),
        ("chart.bmp", Failure.FORMAT, "BMP"),
    ]
