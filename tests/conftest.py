import os
import shutil
import subprocess

import pytest

from tests.hallserver import HallEnv, free_port, start_server, wait_for_port


@pytest.fixture(scope="session")
def hall_env(tmp_path_factory):
    """A seeded data directory (40 deputies, 15 standing-committee members)."""
    return HallEnv(tmp_path_factory.mktemp("hall")).prepare(deputies=40, standing=15)


@pytest.fixture(scope="session")
def hall(hall_env):
    """A real daphne server process on that data, for the whole test session."""
    server = start_server(hall_env)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_snapshot_cache():
    """Unit tests reuse meeting ids after each flush; the shared-snapshot cache must not carry over."""
    from meeting import snapshot

    snapshot._shared_cache.clear()
    yield
    snapshot._shared_cache.clear()


@pytest.fixture
def delivered(monkeypatch):
    """What publish() handed to the hub after commit, instead of delivering it."""
    sent = []
    monkeypatch.setattr("meeting.events._deliver", sent.append)
    return sent


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A throwaway redis-server on a free port (the scale-out tests; CI installs redis-server)."""
    redis = shutil.which("redis-server")
    if redis is None and not os.environ.get("CI"):
        pytest.skip("redis-server is not installed (CI installs it)")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = subprocess.Popen(
        [redis or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    wait_for_port(port, proc=proc)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster (tests/pg.py) for the whole session, stopped and deleted at
    the end. CI installs the postgresql package; elsewhere the tests that need it are skipped."""
    from tests.pg import PgCluster, find_bin_dir

    if find_bin_dir() is None and not os.environ.get("CI"):
        pytest.skip("PostgreSQL is not installed (no initdb/pg_ctl/postgres; CI installs the postgresql package)")
    cluster = PgCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; on PostgreSQL, connections that threads of the hub, the
    coalescers or the ballot intake left open are closed first, or the database cannot be dropped."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                           " WHERE datname = current_database() AND pid <> pg_backend_pid()")
