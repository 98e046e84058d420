"""Alembic environment: runs on a connection handed in by `storage.migrate`.

`storage.migrate` opens an async connection and passes its sync facade in
`config.attributes["connection"]` (Alembic's documented recipe for sharing a
connection), so migrations run inside the bot's own event loop.
"""

from __future__ import annotations

from alembic import context

from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `acubot db upgrade` (storage.migrate)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
