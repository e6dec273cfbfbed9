"""What is shipped: the wheel holds every package and its data, the image copies them all.

The web package was once left out of the Dockerfile: the image would have started without
its pages. These tests read the project's own declarations, so a new package is checked too.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _declared_packages() -> list[str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    return [pattern.rstrip("*") for pattern in patterns]


def test_the_image_copies_every_package() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    copied = set(re.findall(r"^COPY (\w+) \./\1$", dockerfile, flags=re.MULTILINE))
    assert set(_declared_packages()) <= copied, "Dockerfile must COPY every package"


def test_the_wheel_holds_every_package_and_its_data(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("glashatai-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for package in _declared_packages():
        assert f"{package}/__init__.py" in names, package
    for data in ("shared/texts_ru.toml", "shared/alerts/topics.toml"):
        assert data in names
    assert any(n.startswith("web/templates/") for n in names)
    assert any(n.startswith("web/static/") for n in names)
    assert "tests/conftest.py" not in names
