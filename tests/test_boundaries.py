"""The content core stays platform-neutral; platforms are found, not listed."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLATFORM_LIBS = {"aiogram", "vk_api", "maxapi"}


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
        f"bad = [m for m in sys.modules if m.split('.')[0] in {sorted(PLATFORM_LIBS)!r}]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_platforms_are_discovered() -> None:
    from bots.registry import platform_modules, platform_names

    names = {m.NAME for m in platform_modules()}
    assert {"telegram", "vk", "max"} <= names
    assert set(platform_names()) == names  # a package is named for its platform
    for module in platform_modules():
        assert callable(module.build)
        assert callable(module.check)
        assert module.REQUIRED


def test_a_posts_limits_are_read_without_any_platform_library() -> None:
    """``glashatai post create`` checks a post against every platform's limits; importing
    aiogram for that took seconds per command."""
    code = (
        "import sys\n"
        "from bots.registry import platform_modules, post_limits\n"
        "limits = post_limits()\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {sorted(PLATFORM_LIBS)!r}]\n"
        "assert not bad, bad\n"
        "assert {m.NAME: m.LIMITS for m in platform_modules()} == limits, limits\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def _platform_names() -> set[str]:
    from bots.registry import platform_modules

    return {m.NAME for m in platform_modules()}


def _named_platforms(path: Path, names: set[str]) -> list[str]:
    """Where a module compares against or builds a platform's name (or a ``tg:`` code)."""
    prefixes = (*(f"{n}:" for n in names), "tg:")
    members = {n.upper() for n in names}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            value = node.value.strip()
            if value.lower() in names or value.lower().startswith(prefixes):
                found.append(f"{node.lineno}: {value!r}")
        elif isinstance(node, ast.Attribute) and node.attr in members:
            found.append(f"{node.lineno}: .{node.attr}")
    return found


def test_shared_names_no_platform() -> None:
    """``shared/`` reaches a platform only through what the platform registered.

    String constants equal to a registered platform's name (any case), codes prefixed
    with one (``vk:…``, ``tg:…``) and enum members named for one are all platform
    branches in disguise. The text catalogue is TOML, so it is not scanned.
    """
    names = _platform_names()
    found = {}
    for path in sorted((ROOT / "shared").rglob("*.py")):
        if "migrations" in path.parts:
            continue  # history: what a past schema held
        hits = _named_platforms(path, names)
        if hits:
            found[path.relative_to(ROOT).as_posix()] = hits
    assert found == {}, "\n".join(f"{p}: {h}" for p, h in found.items())


def test_only_the_outbox_package_touches_the_outbox_table() -> None:
    """Features count, read, rewrite and cancel their rows through ``shared.outbox``'s API."""
    for package in ("shared", "bots", "scheduler", "web", "config"):
        for path in (ROOT / package).rglob("*.py"):
            rel = path.relative_to(ROOT)
            if rel.parts[:2] == ("shared", "outbox") or "migrations" in rel.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and node.module == "shared.storage.schema":
                    names = {alias.name for alias in node.names}
                    assert "outbox" not in names, f"{rel} imports the outbox table"
