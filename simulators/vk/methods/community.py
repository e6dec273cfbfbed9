"""groups.*, users.* and utils.* methods."""

from __future__ import annotations

import re
from typing import Any

from ..errors import VkError, invalid
from ..longpoll import issue_server
from ..registry import Call, api_method
from ..state import State, User, now

GROUP_PERMISSIONS = {"photos": 4, "messages": 4096, "docs": 131072, "manage": 262144}
USER_REF_RE = re.compile(r"^(?:id)?(\d+)$")


def _group_ref_ok(state: State, ref: str) -> bool:
    return ref in (str(state.group_id), f"club{state.group_id}", state.screen_name)


def group_object(call: Call, fields: list[str]) -> dict[str, Any]:
    """The community as a ``groups_group_full`` object with the requested fields."""
    state = call.state
    photo = state.url(f"/media/group{state.group_id}.png")
    group: dict[str, Any] = {
        "id": state.group_id,
        "name": state.group_name,
        "screen_name": state.screen_name,
        "is_closed": 0,
        "type": "group",
        "photo_50": photo,
        "photo_100": photo,
        "photo_200": photo,
    }
    level = state.admin_level if call.token_type == "user" else 0
    if "is_admin" in fields:
        group["is_admin"] = 1 if level else 0
    if "admin_level" in fields and level:
        group["admin_level"] = level
    if "is_member" in fields:
        group["is_member"] = 1 if level else 0
    if "can_message" in fields:
        group["can_message"] = 1
    if "can_post" in fields:
        group["can_post"] = 1 if level >= 2 else 0
    if "members_count" in fields:
        group["members_count"] = len(state.users)
    return group


@api_method("groups.getById", tokens=("user", "group"), params=("group_id", "group_ids", "fields"))
def groups_get_by_id(call: Call) -> dict[str, Any]:
    """v5.199 shape: ``{"groups": [...], "profiles": []}``."""
    refs = call.params.items("group_ids") or call.params.items("group_id")
    with call.state.lock:
        if not refs:
            if call.token_type != "group":
                raise invalid("group_ids", "is undefined")
            refs = [str(call.state.group_id)]
        for ref in refs:
            if not _group_ref_ok(call.state, ref):
                raise invalid("group_ids", f"is invalid: unknown community {ref!r}")
        fields = call.params.items("fields")
        return {"groups": [group_object(call, fields)], "profiles": []}


@api_method(
    "groups.getLongPollServer",
    tokens=("user", "group"),
    params=("group_id",),
    required=("group_id",),
)
def groups_get_long_poll_server(call: Call) -> dict[str, Any]:
    """Key, server URL (``/longpoll/{group_id}`` on the fake) and current ts."""
    group_id = call.params.require_integer("group_id")
    with call.state.lock:
        state = call.state
        if group_id != state.group_id or (call.token_type == "user" and state.admin_level < 3):
            raise VkError(15, "no access to call this method")
        if not state.longpoll_enabled:
            raise invalid("group_id", "is invalid: Bots Long Poll API is disabled for the group")
        return issue_server(state)


@api_method("groups.getTokenPermissions", tokens=("group",))
def groups_get_token_permissions(call: Call) -> dict[str, Any]:
    """The community token's scope (photos, messages, docs, manage)."""
    permissions = [{"name": name, "setting": bit} for name, bit in GROUP_PERMISSIONS.items()]
    return {"mask": sum(GROUP_PERMISSIONS.values()), "permissions": permissions}


def user_object(state: State, user_id: int, fields: list[str]) -> dict[str, Any]:
    """A ``users_user_full`` object; unknown ids look like deleted accounts."""
    user = state.users.get(user_id)
    if user is None:
        return {"id": user_id, "first_name": "DELETED", "last_name": "", "deactivated": "deleted"}
    obj: dict[str, Any] = {
        "id": user.id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "can_access_closed": True,
        "is_closed": False,
    }
    for name in fields:
        if name in ("screen_name", "domain"):
            obj[name] = user.screen_name or f"id{user.id}"
        elif name == "sex":
            obj["sex"] = user.sex
        elif name in ("photo_50", "photo_100", "photo_200", "photo_max"):
            obj[name] = state.url(f"/media/user{user.id}.png")
    return obj


@api_method("users.get", tokens=("user", "group"), params=("user_ids", "fields", "name_case"))
def users_get(call: Call) -> list[dict[str, Any]]:
    """Users from the registry (``FakeVK.add_user``); no ids = the token's user."""
    refs = call.params.items("user_ids")
    fields = call.params.items("fields")
    call.params.get("name_case")  # accepted, names are not declined
    ids: list[int] = []
    for ref in refs:
        match = USER_REF_RE.match(ref)
        if not match or int(match[1]) == 0:
            raise VkError(113, f"{ref!r}")
        ids.append(int(match[1]))
    with call.state.lock:
        if not refs:
            if call.token_type == "group":
                return []
            ids = [call.state.user_id]
        return [user_object(call.state, user_id, fields) for user_id in ids]


@api_method("utils.getServerTime", tokens=("user", "group"))
def utils_get_server_time(call: Call) -> int:
    """Current unix time."""
    return now()


def ensure_user(state: State, user_id: int, first_name: str, last_name: str) -> User:
    """Register a user unless known; returns the record."""
    if user_id not in state.users:
        state.users[user_id] = User(user_id, first_name, last_name)
    return state.users[user_id]
