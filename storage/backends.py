"""The two database engines behind ``Storage``: SQLite (embedded, the default) and PostgreSQL.

``open_backend(database_url, data_dir)`` picks one from ``BILIREC_DATABASE_URL``:
``sqlite:///path`` (or nothing: ``<data_dir>/bilirec.sqlite3``) or ``postgresql://...``.
A backend owns one connection and everything the two dialects do differently — connecting,
transactions, the schema version, the type names of the migrations, the statement that gives a
revision a fresh number, erasure hygiene — so ``Storage`` writes one set of queries with ``?``
placeholders that run on both. Connection faults become ``StorageUnavailable``; the next use
reconnects (a few tries with backoff).
"""
from __future__ import annotations

import logging
import os
import re
import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from storage.errors import StorageError, StorageUnavailable

logger = logging.getLogger(__name__)

DB_FILENAME = "bilirec.sqlite3"
BUSY_TIMEOUT_MS = 10_000
# reconnecting to PostgreSQL after a lost connection: tries and the first pause (doubling)
RECONNECT_TRIES = 3
RECONNECT_PAUSE_S = 0.5
CONNECT_TIMEOUT_S = 5


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***`` (for log lines and messages)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def sqlite_path(database_url: str | None, data_dir: Path) -> Path | None:
    """The SQLite file a URL names (None or blank: the data directory's), or None for
    another engine. ValueError for a URL of no engine BiliRec knows."""
    if not database_url or not database_url.strip():
        return data_dir / DB_FILENAME
    url = database_url.strip()
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):] or data_dir / DB_FILENAME)
    if url.startswith(("postgresql://", "postgres://")):
        return None
    raise ValueError("BILIREC_DATABASE_URL must start with sqlite:/// or postgresql://")


