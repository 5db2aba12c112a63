"""Every Storage method writes what the next one reads back."""
from __future__ import annotations

import json

import numpy as np
import pytest

from domain import Credentials, Video
from storage import (DigestSetting, ModelRecord, Storage, StorageClosed, StorageUnavailable,
                     UserRecord)


def test_ensure_and_get_user(store, clock):
    assert store.get_user(7) is None
    user = store.ensure_user(7, language="en")
    assert user == UserRecord(tg_id=7, mid=0, uname="", language="en",
                              created_at=int(clock.now))
    clock.advance(100)
    # a second ensure keeps the original record
    assert store.ensure_user(7, language="zh") == user
    assert store.get_user(7) == user


def test_account_and_language(store):
    store.ensure_user(1)
    store.set_bilibili_account(1, 12345, "小明")
    store.set_language(1, "en")
    user = store.get_user(1)
    assert (user.mid, user.uname, user.language) == (12345, "小明", "en")


def test_setters_create_missing_user(store):
    store.set_language(2, "en")
    assert store.get_user(2).language == "en"
    store.set_bilibili_account(3, 9, "u")
    assert store.get_user(3).mid == 9


def test_list_users_oldest_first(store, clock):
    store.ensure_user(30)
    clock.advance()
    store.ensure_user(10)
    clock.advance()
    store.ensure_user(20)
    assert [u.tg_id for u in store.list_users()] == [30, 10, 20]


def test_tg_id_must_be_int(store):
    with pytest.raises(TypeError):
        store.get_user("1")
    with pytest.raises(TypeError):
        store.model_dir("../../etc")


def test_credentials_round_trip(store):
    creds = Credentials({"SESSDATA": "s%2C1", "bili_jct": "j", "DedeUserID": "42"}, "rt-1")
    assert store.load_credentials(5) is None
    store.save_credentials(5, creds)
    loaded = store.load_credentials(5)
    assert dict(loaded.cookies) == dict(creds.cookies)
    assert loaded.refresh_token == "rt-1"
    assert loaded.mid == 42
    # replace
    store.save_credentials(5, Credentials({"SESSDATA": "new"}, "rt-2"))
    assert store.load_credentials(5).refresh_token == "rt-2"
    store.delete_credentials(5)
    assert store.load_credentials(5) is None
    assert store.get_user(5) is not None  # the user stays


def test_behaviour_upsert_merges(store):
    store.save_behaviour(1, [
        Video("BV1", title="old", view_at=100, progress=30, liked=True, tags=("a", "b")),
        Video("BV2", title="two", view_at=300),
    ])
    store.save_behaviour(1, [
        Video("BV1", title="new", view_at=200, faved=True),
        Video("BV3", title="fav only", faved=True),          # view_at 0 sorts last
        Video("BV3", coined=True),                           # duplicates in one batch merge
    ])
    videos = store.load_behaviour(1)
    assert [v.bvid for v in videos] == ["BV2", "BV1", "BV3"]
    bv1 = videos[1]
    assert (bv1.title, bv1.view_at, bv1.progress, bv1.liked, bv1.faved) == \
        ("new", 200, 30, True, True)
    assert bv1.tags == ("a", "b")
    assert videos[2].faved and videos[2].coined and videos[2].title == "fav only"
    assert store.count_behaviour(1) == 3
    assert store.count_behaviour(2) == 0
    store.save_behaviour(1, [])
    assert store.count_behaviour(1) == 3


def test_video_fields_survive(store):
    full = Video("BV1xx411c7mD", aid=170001, title="标题 \"quoted\"", owner_mid=9,
                 owner_name="UP主", tname="动画", tid=27, tags=("标签", "tag"), duration=600,
                 pubdate=1_600_000_000, cover="http://i0.hdslb.com/x.jpg", view=1, like=2,
                 coin=3, favorite=4, reply=5, danmaku=6, share=7, rcmd_reason="关注",
                 view_at=1_700_000_000, progress=-1, liked=True, faved=True, coined=True)
    store.save_behaviour(1, [full])
    assert store.load_behaviour(1) == [full]
    store.save_pool(1, "feed", [full])
    assert store.load_pool(1) == [full]


