"""Fixtures for the storage tests: a fresh data directory, its key and an open Storage."""
from __future__ import annotations

import pytest

from storage import Storage, load_or_create_key


class FakeClock:
    """A settable clock so timestamps and orderings are deterministic."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float = 1.0) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def key(data_dir):
    return load_or_create_key(data_dir, None)


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def store(data_dir, key, clock):
    storage = Storage(data_dir, key, clock=clock)
    yield storage
    storage.close()