def _create_private(path: Path) -> None:
    """Create an empty file with mode 0600 unless it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


class SqliteBackend:
    """One SQLite file: WAL journal, foreign keys, secure_delete (erased rows are overwritten)."""

    name = "sqlite"
    # ties in an ORDER BY fall back to insertion order
    tiebreak = "rowid"

    def __init__(self, conn: sqlite3.Connection, path: Path | None = None) -> None:
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path) -> "SqliteBackend":
        """Open (create) the database file with BiliRec's pragmas."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_private(path)  # SQLite gives its -wal and -shm files the same mode
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            for pragma in ("synchronous = FULL", "foreign_keys = ON", "secure_delete = ON",
                           "temp_store = MEMORY", f"busy_timeout = {BUSY_TIMEOUT_MS}"):
                conn.execute(f"PRAGMA {pragma}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                logger.warning("SQLite refused WAL mode for %s (using %s)", path, mode)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StorageError(f"cannot open the database {path}: {exc}") from exc
        return cls(conn, path)

    # errors that mean the connection is gone (none for an embedded file)
    lost: tuple[type[BaseException], ...] = ()

    def describe(self) -> str:
        return str(self.path)

    def connection(self) -> sqlite3.Connection:
        return self.conn

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")   # take the write lock now, not on first write

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def set_schema_version(self, version: int) -> None:
        self.conn.execute(f"PRAGMA user_version = {int(version)}")

    def lock_schema(self) -> None:
        """Held by ``begin`` already (BEGIN IMMEDIATE takes the write lock)."""

    @staticmethod
    def ddl(statement: str) -> str:
        return statement   # the migrations are written in SQLite's type names

    bump_sql = "INSERT OR REPLACE INTO revisions (tg_id, part) VALUES (?, ?)"

    def per_user_tables(self) -> list[str]:
        names = [row[0] for row in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        return [name for name in names if any(
            col[1] == "tg_id" for col in self.conn.execute(f'PRAGMA table_info("{name}")'))]

    def checkpoint(self) -> bool:
        """Copy the WAL into the database file and truncate it; False when a reader blocked."""
        busy, _, _ = self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy

    def close(self) -> None:
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            logger.warning("WAL checkpoint on close failed: %s", exc)
        self.conn.close()


class _PgConnection:
    """A psycopg connection that speaks the sqlite3 calls Storage uses (``?`` placeholders,
    ``execute`` returning a cursor, ``executemany``)."""

    def __init__(self, raw) -> None:
        self.raw = raw

    @staticmethod
    def _sql(statement: str) -> str:
        return statement.replace("?", "%s")

    def execute(self, statement: str, params: Sequence[Any] | None = None):
        if params is None:
            return self.raw.execute(statement)
        return self.raw.execute(self._sql(statement), tuple(params))

    def executemany(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        with self.raw.cursor() as cursor:
            cursor.executemany(self._sql(statement), [tuple(row) for row in rows])


# SQLite type names of the migrations -> PostgreSQL's (64-bit ids, double-precision times)
_PG_TYPES = ((re.compile(r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b"), "BIGSERIAL PRIMARY KEY"),
             (re.compile(r"\bINTEGER\b"), "BIGINT"),
             (re.compile(r"\bREAL\b"), "DOUBLE PRECISION"),
             (re.compile(r"\bBLOB\b"), "BYTEA"))
# any number: the key of the advisory lock that serialises migrations between processes
_MIGRATION_LOCK = 0x6269_6C69


class PostgresBackend:
    """One PostgreSQL connection (autocommit; explicit transactions). The schema version lives
    in the table ``schema_version``; ``options=-csearch_path=<schema>`` in the URL selects a
    schema (the tests use one per test)."""

    name = "postgresql"
    # PostgreSQL has no stable insertion order; ties fall back to the primary key's bvid
    tiebreak = "bvid"

    def __init__(self, url: str) -> None:
        import psycopg

        self._psycopg = psycopg
        self.url = url
        self.lost = (psycopg.OperationalError,)
        self.conn: _PgConnection | None = None
        self._connect()
        try:   # under the migration lock: two processes starting at once must not race here
            with self.conn.raw.transaction():
                self.lock_schema()
                self.conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        except psycopg.Error as exc:
            self.close()
            raise StorageError(f"cannot prepare the database {self.describe()}: "
                               f"{type(exc).__name__}") from None

    def describe(self) -> str:
        return redact_url(self.url)

    def _connect(self) -> None:
        """Connect, trying a few times with doubling pauses; StorageUnavailable at the end."""
        pause = RECONNECT_PAUSE_S
        for attempt in range(1, RECONNECT_TRIES + 1):
            try:
                raw = self._psycopg.connect(self.url, autocommit=True,
                                            connect_timeout=CONNECT_TIMEOUT_S)
                self.conn = _PgConnection(raw)
                return
            except self._psycopg.OperationalError as exc:
                reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
                logger.warning("database %s unreachable (try %d of %d): %s", self.describe(),
                               attempt, RECONNECT_TRIES, reason)
                if attempt < RECONNECT_TRIES:
                    time.sleep(pause)
                    pause *= 2
        raise StorageUnavailable(f"the database {self.describe()} is unreachable "
                                 f"after {RECONNECT_TRIES} tries")

    def connection(self) -> _PgConnection:
        """The open connection; a lost one is replaced first (bounded retries)."""
        if self.conn is None or self.conn.raw.closed or self.conn.raw.broken:
            if self.conn is not None:
                logger.warning("database connection lost; reconnecting")
                self.conn.raw.close()
                self.conn = None
            self._connect()
        return self.conn

    def begin(self) -> None:
        self.connection().execute("BEGIN")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        if self.conn is None or self.conn.raw.closed or self.conn.raw.broken:
            return   # the server rolled back with the connection
        self.conn.execute("ROLLBACK")

    def schema_version(self) -> int:
        row = self.connection().execute("SELECT max(version) FROM schema_version").fetchone()
        return row[0] or 0

    def set_schema_version(self, version: int) -> None:
        self.conn.execute("DELETE FROM schema_version")
        self.conn.execute("INSERT INTO schema_version (version) VALUES (?)", (int(version),))

    def lock_schema(self) -> None:
        """Serialise migrations between processes until the transaction ends."""
        self.conn.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    @staticmethod
    def ddl(statement: str) -> str:
        for pattern, replacement in _PG_TYPES:
            statement = pattern.sub(replacement, statement)
        return statement

    bump_sql = ("INSERT INTO revisions (tg_id, part) VALUES (?, ?) ON CONFLICT (tg_id, part) "
                "DO UPDATE SET revision = nextval(pg_get_serial_sequence('revisions', "
                "'revision'))")

    def per_user_tables(self) -> list[str]:
        rows = self.connection().execute(
            "SELECT table_name FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND column_name = 'tg_id' ORDER BY table_name").fetchall()
        return [row[0] for row in rows]

    def checkpoint(self) -> bool:
        """Nothing to do: PostgreSQL reclaims deleted rows itself (autovacuum)."""
        return True

    def close(self) -> None:
        if self.conn is not None:
            self.conn.raw.close()
            self.conn = None


def open_backend(database_url: str | None, data_dir: Path) -> SqliteBackend | PostgresBackend:
    """The backend a ``BILIREC_DATABASE_URL`` names (see module doc)."""
    path = sqlite_path(database_url, data_dir)
    if path is not None:
        return SqliteBackend.open(path)
    return PostgresBackend(database_url.strip())
