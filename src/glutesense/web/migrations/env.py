"""Alembic environment: runs against the connection handed over by glutesense.web.db.migrate."""

from alembic import context

from glutesense.web.db import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