def test_pool_order_dedup_and_cap(open_store, clock):
    with open_store(clock=clock, pool_cap=3) as store:
        store.save_pool(1, "popular", [Video("P1"), Video("P2"), Video("P1")])
        clock.advance()
        store.save_pool(1, "feed", [Video("F1", title="f"), Video("P2", title="from feed")])
        pool = store.load_pool(1)
        assert [v.bvid for v in pool] == ["F1", "P2", "P1"]
        assert pool[1].title == "from feed"
        clock.advance()
        store.save_pool(1, "popular", [Video("P3"), Video("P4")])
        clock.advance()
        store.save_pool(1, "popular", [Video("P5"), Video("P6")])
        with store._read() as conn:
            popular = [row[0] for row in conn.execute(
                "SELECT bvid FROM pools WHERE tg_id = 1 AND source = 'popular'")]
        assert sorted(popular) == ["P3", "P5", "P6"]   # capped at 3 newest per source
        assert [v.bvid for v in store.load_pool(1)][:3] == ["P5", "P6", "P3"]
        assert store.load_pool(2) == []
        with pytest.raises(ValueError):
            store.save_pool(1, "", [Video("X")])


def test_feedback_latest_wins(store, clock):
    video = Video("BV1", title="liked one")
    store.add_feedback(1, "BV1", 1, video)
    clock.advance()
    store.add_feedback(1, "BV2", -1, None)
    assert store.load_feedback(1) == {"BV1": 1, "BV2": -1}
    clock.advance()
    store.add_feedback(1, "BV1", -1, None)          # no video: the stored one is kept
    assert store.load_feedback(1) == {"BV1": -1, "BV2": -1}
    pairs = store.feedback_videos(1)
    assert pairs == [(video, -1), (Video("BV2"), -1)]
    with pytest.raises(ValueError):
        store.add_feedback(1, "BV1", 0, None)
    with pytest.raises(ValueError):
        store.add_feedback(1, "BV1", True, None)
    with pytest.raises(ValueError):
        store.add_feedback(1, "BV1", 1, Video("BV9"))


def test_feedback_video_falls_back_to_behaviour_and_pool(store, clock):
    store.save_behaviour(1, [Video("BVB", title="watched")])
    store.save_pool(1, "feed", [Video("BVP", title="pooled")])
    store.add_feedback(1, "BVB", 1)
    clock.advance()
    store.add_feedback(1, "BVP", -1)
    assert store.feedback_videos(1) == [(Video("BVP", title="pooled"), -1),
                                        (Video("BVB", title="watched"), 1)]


def test_sent(store):
    store.record_sent(1, ["A", "B", "A"], "hot")
    store.record_sent(1, iter(["C"]), "digest")
    store.record_sent(1, [], "explore")
    assert store.sent_bvids(1, "hot") == {"A", "B"}
    assert store.sent_bvids(1, "digest") == {"C"}
    assert store.sent_bvids(1, "explore") == set()
    assert store.sent_bvids(1) == {"A", "B", "C"}
    assert store.sent_bvids(2) == set()
    with pytest.raises(ValueError):
        store.record_sent(1, ["A"], "")


def test_digest(store):
    assert store.get_digest(1) is None
    store.set_digest(1, "08:30", "Asia/Shanghai")
    assert store.get_digest(1) == DigestSetting("08:30", "Asia/Shanghai", None, False)
    store.mark_digest_sent(1, "2024-05-01")
    store.set_digest_paused(1, True)
    store.set_digest(1, "21:00", "Europe/Berlin")     # keeps last sent date and pause
    assert store.get_digest(1) == DigestSetting("21:00", "Europe/Berlin", "2024-05-01", True)
    store.set_digest(2, "07:00", "UTC")
    store.set_digest(3, None, "UTC")                  # off: not a digest user
    assert store.digest_users() == [
        (1, DigestSetting("21:00", "Europe/Berlin", "2024-05-01", True)),
        (2, DigestSetting("07:00", "UTC", None, False)),
    ]
    store.set_digest_paused(1, False)
    assert store.get_digest(1).paused is False
    assert store.get_digest(3) == DigestSetting(None, "UTC", None, False)
    store.set_digest_paused(99, True)                 # no digest: nothing happens
    assert store.get_digest(99) is None


