"""erase_user removes every row and file of that user and nothing of anyone else."""
from __future__ import annotations

from domain import Credentials, Video
from storage import Storage, UserSettings
from storage.crypto import KEY_FILENAME
from storage.files import write_atomic
from storage.schema import per_user_tables

from tests.storage.disk import files_containing, open_db

GONE, KEPT = 111, 222
GONE_MARKER = "ERASE-ME-7c1d"
KEPT_MARKER = "KEEP-ME-93be"


def populate(store: Storage, tg_id: int, marker: str) -> None:
    """Data for the user in every table, each row carrying the marker."""
    store.ensure_user(tg_id, "en")
    store.set_bilibili_account(tg_id, tg_id * 10, f"uname-{marker}")
    store.save_credentials(tg_id, Credentials({"SESSDATA": f"sess-{marker}"}, f"rt-{marker}"))
    long_title = f"title-{marker}-" + "x" * 5000   # spills into overflow pages
    store.save_behaviour(tg_id, [Video(f"BV{marker}{i}", title=long_title, view_at=i,
                                       liked=i % 2 == 0) for i in range(40)])
    store.save_pool(tg_id, "feed", [Video(f"BVfeed{marker}{i}", title=f"pool-{marker}")
                                    for i in range(30)])
    store.save_pool(tg_id, "popular", [Video(f"BVpop{marker}{i}") for i in range(5)])
    store.add_feedback(tg_id, f"BV{marker}1", 1, Video(f"BV{marker}1", title=f"fb-{marker}"))
    store.add_feedback(tg_id, f"BV{marker}2", -1, None)
    store.add_mute(tg_id, "author", str(tg_id * 10), f"up-{marker}")
    store.add_mute(tg_id, "zone", f"zone-{marker}", f"zone-{marker}")
    store.record_sent(tg_id, [f"BVsent{marker}{i}" for i in range(10)], "hot")
    store.record_sent(tg_id, [f"BVsent{marker}0"], "digest")
    store.record_impressions(tg_id, "hot", "model",
                             [(Video(f"BVshown{marker}{i}", title=f"shown-{marker}"), 0.5)
                              for i in range(10)])
    store.set_digest(tg_id, "08:00", "Asia/Shanghai")
    store.mark_digest_sent(tg_id, "2024-01-01")
    model = store.model_dir(tg_id) / "model.keras"
    write_atomic(model, f"weights-{marker}".encode())
    store.register_model(tg_id, model, {"auc": 0.8, "note_len": len(marker)}, 40)
    store.save_stats_lookups(tg_id, found=[tg_id * 100 + i for i in range(5)],
                             gone=[tg_id * 100 + 9])
    assert store.claim_training(tg_id, f"worker-{marker}", ttl_s=60)
    store.save_settings(tg_id, UserSettings(silent_digest=True, list_size=5, digest_hot=False))


def rows_of(store: Storage, tg_id: int) -> dict[str, int]:
    """Rows of the user in every table of the database, read through a separate connection."""
    conn = open_db(store.data_dir)
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        assert sorted(tables) == sorted(per_user_tables(conn)), "every table must have tg_id"
        return {table: conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE tg_id = ?',
                                    (tg_id,)).fetchone()[0] for table in tables}
    finally:
        conn.close()


def snapshot(store: Storage, tg_id: int):
    return (store.get_user(tg_id), store.load_credentials(tg_id), store.load_behaviour(tg_id),
            store.load_pool(tg_id), store.feedback_videos(tg_id), store.sent_bvids(tg_id),
            store.get_digest(tg_id), store.latest_model(tg_id), store.load_impressions(tg_id),
            store.stats_looked_up(tg_id, range(tg_id * 100, tg_id * 100 + 10)),
            store.load_mutes(tg_id), store.get_settings(tg_id))


