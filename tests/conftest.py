import pytest

from tests.hallserver import HallEnv, start_server


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
