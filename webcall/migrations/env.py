"""Alembic's environment: webcall/schema.py runs it with an open connection, nothing else.

There is no alembic.ini: the app's own database setting (`WEBCALL_DATABASE_URL`) is the one place
the database is named, and `flask db upgrade` or the app's start bring the schema to the head.
"""

from alembic import context

from webcall.db import all_tables

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=all_tables(), render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
