"""A consistent read without the write lock.

SQLite runs every Django transaction as BEGIN IMMEDIATE here (config/settings.py), which takes
the database's write lock: right for services, wrong for snapshots, which would then queue behind
ballot commits during a connect storm. In WAL mode a deferred transaction reads one consistent
state and blocks no writer.
"""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def read_transaction():
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN DEFERRED")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("COMMIT")
