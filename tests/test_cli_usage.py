"""A mistyped command line is one Russian line and exit code 1, as every other refusal."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.test_process import GLASHATAI


@pytest.mark.parametrize(
    ("args", "where"),
    [
        (["post", "show", "abc"], "glashatai post show"),
        (["report", "--from"], "glashatai report"),
        (["no-such-command"], "glashatai"),
        (["post"], "glashatai post"),
    ],
)
def test_a_usage_error_is_one_russian_line(tmp_path: Path, args: list[str], where: str) -> None:
    done = subprocess.run(
        [GLASHATAI, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"{where}: неверная команда или аргументы ("), lines[0]
    assert lines[0].endswith(f"Справка: {where} --help"), lines[0]
