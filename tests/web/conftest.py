"""Browser tests: Playwright driving the system's Chromium, and the real app with its web part.

The browser is the distribution's Chromium (``apt-get install chromium``), never one that
Playwright downloads: ``GLASHATAI_TEST_CHROMIUM`` names another binary. Without the
``playwright`` package or the binary, the browser tests skip and say which is missing.

Fixtures:

- ``browser``: a Chromium for the test; ``page``: a fresh Russian-locale page that records
  console errors, dialogs (an ``alert`` an injected script would open) and page errors
  in ``page_events``.
- ``web_running``: the real ``glashatai run`` app (bots, outbox, scheduler, web) against
  the fake Telegram and VK, with PUBLIC_URL set to its own address.
- ``axe``: runs axe-core (the copy ``axe-playwright-python`` ships) in a page.
- ``screenshot``: saves a screenshot to ``docs/screenshots/`` when
  ``GLASHATAI_SCREENSHOTS=1`` (so a normal run never dirties the tree).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from simulators.telegram import FakeTelegram
from simulators.vk import FakeVK
from tests.web.harness import RunningWeb, running_web, web_settings

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("GLASHATAI_TEST_CHROMIUM", "/usr/bin/chromium")
# The sandbox needs user namespaces that containers and CI runners often lack.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"]
AXE_BLOCKING = {"serious", "critical"}
# Read at import: the autouse ``clean_env`` fixture removes GLASHATAI_* before each test.
SCREENSHOTS_WANTED = os.environ.get("GLASHATAI_SCREENSHOTS") == "1"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if importlib.util.find_spec("playwright") is None:
        return "browser tests need the playwright package: pip install -e '.[test]'"
    if not os.access(CHROMIUM, os.X_OK):
        return (
            f"browser tests need Chromium at {CHROMIUM}: apt-get install chromium "
            "(or set GLASHATAI_TEST_CHROMIUM to a Chromium binary)"
        )
    return None


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    reason = browser_missing()
    if reason is not None:
        pytest.skip(reason)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@dataclass
class PageEvents:
    """What a page did that a test may want to assert never happened."""

    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


# ``axe(page)`` and ``screenshot(page, name)``: the fixtures below, typed for the tests.
Axe = Callable[["Page"], Awaitable[list[dict[str, Any]]]]
Shot = Callable[["Page", str], Awaitable[None]]


async def inert(page: Page, events: PageEvents) -> None:
    """Nothing injected ran: no flag on window, no dialog, no element the payload makes."""
    assert await page.evaluate("() => window.__pwned === undefined")
    assert await page.locator("img[src='x']").count() == 0
    # The page's own scripts come from /static (the sandbox page has one); nothing else
    # but a release's schema.org data, which browsers never run, and which must parse.
    runnable = "script:not([src^='/static/']):not([type='application/ld+json'])"
    assert await page.locator(runnable).count() == 0
    for data in await page.locator("script[type='application/ld+json']").all():
        assert await data.evaluate("script => typeof JSON.parse(script.textContent)") == "object"
    assert events.dialogs == []
    assert events.page_errors == []


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
async def page(browser: Browser, page_events: PageEvents) -> AsyncIterator[Page]:
    context = await browser.new_context(locale="ru-RU", viewport={"width": 1280, "height": 900})
    opened = await context.new_page()
    opened.on(
        "console",
        lambda m: page_events.console_errors.append(m.text) if m.type == "error" else None,
    )

    async def on_dialog(dialog: Any) -> None:
        page_events.dialogs.append(dialog.message)
        await dialog.dismiss()

    opened.on("dialog", on_dialog)
    opened.on("pageerror", lambda error: page_events.page_errors.append(str(error)))
    try:
        yield opened
    finally:
        await context.close()


@pytest.fixture
async def web_running(tmp_path: Path, tg: FakeTelegram, vk: FakeVK) -> AsyncIterator[RunningWeb]:
    async with running_web(web_settings(tmp_path, tg, vk)) as running:
        yield running


def _axe_source() -> str:
    import axe_playwright_python  # type: ignore[import-untyped]

    return (Path(axe_playwright_python.__file__).with_name("axe.min.js")).read_text("utf-8")


@pytest.fixture
def axe() -> Axe:
    """``await axe(page)``: the serious and critical axe-core violations on the page."""
    source = _axe_source()

    async def run(page: Page) -> list[dict[str, Any]]:
        # Injected by the test driver, outside the page's CSP (which forbids inline script).
        await page.evaluate(source)
        result = await page.evaluate(
            "async () => await axe.run(document, {resultTypes: ['violations']})"
        )
        return [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]],
            }
            for v in result["violations"]
            if v["impact"] in AXE_BLOCKING
        ]

    return run


@pytest.fixture
def screenshot() -> Shot:
    """``await screenshot(page, "archive")`` writes docs/screenshots/archive.png when asked."""

    async def take(page: Page, name: str) -> None:
        if SCREENSHOTS_WANTED:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take
