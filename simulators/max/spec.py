"""Every request the fake receives, checked against MAX's OpenAPI 3.0 schema.

The schema is read at run time from ``../shared/specs/max/schema.yaml`` beside the
repository (or ``GLASHATAI_MAX_SPEC``), never copied. A subset of OpenAPI is understood:
path templates, query parameters (type, enum, bounds, ``required``), JSON bodies with
``$ref``, ``allOf``, ``discriminator``, ``properties``, ``required``, ``enum``,
``maxLength``/``minLength``, ``minItems``, ``nullable``. Three readings are deliberate:

* a body property the schema does not name is a violation (the schema never says
  ``additionalProperties: false``, but a field MAX does not know is a bug of ours);
* a ``required`` property that is also ``nullable`` may be absent (``NewMessageBody``
  lists ``link`` as required; MAX accepts a body without it, and so does every client);
* a message ``text``'s ``maxLength`` (4,000) is not checked here: MAX counts the text
  after its ``format`` is parsed, which the fake does itself (``messages.checked_text``).

Without the schema (an installed ``glashatai sandbox`` has no ``shared/specs``), requests
are routed by the built-in table of the operations the fake serves (:data:`BUILT_IN`) and
these checks are skipped: the fake's own rules (text length, formats, limits, uploads)
still hold. PyYAML is a test dependency, imported only when the schema is read.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The repository's sibling folder ``shared/`` (as ``tests/conftest.py`` finds the specs).
SPEC = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "max" / "schema.yaml"


@dataclass(frozen=True)
class Operation:
    """One path + verb of the schema."""

    operation_id: str
    template: str
    verb: str
    pattern: re.Pattern[str]
    query: dict[str, dict[str, Any]]
    path_params: dict[str, dict[str, Any]]
    body_schema: dict[str, Any] | None


def spec_path() -> Path:
    """Where the schema is: ``GLASHATAI_MAX_SPEC`` or ``shared/`` beside the repository."""
    configured = os.environ.get("GLASHATAI_MAX_SPEC")
    return Path(configured) if configured else SPEC


@functools.cache
def available() -> bool:
    """Whether the schema is there to check against (decided once per process)."""
    return spec_path().is_file()


@functools.cache
def load() -> dict[str, Any]:
    """The parsed schema (read once per process)."""
    import yaml  # a test dependency: only needed when the schema is there

    with spec_path().open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.safe_load(handle)
    return loaded


# (verb, path template, operationId) of what the fake serves, for running without the schema.
BUILT_IN: tuple[tuple[str, str, str], ...] = (
    ("GET", "/me", "getMyInfo"),
    ("GET", "/chats", "getChats"),
    ("GET", "/subscriptions", "getSubscriptions"),
    ("POST", "/uploads", "getUploadUrl"),
    ("GET", "/messages", "getMessages"),
    ("POST", "/messages", "sendMessage"),
    ("PUT", "/messages", "editMessage"),
    ("DELETE", "/messages", "deleteMessage"),
    ("POST", "/answers", "answerOnCallback"),
    ("GET", "/updates", "getUpdates"),
    ("GET", "/chats/{chatId}", "getChat"),
    ("GET", "/chats/{chatId}/members/me", "getMembership"),
    ("GET", "/messages/{messageId}", "getMessageById"),
)


def _built_in() -> tuple[Operation, ...]:
    return tuple(
        Operation(operation_id, template, verb, _template_pattern(template), {}, {}, None)
        for verb, template, operation_id in BUILT_IN
    )


def _template_pattern(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{regex}$")


@functools.cache
def operations() -> tuple[Operation, ...]:
    """All operations, literal paths before templated ones (``/chats/{chatId}`` vs links)."""
    if not available():
        return _built_in()
    found: list[Operation] = []
    for template, item in load()["paths"].items():
        shared = item.get("parameters", [])
        for verb, op in item.items():
            if verb == "parameters":
                continue
            params = [_resolve(p) for p in (*shared, *op.get("parameters", []))]
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            found.append(
                Operation(
                    operation_id=op["operationId"],
                    template=template,
                    verb=verb.upper(),
                    pattern=_template_pattern(template),
                    query={p["name"]: p for p in params if p.get("in") == "query"},
                    path_params={p["name"]: p for p in params if p.get("in") == "path"},
                    body_schema=body["schema"] if body else None,
                )
            )
    found.sort(key=lambda o: o.template.count("{"))
    return tuple(found)


def operation_by_id(operation_id: str) -> Operation:
    """The operation named ``operation_id`` (``KeyError`` if the schema has none)."""
    for op in operations():
        if op.operation_id == operation_id:
            return op
    raise KeyError(operation_id)


def match(verb: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
    """The operation for a request, its path values, and whether the path exists at all.

    ``/chats/{chatLink}`` and ``/chats/{chatId}`` share a shape: a numeric segment is an id.
    """
    path_known = False
    for op in operations():
        found = op.pattern.match(path)
        if not found:
            continue
        values = found.groupdict()
        if "chatLink" in values and re.fullmatch(r"-?\d+", values["chatLink"]):
            continue
        path_known = True
        if op.verb == verb:
            return op, values, True
    return None, {}, path_known


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        section = node["$ref"].split("/")[2]
        node = load()["components"][section][name]
    return node


def _properties(schema: dict[str, Any]) -> tuple[dict[str, Any], set[str], bool]:
    """Merged properties, required names and nullability of a schema and its ``allOf``."""
    schema = _resolve(schema)
    props: dict[str, Any] = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    nullable = bool(schema.get("nullable"))
    for part in schema.get("allOf", []):
        sub_props, sub_required, _ = _properties(part)
        props.update(sub_props)
        required |= sub_required
    return props, required, nullable


def _is_nullable(schema: dict[str, Any]) -> bool:
    if schema.get("nullable"):
        return True
    return any(_resolve(part).get("nullable") for part in schema.get("allOf", []))


def _schema_type(schema: dict[str, Any]) -> str | None:
    schema = _resolve(schema)
    if "type" in schema:
        return str(schema["type"])
    for part in schema.get("allOf", []):
        found = _schema_type(part)
        if found:
            return found
    if "properties" in schema or "discriminator" in schema:
        return "object"
    return None


def _enum(schema: dict[str, Any]) -> list[Any] | None:
    schema = _resolve(schema)
    if "enum" in schema:
        return list(schema["enum"])
    for part in schema.get("allOf", []):
        found = _enum(part)
        if found is not None:
            return found
    return None


def _discriminated(schema: dict[str, Any], value: dict[str, Any]) -> dict[str, Any] | None:
    """The concrete schema a discriminator picks, or None when it has none."""
    schema = _resolve(schema)
    discriminator = schema.get("discriminator")
    if not discriminator:
        return None
    key = value.get(discriminator["propertyName"])
    target = discriminator.get("mapping", {}).get(key)
    return {"$ref": target} if target else {}


TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def validate(value: Any, schema: dict[str, Any], where: str, strict: bool = True) -> list[str]:
    """Problems of a JSON value against a schema, each naming its location.

    ``strict=False`` reads an answer: fields the schema does not name are allowed, and so
    is the absence of a required field the schema never defines (``Chat.description``).
    """
    resolved = _resolve(schema)
    if value is None:
        return [] if _is_nullable(schema) or _is_nullable(resolved) else [f"{where}: null"]
    kind = _schema_type(resolved)
    if kind in TYPES and (
        not isinstance(value, TYPES[kind]) or (kind != "boolean" and isinstance(value, bool))
    ):
        return [f"{where}: expected {kind}, got {type(value).__name__}"]
    enum = _enum(resolved)
    if enum is not None and value not in enum:
        return [f"{where}: {value!r} is not one of {enum}"]
    if isinstance(value, str):
        return _string_problems(value, resolved, where)
    if isinstance(value, list):
        return _array_problems(value, resolved, where, strict)
    if isinstance(value, dict):
        return _object_problems(value, resolved, where, strict)
    return []


# Message texts, measured after parsing by the fake rather than raw here.
VISIBLE_LENGTH = frozenset({"body.text", "body.message.text"})


def _string_problems(value: str, schema: dict[str, Any], where: str) -> list[str]:
    problems = []
    too_long = "maxLength" in schema and len(value) > schema["maxLength"]
    if too_long and where not in VISIBLE_LENGTH:
        problems.append(f"{where}: longer than {schema['maxLength']}")
    if "minLength" in schema and len(value) < schema["minLength"]:
        problems.append(f"{where}: shorter than {schema['minLength']}")
    return problems


def _array_problems(
    value: list[Any], schema: dict[str, Any], where: str, strict: bool
) -> list[str]:
    problems = []
    if "minItems" in schema and len(value) < schema["minItems"]:
        problems.append(f"{where}: fewer than {schema['minItems']} items")
    if "maxItems" in schema and len(value) > schema["maxItems"]:
        problems.append(f"{where}: more than {schema['maxItems']} items")
    items = schema.get("items")
    if items:
        for index, item in enumerate(value):
            problems += validate(item, items, f"{where}[{index}]", strict)
    return problems


def _object_problems(
    value: dict[str, Any], schema: dict[str, Any], where: str, strict: bool
) -> list[str]:
    concrete = _discriminated(schema, value)
    if concrete == {}:
        return [f"{where}: unknown kind {value!r:.80}"]
    if concrete is not None and _resolve(concrete) is not schema:
        return validate(value, concrete, where, strict)
    props, required, _ = _properties(schema)
    extra = _resolve(schema).get("additionalProperties")
    problems: list[str] = []
    for name in sorted(required - value.keys()):
        prop = props.get(name)
        if (prop is None and strict) or (prop is not None and not _is_nullable(prop)):
            problems.append(f"{where}.{name}: required")
    for name, item in value.items():
        if name in props:
            problems += validate(item, props[name], f"{where}.{name}", strict)
        elif isinstance(extra, dict):
            problems += validate(item, extra, f"{where}.{name}", strict)
        elif strict:
            problems.append(f"{where}.{name}: not in the schema")
    return problems


def check_query(op: Operation, query: dict[str, str]) -> list[str]:
    """Unknown, missing or malformed query parameters."""
    if not available():
        return []
    problems = [f"query {name!r}: not a parameter of {op.operation_id}" for name in query]
    problems = [p for p, name in zip(problems, query, strict=True) if name not in op.query]
    for name, param in op.query.items():
        raw = query.get(name)
        if raw is None:
            if param.get("required"):
                problems.append(f"query {name!r}: required")
            continue
        problems += _scalar_problems(raw, param.get("schema", {}), f"query {name!r}")
    return problems


def check_path(op: Operation, values: dict[str, str]) -> list[str]:
    """Malformed path parameters (``chatId`` must be an integer)."""
    if not available():
        return []
    problems: list[str] = []
    for name, raw in values.items():
        param = op.path_params.get(name, {})
        problems += _scalar_problems(raw, param.get("schema", {}), f"path {name!r}")
    return problems


def _scalar_problems(raw: str, schema: dict[str, Any], where: str) -> list[str]:
    schema = _resolve(schema)
    kind = _schema_type(schema)
    if kind == "array":
        items = schema.get("items", {})
        return [p for part in raw.split(",") for p in _scalar_problems(part, items, where)]
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", raw):
            return [f"{where}: {raw!r} is not an integer"]
        number = int(raw)
        if "minimum" in schema and number < schema["minimum"]:
            return [f"{where}: below {schema['minimum']}"]
        if "maximum" in schema and number > schema["maximum"]:
            return [f"{where}: above {schema['maximum']}"]
        return []
    if kind == "boolean" and raw not in ("true", "false"):
        return [f"{where}: {raw!r} is not true/false"]
    enum = _enum(schema)
    if enum is not None and raw not in enum:
        return [f"{where}: {raw!r} is not one of {enum}"]
    if kind == "string":
        return _string_problems(raw, schema, where)
    return []


def check_body(op: Operation, body: Any) -> list[str]:
    """Problems of a JSON body (an absent body where one is expected is one)."""
    if not available():
        return []
    if op.body_schema is None:
        return [] if body is None else [f"body: {op.operation_id} takes no body"]
    if body is None:
        return ["body: required"]
    return validate(body, op.body_schema, "body")


def check_answer(op: Operation, status: int, body: Any) -> list[str]:
    """Problems of an answer against the operation's response schema (``strict=False``)."""
    if not available():
        return []
    responses = load()["paths"][op.template][op.verb.lower()]["responses"]
    response = responses.get(str(status), responses.get(status))
    if response is None:
        return [f"answer: status {status} is not documented for {op.operation_id}"]
    response = _resolve(response)
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return validate(body, schema, "answer", strict=False) if schema else []
