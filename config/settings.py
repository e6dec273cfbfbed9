"""Glashatai's settings, read from the environment and an optional ``.env``.

The variable names (``GLASHATAI_TELEGRAM__TOKEN`` and so on) are part of the product's
contract: the docs and ``.env.example`` name them.
"""

from __future__ import annotations

import json
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config import files
from config import home as home_folder
from shared.domain import PostKind

# The platform of the admin chat (moderators work in a Telegram group): ``shared/`` names
# the platform of its admin-chat messages through this, never by a string of its own.
ADMIN_PLATFORM = "telegram"


def _none_if_empty(value: Any) -> Any:
    """An empty variable (``TOKEN=`` in .env) means "not configured"."""
    return None if value == "" else value


def _int_list(value: Any) -> Any:
    """Accept ``[1, 2]``, ``"[1,2]"``, ``"1, 2"`` and ``""`` for a list of ids."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


def _str_list(value: Any) -> Any:
    """Accept ``a, b``, a JSON list and ``""`` for a list of strings."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [part.strip() for part in text.split(",") if part.strip()]
    return value


def _http_url(value: str) -> str:
    """An API's or the site's base address: ``http(s)://host[:port][/path]``, no trailing slash.

    Refused here in one line: without a scheme the clients fail later with a message that
    holds the whole request URL, the bot token in it.
    """
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise PydanticCustomError(
            "http_url", "not an http(s) address (expected https://host or http://host:port)"
        )
    return value.strip().rstrip("/")


def _no_path_if_blank(value: Any) -> Any:
    """An empty file variable means "not set", not the current folder (``Path("")``)."""
    return None if isinstance(value, str) and not value.strip() else value


ApiBase = Annotated[str, AfterValidator(_http_url)]
OptionalPath = Annotated[Path | None, BeforeValidator(_no_path_if_blank)]
Secret = Annotated[SecretStr | None, BeforeValidator(_none_if_empty)]
OptionalInt = Annotated[int | None, BeforeValidator(_none_if_empty)]
OptionalStr = Annotated[str | None, BeforeValidator(_none_if_empty)]


