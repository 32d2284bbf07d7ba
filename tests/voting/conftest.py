import pytest

from voting.intake import progress


class ManualScheduler:
    def __init__(self):
        self.calls = []

    def __call__(self, delay, fn):
        self.calls.append((delay, fn))


@pytest.fixture(autouse=True)
def manual_progress(monkeypatch):
    """Vote progress is flushed by hand in unit tests (progress.flush_pending())."""
    monkeypatch.setattr(progress, "scheduler", ManualScheduler())
    progress._pending.clear()
    yield progress
    progress._pending.clear()
