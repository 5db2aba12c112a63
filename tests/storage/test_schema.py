"""Migrations: a fresh database, reopening, upgrading an old one, failures, newer versions."""
from __future__ import annotations

import sqlite3
import stat
import threading

import pytest

from domain import Video, WatchRecord
from storage import SchemaVersionError, Storage, StorageError
from storage.backends import open_backend
from storage.codec import video_to_json
from storage.db import DB_FILENAME
from storage.schema import MIGRATIONS, SCHEMA_VERSION, migrate, per_user_tables, schema_version


def connect(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def tables(conn) -> set[str]:
    return {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


def indexes(conn) -> set[str]:
    return {row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'")}


def test_fresh_database_reaches_latest_version(data_dir, key):
    with Storage(data_dir, key):
        pass
    conn = connect(data_dir / DB_FILENAME)
    assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS) >= 2
    assert {"users", "credentials", "behaviour", "pools", "feedback", "sent", "digest",
            "models"} <= tables(conn)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_reopen_is_idempotent(data_dir, key):
    with Storage(data_dir, key) as store:
        store.ensure_user(1)
    conn = connect(data_dir / DB_FILENAME)
    before = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert migrate(conn) == 0
    conn.close()
    with Storage(data_dir, key) as store:
        assert store.get_user(1) is not None
    conn = connect(data_dir / DB_FILENAME)
    assert conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall() \
        == before
    conn.close()


def test_old_version_upgrades_and_keeps_rows(data_dir, key):
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = connect(data_dir / DB_FILENAME)
    assert migrate(conn, MIGRATIONS[:1]) == 1
    assert schema_version(conn) == 1
    conn.execute("INSERT INTO users (tg_id, mid, uname, language, created_at) "
                 "VALUES (1, 2, 'u', 'en', 5)")
    conn.execute("""INSERT INTO behaviour (tg_id, bvid, view_at, video, updated_at)
                    VALUES (1, 'BV1', 9, '{"bvid": "BV1", "view_at": 9}', 5)""")
    assert "behaviour_by_view" not in indexes(conn)
    conn.close()
    with Storage(data_dir, key) as store:
        assert store.get_user(1).uname == "u"
        assert store.load_behaviour(1) == [Video("BV1", view_at=9)]
        # migration 6 filled the serving columns from the JSON (defaults for missing keys)
        assert store.load_watch_records(1) == [WatchRecord("BV1", 9, "", 0, "", 0, 0, False,
                                                           False, False)]
    conn = connect(data_dir / DB_FILENAME)
    assert schema_version(conn) == SCHEMA_VERSION
    assert {"behaviour_by_view", "pools_by_seen", "models_by_user"} <= indexes(conn)
    conn.close()


def test_failed_migration_leaves_previous_version(tmp_path):
    conn = connect(tmp_path / "db.sqlite3")
    steps = [
        ("CREATE TABLE a (tg_id INTEGER)",),
        ("CREATE TABLE b (tg_id INTEGER)", "THIS IS NOT SQL"),
    ]
    with pytest.raises(sqlite3.OperationalError):
        migrate(conn, steps)
    assert schema_version(conn) == 1
    assert tables(conn) == {"a"}          # b was rolled back with the failed step
    steps[1] = ("CREATE TABLE b (tg_id INTEGER)",)
    assert migrate(conn, steps) == 1
    assert schema_version(conn) == 2 and tables(conn) == {"a", "b"}
    conn.close()


def test_newer_database_is_refused(data_dir, key):
    data_dir.mkdir(parents=True, exist_ok=True)
    conn = connect(data_dir / DB_FILENAME)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaVersionError, match="newer"):
        Storage(data_dir, key)


def all_tables(store: Storage) -> set[str]:
    """The tables of the storage's database, bookkeeping (PostgreSQL's schema_version) aside."""
    with store._read() as conn:
        if store.engine == "sqlite":
            return tables(conn)
        return {row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = current_schema()")} - {"schema_version"}


def test_every_table_is_per_user(store):
    """erase_user deletes by tg_id in every table: a table without one would be forgotten."""
    assert set(per_user_tables(store._backend)) == all_tables(store) == {
        "users", "credentials", "behaviour", "pools", "feedback", "sent", "digest", "models",
        "revisions", "stats_lookups", "impressions", "mutes", "user_settings",
        "training_claims"}


def test_both_engines_reach_the_latest_version_once(open_store):
    with open_store() as store:
        assert schema_version(store._backend) == SCHEMA_VERSION
        store.ensure_user(1)
    with open_store() as store:    # reopening migrates nothing and keeps the rows
        assert migrate(store._backend) == 0
        assert store.get_user(1) is not None


def test_a_newer_postgresql_schema_is_refused(postgres_schema, data_dir, key):
    with Storage(data_dir, key, database_url=postgres_schema.url) as store:
        store._backend.begin()
        store._backend.set_schema_version(SCHEMA_VERSION + 1)
        store._backend.commit()
    with pytest.raises(SchemaVersionError, match="newer"):
        Storage(data_dir, key, database_url=postgres_schema.url)


def test_a_failed_postgresql_migration_leaves_the_previous_version(postgres_schema, data_dir,
                                                                   key):
    import psycopg

    with Storage(data_dir, key, database_url=postgres_schema.url) as store:
        broken = (*MIGRATIONS, ("CREATE TABLE extra (tg_id INTEGER)", "THIS IS NOT SQL"))
        with pytest.raises(psycopg.errors.SyntaxError):
            migrate(store._backend, broken)
        assert schema_version(store._backend) == SCHEMA_VERSION
        assert "extra" not in all_tables(store)


def test_an_unknown_database_url_is_refused(data_dir, key):
    with pytest.raises(StorageError, match="BILIREC_DATABASE_URL"):
        Storage(data_dir, key, database_url="mysql://127.0.0.1/x")


def test_database_files_are_private(data_dir, key):
    store = Storage(data_dir, key)
    store.ensure_user(1)
    for name in (DB_FILENAME, DB_FILENAME + "-wal", DB_FILENAME + "-shm"):
        assert stat.S_IMODE((data_dir / name).stat().st_mode) == 0o600, name
    assert stat.S_IMODE(data_dir.stat().st_mode) & 0o077 == 0
    store.close()


def test_corrupt_database_file_is_reported(data_dir, key):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / DB_FILENAME).write_bytes(b"this is not an SQLite database" * 100)
    with pytest.raises(StorageError, match="cannot open the database"):
        Storage(data_dir, key)


def test_many_processes_opening_a_fresh_postgresql_database_at_once_all_succeed(
        postgres_schema, data_dir, key):
    """A bot and its workers starting together: one migrates, the others wait, none fails."""
    opened, errors = [], []
    barrier = threading.Barrier(6)

    def open_one() -> None:
        barrier.wait()
        try:
            opened.append(Storage(data_dir, key, database_url=postgres_schema.url))
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in opened:
        store.close()
    assert errors == [] and len(opened) == 6
    with Storage(data_dir, key, database_url=postgres_schema.url) as store:
        assert schema_version(store._backend) == SCHEMA_VERSION
def test_the_serving_columns_are_filled_from_stored_records(data_dir, key, database_url):
    """A database from before migration 6, on either engine: its records' serving fields come
    from the JSON."""
    videos = [Video("BV2", title="标题", owner_mid=7, tname="游戏", duration=300, view_at=50,
                    progress=-1, liked=True, coined=True),
              Video("BV1", view_at=40, faved=True)]
    backend = open_backend(database_url, data_dir)
    migrate(backend, MIGRATIONS[:5])
    conn = backend.connection()
    conn.execute("INSERT INTO users (tg_id, created_at) VALUES (?, ?)", (1, 5))
    conn.executemany("INSERT INTO behaviour (tg_id, bvid, view_at, video, updated_at) "
                     "VALUES (1, ?, ?, ?, 5)",
                     [(v.bvid, v.view_at, video_to_json(v)) for v in videos])
    backend.close()
    with Storage(data_dir, key, database_url=database_url) as store:
        assert store.load_watch_records(1) == [
            WatchRecord("BV1", 40, "", 0, "", 0, 0, False, True, False),
            WatchRecord("BV2", 50, "标题", 7, "游戏", 300, -1, True, False, True)]
