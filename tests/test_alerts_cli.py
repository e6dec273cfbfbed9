"""``glashatai alert …`` refusals: one Russian line on stderr and exit 1, nothing sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli_errors import env_with, glashatai, one_line

TOKEN = "123456:ABCdefGhIJKlmnoPQRstuVWXyz0123456789"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["send", "--topic", "погода", "--text-file", "{text}"], "Темы «погода» нет"),
        (["send", "--topic", "1", "--text-file", "{home}/none.txt"], "none.txt нет"),
        (["send", "--topic", "1", "--text-file", "{photo}"], "не текст"),
        (["send", "--topic", "1", "--text-file", "{text}", "--photo", "{text}"], "не изображение"),
        (["status", "99"], "Оповещения №99 нет"),
        (["cancel", "99"], "Оповещения №99 нет"),
    ],
)
def test_refusals_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    text = tmp_path / "alert.txt"
    text.write_text("Гололёд на дорогах", encoding="utf-8")
    photo = tmp_path / "a.bin"
    photo.write_bytes(b"\x89PNG\x00\x01\x02\xff\xfe" * 20)
    values = {"text": str(text), "home": str(home), "photo": str(photo)}
    filled = [a.format(**values) for a in args]
    env = env_with(home, telegram__token=TOKEN)
    glashatai(home, "db", "upgrade", env=env)
    done = glashatai(home, "alert", *filled, env=env)
    assert done.returncode == 1
    assert needle in one_line(done)
