"""Storage: one database (SQLite in the data directory, or PostgreSQL), shared by every thread.

One connection guarded by a lock; the engine-specific parts (SQLite's WAL journal, foreign keys
and ``secure_delete`` so erased rows are overwritten; PostgreSQL's reconnects) live in
storage/backends.py, and every query here runs on both. Credentials are Fernet-encrypted before
they reach SQL, so no cookie value is ever written to the database or its journal. The schema and
its migrations live in storage/schema.py; model files live under the data directory (shared by
every machine when the database is PostgreSQL).
"""
from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage import schema
from storage.backends import DB_FILENAME, PostgresBackend, SqliteBackend, open_backend
from storage.codec import video_from_json, video_to_json
from storage.crypto import CredentialCipher
from storage.errors import (CredentialsUnreadable, StorageClosed, StorageError,
                            StorageUnavailable)
from storage.files import remove_user_files, tighten_data_dir, user_model_dir
from domain import Credentials, Impression, Video, WatchRecord, merge_videos

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh"
# candidate videos kept per user and source; older ones are dropped
DEFAULT_POOL_CAP = 1000
# impressions kept per user (whole batches; the oldest are dropped)
DEFAULT_IMPRESSION_CAP = 5000
# SQLite's default limit on host parameters is 999 on old builds
_CHUNK = 500
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# the parts of a user's data that carry a revision number (see Storage.user_revisions)
REVISION_PARTS = ("behaviour", "pool", "feedback", "sent", "model")


@dataclass(frozen=True)
class UserRecord:
    """A Telegram user: linked Bilibili account (mid 0 / uname "" when none) and language."""

    tg_id: int
    mid: int
    uname: str
    language: str
    created_at: int  # Unix seconds


@dataclass(frozen=True)
class ModelRecord:
    """One trained model of a user."""

    tg_id: int
    path: Path
    trained_at: float  # Unix seconds
    metrics: Mapping[str, float] = field(default_factory=dict)
    n_records: int = 0


@dataclass(frozen=True)
class DigestSetting:
    """A user's daily digest: local time (None = off), zone, last date sent, paused."""

    time_hhmm: str | None
    timezone: str
    last_sent_date: str | None = None  # YYYY-MM-DD in the user's zone
    paused: bool = False


@dataclass(frozen=True)
class MuteRecord:
    """A "fewer from this UP主 / zone" of a user: kind "author" (key = the mid as digits) or
    "zone" (key = the zone name, tname), the name shown to the user, when (Unix seconds)."""

    id: int
    kind: str
    key: str
    name: str
    at: float


MUTE_KINDS = ("author", "zone")


@dataclass(frozen=True)
class UserSettings:
    """A user's /settings: digest sent silently, list size, the digest's lists, language
    ("auto" = the Telegram client's, "zh", "en"). The defaults are what a user never asked
    for gets."""

    silent_digest: bool = False
    list_size: int = 10
    digest_hot: bool = True
    digest_explore: bool = True
    language: str = "auto"


def _check_tg_id(tg_id: int) -> int:
    if isinstance(tg_id, bool) or not isinstance(tg_id, int):
        raise TypeError("tg_id must be an int")
    return tg_id


