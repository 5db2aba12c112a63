"""Fixtures for the storage tests: a fresh data directory, its key and an open Storage.

``database_url`` runs each test that uses it (through ``store`` or ``open_store``) on SQLite and
on a real PostgreSQL (a schema of its own; skipped without a server, failed on CI).
"""
from __future__ import annotations

import pytest

from storage import Storage, load_or_create_key
from tests.services import postgres_schema  # noqa: F401 - a fixture


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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """None (SQLite in the data directory) or the URL of a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("postgres_schema").url


@pytest.fixture
def open_store(data_dir, key, database_url):
    """Storage(...) on this test's database; every one opened is closed at the end."""
    opened: list[Storage] = []

    def open_(**options) -> Storage:
        storage = Storage(data_dir, key, database_url=database_url, **options)
        opened.append(storage)
        return storage

    yield open_
    for storage in opened:
        storage.close()


@pytest.fixture
def store(open_store, clock):
    return open_store(clock=clock)
