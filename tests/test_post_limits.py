"""Issue 8, point 4: a post is refused before anything is stored when a chosen platform
would refuse it, naming the platform and the limit; the fakes refuse what the platforms
refuse (VK's wall text, Telegram's 50 MB upload as nginx's HTML 413), and a 413 is a
permanent "too large", never "unreachable" or "unknown"."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest
from aiogram.types import BufferedInputFile
from PIL import Image
from vk_api.exceptions import ApiError

from bots.registry import post_limits
from bots.telegram.client import UploadTooLarge, make_bot
from bots.telegram.sender import outcome_of
from bots.vk.client import UploadTooLarge as VkUploadTooLarge
from bots.vk.client import VkClient
from bots.vk.sender import classify
from shared.domain import MediaKind, OutboxAction, OutboxState
from shared.errors import InvalidInput
from shared.outbox import store
from shared.outbox.model import OutboxMessage
from shared.outbox.outcomes import PermanentFailure
from shared.outbox.payload import message
from shared.platform import LimitKind
from shared.posts import limits, service
from shared.posts.service import NewMedia
from shared.richtext import from_plain
from shared.services import Services
from shared.storage import media
from shared.storage.engine import Database
from shared.storage.media import NewFile
from shared.texts import Texts
from simulators.telegram import FakeTelegram, make_png
from simulators.telegram.server import NGINX_MAX_BODY
from simulators.vk import FakeVK
from tests.harness import CHANNEL_ID, running_outbox, settings_for, settle
from tests.test_process import GLASHATAI, env_for

MB = 1024 * 1024
WALL = 16384


def cli(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GLASHATAI, "post", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def prepared(tmp_path: Path, tg: FakeTelegram, vk: FakeVK | None) -> dict[str, str]:
    """The environment of a real ``glashatai``, its database created."""
    env = env_for(tmp_path, tg, vk)
    done = subprocess.run(
        [GLASHATAI, "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return env


def refused(done: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 1, one line on stderr naming every needle, no traceback."""
    assert done.returncode == 1, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def nothing_stored(tmp_path: Path, env: dict[str, str]) -> None:
    listing = cli(tmp_path, env, "list")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.strip() == "Постов нет."


def test_the_platforms_declare_their_limits() -> None:
    declared = post_limits()
    assert declared["vk"].text_length == WALL
    assert declared["vk"].attachments == 10
    assert declared["telegram"].text_length is None  # a long text is split into messages
    assert declared["telegram"].photo_bytes == 10 * MB
    assert declared["telegram"].document_bytes == 50 * MB


def test_every_broken_limit_is_found_for_every_platform() -> None:
    doc = from_plain("я" * (WALL + 1))
    media = [
        NewMedia(MediaKind.PHOTO, "big.jpg", "image/jpeg", b"\xff" * (10 * MB + 1)),
        *(NewMedia(MediaKind.DOCUMENT, f"d{i}.pdf", "application/pdf", b"%PDF") for i in range(10)),
        NewMedia(MediaKind.DOCUMENT, "huge.pdf", "application/pdf", b"\0" * (50 * MB + 1)),
    ]
    found = limits.violations(post_limits(), ["telegram", "vk"], doc, media)
    kinds = {(v.platform, v.kind) for v in found}
    assert kinds == {
        ("telegram", LimitKind.PHOTO_SIZE),
        ("telegram", LimitKind.DOCUMENT_SIZE),
        ("vk", LimitKind.TEXT_LENGTH),
        ("vk", LimitKind.ATTACHMENTS),
    }
    text = limits.describe(found[0], Texts.load())
    assert text.startswith("Telegram: фото «big.jpg» — 10,0 МБ, а можно не больше 10 МБ")
    # Exactly at the limit is fine.
    assert limits.violations(post_limits(), ["vk"], from_plain("я" * WALL), []) == []


