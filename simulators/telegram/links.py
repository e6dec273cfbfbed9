"""URL checks for text links and URL buttons (a simplified ``LinkManager::check_link``)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_LETTER = "A-Za-z0-9\u00a1-\uffff"
_HOST = re.compile(f"^[{_LETTER}]([{_LETTER}_-]*[{_LETTER}])?$")
_SCHEMES = ("http", "https", "tg", "ton")


def _valid_host(host: str) -> bool:
    if host == "localhost":
        return True
    labels = host.rstrip(".").split(".")
    if len(labels) < 2:
        return bool(re.fullmatch(r"\d+\.\d+\.\d+\.\d+", host))
    return all(_HOST.match(label) for label in labels) and not labels[-1].isdigit()


def checked_link(url: str) -> str | None:
    """Return the link as Telegram keeps it, or ``None`` if it is not a valid link."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    lowered = url.lower()
    if lowered.startswith(("tg:", "ton:")):
        return url if len(url.split(":", 1)[1].lstrip("/")) > 0 else None
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if parts.scheme.lower() not in _SCHEMES or not _valid_host(host):
        return None
    return url
