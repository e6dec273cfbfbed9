"""wall.* methods on the community wall (user token only, like VK)."""

from __future__ import annotations

from typing import Any

from ..attachments import attachment_object, validate_attachments
from ..errors import VkError, invalid, missing
from ..registry import Call, api_method
from ..state import State, WallPost, now

MAX_POST = 16384
EDITOR_LEVEL = 2  # editors (2) and administrators (3) may post as the community

POST_OPTIONS = ("signed", "close_comments", "mute_notifications")


def _owner(call: Call, *, required: bool) -> int:
    owner_id = call.params.integer("owner_id")
    if owner_id is None:
        if required:
            # VK would post to the user's own wall; the product never wants that.
            raise missing("owner_id")
        return -call.state.group_id
    if owner_id != -call.state.group_id:
        raise VkError(214, f"the fake only has the wall of club{call.state.group_id}")
    return owner_id


def _content(call: Call) -> tuple[str, list[str]]:
    text = call.params.get("message") or ""
    attachments = call.params.items("attachments")
    if not text and not attachments:
        raise missing("message")
    if len(text) > MAX_POST:
        raise invalid("message", f"is too long ({len(text)} > {MAX_POST} characters)")
    with call.state.lock:
        validate_attachments(call.state, attachments, param="attachments", allow_links=True)
    return text, attachments


def _post(state: State, owner_id: int, post_id: int) -> WallPost:
    post = state.posts.get(post_id)
    if post is None or post.owner_id != owner_id or post.deleted:
        raise VkError(210, "post not found")
    return post


@api_method(
    "wall.post",
    tokens=("user",),
    params=(
        "owner_id",
        "from_group",
        "message",
        "attachments",
        "guid",
        "publish_date",
        "copyright",
        *POST_OPTIONS,
    ),
)
def wall_post(call: Call) -> dict[str, int]:
    """Post as the community; the same ``guid`` returns the same post."""
    params, state = call.params, call.state
    owner_id = _owner(call, required=True)
    if not params.flag("from_group"):
        # A fake rule: the product must always post as the community.
        raise missing("from_group")
    text, attachments = _content(call)
    options = {name: params.flag(name) for name in POST_OPTIONS}
    publish_date = params.integer("publish_date")
    guid = params.get("guid")
    with state.lock:
        if state.admin_level < EDITOR_LEVEL:
            raise VkError(214, "the user is not an editor of the community")
        if guid is not None and (owner_id, guid) in state.guids:
            state.bump("deduplicated_posts")
            return {"post_id": state.guids[(owner_id, guid)]}
        post = WallPost(
            id=state.next_post_id,
            owner_id=owner_id,
            from_id=owner_id,
            created_by=state.user_id,
            message=text,
            attachments=attachments,
            guid=guid,
            date=now(),
            publish_date=publish_date,
            copyright=params.get("copyright"),
            signed=options["signed"],
            close_comments=options["close_comments"],
            mute_notifications=options["mute_notifications"],
        )
        state.next_post_id += 1
        state.posts[post.id] = post
        if guid is not None:
            state.guids[(owner_id, guid)] = post.id
    return {"post_id": post.id}


@api_method(
    "wall.edit",
    tokens=("user",),
    params=(
        "owner_id",
        "post_id",
        "message",
        "attachments",
        "publish_date",
        "copyright",
        "signed",
        "close_comments",
    ),
    required=("post_id",),
)
def wall_edit(call: Call) -> dict[str, int]:
    """Replace text and attachments of a post."""
    owner_id = _owner(call, required=False)
    post_id = call.params.require_integer("post_id")
    text, attachments = _content(call)
    publish_date = call.params.integer("publish_date")
    with call.state.lock:
        post = _post(call.state, owner_id, post_id)
        post.history.append({"message": post.message, "attachments": post.attachments})
        post.message, post.attachments = text, attachments
        if publish_date is not None:
            post.publish_date = publish_date
        if call.params.has("copyright"):
            post.copyright = call.params.get("copyright")
        for name in ("signed", "close_comments"):
            if call.params.has(name):
                setattr(post, name, call.params.flag(name))
        post.edits += 1
        post.edited = now()
    return {"post_id": post_id}


@api_method("wall.delete", tokens=("user",), params=("owner_id", "post_id"))
def wall_delete(call: Call) -> int:
    """Mark a post deleted."""
    owner_id = _owner(call, required=False)
    post_id = call.params.integer("post_id")
    if post_id is None:
        raise missing("post_id")
    with call.state.lock:
        _post(call.state, owner_id, post_id).deleted = True
    return 1


def post_object(state: State, post: WallPost) -> dict[str, Any]:
    """A ``wall_wall_item`` object."""
    obj: dict[str, Any] = {
        "id": post.id,
        "owner_id": post.owner_id,
        "from_id": post.from_id,
        "created_by": post.created_by,
        "date": post.date,
        "text": post.message,
        "attachments": [attachment_object(state, ref) for ref in post.attachments],
        "post_type": "postpone" if post.publish_date else "post",
        "comments": {"count": 0, "can_post": 0 if post.close_comments else 1},
    }
    if post.edited:
        obj["edited"] = post.edited
    return obj


@api_method(
    "wall.getById", tokens=("user",), params=("posts", "extended", "fields"), required=("posts",)
)
def wall_get_by_id(call: Call) -> dict[str, Any]:
    """``{"items": [...]}`` for ``posts=-GROUP_POST,...``; deleted posts are left out."""
    call.params.flag("extended")
    call.params.items("fields")
    items = []
    with call.state.lock:
        for ref in call.params.items("posts"):
            owner, _, post_id = ref.partition("_")
            try:
                key = (int(owner), int(post_id))
            except ValueError:
                raise invalid("posts") from None
            post = call.state.posts.get(key[1])
            if post and post.owner_id == key[0] and not post.deleted:
                items.append(post_object(call.state, post))
    return {"items": items}
