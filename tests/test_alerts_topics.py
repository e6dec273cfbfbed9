"""Alert topics from TOML: the shipped defaults, the office's own file, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.alerts import topics
from shared.errors import InvalidInput


def test_shipped_defaults() -> None:
    found = topics.load()
    assert [t.title for t in found] == [
        "Экстренные сообщения: ЧС, отключения",
        "Новости администрации",
        "Горячие линии",
    ]


def test_own_file_and_lookup(tmp_path: Path) -> None:
    path = tmp_path / "topics.toml"
    path.write_text('[topics]\nroads = "Дороги и мосты"\nwater = "Вода"\n', encoding="utf-8")
    found = topics.load(path)
    assert [t.key for t in found] == ["roads", "water"]
    assert topics.find(found, "2") == found[1]
    assert topics.find(found, "дороги и мосты") == found[0]
    assert topics.find(found, "WATER") == found[1]
    assert topics.find(found, "3") is None
    assert topics.find(found, "газ") is None
    # Only ASCII digits are a number: «١» is not topic 1, and «²» is no crash.
    assert topics.find(found, "١") is None
    assert topics.find(found, "²") is None


@pytest.mark.parametrize(
    "content", ["", "[topics]\n", "not toml [", '[topics]\nx = ""\n', "[topics]\nx = 3\n"]
)
def test_bad_file_is_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "topics.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput):
        topics.load(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        topics.load(tmp_path / "none.toml")