@pytest.mark.parametrize("time_hhmm", ["24:00", "8:30", "08:60", "0830", ""])
def test_digest_rejects_bad_time(store, time_hhmm):
    with pytest.raises(ValueError):
        store.set_digest(1, time_hhmm, "UTC")


def test_digest_rejects_bad_zone_and_date(store):
    with pytest.raises(ValueError, match="time zone"):
        store.set_digest(1, "08:00", "Mars/Olympus")
    store.set_digest(1, "08:00", "UTC")
    with pytest.raises(ValueError):
        store.mark_digest_sent(1, "01/05/2024")


def test_models(store, clock, data_dir):
    assert store.latest_model(1) is None
    directory = store.model_dir(1)
    assert directory == data_dir / "models" / "1" and directory.is_dir()
    first = store.register_model(1, directory / "m1.keras", {"auc": 0.7}, 100)
    assert first == ModelRecord(1, directory / "m1.keras", clock.now, {"auc": 0.7}, 100)
    clock.advance(60)
    second = store.register_model(1, directory / "m2.keras",
                                  {"auc": np.float32(0.75), "n": np.int64(3)}, 120)
    latest = store.latest_model(1)
    assert latest == second
    assert latest.path == directory / "m2.keras"
    assert latest.metrics == pytest.approx({"auc": 0.75, "n": 3})
    assert json.dumps(dict(latest.metrics))
    assert latest.trained_at == clock.now
    assert store.latest_model(2) is None


def test_model_path_is_stored_relative_to_data_dir(tmp_path, key):
    old = tmp_path / "old"
    with Storage(old, key) as store:
        store.register_model(1, store.model_dir(1) / "m.keras", {}, 1)
    (tmp_path / "old").rename(tmp_path / "moved")
    with Storage(tmp_path / "moved", key) as store:
        assert store.latest_model(1).path == tmp_path / "moved" / "models" / "1" / "m.keras"


def test_reopen_keeps_data(open_store):
    with open_store() as store:
        store.ensure_user(1, "en")
        store.save_credentials(1, Credentials({"SESSDATA": "v"}, "r"))
        store.save_behaviour(1, [Video("BV1", view_at=1)])
    with open_store() as store:
        assert store.get_user(1).language == "en"
        assert store.load_credentials(1).refresh_token == "r"
        assert [v.bvid for v in store.load_behaviour(1)] == ["BV1"]


def test_closed_storage_raises_clearly(data_dir, key):
    store = Storage(data_dir, key)
    store.close()
    store.close()  # twice is fine
    with pytest.raises(StorageClosed):
        store.get_user(1)