def test_erase_user_leaves_nothing(data_dir, key):
    with Storage(data_dir, key) as store:
        # deleted rows are overwritten, whatever the SQLite build's default
        assert store._connection().execute("PRAGMA secure_delete").fetchone()[0] == 1
        populate(store, GONE, GONE_MARKER)
        populate(store, KEPT, KEPT_MARKER)
        assert all(count > 0 for count in rows_of(store, GONE).values())
        kept_before = snapshot(store, KEPT)
        store.checkpoint()
        assert files_containing(data_dir, GONE_MARKER), "the scan must see the user's data"

        store.erase_user(GONE)

        assert rows_of(store, GONE) == {table: 0 for table in rows_of(store, GONE)}
        assert store.get_user(GONE) is None
        assert store.load_credentials(GONE) is None
        assert store.load_behaviour(GONE) == [] and store.load_pool(GONE) == []
        assert store.load_feedback(GONE) == {} and store.sent_bvids(GONE) == set()
        assert store.load_impressions(GONE) == []
        assert store.get_digest(GONE) is None and store.latest_model(GONE) is None
        assert store.stats_looked_up(GONE, range(GONE * 100, GONE * 100 + 10)) == set()
        assert GONE not in [u.tg_id for u in store.list_users()]
        assert GONE not in [tg_id for tg_id, _ in store.digest_users()]
        assert not (data_dir / "models" / str(GONE)).exists()
        # no copy of the erased rows lingers in the database file, its WAL or anywhere else
        assert files_containing(data_dir, GONE_MARKER,
                                exclude=(data_dir / KEY_FILENAME,)) == []
        # the other user is untouched
        assert snapshot(store, KEPT) == kept_before
        assert all(count > 0 for count in rows_of(store, KEPT).values())
        assert (store.model_dir(KEPT) / "model.keras").read_bytes() == \
            f"weights-{KEPT_MARKER}".encode()
        assert files_containing(data_dir, KEPT_MARKER)
        # erasing again, or erasing a stranger, is harmless
        store.erase_user(GONE)
        store.erase_user(999)
        assert snapshot(store, KEPT) == kept_before
    with Storage(data_dir, key) as store:
        assert store.get_user(GONE) is None and store.get_user(KEPT) is not None


def rows_through_storage(store: Storage, tg_id: int) -> dict[str, int]:
    """Rows of the user in every per-user table, read through the storage's own connection."""
    with store._read() as conn:
        return {table: conn.execute(f'SELECT COUNT(*) FROM "{table}" WHERE tg_id = ?',
                                    (tg_id,)).fetchone()[0]
                for table in per_user_tables(store._backend)}


def test_erase_removes_every_row_and_file_on_either_engine(store):
    populate(store, GONE, GONE_MARKER)
    populate(store, KEPT, KEPT_MARKER)
    kept_before = snapshot(store, KEPT)
    assert all(count > 0 for count in rows_through_storage(store, GONE).values())

    store.erase_user(GONE)

    assert set(rows_through_storage(store, GONE).values()) == {0}
    assert snapshot(store, GONE) == (None, None, [], [], [], set(), None, None, [], set(), [],
                                     UserSettings())
    assert not (store.data_dir / "models" / str(GONE)).exists()
    assert snapshot(store, KEPT) == kept_before
    assert all(count > 0 for count in rows_through_storage(store, KEPT).values())


def test_user_can_come_back_after_erase(store):
    populate(store, GONE, GONE_MARKER)
    store.erase_user(GONE)
    store.ensure_user(GONE, "zh")
    assert store.count_behaviour(GONE) == 0
    assert store.get_digest(GONE) is None
    assert store.load_credentials(GONE) is None


def test_settings_are_stored_per_user_with_defaults(store):
    assert store.get_settings(GONE) == UserSettings()
    chosen = UserSettings(silent_digest=True, list_size=15, digest_hot=False, language="zh")
    store.save_settings(GONE, chosen)
    assert store.get_settings(GONE) == chosen
    assert store.get_settings(KEPT) == UserSettings()
    for bad in (UserSettings(list_size=0), UserSettings(language="fr")):
        try:
            store.save_settings(GONE, bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} was stored")
    assert store.get_settings(GONE) == chosen
