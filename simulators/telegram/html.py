"""Telegram's HTML parse mode: a port of TDLib's ``parse_html`` rules.

Differences from the real server, on purpose:

* ``strict_amp`` (default on): a ``&`` that does not start a valid entity
  (``&lt; &gt; &amp; &quot;`` or ``&#NN;`` / ``&#xHH;``) is an error
  ``Can't find end of the entity starting at byte offset N``. The Bot API docs
  require escaping every ``&``; real TDLib silently keeps such a ``&`` literally.
  With ``strict_amp=False`` the fake behaves like TDLib.
* No automatic detection of urls, mentions, hashtags (Telegram adds such entities).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .links import checked_link

SPACES = " \t\r\n\v\f"
TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# TDLib's sort priority (lower first when offset and length are equal).
PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class EntityParseError(ValueError):
    """Raised with TDLib's description (without the ``can't parse entities:`` prefix)."""


@dataclass
class _Open:
    tag: str
    argument: str
    offset: int
    begin: int  # index into the output list
    expandable: bool = False


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8"))


def decode_entity(src: str, pos: int) -> tuple[str | None, int]:
    """Decode an HTML entity at ``src[pos] == '&'``; return (char or None, end index)."""
    n = len(src)
    end = pos + 1
    if end < n and src[end] == "#":
        end += 1
        value = 0
        if end < n and src[end] == "x":
            end += 1
            while end < n and src[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(src[end], 16)
                end += 1
        else:
            while end < n and src[end].isascii() and src[end].isdigit():
                value = value * 10 + int(src[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None, pos
        char = chr(value)
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        named = NAMED.get(src[pos + 1 : end])
        if named is None:
            return None, pos
        char = named
    if end < n and src[end] == ";":
        end += 1
    return char, end


class _Parser:
    def __init__(self, src: str, strict_amp: bool, users: dict[int, dict[str, Any]]) -> None:
        self.src = src
        self.n = len(src)
        self.strict_amp = strict_amp
        self.users = users
        self.out: list[str] = []
        self.utf16 = 0
        self.entities: list[dict[str, Any]] = []
        self.stack: list[_Open] = []

    def error(self, message: str) -> EntityParseError:
        return EntityParseError(message)

    def at(self, i: int) -> str:
        return self.src[i] if i < self.n else "\0"

    def skip_spaces(self, i: int) -> int:
        while i < self.n and self.src[i] in SPACES:
            i += 1
        return i

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        i = 0
        while i < self.n:
            c = self.src[i]
            if c == "&":
                char, end = decode_entity(self.src, i)
                if char is not None:
                    self.emit(char)
                    i = end
                    continue
                if self.strict_amp:
                    raise self.error(
                        "Can't find end of the entity starting at byte offset "
                        f"{_byte_offset(self.src, i)}"
                    )
            if c != "<":
                self.emit(c)
                i += 1
                continue
            i = self.end_tag(i) if self.at(i + 1) == "/" else self.start_tag(i)
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"], PRIORITY.get(e["type"], 50)))
        return "".join(self.out), self.entities

    def emit(self, char: str) -> None:
        self.out.append(char)
        self.utf16 += 2 if ord(char) > 0xFFFF else 1

    def start_tag(self, begin: int) -> int:
        src = self.src
        offset = _byte_offset(src, begin)
        i = begin + 1
        while i < self.n and src[i] not in SPACES and src[i] != ">":
            i += 1
        if i >= self.n:
            raise self.error(f"Unclosed start tag at byte offset {offset}")
        tag = src[begin + 1 : i].lower()
        if tag not in TAGS:
            raise self.error(f'Unsupported start tag "{tag}" at byte offset {offset}')
        argument = ""
        expandable = False
        while self.at(i) != ">":
            i = self.skip_spaces(i)
            if self.at(i) == ">":
                break
            name_begin = i
            while i < self.n and src[i] not in SPACES and src[i] not in "=>":
                i += 1
            name = src[name_begin:i]
            if not name:
                raise self.error(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
            i = self.skip_spaces(i)
            if self.at(i) != "=":
                if tag == "blockquote" and name == "expandable":
                    expandable = True
                    continue
                raise self.error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {offset}'
                )
            i = self.skip_spaces(i + 1)
            if i >= self.n:
                raise self.error(f'Unclosed start tag "{tag}" at byte offset {offset}')
            value, i = self.attribute_value(i)
            if i >= self.n:
                raise self.error(f"Unclosed start tag at byte offset {offset}")
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[len("language-") :]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[len("tg-") :]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
        if tag == "span" and argument != "spoiler":
            raise self.error(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        self.stack.append(_Open(tag, argument, self.utf16, len(self.out), expandable))
        return i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        src = self.src
        if src[i] not in "'\"":
            token_begin = i
            while i < self.n and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
                i += 1
            if i < self.n and src[i] not in SPACES and src[i] != ">":
                raise self.error(
                    f"Unexpected end of name token at byte offset {_byte_offset(src, token_begin)}"
                )
            return src[token_begin:i].lower(), i
        quote = src[i]
        i += 1
        chars: list[str] = []
        while i < self.n and src[i] != quote:
            if src[i] == "&":
                char, end = decode_entity(src, i)
                if char is not None:
                    chars.append(char)
                    i = end
                    continue
            chars.append(src[i])
            i += 1
        if i < self.n:
            i += 1
        return "".join(chars), i

    def end_tag(self, begin: int) -> int:
        src = self.src
        offset = _byte_offset(src, begin)
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {offset}")
        i = begin + 2
        while i < self.n and src[i] not in SPACES and src[i] != ">":
            i += 1
        end_name = src[begin + 2 : i].lower()
        i = self.skip_spaces(i)
        if self.at(i) != ">":
            raise self.error(f"Unclosed end tag at byte offset {offset}")
        top = self.stack[-1]
        if end_name and end_name != top.tag:
            raise self.error(
                f'Unmatched end tag at byte offset {offset}, expected "</{top.tag}>", '
                f'found "</{end_name}>"'
            )
        if self.utf16 > top.offset:
            self.add_entity(top)
        self.stack.pop()
        return i + 1

    def add_entity(self, top: _Open) -> None:
        offset, length = top.offset, self.utf16 - top.offset
        entity: dict[str, Any] = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same_span = last is not None and last["offset"] == offset and last["length"] == length
        if top.tag in SIMPLE:
            entity["type"] = SIMPLE[top.tag]
        elif top.tag == "blockquote":
            entity["type"] = "expandable_blockquote" if top.expandable else "blockquote"
        elif top.tag == "tg-emoji":
            if not top.argument.isdigit() or int(top.argument) == 0:
                raise self.error("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=top.argument)
        elif top.tag == "a":
            url = top.argument or "".join(self.out[top.begin :])
            user = self.mention_user(url)
            if user is not None:
                entity.update(type="text_mention", user=user)
            else:
                link = checked_link(url)
                if link is None:
                    return
                entity.update(type="text_link", url=link)
        elif top.tag == "pre":
            if same_span and last is not None and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
                return
            entity["type"] = "pre"
        else:  # code
            if same_span and last is not None and last["type"] == "pre" and top.argument:
                last["language"] = top.argument
                return
            entity["type"] = "code"
            if top.argument:
                entity["language"] = top.argument  # dropped below unless merged into pre
        self.entities.append(entity)

    def mention_user(self, url: str) -> dict[str, Any] | None:
        prefix = "tg://user?id="
        if not url.lower().startswith(prefix) or not url[len(prefix) :].isdigit():
            return None
        return self.users.get(int(url[len(prefix) :]))


def parse_html(
    src: str, *, strict_amp: bool = True, users: dict[int, dict[str, Any]] | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML; return visible text and MessageEntity dicts (UTF-16 offsets)."""
    text, entities = _Parser(src, strict_amp, users or {}).run()
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return text, entities


def trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """TDLib's trimming: drop trailing whitespace, and leading spaces/newlines that
    precede the first entity; entities are clipped to what remains."""
    stripped = text.rstrip(SPACES)
    size = utf16_len(stripped)
    clipped = []
    for entity in entities:
        end = min(entity["offset"] + entity["length"], size)
        if end > entity["offset"]:
            clipped.append({**entity, "length": end - entity["offset"]})
    first_entity = clipped[0]["offset"] if clipped else size
    left = 0
    while left < len(stripped) and left < first_entity and stripped[left] in " \n":
        left += 1  # ' ' and '\n' are one UTF-16 unit each
    if left:
        stripped = stripped[left:]
        clipped = [{**e, "offset": e["offset"] - left} for e in clipped]
    return stripped, clipped
