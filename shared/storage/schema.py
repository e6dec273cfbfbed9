"""The tables, as SQLAlchemy Core metadata. Alembic migrations are checked against this."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite keeps no zone, so we put it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")


def _ts(name: str, nullable: bool = True) -> Column[datetime]:
    return Column(name, UtcDateTime(), nullable=nullable)


posts = Table(
    "posts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("title", Text, nullable=True),
    Column("body", Text, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("platforms", JSON, nullable=False),
    _ts("scheduled_at"),
    Column("created_by", String(64), nullable=False),
    Column("source_url", Text, nullable=True),
    Column("source_guid", String(512), nullable=True, unique=True),
    Column("version", Integer, nullable=False, default=1),
    Column("preview_message_id", BigInteger, nullable=True),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("published_at"),
    Index(None, "status", "scheduled_at"),
    # The public archive: published posts newest first, read from the index alone.
    Index(None, "status", "published_at", "id"),
)

# Full-text search over posts lives outside these models (migrations 0006, 0018): an FTS5
# table with its shadow tables and its vocabulary on SQLite, a generated tsvector column with
# a GIN index on PostgreSQL. The drift check and autogenerate skip these names.
SEARCH_OBJECTS = frozenset(
    {
        "posts_fts",
        "posts_fts_vocab",
        "posts_fts_data",
        "posts_fts_idx",
        "posts_fts_content",
        "posts_fts_docsize",
        "posts_fts_config",
        "search",
        "ix_posts_search",
    }
)

media = Table(
    "media",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("owner_type", String(16), nullable=False),
    Column("owner_id", BigInteger, nullable=False),
    Column("position", Integer, nullable=False, default=0),
    Column("kind", String(16), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("mime", String(128), nullable=False),
    Column("data", LargeBinary, nullable=True),
    Column("refs", JSON, nullable=False, default=dict),
    _ts("created_at", nullable=False),
    Index(None, "owner_type", "owner_id", "position"),
)

publications = Table(
    "publications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    Column("remote_ids", JSON, nullable=False, default=list),
    Column("url", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("outbox_id", BigInteger, nullable=True),
    _ts("updated_at", nullable=False),
    UniqueConstraint("post_id", "platform"),
)

# Our own messages in the admin chat about a post (its preview, a question asking for a
# time or a captcha code): a reply to one of them is meant for the post, nothing else.
post_messages = Table(
    "post_messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("chat_id", BigInteger, nullable=False),
    Column("message_id", BigInteger, nullable=False),
    Column("role", String(16), nullable=False),
    Column("outbox_id", BigInteger, nullable=True),
    _ts("created_at", nullable=False),
    UniqueConstraint("chat_id", "message_id"),
)

# The website feeds we read (their conditional-GET validators) and the items each one gave
# us: an item is known by its feed and its guid (or link), and points at its post.
feed_sources = Table(
    "feed_sources",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("url", String(1000), nullable=False, unique=True),
    Column("etag", Text, nullable=True),
    Column("last_modified", Text, nullable=True),
    _ts("checked_at"),
)

feed_items = Table(
    "feed_items",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("feed_id", ForeignKey("feed_sources.id", ondelete="CASCADE"), nullable=False),
    Column("item_key", String(512), nullable=False),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("failed_photos", JSON, nullable=False, default=list),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    UniqueConstraint("feed_id", "item_key"),
    Index(None, "post_id"),
)

hotlines = Table(
    "hotlines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("topic", Text, nullable=False),
    Column("description", Text, nullable=False, default=""),
    _ts("starts_at", nullable=False),
    _ts("ends_at", nullable=False),
    Column("status", String(16), nullable=False),
    Column("announced", Boolean, nullable=False, default=False),
    Column("summary_sent", Boolean, nullable=False, default=False),
    Column("created_by", String(64), nullable=False),
    _ts("created_at", nullable=False),
    # Deadlines and retention (migration 0008): days after closing to answer by (None: the
    # setting), and when the citizens' personal data of the hotline was retired.
    Column("answer_days", Integer, nullable=True),
    _ts("retired_at"),
    Index(None, "status", "starts_at"),
)

citizens = Table(
    "citizens",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("platform_user_id", String(64), nullable=False),
    Column("display_name", Text, nullable=True),
    _ts("consent_at"),
    Column("reachable", Boolean, nullable=False, default=True),
    Column("banned", Boolean, nullable=False, default=False),
    Column("state", String(64), nullable=True),
    Column("state_data", JSON, nullable=False, default=dict),
    _ts("throttle_window_start"),
    Column("throttle_count", Integer, nullable=False, default=0),
    _ts("silenced_until"),
    _ts("created_at", nullable=False),
    UniqueConstraint("platform", "platform_user_id"),
)

questions = Table(
    "questions",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("citizen_id", ForeignKey("citizens.id"), nullable=False),
    Column("hotline_id", ForeignKey("hotlines.id"), nullable=True),
    Column("text", Text, nullable=False),
    Column("attachments", JSON, nullable=False, default=list),
    Column("status", String(16), nullable=False),
    Column("assigned_to", BigInteger, nullable=True),
    Column("assigned_name", Text, nullable=True),
    Column("publishable", Boolean, nullable=False, default=False),
    Column("reject_reason", Text, nullable=True),
    Column("card_message_id", BigInteger, nullable=True),
    Column("carded", Boolean, nullable=False, default=False),
    _ts("created_at", nullable=False),
    _ts("answered_at"),
    Index(None, "status", "id"),
    Index(None, "citizen_id", "id"),
    Index(None, "hotline_id", "status"),
)

answers = Table(
    "answers",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("question_id", ForeignKey("questions.id"), nullable=False),
    Column("moderator_id", BigInteger, nullable=False),
    Column("moderator_name", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("attachments", JSON, nullable=False, default=list),
    Column("is_correction", Boolean, nullable=False, default=False),
    Column("outbox_id", BigInteger, nullable=True),
    # The moderator's message in the admin chat that sent it: an edit of that message is
    # a correction of what it sent. None for an answer made before this was kept.
    Column("reply_message_id", BigInteger, nullable=True),
    _ts("created_at", nullable=False),
    Index(None, "question_id"),
)

# Hotlines: each message of a question's card in the admin chat (a reply to any of them
# answers the question), and a moderator's unfinished "new hotline" dialogue.
card_messages = Table(
    "card_messages",
    metadata,
    Column("chat_id", BigInteger, primary_key=True),
    Column("message_id", BigInteger, primary_key=True),
    Column("question_id", ForeignKey("questions.id"), nullable=False),
    Column("card_outbox_id", BigInteger, nullable=False),
    Column("role", String(8), nullable=False),
    Index(None, "question_id"),
)

# A card whose question changed while the card's own send was not yet recorded: which
# messages make the card was not known, so its refresh waits here for the send's outcome.
card_refresh_owed = Table(
    "card_refresh_owed",
    metadata,
    Column("card_outbox_id", BigInteger, primary_key=True, autoincrement=False),
    Column("question_id", ForeignKey("questions.id"), nullable=False),
    Column("reasons", Boolean, nullable=False, default=False),
)

# Similar questions: each question's lemma terms, an inverted index per hotline (candidates
# are found by their rarer terms, not by scanning the hotline), and its grouping state.
question_terms = Table(
    "question_terms",
    metadata,
    Column("hotline_id", ForeignKey("hotlines.id", ondelete="CASCADE"), primary_key=True),
    Column("term", String(64), primary_key=True),
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Index(None, "question_id"),
)

question_similar = Table(
    "question_similar",
    metadata,
    Column("question_id", ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True),
    Column("lemmas", Text, nullable=False),  # the question's lemmas, space-separated, in order
    Column("apart", Boolean, nullable=False, default=False),  # taken out of every group
    Column("group_ids", JSON, nullable=True),  # «Ответить всем» is on: the others it answers
)

hotline_drafts = Table(
    "hotline_drafts",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("step", String(16), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    _ts("updated_at", nullable=False),
)

# Reminders already made, one per kind and office day: a restart neither repeats nor loses one.
reminders = Table(
    "reminders",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("day", String(10), primary_key=True),  # the office's date, ISO
    Column("outbox_id", BigInteger, nullable=True),
    _ts("created_at", nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    _ts("at", nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(64), nullable=False),
    Column("target_type", String(32), nullable=True),
    Column("target_id", String(64), nullable=True),
    Column("details", JSON, nullable=False, default=dict),
)

# The outbox's state indexes hold only the rows a state has for a while: those waiting to
# go and those being sent. A sent row leaves them (a claim and an outcome touch two small
# indexes, not four entries of two indexes that grow with every message ever sent), and
# queries name the state as a literal (``shared.outbox.store.state_is``) to use them.
OUTBOX_PENDING = "state = 'pending'"
OUTBOX_SENDING = "state = 'sending'"


def _only(condition: str) -> dict[str, Any]:
    return {"sqlite_where": text(condition), "postgresql_where": text(condition)}


outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("platform", String(16), nullable=False),
    Column("action", String(16), nullable=False),
    Column("destination", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("state", String(16), nullable=False),
    Column("priority", Integer, nullable=False, default=0),
    Column("attempts", Integer, nullable=False, default=0),
    _ts("next_attempt_at", nullable=False),
    Column("progress", JSON, nullable=False, default=dict),
    Column("result", JSON, nullable=True),
    Column("error", Text, nullable=True),
    Column("dedupe_key", String(128), nullable=True, unique=True),
    Column("ref_type", String(32), nullable=True),
    Column("ref_id", BigInteger, nullable=True),
    Column("citizen_id", BigInteger, nullable=True),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("sent_at"),
    Index("ix_outbox_pending_priority_id", "priority", "id", **_only(OUTBOX_PENDING)),
    Index("ix_outbox_pending_next_attempt_at", "next_attempt_at", **_only(OUTBOX_PENDING)),
    Index("ix_outbox_sending_id", "id", **_only(OUTBOX_SENDING)),
    Index(None, "ref_type", "ref_id"),
)

callback_tokens = Table(
    "callback_tokens",
    metadata,
    Column("token", String(32), primary_key=True),
    Column("action", String(32), nullable=False),
    Column("target_id", BigInteger, nullable=True),
    Column("data", JSON, nullable=False, default=dict),
    _ts("created_at", nullable=False),
)


# The staff desk: one-time login links sent to a moderator, and the sessions they open.
# Only a SHA-256 of each link's token and of each session id is stored.
desk_login_links = Table(
    "desk_login_links",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("name", Text, nullable=False),
    _ts("created_at", nullable=False),
    _ts("expires_at", nullable=False),
    _ts("used_at"),
    Index(None, "user_id", "created_at"),
)

desk_sessions = Table(
    "desk_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("name", Text, nullable=False),
    _ts("created_at", nullable=False),
    _ts("expires_at", nullable=False),
    _ts("ended_at"),
)


# Alerts (issue 12): citizens' subscriptions to the configured topics, the notices the office
# sends them, and the /alert dialogue of each moderator in the admin chat.
alert_subscriptions = Table(
    "alert_subscriptions",
    metadata,
    Column("citizen_id", Id, ForeignKey("citizens.id", ondelete="CASCADE"), primary_key=True),
    Column("topic", String(64), primary_key=True),
    _ts("created_at", nullable=False),
    Index(None, "topic", "citizen_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("media", JSON, nullable=False, default=list),
    Column("urgent", Boolean, nullable=False, default=False),
    Column("state", String(16), nullable=False),
    # The last subscriber (citizens.id) whose notice is queued: enqueueing resumes after it.
    Column("cursor", BigInteger, nullable=False, default=0),
    Column("queued", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),  # unreachable before the send
    Column("blocked", Integer, nullable=False, default=0),  # failed: the citizen blocked us
    Column("post_id", BigInteger, nullable=True),
    Column("status_outbox_id", BigInteger, nullable=True),
    Column("status_shown", Text, nullable=True),
    _ts("status_at"),
    Column("created_by", String(64), nullable=True),
    _ts("created_at", nullable=False),
    _ts("finished_at"),
    Index(None, "state"),
)

alert_drafts = Table(
    "alert_drafts",
    metadata,
    Column("user_id", BigInteger, primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("step", String(16), nullable=False),
    Column("data", JSON, nullable=False, default=dict),
    _ts("updated_at", nullable=False),
)

# Where a platform's update stream was read up to (its long poll's marker), by source: a
# restart resumes there, neither losing nor repeating updates.
poll_markers = Table(
    "poll_markers",
    metadata,
    Column("source", String(32), primary_key=True),
    Column("marker", BigInteger, nullable=False),
    _ts("updated_at", nullable=False),
)

# Citizens' messages already taken, by the platform's id of each (unique per peer): a
# message delivered again (a long poll replayed, an update whose offset a crash left
# unconfirmed) makes no second question. Recorded in the transaction that took the message;
# purged after a week by the retention job (once a day: a scan of a week's rows, so no index
# on ``seen_at`` to slow every intake down), and a citizen's rows go with their withdrawal.
incoming_seen = Table(
    "incoming_seen",
    metadata,
    Column("platform", String(16), primary_key=True),
    Column("peer", String(64), primary_key=True),
    Column("message_id", String(64), primary_key=True),
    _ts("seen_at", nullable=False),
)
