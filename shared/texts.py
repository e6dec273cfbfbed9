"""The Russian text catalogue, with the office's own overrides on top.

Texts are looked up by dotted key (``"hotline.greeting"``). Values given to a text are
inserted literally: the catalogue is plain text, and the bots escape it when rendering.
"""

from __future__ import annotations

import re
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


def _shape(template: str) -> re.Pattern[str] | None:
    """A pattern of the texts ``template`` gives, whatever its values; None for a template
    with no words of its own (``"{reason}"`` would match anything)."""
    parts: list[str] = []
    words = False
    for literal, field, _, _ in Formatter().parse(template):
        parts.append(re.escape(literal))
        words = words or any(c.isalpha() for c in literal)
        if field is not None:
            parts.append(".*")
    return re.compile("".join(parts), re.DOTALL) if words else None


class Texts:
    def __init__(self, catalogue: Mapping[str, str]) -> None:
        self._texts = dict(catalogue)
        self._shapes: list[re.Pattern[str]] | None = None

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

    def written_here(self, message: str) -> bool:
        """Whether ``message`` is one of this catalogue's texts with its values filled in
        (a person's reason), not a developer's note such as ``post 5 is published``."""
        if self._shapes is None:
            found = (_shape(t) for t in self._texts.values())
            self._shapes = [shape for shape in found if shape is not None]
        return any(shape.fullmatch(message) for shape in self._shapes)

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
        if isinstance(error, Conflict):
            # The service's own reason («пост уже нельзя отменить (статус: опубликован)»)
            # when it gave one; "somebody got there first" only when it did not.
            reason = str(error)
            return reason if self.written_here(reason) else self("errors.conflict")
        return self("errors.internal")
