"""A consistent read without the write lock.

A snapshot reads the meeting's seq and then the state parts in several queries; they must all see
one state of the database, or a client gets a state that is ahead of (or behind) the seq it is
told, and then an event twice (or never).

SQLite runs every Django transaction as BEGIN IMMEDIATE here (config/settings.py), which takes
the database's write lock: right for services, wrong for snapshots, which would then queue behind
ballot commits during a connect storm. In WAL mode a deferred transaction reads one consistent
state and blocks no writer.

PostgreSQL's default isolation (READ COMMITTED) gives each statement its own view: with another
process committing events meanwhile, the meeting row, the parts and the view heads could stand at
different seqs. A REPEATABLE READ, READ ONLY transaction reads one snapshot for all of them, takes
no row locks and blocks no writer.
"""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def read_transaction():
    if connection.in_atomic_block:
        # Inside a service's transaction: it sees its own writes, whatever they are.
        with transaction.atomic():
            yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Must be the transaction's first statement (atomic() has only turned autocommit off).
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor != "sqlite":
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
