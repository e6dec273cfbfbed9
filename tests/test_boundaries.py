"""The content core stays platform-neutral; platforms are found, not listed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBS = {"aiogram", "vk_api"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_core_packages_import_no_platform_library_or_bot() -> None:
    for package in ("shared", "config", "scheduler"):
        for path in (ROOT / package).rglob("*.py"):
            bad = _imports(path) & (PLATFORM_LIBS | {"bots"})
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_importing_the_core_loads_no_platform_library() -> None:
    modules = [
        p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
        for p in (ROOT / "shared").rglob("*.py")
        if "migrations" not in p.parts and p.name != "__init__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('aiogram', 'vk_api')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_platforms_are_discovered() -> None:
    from bots.registry import platform_modules

    names = {m.NAME for m in platform_modules()}
    assert {"telegram", "vk"} <= names
    for module in platform_modules():
        assert callable(module.build)
        assert callable(module.check)
        assert module.REQUIRED