class TelegramSettings(BaseModel):
    token: Secret = None
    api_base: ApiBase = "https://api.telegram.org"
    admin_chat_id: OptionalInt = None
    channel_id: OptionalStr = None
    moderator_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    request_timeout: float = 30.0

    @field_validator("moderator_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: Any) -> Any:
        return _int_list(value)

    @field_validator("token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        """Refused here, in one line, rather than by aiogram's Bot() with a traceback."""
        if value is not None:
            bot_id, colon, rest = value.get_secret_value().partition(":")
            if not colon or not bot_id.isdigit() or not rest or any(c.isspace() for c in rest):
                raise PydanticCustomError(
                    "bot_token", "not a bot token (expected 123456789:AA… as @BotFather gives it)"
                )
        return value

    @property
    def enabled(self) -> bool:
        return self.token is not None


class VkSettings(BaseModel):
    group_id: OptionalInt = None
    group_token: Secret = None
    user_token: Secret = None
    api_base: ApiBase = "https://api.vk.ru"
    api_version: str = "5.199"
    request_timeout: float = 30.0
    longpoll_wait: int = 25

    @property
    def enabled(self) -> bool:
        return self.group_token is not None and self.group_id is not None


class MaxSettings(BaseModel):
    """MAX, the national messenger (``GLASHATAI_MAX__…``): the bot and the office channel."""

    token: Secret = None
    api_base: ApiBase = "https://platform-api2.max.ru"
    channel_id: OptionalInt = None
    request_timeout: float = 30.0
    longpoll_timeout: int = 25

    @property
    def enabled(self) -> bool:
        return self.token is not None


class DatabaseSettings(BaseModel):
    # Empty: glashatai.db in GLASHATAI_HOME; a relative SQLite path is relative to it too.
    url: str = ""
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _known_driver(cls, value: str) -> str:
        if value:
            home_folder.parse_database_url(value)
        return value


class OutboxSettings(BaseModel):
    """Pacing and retry policy of the outbox. Defaults follow the platforms' published limits."""

    telegram_global_per_second: float = 30.0
    telegram_private_per_second: float = 1.0
    telegram_private_burst: int = 3
    telegram_group_per_minute: float = 20.0
    vk_group_token_per_second: float = 20.0
    vk_user_token_per_second: float = 3.0
    vk_flood_retry_seconds: float = 30.0
    # MAX documents 30 requests/s per bot; 28 leaves room for long polling and answers.
    max_per_second: float = 28.0
    max_attempts: int = 8
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    workers: int = 8
    poll_interval: float = 1.0


class PublishingSettings(BaseModel):
    missed_window_minutes: int = 60
    # An urgent post is worth publishing later than an ordinary one, but not days late (a
    # storm warning for a storm that has passed): beyond this it is asked about too.
    urgent_missed_window_minutes: int = 360
    quiet_hours_start: time | None = time(22, 0)
    quiet_hours_end: time | None = time(7, 0)
    feed_url: str | None = None
    feed_poll_minutes: float = 15
    feed_autoschedule: bool = False
    topic_id: int | None = None
    album_wait_seconds: float = 1.0
    # Website feeds (see README "Feed import"): FEED_URLS is the list, FEED_URL an alias.
    feed_urls: Annotated[list[str], NoDecode] = Field(default_factory=list)
    feed_categories: Annotated[list[str], NoDecode] = Field(default_factory=list)
    feed_exclude_categories: Annotated[list[str], NoDecode] = Field(default_factory=list)
    feed_category_kinds: Annotated[dict[str, PostKind], NoDecode] = Field(default_factory=dict)
    feed_photo_max_bytes: int = 10 * 1024 * 1024
    feed_photo_timeout: float = 20.0

    @field_validator("quiet_hours_start", "quiet_hours_end", "feed_url", "topic_id", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        """An empty variable switches the feature off (no quiet hours, no feed)."""
        return None if value == "" else value

    @field_validator("feed_urls", "feed_categories", "feed_exclude_categories", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        """``a, b`` or a JSON list; categories are compared case-insensitively."""
        return _str_list(value)

    @field_validator("feed_category_kinds", mode="before")
    @classmethod
    def _category_kinds(cls, value: Any) -> Any:
        """``Извещения=notice, Аукционы=notice``: a category's items get that post kind."""
        if isinstance(value, str):
            pairs = [part.split("=", 1) for part in _str_list(value)]
            if any(len(pair) != 2 for pair in pairs):
                raise PydanticCustomError(
                    "category_kinds", "expected CATEGORY=KIND pairs separated by commas"
                )
            return {name.strip(): kind.strip() for name, kind in pairs}
        return value

    @property
    def feeds(self) -> list[str]:
        """Every feed to read: FEED_URLS, then FEED_URL, each once."""
        urls = [*self.feed_urls, *([self.feed_url] if self.feed_url else [])]
        return list(dict.fromkeys(urls))


class SchedulerSettings(BaseModel):
    sync_seconds: float = 30.0


class HotlineSettings(BaseModel):
    policy_url: str = ""
    show_first_name_only: bool = True
    throttle_messages: int = 5
    throttle_window_seconds: int = 60
    throttle_silence_seconds: int = 300
    max_question_length: int = 4000
    card_backlog_threshold: int = 15
    queue_page_size: int = 10
    # Deadlines and retention (README "Deadlines", "Retention").
    answer_days: int = Field(default=7, ge=0, le=365)
    reminder_time: time | None = time(9, 0)
    holidays: Annotated[list[date], NoDecode] = Field(default_factory=list)
    retention_days: int = Field(default=30, ge=0)
    # Similar questions (README "Similar questions"): how alike (0..1) two questions must be
    # for the card to name one as similar to the other.
    similar_threshold: float = Field(default=0.35, ge=0.0, le=1.0)

    @field_validator("reminder_time", mode="before")
    @classmethod
    def _no_reminder(cls, value: Any) -> Any:
        """An empty variable switches the daily reminder off."""
        return None if value == "" else value

    @field_validator("holidays", mode="before")
    @classmethod
    def _holiday_list(cls, value: Any) -> Any:
        """``2026-01-01, 2026-01-02`` or a JSON list: days off besides Saturdays and Sundays."""
        return _str_list(value)


class AlertsSettings(BaseModel):
    """Alerts to subscribed citizens (``GLASHATAI_ALERTS__…``)."""

    # A TOML file of topics replacing the shipped shared/alerts/topics.toml (relative: in
    # GLASHATAI_HOME; checked by Settings once that folder is known).
    topics_file: OptionalPath = None
    # How often the live status message in the admin chat may change, in seconds.
    status_every_seconds: float = 10.0


class WebSettings(BaseModel):
    """The web server: public archive and staff desk (``GLASHATAI_WEB__…``)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 8080
    # The address citizens see (behind the office's reverse proxy): links and feeds use it.
    public_url: ApiBase = "http://127.0.0.1:8080"
    # Signs the staff desk's session cookies; ``glashatai run`` refuses the web part without it.
    secret_key: Secret = None
    # Releases per archive or search page: at least one (0 would divide by zero).
    page_size: int = Field(default=20, ge=1, le=200)

    @model_validator(mode="after")
    def _secret_key_when_enabled(self) -> WebSettings:
        """The rule ``glashatai run`` enforces, here so that ``glashatai check`` finds it too."""
        if self.enabled and (self.secret_key is None or not self.secret_key.get_secret_value()):
            raise PydanticCustomError(
                "web_secret_key",
                "the web part needs a secret key: set {variable}",
                {"variable": "GLASHATAI_WEB__SECRET_KEY"},
            )
        return self


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GLASHATAI_",
        env_nested_delimiter="__",
        env_file=None,  # GLASHATAI_HOME/.env, given by config.loading: never the current folder
        env_file_encoding="utf-8",
        extra="ignore",
        hide_input_in_errors=True,
    )

    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    vk: VkSettings = Field(default_factory=VkSettings)
    max: MaxSettings = Field(default_factory=MaxSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    outbox: OutboxSettings = Field(default_factory=OutboxSettings)
    publishing: PublishingSettings = Field(default_factory=PublishingSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    hotline: HotlineSettings = Field(default_factory=HotlineSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    timezone: str = "Asia/Krasnoyarsk"
    # The office's name: the author of the documents it makes (the hotline digest's .docx).
    office_name: str = "Пресс-служба администрации"
    log_level: str = "INFO"
    texts_file: OptionalPath = None
    health_file: Path = Path("heartbeat")
    # Holds .env, the default SQLite file and the heartbeat (see config/home.py).
    home: Path = Field(default_factory=home_folder.default_home)

    @model_validator(mode="after")
    def _paths_in_home(self) -> Settings:
        """Relative paths are in GLASHATAI_HOME, so every folder sees the same database."""
        self.home = self.home.expanduser().absolute()
        self.database.url = home_folder.database_url(self.database.url, self.home)
        if not self.health_file.is_absolute():
            self.health_file = self.home / self.health_file
        if self.texts_file is not None:
            self.texts_file = self._in_home(self.texts_file)
            files.check_texts(self.texts_file, "GLASHATAI_TEXTS_FILE")
        if self.alerts.topics_file is not None:
            self.alerts.topics_file = self._in_home(self.alerts.topics_file)
            files.check_topics(self.alerts.topics_file, "GLASHATAI_ALERTS__TOPICS_FILE")
        return self

    def _in_home(self, path: Path) -> Path:
        path = path.expanduser()
        return path if path.is_absolute() else self.home / path

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise PydanticCustomError(
                "time_zone", "unknown time zone {zone}", {"zone": repr(value)}
            ) from exc
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise PydanticCustomError(
                "log_level", "must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
            )
        return level

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def publishing_platforms(self) -> list[str]:
        """Platforms a post can go to: Telegram and MAX with a channel, VK with a user token."""
        out: list[str] = []
        if self.telegram.enabled and self.telegram.channel_id:
            out.append("telegram")
        if self.vk.enabled and self.vk.user_token is not None:
            out.append("vk")
        if self.max.enabled and self.max.channel_id is not None:
            out.append("max")
        return out

    @staticmethod
    def platform_names() -> list[str]:
        """Every platform a setting here configures."""
        return ["telegram", "vk", "max"]

    def secrets(self) -> list[str]:
        """Every configured secret value, for the log masking filter."""
        values = [
            self.telegram.token,
            self.vk.group_token,
            self.vk.user_token,
            self.max.token,
            self.web.secret_key,
        ]
        given = [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]
        return [*given, *home_folder.database_secrets(self.database.url)]
