"""Typed keys of what the web application keeps (services, settings, templates, navigation)."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from jinja2 import Environment

from config.settings import WebSettings
from shared.services import Services


@dataclass(frozen=True)
class NavItem:
    """A link in the header's navigation: its path and the catalogue key of its label."""

    href: str
    label_key: str


SERVICES = web.AppKey("services", Services)
SETTINGS = web.AppKey("web_settings", WebSettings)
JINJA = web.AppKey("jinja", Environment)
NAV = web.AppKey("nav", list[NavItem])