def test_failed_write_rolls_back(store):
    store.save_behaviour(1, [Video("BV1", view_at=1)])
    unserialisable = Video("BV2", title=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        store.save_behaviour(9, [unserialisable])
    # the transaction had already created user 9; it was rolled back with the failure
    assert store.get_user(9) is None
    with pytest.raises(TypeError):
        store.save_behaviour(1, [Video("BV3", view_at=3), unserialisable])
    assert [v.bvid for v in store.load_behaviour(1)] == ["BV1"]
    store.save_behaviour(1, [Video("BV4", view_at=4)])    # the connection is still usable
    assert store.count_behaviour(1) == 2


def test_a_count_of_zero_survives_a_merge_and_none_keeps_the_known_count(store):
    store.save_behaviour(1, [Video("BV1", view_at=100, view=50, favorite=0, danmaku=3)])
    store.save_behaviour(1, [Video("BV1", view_at=100)])          # a re-sync without counts
    [video] = store.load_behaviour(1)
    assert (video.view, video.favorite, video.danmaku) == (50, 0, 3)
    store.save_behaviour(1, [Video("BV1", view_at=100, danmaku=0)])
    assert store.load_behaviour(1)[0].danmaku == 0


def test_a_lost_postgresql_connection_loses_no_write_and_reconnects(postgres_schema, data_dir,
                                                                     key):
    """The server ends the session mid-transaction: that write is gone as a whole, the caller
    gets StorageUnavailable, and the next call reconnects."""
    with Storage(data_dir, key, database_url=postgres_schema.url) as store:
        store.save_behaviour(1, [Video("BV1", view_at=1)])
        with pytest.raises(StorageUnavailable, match="connection was lost"):
            with store._write() as conn:
                conn.execute("INSERT INTO users (tg_id, created_at) VALUES (2, 0)")
                pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
                postgres_schema.terminate(pid)
                conn.execute("INSERT INTO users (tg_id, created_at) VALUES (3, 0)")
        assert store.get_user(2) is None and store.get_user(3) is None
        assert [v.bvid for v in store.load_behaviour(1)] == ["BV1"]


def test_an_unreachable_postgresql_is_a_clear_storage_error(data_dir, key, monkeypatch):
    from storage import backends

    monkeypatch.setattr(backends, "RECONNECT_PAUSE_S", 0.01)
    with pytest.raises(StorageUnavailable, match="unreachable after 3 tries") as caught:
        Storage(data_dir, key, database_url="postgresql://bilirec:s3cret@127.0.0.1:9/none")
    assert "s3cret" not in str(caught.value)
def test_watch_records_are_the_behaviour_fields_serving_reads(store):
    videos = [Video("BV2", title="标题 二", owner_mid=5, tname="游戏", duration=300,
                    view_at=200, progress=-1, liked=True, view=10, tags=("t",)),
              Video("BV1", title="one", owner_mid=6, tname="", duration=0, view_at=200,
                    progress=30, faved=True),
              Video("BV3", title="untimed", coined=True),          # a coin with no watch
              Video("BV0", owner_mid=0, view_at=100)]
    store.save_behaviour(1, videos)
    records = store.load_watch_records(1)
    assert [r.bvid for r in records] == ["BV3", "BV0", "BV1", "BV2"]   # (view_at, bvid)
    stored = {v.bvid: v for v in store.load_behaviour(1)}
    for record in records:
        video = stored[record.bvid]
        assert record[:-1] == tuple(getattr(video, name) for name in record._fields[:-1])
        assert record.title_tokens is None              # until the recommender stores some
    assert store.load_watch_records(2) == []


def test_title_tokens_are_kept_until_the_title_changes(store):
    store.save_behaviour(1, [Video("BV1", title="原神 攻略", view_at=10),
                             Video("BV2", title="old", view_at=20)])
    before = store.user_revisions(1)
    store.save_title_tokens(1, [("BV1", "原神 攻略", "tag 原神 攻略"),
                                ("BV2", "an older title", "tag older title"),  # changed since
                                ("BV9", "unknown", "tag unknown")])
    assert store.user_revisions(1) == before          # the same records: no revision bump
    tokens = {r.bvid: r.title_tokens for r in store.load_watch_records(1)}
    assert tokens == {"BV1": "tag 原神 攻略", "BV2": None}
    store.save_behaviour(1, [Video("BV1", title="原神 攻略", view_at=10, progress=-1),
                             Video("BV2", title="new", view_at=20)])
    store.save_title_tokens(1, [("BV2", "new", "tag new")])
    store.save_behaviour(1, [Video("BV2", title="newer", view_at=20)])
    tokens = {r.bvid: r.title_tokens for r in store.load_watch_records(1)}
    assert tokens == {"BV1": "tag 原神 攻略", "BV2": None}   # kept; dropped with its title
