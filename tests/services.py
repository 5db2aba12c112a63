"""The real servers some tests need: PostgreSQL and Redis on 127.0.0.1 (CI runs both).

Where one is not reachable the test skips with the reason; with BILIREC_REQUIRE_SERVICES=1 (set by
.ci/run) the skip becomes a failure, so CI never passes without them. Each PostgreSQL test gets a
schema of its own (dropped afterwards), each queue test a Redis database number and queue name of
its own, so parallel runs on one server do not collide.
"""
from __future__ import annotations

import functools
import os
import uuid
from urllib.parse import quote

import pytest

REQUIRE_ENV = "BILIREC_REQUIRE_SERVICES"
POSTGRES_URL = os.environ.get("BILIREC_TEST_DATABASE_URL", "postgresql://127.0.0.1:5432/test")
# a Redis database number the bot never uses by default (0)
REDIS_URL = os.environ.get("BILIREC_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
RUN_ID = uuid.uuid4().hex[:10]


def services_required() -> bool:
    """Whether a missing server fails the test instead of skipping it."""
    return os.environ.get(REQUIRE_ENV, "").strip() == "1"


def unavailable(reason: str):
    """Skip (a newcomer's machine) or fail (CI) for a missing server."""
    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1 makes this a failure)", pytrace=False)
    pytest.skip(reason)


@functools.lru_cache(maxsize=None)
def _postgres_problem() -> str | None:
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed"
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {type(exc).__name__}"
    return None


@functools.lru_cache(maxsize=None)
def _redis_problem() -> str | None:
    try:
        import redis
    except ImportError:
        return "redis (the client) is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"
    return None


def need_postgres() -> None:
    problem = _postgres_problem()
    if problem:
        unavailable(problem)


def need_redis() -> None:
    problem = _redis_problem()
    if problem:
        unavailable(problem)


class PostgresSchema:
    """A fresh schema in the test database; ``url`` selects it through search_path."""

    def __init__(self) -> None:
        import psycopg

        self.name = f"bilirec_test_{RUN_ID}_{uuid.uuid4().hex[:8]}"
        self._admin = psycopg.connect(POSTGRES_URL, autocommit=True)
        self._admin.execute(f'CREATE SCHEMA "{self.name}"')
        separator = "&" if "?" in POSTGRES_URL else "?"
        self.url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={self.name}')}"

    def terminate(self, pid: int) -> None:
        """End one server session (what a database restart does to a client's connection)."""
        self._admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    def drop(self) -> None:
        self._admin.execute(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')
        self._admin.close()


@pytest.fixture
def postgres_schema():
    """A fresh PostgreSQL schema for this test, dropped afterwards (skips or fails without a
    server)."""
    need_postgres()
    schema = PostgresSchema()
    try:
        yield schema
    finally:
        schema.drop()