def _json_number(value):
    """json.dumps fallback for numpy scalars and the like."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"metric value of type {type(value).__name__} is not JSON serialisable")


def _chunks(items: list, size: int = _CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class Storage:
    """Everything BiliRec keeps about its users. Thread-safe; migrations run on open."""

    def __init__(self, data_dir: str | os.PathLike, secret_key: bytes | None, *,
                 database_url: str | None = None,
                 pool_cap: int = DEFAULT_POOL_CAP,
                 impression_cap: int = DEFAULT_IMPRESSION_CAP,
                 clock: Callable[[], float] = time.time):
        """Open the database ``database_url`` names (default: SQLite in ``data_dir``) and
        migrate it. ``secret_key`` None: credentials cannot be read or written (the training
        worker never needs them)."""
        self.data_dir = Path(data_dir)
        tighten_data_dir(self.data_dir)
        self._cipher = CredentialCipher(secret_key) if secret_key is not None else None
        self._pool_cap = pool_cap
        self._impression_cap = impression_cap
        self._clock = clock
        self._lock = threading.RLock()
        try:
            backend = open_backend(database_url, self.data_dir)
        except ValueError as exc:
            raise StorageError(str(exc)) from None
        self.path = getattr(backend, "path", None)
        try:
            schema.migrate(backend)
        except sqlite3.DatabaseError as exc:
            backend.close()
            raise StorageError(f"cannot open the database {backend.describe()}: {exc}") from exc
        except backend.lost as exc:
            backend.close()
            raise StorageUnavailable(f"the database {backend.describe()} failed during "
                                     f"migration ({type(exc).__name__})") from None
        except BaseException:
            backend.close()
            raise
        self._backend: SqliteBackend | PostgresBackend | None = backend

    @property
    def engine(self) -> str:
        """The database engine: "sqlite" or "postgresql"."""
        return self._backend_or_raise().name

    # --- plumbing -------------------------------------------------------------------------

    def close(self) -> None:
        """Checkpoint SQLite's WAL into the database file and close. Safe to call twice."""
        with self._lock:
            if self._backend is None:
                return
            self._backend.close()
            self._backend = None

    def __enter__(self) -> "Storage":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _backend_or_raise(self) -> SqliteBackend | PostgresBackend:
        if self._backend is None:
            raise StorageClosed("storage is closed")
        return self._backend

    def _connection(self):
        """The backend's open connection (reconnected first when it was lost)."""
        return self._backend_or_raise().connection()

    @contextlib.contextmanager
    def _read(self):
        with self._lock:
            backend = self._backend_or_raise()
            try:
                yield backend.connection()
            except backend.lost as exc:
                raise StorageUnavailable(f"the database connection was lost "
                                         f"({type(exc).__name__})") from None

    @contextlib.contextmanager
    def _write(self):
        """One transaction under the lock: committed on success, rolled back on any error
        (a lost connection: rolled back by the server, StorageUnavailable)."""
        with self._lock:
            backend = self._backend_or_raise()
            try:
                backend.begin()
                try:
                    yield backend.connection()
                    backend.commit()
                except BaseException:
                    backend.rollback()
                    raise
            except backend.lost as exc:
                raise StorageUnavailable(f"the database connection was lost; nothing of the "
                                         f"write was kept ({type(exc).__name__})") from None

    def _ensure(self, conn: sqlite3.Connection, tg_id: int,
                language: str = DEFAULT_LANGUAGE) -> None:
        conn.execute("INSERT INTO users (tg_id, language, created_at) VALUES (?, ?, ?) "
                     "ON CONFLICT (tg_id) DO NOTHING",
                     (_check_tg_id(tg_id), language, int(self._clock())))

    def _bump(self, conn, tg_id: int, part: str) -> None:
        """Give the user's ``part`` a new revision number, inside the caller's transaction."""
        conn.execute(self._backend.bump_sql, (tg_id, part))

    # --- revisions ------------------------------------------------------------------------

    def user_revisions(self, tg_id: int) -> dict[str, int]:
        """Revision number of each part of the user's data (``REVISION_PARTS``; 0 = never written).

        Every write to a part (behaviour, pool, feedback, sent, model registry) gives it a
        number never used before in this database, in the write's own transaction; erase_user
        resets the parts to 0. A reader that cached something derived from a part re-reads it
        when the number differs. One indexed read; cheap enough for every ranking call.
        """
        with self._read() as conn:
            rows = conn.execute("SELECT part, revision FROM revisions WHERE tg_id = ?",
                                (_check_tg_id(tg_id),)).fetchall()
        out = dict.fromkeys(REVISION_PARTS, 0)
        out.update(rows)
        return out

    def user_revision(self, tg_id: int) -> int:
        """One number that changes on every write to any part of the user's data (0 = none)."""
        return max(self.user_revisions(tg_id).values())

    # --- users ----------------------------------------------------------------------------

    def ensure_user(self, tg_id: int, language: str = DEFAULT_LANGUAGE) -> UserRecord:
        """The user's record, created (with this language) when new."""
        with self._write() as conn:
            self._ensure(conn, tg_id, language)
        return self.get_user(tg_id)

    def get_user(self, tg_id: int) -> UserRecord | None:
        """The user's record, or None when unknown."""
        with self._read() as conn:
            row = conn.execute("SELECT tg_id, mid, uname, language, created_at FROM users "
                               "WHERE tg_id = ?", (_check_tg_id(tg_id),)).fetchone()
        return UserRecord(*row) if row else None

    def list_users(self) -> list[UserRecord]:
        """Every user, oldest first."""
        with self._read() as conn:
            rows = conn.execute("SELECT tg_id, mid, uname, language, created_at FROM users "
                                "ORDER BY created_at, tg_id").fetchall()
        return [UserRecord(*row) for row in rows]

    def set_bilibili_account(self, tg_id: int, mid: int, uname: str) -> None:
        """Link the user to a Bilibili account (mid and name)."""
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.execute("UPDATE users SET mid = ?, uname = ? WHERE tg_id = ?",
                         (int(mid), str(uname), tg_id))

    def set_language(self, tg_id: int, language: str) -> None:
        """Set the user's interface language."""
        with self._write() as conn:
            self._ensure(conn, tg_id, language)
            conn.execute("UPDATE users SET language = ? WHERE tg_id = ?", (str(language), tg_id))

    # --- credentials ----------------------------------------------------------------------

    def _credential_cipher(self) -> CredentialCipher:
        if self._cipher is None:
            raise StorageError("this storage was opened without the credentials key")
        return self._cipher

    def save_credentials(self, tg_id: int, creds: Credentials) -> None:
        """Store (replace) the user's Bilibili login, encrypted."""
        token = self._credential_cipher().encrypt(creds)
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.execute("INSERT INTO credentials (tg_id, token, updated_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (tg_id) DO UPDATE SET token = excluded.token, "
                         "updated_at = excluded.updated_at",
                         (tg_id, token, int(self._clock())))

    def load_credentials(self, tg_id: int) -> Credentials | None:
        """The user's login, or None. Raises CredentialsUnreadable when it cannot be decrypted."""
        with self._read() as conn:
            row = conn.execute("SELECT token FROM credentials WHERE tg_id = ?",
                               (_check_tg_id(tg_id),)).fetchone()
        if row is None:
            return None
        return self._credential_cipher().decrypt(row[0])

    def unreadable_credentials(self) -> list[int]:
        """The users whose stored credentials this key cannot decrypt (key changed, corrupt)."""
        with self._read() as conn:
            rows = conn.execute("SELECT tg_id, token FROM credentials ORDER BY tg_id").fetchall()
        unreadable = []
        cipher = self._credential_cipher()
        for tg_id, token in rows:
            try:
                cipher.decrypt(token)
            except CredentialsUnreadable:
                unreadable.append(tg_id)
        return unreadable

    def holds_credentials(self) -> bool:
        """Whether any user's login is stored (needs no key)."""
        with self._read() as conn:
            return conn.execute("SELECT 1 FROM credentials LIMIT 1").fetchone() is not None

    def delete_credentials(self, tg_id: int) -> None:
        """Forget the user's login (the rest of their data stays)."""
        with self._write() as conn:
            conn.execute("DELETE FROM credentials WHERE tg_id = ?", (_check_tg_id(tg_id),))

    # --- behaviour ------------------------------------------------------------------------

    def save_behaviour(self, tg_id: int, videos: Iterable[Video]) -> None:
        """Upsert behaviour records by bvid, merging with what is stored (flags are OR-ed)."""
        batch: dict[str, Video] = {}
        for video in videos:
            seen = batch.get(video.bvid)
            batch[video.bvid] = video if seen is None else merge_videos(seen, video)
        if not batch:
            return
        now = int(self._clock())
        with self._write() as conn:
            self._ensure(conn, tg_id)
            for bvids in _chunks(list(batch)):
                marks = ",".join("?" * len(bvids))
                for bvid, text in conn.execute(
                        f"SELECT bvid, video FROM behaviour WHERE tg_id = ? AND bvid IN ({marks})",
                        (tg_id, *bvids)):
                    batch[bvid] = merge_videos(video_from_json(text), batch[bvid])
            conn.executemany(
                "INSERT INTO behaviour (tg_id, bvid, view_at, video, updated_at, title, "
                "owner_mid, tname, duration, progress, liked, faved, coined) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tg_id, bvid) DO "
                "UPDATE SET view_at = excluded.view_at, video = excluded.video, "
                "updated_at = excluded.updated_at, title = excluded.title, "
                "owner_mid = excluded.owner_mid, tname = excluded.tname, "
                "duration = excluded.duration, progress = excluded.progress, "
                "liked = excluded.liked, faved = excluded.faved, coined = excluded.coined, "
                "title_tokens = CASE WHEN behaviour.title = excluded.title "
                "THEN behaviour.title_tokens END",
                [(tg_id, v.bvid, int(v.view_at), video_to_json(v), now, v.title or "",
                  int(v.owner_mid or 0), v.tname or "", int(v.duration or 0),
                  int(v.progress or 0), int(bool(v.liked)), int(bool(v.faved)),
                  int(bool(v.coined))) for v in batch.values()])
            self._bump(conn, tg_id, "behaviour")

    def load_behaviour(self, tg_id: int) -> list[Video]:
        """The user's behaviour records, newest view_at first (unwatched ones last)."""
        with self._read() as conn:
            rows = conn.execute("SELECT video FROM behaviour WHERE tg_id = ? "
                                f"ORDER BY view_at DESC, {self._backend.tiebreak}",
                                (_check_tg_id(tg_id),)).fetchall()
        return [video_from_json(row[0]) for row in rows]

    def load_watch_records(self, tg_id: int) -> list[WatchRecord]:
        """Every behaviour record of the user with only the fields serving reads, oldest
        view_at first (ties by bvid; untimed records, view_at 0, first).

        They are plain columns beside the record's JSON with an index covering them (schema
        migration 6): no JSON is parsed, ~10x faster than ``load_behaviour`` for a 1,000-record
        history."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT bvid, view_at, title, owner_mid, tname, duration, progress, liked, "
                "faved, coined, title_tokens FROM behaviour WHERE tg_id = ? "
                "ORDER BY view_at, bvid", (_check_tg_id(tg_id),)).fetchall()
        return [WatchRecord(bvid, view_at, title, owner_mid, tname, duration, progress,
                            bool(liked), bool(faved), bool(coined), title_tokens)
                for bvid, view_at, title, owner_mid, tname, duration, progress, liked, faved,
                coined, title_tokens in rows]

    def save_title_tokens(self, tg_id: int, tokens: Iterable[tuple[str, str, str]]) -> None:
        """Keep the recommender's tokens of behaviour records' titles: (bvid, the title that
        was tokenized, the tokens as text). A record whose title has changed meanwhile keeps
        none. Not a change of the behaviour (no revision bump): the same records, read faster."""
        rows = [(text, _check_tg_id(tg_id), bvid, title) for bvid, title, text in tokens]
        if not rows:
            return
        with self._write() as conn:
            conn.executemany("UPDATE behaviour SET title_tokens = ? "
                             "WHERE tg_id = ? AND bvid = ? AND title = ?", rows)

    def count_behaviour(self, tg_id: int) -> int:
        """How many behaviour records the user has."""
        with self._read() as conn:
            return conn.execute("SELECT COUNT(*) FROM behaviour WHERE tg_id = ?",
                                (_check_tg_id(tg_id),)).fetchone()[0]

    def save_stats_lookups(self, tg_id: int, found: Iterable[int], gone: Iterable[int]) -> None:
        """Remember that these videos' counts were looked up (found, or gone/not returned)."""
        now = self._clock()
        rows = {int(aid): (tg_id, int(aid), 1, now) for aid in found}
        rows.update({int(aid): (tg_id, int(aid), 0, now) for aid in gone if int(aid) not in rows})
        if not rows:
            return
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.executemany(
                "INSERT INTO stats_lookups (tg_id, aid, found, looked_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tg_id, aid) DO UPDATE SET found = excluded.found, "
                "looked_at = excluded.looked_at", list(rows.values()))

    def stats_looked_up(self, tg_id: int, aids: Iterable[int]) -> set[int]:
        """Which of these aids had their counts looked up for the user already."""
        wanted = list(dict.fromkeys(int(aid) for aid in aids))
        done: set[int] = set()
        with self._read() as conn:
            for part in _chunks(wanted):
                marks = ",".join("?" * len(part))
                done.update(row[0] for row in conn.execute(
                    f"SELECT aid FROM stats_lookups WHERE tg_id = ? AND aid IN ({marks})",
                    (_check_tg_id(tg_id), *part)))
        return done

    # --- candidate pools ------------------------------------------------------------------

    def save_pool(self, tg_id: int, source: str, videos: Iterable[Video]) -> None:
        """Remember candidates seen from a source ("popular", "feed"); newest kept, capped."""
        if not isinstance(source, str) or not source:
            raise ValueError("source must be a non-empty string")
        rows, seen = [], set()
        now = self._clock()
        for video in videos:
            if video.bvid not in seen:
                seen.add(video.bvid)
                rows.append((tg_id, source, video.bvid, video_to_json(video), now, len(rows)))
        if not rows:
            return
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.executemany(
                "INSERT INTO pools (tg_id, source, bvid, video, seen_at, position) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tg_id, source, bvid) DO UPDATE SET "
                "video = excluded.video, seen_at = excluded.seen_at, "
                "position = excluded.position", rows)
            conn.execute(
                "DELETE FROM pools WHERE tg_id = ? AND source = ? AND bvid NOT IN ("
                " SELECT bvid FROM pools WHERE tg_id = ? AND source = ?"
                " ORDER BY seen_at DESC, position LIMIT ?)",
                (tg_id, source, tg_id, source, self._pool_cap))
            self._bump(conn, tg_id, "pool")

    def load_pool(self, tg_id: int) -> list[Video]:
        """Candidates seen for the user from every source, most recently seen first, unique."""
        with self._read() as conn:
            rows = conn.execute("SELECT bvid, video FROM pools WHERE tg_id = ? "
                                "ORDER BY seen_at DESC, position",
                                (_check_tg_id(tg_id),)).fetchall()
        videos, seen = [], set()
        for bvid, text in rows:
            if bvid not in seen:
                seen.add(bvid)
                videos.append(video_from_json(text))
        return videos

    # --- feedback -------------------------------------------------------------------------

    def add_feedback(self, tg_id: int, bvid: str, value: int, video: Video | None = None) -> None:
        """Record 👍 (+1) or 👎 (-1) for a video; the latest one wins."""
        if value not in (1, -1) or isinstance(value, bool):
            raise ValueError("feedback value must be +1 or -1")
        if video is not None and video.bvid != bvid:
            raise ValueError("feedback video does not match bvid")
        text = video_to_json(video) if video is not None else None
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.execute(
                "INSERT INTO feedback (tg_id, bvid, value, video, at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (tg_id, bvid) DO UPDATE SET value = excluded.value, "
                "video = COALESCE(excluded.video, feedback.video), at = excluded.at",
                (tg_id, str(bvid), int(value), text, self._clock()))
            self._bump(conn, tg_id, "feedback")

    def load_feedback(self, tg_id: int) -> dict[str, int]:
        """bvid -> +1 / -1 for every video the user rated."""
        with self._read() as conn:
            rows = conn.execute("SELECT bvid, value FROM feedback WHERE tg_id = ?",
                                (_check_tg_id(tg_id),)).fetchall()
        return dict(rows)

    def remove_feedback(self, tg_id: int, bvid: str) -> bool:
        """Undo the user's 👍/👎 of a video; True when there was one."""
        with self._write() as conn:
            removed = conn.execute("DELETE FROM feedback WHERE tg_id = ? AND bvid = ?",
                                   (_check_tg_id(tg_id), str(bvid))).rowcount
            if removed:
                self._bump(conn, tg_id, "feedback")
        return bool(removed)

    def add_mute(self, tg_id: int, kind: str, key: str, name: str) -> MuteRecord:
        """Mute an UP主 (kind "author", key = mid) or a zone (kind "zone", key = tname); muting
        again keeps the first. Mutes are feedback: the "feedback" revision moves."""
        if kind not in MUTE_KINDS or not str(key).strip():
            raise ValueError("a mute is an author or a zone with a key")
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.execute("INSERT INTO mutes (tg_id, kind, key, name, at) VALUES (?, ?, ?, ?, ?) "
                         "ON CONFLICT (tg_id, kind, key) DO NOTHING",
                         (tg_id, kind, str(key).strip(), str(name), self._clock()))
            self._bump(conn, tg_id, "feedback")
            row = conn.execute("SELECT id, kind, key, name, at FROM mutes "
                               "WHERE tg_id = ? AND kind = ? AND key = ?",
                               (tg_id, kind, str(key).strip())).fetchone()
        return MuteRecord(*row)

    def remove_mute(self, tg_id: int, kind: str, key: str) -> MuteRecord | None:
        """Unmute by kind and key; the removed mute, None when there was none."""
        with self._write() as conn:
            row = conn.execute("SELECT id, kind, key, name, at FROM mutes "
                               "WHERE tg_id = ? AND kind = ? AND key = ?",
                               (_check_tg_id(tg_id), kind, str(key).strip())).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM mutes WHERE id = ?", (row[0],))
            self._bump(conn, tg_id, "feedback")
        return MuteRecord(*row)

    def get_mute(self, tg_id: int, mute_id: int) -> MuteRecord | None:
        """One of the user's mutes by id (None when not theirs or gone)."""
        with self._read() as conn:
            row = conn.execute("SELECT id, kind, key, name, at FROM mutes "
                               "WHERE tg_id = ? AND id = ?",
                               (_check_tg_id(tg_id), int(mute_id))).fetchone()
        return MuteRecord(*row) if row else None

    def load_mutes(self, tg_id: int) -> list[MuteRecord]:
        """The user's mutes, oldest first."""
        with self._read() as conn:
            rows = conn.execute("SELECT id, kind, key, name, at FROM mutes WHERE tg_id = ? "
                                "ORDER BY at, id", (_check_tg_id(tg_id),)).fetchall()
        return [MuteRecord(*row) for row in rows]

    def feedback_videos(self, tg_id: int) -> list[tuple[Video, int]]:
        """(video, value) for every rating, newest first.

        When the rating came without a video record, the user's behaviour or pool record of
        that video is used, else a record with only the bvid."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT f.bvid, f.value, COALESCE(f.video, b.video, "
                " (SELECT p.video FROM pools p WHERE p.tg_id = f.tg_id AND p.bvid = f.bvid"
                "  ORDER BY p.seen_at DESC LIMIT 1)) "
                "FROM feedback f LEFT JOIN behaviour b ON b.tg_id = f.tg_id AND b.bvid = f.bvid "
                f"WHERE f.tg_id = ? ORDER BY f.at DESC, f.{self._backend.tiebreak} DESC",
                (_check_tg_id(tg_id),)).fetchall()
        return [(video_from_json(text) if text else Video(bvid=bvid), value)
                for bvid, value, text in rows]

    # --- sent videos ----------------------------------------------------------------------

    def record_sent(self, tg_id: int, bvids: Iterable[str], channel: str) -> None:
        """Remember that these videos were sent to the user on a channel (hot/explore/digest)."""
        if not isinstance(channel, str) or not channel:
            raise ValueError("channel must be a non-empty string")
        now = self._clock()
        rows = [(tg_id, str(bvid), channel, now) for bvid in dict.fromkeys(bvids)]
        if not rows:
            return
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.executemany("INSERT INTO sent (tg_id, bvid, channel, sent_at) VALUES (?, ?, ?, ?) "
                             "ON CONFLICT (tg_id, channel, bvid) DO UPDATE SET "
                             "sent_at = excluded.sent_at", rows)
            self._bump(conn, tg_id, "sent")

    def sent_bvids(self, tg_id: int, channel: str | None = None) -> set[str]:
        """The videos already sent to the user, on one channel or on any."""
        with self._read() as conn:
            if channel is None:
                rows = conn.execute("SELECT bvid FROM sent WHERE tg_id = ?",
                                    (_check_tg_id(tg_id),))
            else:
                rows = conn.execute("SELECT bvid FROM sent WHERE tg_id = ? AND channel = ?",
                                    (_check_tg_id(tg_id), channel))
            return {row[0] for row in rows}

    # --- impressions ----------------------------------------------------------------------

    def record_impressions(self, tg_id: int, channel: str, ranker: str,
                           items: Iterable[tuple[Video, float | None]]) -> None:
        """Log one list shown to the user: (video, score) in shown order (position = index).

        Nothing is written for an unknown user (one erased while the list was being sent is
        not brought back). No revision bump: impressions are no ranking input. The newest
        ``impression_cap`` rows per user are kept."""
        if not isinstance(channel, str) or not channel:
            raise ValueError("channel must be a non-empty string")
        now = self._clock()
        rows = [(tg_id, video.bvid, channel, position, now, str(ranker),
                 None if score is None else float(score), video_to_json(video))
                for position, (video, score) in enumerate(items)]
        if not rows:
            return
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM users WHERE tg_id = ?", (tg_id,)).fetchone() is None:
                return
            conn.executemany(
                "INSERT INTO impressions (tg_id, bvid, channel, position, shown_at, ranker, "
                "score, video) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            conn.execute(
                "DELETE FROM impressions WHERE tg_id = ? AND shown_at < ("
                " SELECT shown_at FROM impressions WHERE tg_id = ?"
                " ORDER BY shown_at DESC LIMIT 1 OFFSET ?)",
                (tg_id, tg_id, self._impression_cap - 1))

    def load_impressions(self, tg_id: int, since: float | None = None) -> list[Impression]:
        """The user's impressions (shown_at >= since when given), oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT video, channel, position, shown_at, ranker, score FROM impressions "
                "WHERE tg_id = ? AND shown_at >= ? ORDER BY shown_at, id",
                (_check_tg_id(tg_id), -math.inf if since is None else float(since))).fetchall()
        return [Impression(video_from_json(text), channel, position, shown_at, ranker, score)
                for text, channel, position, shown_at, ranker, score in rows]

    # --- digest ---------------------------------------------------------------------------

    def set_digest(self, tg_id: int, time_hhmm: str | None, timezone: str) -> None:
        """Set the daily digest time ("HH:MM", None = off) and zone; keeps paused/last sent."""
        if time_hhmm is not None and not _HHMM.match(time_hhmm):
            raise ValueError("digest time must be HH:MM (00:00-23:59)")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown time zone {timezone!r}") from None
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.execute("INSERT INTO digest (tg_id, time_hhmm, timezone) VALUES (?, ?, ?) "
                         "ON CONFLICT (tg_id) DO UPDATE SET time_hhmm = excluded.time_hhmm, "
                         "timezone = excluded.timezone", (tg_id, time_hhmm, timezone))

    def get_settings(self, tg_id: int) -> UserSettings:
        """The user's settings (the defaults when they never changed one)."""
        with self._read() as conn:
            row = conn.execute("SELECT silent_digest, list_size, digest_hot, digest_explore, "
                               "language FROM user_settings WHERE tg_id = ?",
                               (_check_tg_id(tg_id),)).fetchone()
        if row is None:
            return UserSettings()
        return UserSettings(bool(row[0]), int(row[1]), bool(row[2]), bool(row[3]), row[4])

    def save_settings(self, tg_id: int, settings: UserSettings) -> None:
        """Store the user's settings (creating the user row when needed); ValueError for a
        value out of range."""
        if not 1 <= settings.list_size <= 20 or settings.language not in ("auto", "zh", "en"):
            raise ValueError("list size must be 1..20 and language auto, zh or en")
        with self._write() as conn:
            self._ensure(conn, tg_id)
            conn.execute(
                "INSERT INTO user_settings (tg_id, silent_digest, list_size, digest_hot, "
                "digest_explore, language) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tg_id) DO "
                "UPDATE SET silent_digest = excluded.silent_digest, list_size = "
                "excluded.list_size, digest_hot = excluded.digest_hot, digest_explore = "
                "excluded.digest_explore, language = excluded.language",
                (tg_id, int(settings.silent_digest), settings.list_size,
                 int(settings.digest_hot), int(settings.digest_explore), settings.language))

    def get_digest(self, tg_id: int) -> DigestSetting | None:
        """The user's digest setting, or None if they never set one."""
        with self._read() as conn:
            row = conn.execute("SELECT time_hhmm, timezone, last_sent_date, paused FROM digest "
                               "WHERE tg_id = ?", (_check_tg_id(tg_id),)).fetchone()
        return DigestSetting(row[0], row[1], row[2], bool(row[3])) if row else None

    def digest_users(self) -> list[tuple[int, DigestSetting]]:
        """Every user whose digest is on (paused ones included), by tg_id."""
        with self._read() as conn:
            rows = conn.execute("SELECT tg_id, time_hhmm, timezone, last_sent_date, paused "
                                "FROM digest WHERE time_hhmm IS NOT NULL ORDER BY tg_id").fetchall()
        return [(row[0], DigestSetting(row[1], row[2], row[3], bool(row[4]))) for row in rows]

    def mark_digest_sent(self, tg_id: int, date_iso: str) -> None:
        """Record the local date (YYYY-MM-DD) on which the user's digest went out."""
        if not isinstance(date_iso, str) or not _DATE.match(date_iso):
            raise ValueError("digest date must be YYYY-MM-DD")
        with self._write() as conn:
            conn.execute("UPDATE digest SET last_sent_date = ? WHERE tg_id = ?",
                         (date_iso, _check_tg_id(tg_id)))

    def set_digest_paused(self, tg_id: int, paused: bool) -> None:
        """Pause or resume the user's digest (no effect when they have none)."""
        with self._write() as conn:
            conn.execute("UPDATE digest SET paused = ? WHERE tg_id = ?",
                         (1 if paused else 0, _check_tg_id(tg_id)))

    # --- models ---------------------------------------------------------------------------

    def model_dir(self, tg_id: int) -> Path:
        """``data_dir/models/<tg_id>/``, created on demand."""
        return user_model_dir(self.data_dir, tg_id)

    def register_model(self, tg_id: int, path: str | os.PathLike, metrics: Mapping[str, float],
                       n_records: int, *, claim: str | None = None) -> ModelRecord | None:
        """Record a newly trained model file of the user; it becomes their latest.

        With ``claim`` (the owner passed to ``claim_training``) the model is recorded only while
        that claim holds — not after the user was erased or the claim expired and was taken
        over — and None is returned otherwise."""
        path = Path(path)
        try:
            stored = str(path.resolve().relative_to(self.data_dir.resolve()))
        except ValueError:
            stored = str(path.resolve())
        metrics_json = json.dumps(dict(metrics), default=_json_number)
        trained_at = self._clock()
        with self._write() as conn:
            if claim is not None:
                if conn.execute("SELECT 1 FROM training_claims WHERE tg_id = ? AND owner = ?",
                                (_check_tg_id(tg_id), claim)).fetchone() is None:
                    return None
            self._ensure(conn, tg_id)
            conn.execute("INSERT INTO models (tg_id, path, trained_at, metrics, n_records) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (tg_id, stored, trained_at, metrics_json, int(n_records)))
            self._bump(conn, tg_id, "model")
        return ModelRecord(tg_id, self.data_dir / stored, trained_at, json.loads(metrics_json),
                           int(n_records))

    def latest_model(self, tg_id: int) -> ModelRecord | None:
        """The user's most recently registered model, or None."""
        with self._read() as conn:
            row = conn.execute("SELECT path, trained_at, metrics, n_records FROM models "
                               "WHERE tg_id = ? ORDER BY trained_at DESC, id DESC LIMIT 1",
                               (_check_tg_id(tg_id),)).fetchone()
        if row is None:
            return None
        return ModelRecord(tg_id, self.data_dir / row[0], row[1], json.loads(row[2]), row[3])

    def claim_training(self, tg_id: int, owner: str, ttl_s: float) -> bool:
        """Claim the user's training for ``owner`` for ``ttl_s`` seconds; False when another
        live claim holds it or the user is unknown (erased). One statement, so two trainers
        racing on any machine cannot both win."""
        now = self._clock()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO training_claims (tg_id, owner, expires_at) "
                "SELECT ?, ?, ? WHERE EXISTS (SELECT 1 FROM users WHERE tg_id = ?) "
                "ON CONFLICT (tg_id) DO UPDATE SET owner = excluded.owner, "
                "expires_at = excluded.expires_at WHERE training_claims.expires_at < ?",
                (_check_tg_id(tg_id), str(owner), now + float(ttl_s), tg_id, now))
            row = conn.execute("SELECT owner FROM training_claims WHERE tg_id = ?",
                               (tg_id,)).fetchone()
        return row is not None and row[0] == owner

    def release_training(self, tg_id: int, owner: str) -> None:
        """End ``owner``'s claim on the user's training (no effect on another's claim)."""
        with self._write() as conn:
            conn.execute("DELETE FROM training_claims WHERE tg_id = ? AND owner = ?",
                         (_check_tg_id(tg_id), str(owner)))

    # --- erasure --------------------------------------------------------------------------

    def erase_user(self, tg_id: int) -> None:
        """Remove every row of the user in every table and their model files.

        On SQLite rows are overwritten on delete (secure_delete) and the WAL is checkpointed and
        truncated, so no copy of the erased data lingers in the database files; PostgreSQL
        reclaims the deleted rows' space itself (autovacuum)."""
        _check_tg_id(tg_id)
        with self._write() as conn:
            tables = self._backend.per_user_tables()
            # children first; users last (the foreign keys would cascade anyway)
            for table in sorted(tables, key=lambda name: name == "users"):
                conn.execute(f'DELETE FROM "{table}" WHERE tg_id = ?', (tg_id,))
        try:
            remove_user_files(self.data_dir, tg_id)
        finally:
            self.checkpoint()
        logger.info("erased user %s", tg_id)

    def checkpoint(self) -> None:
        """SQLite: copy the WAL into the database file and truncate the WAL to zero bytes."""
        with self._read():
            if not self._backend.checkpoint():
                logger.warning("WAL checkpoint incomplete: another reader holds the database")
