"""The Russian text catalogue, with the office's own overrides on top.

Texts are looked up by dotted key (``"hotline.greeting"``). Values given to a text are
inserted literally: the catalogue is plain text, and the bots escape it when rendering.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import Any

from shared.errors import (
    Conflict,
    GlashataiError,
    InvalidInput,
    NotAllowed,
    NotFound,
    PlatformNotConfigured,
    Refused,
)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = str(value)
    return out


class Texts:
    def __init__(self, catalogue: Mapping[str, str]) -> None:
        self._texts = dict(catalogue)

    @classmethod
    def load(cls, override: Path | None = None) -> Texts:
        catalogue = resources.files("shared").joinpath("texts_ru.toml")
        base = tomllib.loads(catalogue.read_text("utf-8"))
        texts = _flatten(base)
        if override is not None:
            try:
                extra = _flatten(tomllib.loads(override.read_text("utf-8")))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise InvalidInput(f"GLASHATAI_TEXTS_FILE: can't read {override}: {exc}") from None
            unknown = sorted(set(extra) - set(texts))
            if unknown:
                raise InvalidInput(f"GLASHATAI_TEXTS_FILE: unknown keys: {', '.join(unknown)}")
            for key, value in extra.items():
                cls._check_fields(key, texts[key], value)
            texts.update(extra)
        return cls(texts)

    @staticmethod
    def _check_fields(key: str, original: str, override: str) -> None:
        def names(template: str) -> set[str]:
            return {f for _, f, _, _ in Formatter().parse(template) if f}

        missing = names(override) - names(original)
        if missing:
            unknown = ", ".join(sorted(missing))
            raise InvalidInput(f"GLASHATAI_TEXTS_FILE: {key} uses unknown placeholders: {unknown}")

    def __call__(self, key: str, **values: Any) -> str:
        template = self._texts[key]
        return (
            template.format(**values) if values else template.replace("{{", "{").replace("}}", "}")
        )

    def __contains__(self, key: str) -> bool:
        return key in self._texts

    def keys(self) -> list[str]:
        return sorted(self._texts)

    def explain(self, error: GlashataiError) -> str:
        """A domain error as the Russian text a person sees (each bot calls this in one place)."""
        if isinstance(error, PlatformNotConfigured):
            return self("errors.platform_not_configured", platform=str(error))
        if isinstance(error, InvalidInput):
            return self("errors.invalid_input", reason=str(error))
        if isinstance(error, NotFound):
            return self("errors.not_found")
        if isinstance(error, NotAllowed):
            return self("errors.not_allowed")
        if isinstance(error, Refused):
            return str(error)  # the service's own reason, in the catalogue's words
        if isinstance(error, Conflict):
            return self("errors.conflict")
        return self("errors.internal")
