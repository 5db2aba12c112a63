"""The sync fills the counts the watch history lacks (fav/resource/infos) and stores the popular
list as pool negatives: SyncService with the real client, storage and fake Bilibili over HTTP;
only the recommender is a stand-in (it records what training would see)."""
from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Callable
from urllib.parse import unquote

import pytest

from bilibili import BilibiliClient, VideoStats
from bot.services.accounts import Accounts
from bot.services.enrich import Enricher, apply_stats, merge_by_bvid
from bot.services.executors import BilibiliCalls
from bot.services.popular import PopularCache
from bot.services.sync import SyncAborted, SyncService
from domain import Video
from storage import Storage, load_or_create_key
from tests.fakes.fake_bilibili import FakeBilibili, make_video

PATH = "/x/v3/fav/resource/infos"
POPULAR_PATH = "/x/web-interface/popular"
USER, MID = 4242, 5151
NOW = 1_751_673_600


class StandInRecommender:
    """Records the behaviour and pool training would read; accepts nothing."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.seen: list[tuple[list[Video], list[Video]]] = []

    def train(self, tg_id: int, progress=None, *, commit=None):
        if progress is not None:  # as the real one: from its thread, queue place then epochs
            progress("queued", 1, 0)
            progress("training", 3, 40)
        self.seen.append((self.storage.load_behaviour(tg_id), self.storage.load_pool(tg_id)))
        return SimpleNamespace(n_records=0, accepted=False, metrics={}, message="stand-in")

    async def train_async(self, tg_id: int, progress=None, *, commit=None):
        return await asyncio.to_thread(self.train, tg_id, progress, commit=commit)

    def prepare(self, tg_id: int) -> None:
        raise AssertionError("nothing was accepted")

    def forget(self, tg_id: int) -> None:
        pass


@dataclass
class Pauses:
    """The injected sleep: records (seconds, resource requests so far), runs an optional hook."""

    fake: FakeBilibili
    seen: list[tuple[float, int]] = field(default_factory=list)
    hook: Callable[[], None] | None = None

    async def __call__(self, seconds: float) -> None:
        self.seen.append((seconds, self.fake.count(PATH)))
        if self.hook is not None:
            self.hook()


@dataclass
class Rig:
    fake: FakeBilibili
    storage: Storage
    client: BilibiliClient
    sync: SyncService
    recommender: StandInRecommender
    pauses: Pauses

    def run(self):
        return asyncio.run(self.sync.sync_and_train(USER))

    def asked(self) -> list[list[int]]:
        """The aids of every resource-infos request, in order."""
        return [[int(r.split(":")[0]) for r in params["resources"].split(",")]
                for _, path, params in self.fake.requests if path == PATH]

    def stored(self) -> dict[str, Video]:
        return {v.bvid: v for v in self.storage.load_behaviour(USER)}


def history(n: int, start: int = 0) -> list[Video]:
    """n watched videos, newest first; the fake serves them without counts, as Bilibili does."""
    return [make_video(start + i, view_at=NOW - 60 * i, progress=-1) for i in range(n)]


@pytest.fixture
def fake():
    with FakeBilibili(slow_seconds=0.8) as server:
        server.popular = [make_video(5000 + j) for j in range(30)]
        yield server


@pytest.fixture
def rig_for(fake, tmp_path):
    """rig_for(history, chunk=40, pace_s=0, cap=1000, favourites=()) -> a Rig for USER."""
    made = []

    def build(watched, *, chunk=40, pace_s=0.0, cap=1000, favourites=()) -> Rig:
        fake.add_account(MID, "同步测试", history=watched, favourites=favourites,
                         invalid_favourites=0, feed=[make_video(7000 + j) for j in range(10)])
        data_dir = tmp_path / "data"
        storage = Storage(data_dir, load_or_create_key(data_dir, None))
        client = BilibiliClient(fake.url, fake.url, fake.url, timeout=0.3, max_retries=1,
                                backoff=0.01, refresh_public_key_pem=fake.public_key_pem)
        storage.save_credentials(USER, fake.credentials_for(MID))
        storage.set_bilibili_account(USER, MID, "同步测试")
        recommender = StandInRecommender(storage)
        pauses = Pauses(fake)
        enricher = Enricher(storage, client, chunk=chunk, pace_s=pace_s, cap=cap, sleep=pauses,
                            rng=random.Random(1))
        popular = PopularCache(lambda: client.popular(pages=1, page_size=50), 600.0)
        sync = SyncService(storage, client, recommender,
                           Accounts(storage, client, BilibiliCalls(4, 2), refresh_check_s=3600),
                           history_cap=1000, enricher=enricher, popular=popular)
        rig = Rig(fake, storage, client, sync, recommender, pauses)
        made.append(rig)
        return rig

    yield build
    for rig in made:
        rig.client.close()
        rig.storage.close()


def counts(video: Video) -> tuple:
    return video.view, video.favorite, video.danmaku


def test_history_gets_counts_in_chunks(rig_for):
    watched = history(95)
    rig = rig_for(watched, chunk=40)
    rig.run()
    assert [len(aids) for aids in rig.asked()] == [40, 40, 15]
    assert [aid for aids in rig.asked() for aid in aids] == [v.aid for v in watched]  # newest first
    stored = rig.stored()
    for video in watched:
        got = stored[video.bvid]
        assert counts(got) == counts(video) and got.like is None and got.coin is None
        assert (got.pubdate, got.duration, got.owner_name) == \
            (video.pubdate, video.duration, video.owner_name)
        assert (got.view_at, got.progress) == (video.view_at, -1)
    behaviour, _ = rig.recommender.seen[-1]
    assert all(v.view is not None for v in behaviour)  # training saw the counts


def test_records_with_counts_are_not_asked(rig_for):
    watched = history(30)
    rig = rig_for(watched, favourites=watched[:10])  # the folder list carries counts
    rig.run()
    assert sorted(aid for aids in rig.asked() for aid in aids) == \
        sorted(v.aid for v in watched[10:])


def test_each_video_asked_once_and_counts_survive_resync(rig_for, fake):
    watched = history(50)
    fake.hide_video(watched[7].bvid)  # deleted since it was watched: attr 1
    rig = rig_for(watched, chunk=40)
    rig.run()
    assert len(rig.asked()) == 2
    gone = rig.stored()[watched[7].bvid]
    assert gone.view is None and gone.title == watched[7].title  # kept, counts left missing
    first = rig.stored()

    rig.run()  # the same history again, without counts
    assert len(rig.asked()) == 2  # nothing new asked, the gone video neither
    assert rig.stored() == first
    assert counts(rig.stored()[watched[0].bvid]) == counts(watched[0])

    fake.add_account(MID, "同步测试", history=history(55), invalid_favourites=0)
    rig.storage.save_credentials(USER, fake.credentials_for(MID))
    rig.run()  # five newly watched videos: only they are asked
    assert rig.asked()[2:] == [[v.aid for v in history(55)[50:]]]


@pytest.mark.parametrize("kind", ["500", "badjson", "slow"])
def test_a_failed_chunk_leaves_its_records_and_is_retried_next_sync(rig_for, fake, caplog, kind):
    watched = history(100)
    rig = rig_for(watched, chunk=40)
    fake.fail(PATH, kind, times=rig.client.max_retries + 1)  # the whole first chunk fails
    caplog.set_level(logging.WARNING, logger="bot.services.enrich")
    result = rig.run()
    assert result.message == "stand-in"
    stored = rig.stored()
    assert all(stored[v.bvid].view is None for v in watched[:40])
    assert all(counts(stored[v.bvid]) == counts(v) for v in watched[40:])
    assert any("counts of 40 videos not read" in r.getMessage() for r in caplog.records)

    before = len(rig.asked())
    rig.run()
    assert rig.asked()[before:] == [[v.aid for v in watched[:40]]]
    assert all(counts(rig.stored()[v.bvid]) == counts(v) for v in watched)


@pytest.mark.parametrize("kind", ["-352", "-412", "412"])
def test_risk_control_stops_enrichment_for_this_sync(rig_for, fake, kind):
    watched = history(100)
    rig = rig_for(watched, chunk=40)
    fake.fail(PATH, kind)
    rig.run()
    assert fake.count(PATH) == 1  # no further chunk, no retry
    assert all(v.view is None for v in rig.stored().values())
    rig.run()  # the next sync asks again
    assert [len(aids) for aids in rig.asked()[1:]] == [40, 40, 20]


def test_pauses_between_chunks_not_after_the_last(rig_for):
    rig = rig_for(history(100), chunk=40, pace_s=2.0)
    rig.run()
    assert [requests for _, requests in rig.pauses.seen] == [1, 2]  # after chunk 1 and 2 only
    assert all(2.0 <= seconds <= 3.0 for seconds, _ in rig.pauses.seen)
    rig.run()  # nothing to ask: no pause either
    assert len(rig.pauses.seen) == 2


def test_no_pause_for_a_single_chunk_or_pace_zero(rig_for):
    rig = rig_for(history(100), chunk=40, pace_s=0.0)
    rig.run()
    assert len(rig.asked()) == 3 and rig.pauses.seen == []


def test_cap_bounds_each_sync(rig_for):
    watched = history(95)
    rig = rig_for(watched, chunk=40, cap=50)
    rig.run()
    assert [len(aids) for aids in rig.asked()] == [40, 10]
    rig.run()
    assert [len(aids) for aids in rig.asked()] == [40, 10, 40, 5]
    assert all(counts(rig.stored()[v.bvid]) == counts(v) for v in watched)


def test_cap_zero_turns_enrichment_off(rig_for):
    rig = rig_for(history(10), cap=0)
    rig.run()
    assert rig.asked() == [] and all(v.view is None for v in rig.stored().values())


def test_logout_during_enrichment_stops_its_requests(rig_for, fake):
    rig = rig_for(history(100), chunk=40, pace_s=1.0)
    rig.pauses.hook = lambda: rig.sync.cancel(USER)  # /logout during the first pause
    with pytest.raises(SyncAborted):
        rig.run()
    assert fake.count(PATH) == 1
    assert rig.storage.count_behaviour(USER) == 0  # nothing written after the cancel
    assert rig.storage.stats_looked_up(USER, [v.aid for v in history(100)]) == set()


def test_popular_list_is_stored_as_pool_before_training(rig_for, fake):
    rig = rig_for(history(20))
    rig.run()
    _, pool = rig.recommender.seen[-1]
    pool_bvids = {v.bvid for v in pool}
    assert {v.bvid for v in fake.popular} <= pool_bvids
    assert {make_video(7000 + j).bvid for j in range(10)} <= pool_bvids  # the feed too
    fetches = fake.count(POPULAR_PATH)
    rig.run()
    assert fake.count(POPULAR_PATH) == fetches  # within the cache window: not fetched again


def test_popular_failure_does_not_fail_the_sync(rig_for, fake):
    rig = rig_for(history(20))
    fake.fail(POPULAR_PATH, "500", times=10)
    result = rig.run()
    assert result.message == "stand-in"
    _, pool = rig.recommender.seen[-1]
    assert {v.bvid for v in pool} == {make_video(7000 + j).bvid for j in range(10)}
    assert all(v.view is not None for v in rig.stored().values())


def test_no_secret_in_enrichment_logs(rig_for, fake, caplog):
    caplog.set_level(logging.DEBUG)
    rig = rig_for(history(100), chunk=40)
    creds = fake.credentials_for(MID)
    fake.fail(PATH, "500", times=2)
    fake.fail(PATH, "-412")
    rig.run()
    rig.run()
    secrets = {creds.refresh_token, *(creds.cookies[n] for n in
                                      ("SESSDATA", "bili_jct", "DedeUserID__ckMd5", "sid"))}
    secrets |= {unquote(s) for s in secrets}
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/x/v3/fav/resource/infos" in text
    assert not [s for s in secrets if s and s in text]
    assert all("SESSDATA" not in r.cookie_names for r in fake.request_log if r.path == PATH)


def test_apply_stats_fills_only_what_is_missing():
    record = Video("BV1", aid=5, title="历史标题", duration=0, owner_name="", view_at=9, progress=3)
    stats = VideoStats(aid=5, bvid="BV1", title="别的标题", owner_mid=7, owner_name="UP",
                       duration=300, pubdate=11, cover="c", view=100, favorite=2, danmaku=0)
    filled = apply_stats(record, stats)
    assert (filled.view, filled.favorite, filled.danmaku, filled.like) == (100, 2, 0, None)
    assert (filled.title, filled.duration, filled.owner_mid, filled.owner_name, filled.pubdate) \
        == ("历史标题", 300, 7, "UP", 11)
    assert (filled.view_at, filled.progress) == (9, 3)
    assert apply_stats(filled, VideoStats(aid=5, view=1, favorite=1, danmaku=1)) == filled
    assert apply_stats(record, VideoStats(aid=5, gone=True)) == record


def test_merge_by_bvid_keeps_order_and_merges():
    a, b = Video("BV1", aid=1, view_at=5), Video("BV2", aid=2)
    merged = merge_by_bvid([a, b, Video("BV1", aid=1, view=10, faved=True)])
    assert [v.bvid for v in merged] == ["BV1", "BV2"]
    assert (merged[0].view, merged[0].faved, merged[0].view_at) == (10, True, 5)


def test_a_sync_reports_each_stage_in_order(rig_for):
    from bot.services.sync import Stage

    rig = rig_for(history(95), chunk=40)
    stages: list[Stage] = []
    seen_by_status: list[Stage | None] = []

    def observer(stage: Stage) -> None:
        stages.append(stage)
        seen_by_status.append(rig.sync.stage(USER))

    asyncio.run(rig.sync.sync_and_train(USER, observer))
    names = [stage.name for stage in stages]
    order = ["history", "favourites", "coins_likes", "feed", "counts", "queued", "training"]
    assert [name for name in dict.fromkeys(names)] == order
    history_stages = [s for s in stages if s.name == "history"]
    assert history_stages[0] == Stage("history", 0, 1000)
    assert history_stages[-1] == Stage("history", 95, 1000)  # records read of at most the cap
    assert [(s.done, s.total) for s in stages if s.name == "counts"] == [
        (0, 95), (40, 95), (80, 95), (95, 95)]
    assert stages[-2:] == [Stage("queued", 1, 0), Stage("training", 3, 40)]
    assert seen_by_status == stages                   # /status sees the latest stage
    assert rig.sync.stage(USER) is None               # nothing runs any more


def test_a_failing_observer_never_breaks_the_sync(rig_for):
    rig = rig_for(history(10))

    def observer(stage) -> None:
        raise RuntimeError("a broken progress display")

    result = asyncio.run(rig.sync.sync_and_train(USER, observer))
    assert result.n_records == 10
