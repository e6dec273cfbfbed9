"""Alembic environment: runs on the connection handed over by ``shared.storage.migrate``."""

from __future__ import annotations

from alembic import context

from shared.storage.migrate import modelled
from shared.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `glashatai db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_name=modelled,
)
with context.begin_transaction():
    context.run_migrations()