def test_cli_refuses_a_text_too_long_for_the_vk_wall_and_stores_nothing(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = prepared(tmp_path, tg, vk)
    (tmp_path / "long.md").write_text("Длинный текст. " * 13_334)  # 200,010 characters
    refused(cli(tmp_path, env, "create", "--text-file", "long.md"), "ВКонтакте", "16 384")
    nothing_stored(tmp_path, env)
    assert tg.messages(CHANNEL_ID) == []
    assert vk.wall_posts() == []
    # Telegram alone takes it: the text is split into messages there.
    done = cli(tmp_path, env, "create", "--text-file", "long.md", "--to", "telegram")
    assert done.returncode == 0, done.stderr


def test_cli_refuses_a_document_over_telegrams_50_mb_and_a_photo_over_10_mb(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = prepared(tmp_path, tg, vk)
    (tmp_path / "r.md").write_text("Текст")
    with (tmp_path / "big.pdf").open("wb") as out:
        out.truncate(60 * MB)
    noise = Image.frombytes("RGB", (2000, 2000), os.urandom(2000 * 2000 * 3))
    noise.save(tmp_path / "photo.png", "PNG")  # ~12 MB: noise does not compress
    refused(
        cli(tmp_path, env, "create", "--text-file", "r.md", "--doc", "big.pdf"),
        "Telegram",
        "big.pdf",
        "60 МБ",
        "50 МБ",
    )
    refused(
        cli(tmp_path, env, "create", "--text-file", "r.md", "--photo", "photo.png"),
        "Telegram",
        "photo.png",
        "10 МБ",
    )
    nothing_stored(tmp_path, env)
    # VK takes both (its limits are 200 and 50 MB); only the chosen platforms count.
    done = cli(tmp_path, env, "create", "--text-file", "r.md", "--photo", "photo.png", "--to", "vk")
    assert done.returncode == 0, done.stderr


def test_cli_refuses_a_binary_file_or_control_characters_given_as_text(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    env = prepared(tmp_path, tg, None)
    (tmp_path / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")
    (tmp_path / "escapes.md").write_text("Текст\n\x1b[31mкрасный\x1b[0m")
    (tmp_path / "nul.md").write_text("Текст\x00")
    refused(cli(tmp_path, env, "create", "--text-file", "photo.md"), "photo.md", "UTF-8")
    refused(cli(tmp_path, env, "create", "--text-file", "escapes.md"), "U+001B", "строка 2")
    refused(cli(tmp_path, env, "create", "--text-file", "nul.md"), "U+0000")
    nothing_stored(tmp_path, env)


async def test_the_service_checks_for_the_admin_chat_too(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK, sqlite_db: Database
) -> None:
    services = Services(settings=settings_for(tmp_path, tg, vk), db=sqlite_db, texts=Texts.load())
    services.limits = post_limits()
    with pytest.raises(InvalidInput, match="ВКонтакте"):
        await service.create(services, body=from_plain("я" * (WALL + 1)), created_by="1")
    post_id = await service.create(services, body=from_plain("коротко"), created_by="1", draft=True)
    # A text that grows past the wall limit, or the wall added to a long Telegram post.
    with pytest.raises(InvalidInput, match="16 384"):
        await service.edit(services, post_id, from_plain("я" * (WALL + 1)), "1")
    long_id = await service.create(
        services,
        body=from_plain("я" * (WALL + 1)),
        platforms=["telegram"],
        created_by="1",
        draft=True,
    )
    with pytest.raises(InvalidInput, match="ВКонтакте"):
        await service.toggle_platform(services, long_id, "vk", "1")


def test_fake_vk_refuses_a_wall_text_over_16384_characters_like_vk(
    tmp_path: Path, vk: FakeVK
) -> None:
    settings = settings_for(tmp_path, None, vk)
    client = VkClient(settings.vk)
    try:
        post = client.user.method  # type: ignore[union-attr]
        with pytest.raises(ApiError) as refused_post:
            post(
                "wall.post",
                {"owner_id": -vk.group_id, "from_group": 1, "message": "я" * (WALL + 1)},
            )
        assert refused_post.value.code == 100
        done = post("wall.post", {"owner_id": -vk.group_id, "from_group": 1, "message": "я" * WALL})
        assert done["post_id"] > 0
    finally:
        client.close()


async def test_a_document_over_50_mb_gets_nginx_html_413_and_fails_for_good(
    tmp_path: Path, tg: FakeTelegram
) -> None:
    settings = settings_for(tmp_path, tg, None)
    bot = make_bot(settings.telegram)
    chat = CHANNEL_ID
    try:
        big = BufferedInputFile(b"\0" * NGINX_MAX_BODY, "big.pdf")
        with pytest.raises(PermanentFailure) as failure:
            await outcome_of(bot.send_document(chat, big), chat)
        assert not failure.value.unreachable
        assert "Too Large" in failure.value.reason
        with pytest.raises(UploadTooLarge):
            await bot.send_document(chat, BufferedInputFile(b"\0" * (50 * MB + 1), "a.pdf"))
    finally:
        await bot.session.close()
    refusals = [e for e in tg.requests() if e["status"] == 413]
    assert len(refusals) == 2
    assert all("nginx" in e["description"] for e in refusals)
    assert tg.messages(CHANNEL_ID) == []


def test_a_vk_413_is_a_permanent_failure() -> None:
    outcome = classify(VkUploadTooLarge("VK HTTP 413: Request Entity Too Large"))
    assert isinstance(outcome, PermanentFailure)
    assert not outcome.unreachable


async def test_outbox_fails_a_document_refused_with_nginx_413_once_not_as_unreachable(
    sqlite_db: Database, tmp_path: Path, tg: FakeTelegram
) -> None:
    settings = settings_for(tmp_path, tg, None)
    async with sqlite_db.write() as conn:
        (doc,) = await media.add_all(
            conn,
            "post",
            1,
            [NewFile(MediaKind.DOCUMENT, "big.pdf", "application/pdf", b"\0" * (50 * MB + 1))],
        )
        item_id = await store.enqueue(
            conn,
            OutboxMessage(
                "telegram",
                OutboxAction.SEND,
                str(CHANNEL_ID),
                message(from_plain("Пост"), media=[doc]),
            ),
        )
    async with running_outbox(sqlite_db, settings, ["telegram"]):
        (item,) = await settle(sqlite_db, [item_id])
    assert item.state is OutboxState.FAILED
    assert "Too Large" in (item.error or "")
    assert len([r for r in tg.requests("sendDocument") if r["status"] == 413]) == 1
    assert tg.messages(CHANNEL_ID) == []


async def test_outbox_fails_a_vk_413_once(sqlite_db: Database, tmp_path: Path, vk: FakeVK) -> None:
    settings = settings_for(tmp_path, None, vk)
    vk.fail_http("wall.post", status=413, times=5)
    async with sqlite_db.write() as conn:
        item_id = await store.enqueue(
            conn, OutboxMessage("vk", OutboxAction.SEND, "wall", message(from_plain("Пост")))
        )
    async with running_outbox(sqlite_db, settings, ["vk"]):
        (item,) = await settle(sqlite_db, [item_id])
    assert item.state is OutboxState.FAILED
    assert "413" in (item.error or "")
    assert len(vk.calls("wall.post")) == 1


def test_a_panorama_photo_is_refused_by_its_sides_naming_each_platform() -> None:
    panorama = NewMedia(MediaKind.PHOTO, "pano.png", "image/png", make_png(12000, 400))
    found = limits.violations(post_limits(), ["telegram", "vk"], from_plain("Текст"), [panorama])
    assert {(v.platform, v.kind, v.limit, v.actual) for v in found} == {
        ("telegram", LimitKind.PHOTO_SIDES, 10000, 12400),
        ("telegram", LimitKind.PHOTO_RATIO, 20, 30),
        ("vk", LimitKind.PHOTO_RATIO, 20, 30),
    }
    texts = Texts.load()
    assert limits.describe(found[0], texts) == (
        "Telegram: у фото «pano.png» ширина и высота вместе — 12 400 пикселей,"
        " а можно не больше 10 000."
    )
    square = NewMedia(MediaKind.PHOTO, "ok.png", "image/png", make_png(3000, 3000))
    assert limits.violations(post_limits(), ["telegram", "vk"], from_plain("Т"), [square]) == []


def _image(kind: str, size: tuple[int, int] = (80, 60), mode: str = "RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size).save(buf, kind)
    return buf.getvalue()


def test_each_platform_declares_the_photo_formats_it_takes() -> None:
    """A scanner's TIFF, a BMP, an icon or a PPM would be stored and scheduled, then refused
    by the platforms at publication: each platform names what it takes, the check refuses
    the rest up front, naming the file, the format and what the platform takes."""
    declared = post_limits()
    assert all(declared[p].photo_formats for p in ("telegram", "vk", "max"))
    texts = Texts.load()
    for kind in ("TIFF", "BMP", "ICO", "PPM"):
        photo = NewMedia(MediaKind.PHOTO, f"скан.{kind.lower()}", "image/x", _image(kind))
        found = limits.violations(declared, ["vk", "max"], from_plain("Т"), [photo])
        assert {(v.platform, v.kind, v.found) for v in found} == {
            ("vk", LimitKind.PHOTO_FORMAT, kind),
            ("max", LimitKind.PHOTO_FORMAT, kind),
        }
        assert limits.describe(found[0], texts) == (
            f"ВКонтакте: фото «скан.{kind.lower()}» в формате {kind}, а площадка принимает"
            " только GIF, JPEG, PNG. Сохраните его как JPEG или PNG (или приложите документом)."
        )
    for kind in ("JPEG", "PNG", "GIF"):
        photo = NewMedia(MediaKind.PHOTO, "ok", "image/x", _image(kind))
        assert (
            limits.violations(declared, ["telegram", "vk", "max"], from_plain("Т"), [photo]) == []
        )


def test_cli_refuses_a_tiff_photo_and_a_decompression_bomb_and_stores_nothing(
    tmp_path: Path, tg: FakeTelegram, vk: FakeVK
) -> None:
    env = prepared(tmp_path, tg, vk)
    (tmp_path / "r.md").write_text("Схема во вложении.")
    (tmp_path / "scan.tif").write_bytes(_image("TIFF", (800, 600)))
    # 20,000 × 20,000 pixels in about 50 KB: decoding it would take gigabytes.
    (tmp_path / "bomb.png").write_bytes(_image("PNG", (20000, 20000), "1"))
    refused(
        cli(tmp_path, env, "create", "--text-file", "r.md", "--photo", "scan.tif"),
        "scan.tif",
        "TIFF",
    )
    refused(
        cli(tmp_path, env, "create", "--text-file", "r.md", "--photo", "bomb.png"),
        "bomb.png",
        "слишком большое изображение",
    )
    nothing_stored(tmp_path, env)
