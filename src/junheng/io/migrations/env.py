"""Alembic environment: runs on the connection the caller hands over (see junheng.io.db.migrate)."""

from alembic import context

from junheng.io.db import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when someone runs the alembic CLI directly
    import sqlalchemy as sa

    from junheng.io.db import database_url

    connection = sa.create_engine(database_url()).connect()

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
