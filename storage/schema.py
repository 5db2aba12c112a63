"""The one module that owns the SQL schema: versioned migrations applied in order.

The migrations are written once, in SQLite's type names; PostgreSQL runs the same statements with
its own (storage.backends), except a ``PerEngine`` statement, written in each dialect. The schema
version lives in ``PRAGMA user_version`` (SQLite) or the table ``schema_version`` (PostgreSQL).
Each migration is a tuple of SQL statements; ``migrate`` applies the missing ones in order, each inside its own transaction together with the
version bump, so a failure leaves the database at the previous version with nothing half-done.
Every table holds per-user data keyed by a ``tg_id`` column (``erase_user`` relies on that, and a
test checks it), so a new table added here is erased with its user automatically.
"""
from __future__ import annotations

import logging
import sqlite3
from typing import NamedTuple, Sequence

from storage.errors import SchemaVersionError

logger = logging.getLogger(__name__)


class PerEngine(NamedTuple):
    """A migration statement written once per engine, where the shared SQL cannot say it
    (SQLite's json_extract vs PostgreSQL's jsonb operators)."""

    sqlite: str
    postgresql: str


Migration = Sequence["str | PerEngine"]

MIGRATIONS: tuple[Migration, ...] = (
    # 1: the base tables
    (
        """CREATE TABLE users (
               tg_id      INTEGER PRIMARY KEY,
               mid        INTEGER NOT NULL DEFAULT 0,
               uname      TEXT    NOT NULL DEFAULT '',
               language   TEXT    NOT NULL DEFAULT 'zh',
               created_at INTEGER NOT NULL
           )""",
        """CREATE TABLE credentials (
               tg_id      INTEGER PRIMARY KEY REFERENCES users(tg_id) ON DELETE CASCADE,
               token      BLOB    NOT NULL,   -- Fernet token of {cookies, refresh_token} JSON
               updated_at INTEGER NOT NULL
           )""",
        """CREATE TABLE behaviour (
               tg_id      INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               bvid       TEXT    NOT NULL,
               view_at    INTEGER NOT NULL DEFAULT 0,
               video      TEXT    NOT NULL,   -- Video as JSON
               updated_at INTEGER NOT NULL,
               PRIMARY KEY (tg_id, bvid)
           )""",
        """CREATE TABLE pools (
               tg_id    INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               source   TEXT    NOT NULL,
               bvid     TEXT    NOT NULL,
               video    TEXT    NOT NULL,
               seen_at  REAL    NOT NULL,
               position INTEGER NOT NULL,       -- order within the batch it was seen in
               PRIMARY KEY (tg_id, source, bvid)
           )""",
        """CREATE TABLE feedback (
               tg_id INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               bvid  TEXT    NOT NULL,
               value INTEGER NOT NULL CHECK (value IN (-1, 1)),
               video TEXT,
               at    REAL    NOT NULL,
               PRIMARY KEY (tg_id, bvid)
           )""",
        """CREATE TABLE sent (
               tg_id   INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               bvid    TEXT    NOT NULL,
               channel TEXT    NOT NULL,
               sent_at REAL    NOT NULL,
               PRIMARY KEY (tg_id, channel, bvid)
           )""",
        """CREATE TABLE digest (
               tg_id          INTEGER PRIMARY KEY REFERENCES users(tg_id) ON DELETE CASCADE,
               time_hhmm      TEXT,
               timezone       TEXT    NOT NULL,
               last_sent_date TEXT,
               paused         INTEGER NOT NULL DEFAULT 0
           )""",
        """CREATE TABLE models (
               id         INTEGER PRIMARY KEY AUTOINCREMENT,
               tg_id      INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               path       TEXT    NOT NULL,   -- relative to the data directory when inside it
               trained_at REAL    NOT NULL,
               metrics    TEXT    NOT NULL,   -- JSON object
               n_records  INTEGER NOT NULL
           )""",
    ),
    # 2: indexes for the read paths (newest behaviour first, pools by recency, latest model)
    (
        "CREATE INDEX behaviour_by_view ON behaviour (tg_id, view_at DESC)",
        "CREATE INDEX pools_by_seen ON pools (tg_id, seen_at DESC, position)",
        "CREATE INDEX models_by_user ON models (tg_id, trained_at DESC)",
        "CREATE INDEX digest_on ON digest (time_hhmm) WHERE time_hhmm IS NOT NULL",
    ),
    # 3: per-user, per-part revision numbers, so a reader can cache what it derived from a
    # user's data and notice any later write. ``revision`` is AUTOINCREMENT: every bump takes a
    # number never used before in this database (even after erase_user), so a cached value can
    # never match a revision of different data.
    (
        """CREATE TABLE revisions (
               revision INTEGER PRIMARY KEY AUTOINCREMENT,
               tg_id    INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               part     TEXT    NOT NULL,   -- behaviour, pool, feedback, sent, model
               UNIQUE (tg_id, part)
           )""",
    ),
    # 4: which videos' counts were already looked up for the user (fav/resource/infos), so a
    # sync asks Bilibili about each video once; found = 0 for a gone or unreturned video
    (
        """CREATE TABLE stats_lookups (
               tg_id     INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               aid       INTEGER NOT NULL,
               found     INTEGER NOT NULL CHECK (found IN (0, 1)),
               looked_at REAL    NOT NULL,
               PRIMARY KEY (tg_id, aid)
           )""",
    ),
    # 5: impressions — every video the bot showed a user (channel, 0-based position, time,
    # the ranker and its 0..1 score, the Video as JSON), so outcomes can be learnt from
    (
        """CREATE TABLE impressions (
               id       INTEGER PRIMARY KEY AUTOINCREMENT,
               tg_id    INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               bvid     TEXT    NOT NULL,
               channel  TEXT    NOT NULL,   -- hot, explore, digest
               position INTEGER NOT NULL,   -- 0-based in the list shown
               shown_at REAL    NOT NULL,   -- Unix seconds
               ranker   TEXT    NOT NULL,   -- model, content, quality, ...
               score    REAL,               -- the ranker's 0..1 score
               video    TEXT    NOT NULL    -- Video as JSON
           )""",
        "CREATE INDEX impressions_by_user ON impressions (tg_id, shown_at)",
    ),
    # 6: the behaviour fields serving reads, as plain columns beside the JSON, filled from the
    # stored JSON here and written by save_behaviour from then on, with an index covering them
    # in the order serving reads them: Storage.load_watch_records is an index scan that parses
    # no JSON (~3 ms for 1,000 records instead of ~8 with json_extract, ~30 decoding records)
    (
        "ALTER TABLE behaviour ADD COLUMN title TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE behaviour ADD COLUMN owner_mid INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE behaviour ADD COLUMN tname TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE behaviour ADD COLUMN duration INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE behaviour ADD COLUMN progress INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE behaviour ADD COLUMN liked INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE behaviour ADD COLUMN faved INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE behaviour ADD COLUMN coined INTEGER NOT NULL DEFAULT 0",
        PerEngine(
            sqlite="""UPDATE behaviour SET
                   title = COALESCE(json_extract(video, '$.title'), ''),
                   owner_mid = COALESCE(json_extract(video, '$.owner_mid'), 0),
                   tname = COALESCE(json_extract(video, '$.tname'), ''),
                   duration = COALESCE(json_extract(video, '$.duration'), 0),
                   progress = COALESCE(json_extract(video, '$.progress'), 0),
                   liked = COALESCE(json_extract(video, '$.liked'), 0) != 0,
                   faved = COALESCE(json_extract(video, '$.faved'), 0) != 0,
                   coined = COALESCE(json_extract(video, '$.coined'), 0) != 0""",
            postgresql="""UPDATE behaviour b SET
                   title = COALESCE(v.j ->> 'title', ''),
                   owner_mid = COALESCE((v.j ->> 'owner_mid')::numeric, 0),
                   tname = COALESCE(v.j ->> 'tname', ''),
                   duration = COALESCE((v.j ->> 'duration')::numeric, 0),
                   progress = COALESCE((v.j ->> 'progress')::numeric, 0),
                   liked = (COALESCE(v.j ->> 'liked', 'false') NOT IN ('false', '0'))::int,
                   faved = (COALESCE(v.j ->> 'faved', 'false') NOT IN ('false', '0'))::int,
                   coined = (COALESCE(v.j ->> 'coined', 'false') NOT IN ('false', '0'))::int
               FROM (SELECT tg_id, bvid, video::jsonb AS j FROM behaviour) v
               WHERE b.tg_id = v.tg_id AND b.bvid = v.bvid"""),
        "CREATE INDEX behaviour_serving ON behaviour (tg_id, view_at, bvid, title, owner_mid, "
        "tname, duration, progress, liked, faved, coined)",
    ),
    # 7: mutes — "fewer from this UP主 / this zone": the UP主's mid or the zone's name (tname),
    # the name the user saw, and when; ranking leaves their videos out, training learns them
    # as negatives
    (
        """CREATE TABLE mutes (
               id    INTEGER PRIMARY KEY AUTOINCREMENT,
               tg_id INTEGER NOT NULL REFERENCES users(tg_id) ON DELETE CASCADE,
               kind  TEXT    NOT NULL CHECK (kind IN ('author', 'zone')),
               key   TEXT    NOT NULL,   -- author: the mid as digits; zone: the tname
               name  TEXT    NOT NULL,   -- what /status shows
               at    REAL    NOT NULL,
               UNIQUE (tg_id, kind, key)
           )""",
    ),
    # 8: the user's /settings (digest time and zone stay in ``digest``): silent digest, list
    # size, which lists the digest holds, language ("auto" = the Telegram client's)
    (
        """CREATE TABLE user_settings (
               tg_id          INTEGER PRIMARY KEY REFERENCES users(tg_id) ON DELETE CASCADE,
               silent_digest  INTEGER NOT NULL DEFAULT 0 CHECK (silent_digest IN (0, 1)),
               list_size      INTEGER NOT NULL DEFAULT 10 CHECK (list_size BETWEEN 1 AND 20),
               digest_hot     INTEGER NOT NULL DEFAULT 1 CHECK (digest_hot IN (0, 1)),
               digest_explore INTEGER NOT NULL DEFAULT 1 CHECK (digest_explore IN (0, 1)),
               language       TEXT    NOT NULL DEFAULT 'auto'
                              CHECK (language IN ('auto', 'zh', 'en'))
           )""",
    ),
    # 9: the training of a user in flight, so at most one runs across every process and machine
    # (Storage.claim_training); a claim past expires_at was abandoned (a killed worker)
    (
        """CREATE TABLE training_claims (
               tg_id      INTEGER PRIMARY KEY REFERENCES users(tg_id) ON DELETE CASCADE,
               owner      TEXT    NOT NULL,   -- host:pid:random of the trainer
               expires_at REAL    NOT NULL    -- Unix seconds
           )""",
    ),
    # 10: the recommender's tokens of each behaviour record's title (text opaque to storage;
    # NULL until the recommender has tokenized that title, and again when the title changes),
    # read by serving with the other serving columns, so the covering index is made anew
    (
        "ALTER TABLE behaviour ADD COLUMN title_tokens TEXT",
        "DROP INDEX behaviour_serving",
        "CREATE INDEX behaviour_serving ON behaviour (tg_id, view_at, bvid, title, owner_mid, "
        "tname, duration, progress, liked, faved, coined, title_tokens)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def _backend(target):
    """A backend for a bare sqlite3 connection (tests and tools pass one); others as given."""
    if isinstance(target, sqlite3.Connection):
        from storage.backends import SqliteBackend

        return SqliteBackend(target)
    return target


def schema_version(target) -> int:
    """The version the database is at (0 for a new, empty one)."""
    return _backend(target).schema_version()


def migrate(target, migrations: Sequence[Migration] = MIGRATIONS) -> int:
    """Bring the database up to ``len(migrations)``; returns the number of steps applied.

    ``target`` is a backend (storage.backends) or an autocommit sqlite3 connection
    (``isolation_level=None``), so the explicit transactions here are the only ones. The same
    migrations run on PostgreSQL with its type names (``backend.ddl``). Raises
    SchemaVersionError for a database newer than this code."""
    backend = _backend(target)
    current = backend.schema_version()
    target_version = len(migrations)
    if current > target_version:
        raise SchemaVersionError(
            f"database schema version {current} is newer than this BiliRec knows "
            f"({target_version})")
    applied = 0
    for version in range(current + 1, target_version + 1):
        backend.begin()
        try:
            backend.lock_schema()
            # re-read under the lock: another process may have migrated meanwhile
            if backend.schema_version() >= version:
                backend.rollback()
                continue
            for statement in migrations[version - 1]:
                if isinstance(statement, PerEngine):
                    statement = getattr(statement, backend.name)
                backend.connection().execute(backend.ddl(statement))
            backend.set_schema_version(version)
            backend.commit()
        except BaseException:
            backend.rollback()
            raise
        applied += 1
        logger.info("storage schema migrated to version %d", version)
    return applied


def per_user_tables(target) -> list[str]:
    """Every table that has a ``tg_id`` column, read from the database itself."""
    return _backend(target).per_user_tables()
