"""Impressions end to end: /hot, /explore and digests log what they show; /logout erases it;
/status tells the last week's hit rate once shown videos turn up in the synced history."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from bot.jobs import send_digest
from tests.bot.conftest import Chat, bvids, open_storage
from tests.fakes.fake_bilibili import make_video

USER = 616161
SMALL_MID = 1003   # an account with too little history to train: lists stay content-ranked


class LoggedLists:
    """Spy on Storage.record_impressions: the channels logged, and a wait for the n-th one."""

    def __init__(self, storage, monkeypatch) -> None:
        self.channels: list[str] = []
        self._cond = threading.Condition()
        original = storage.record_impressions

        def record(tg_id, channel, ranker, items):
            original(tg_id, channel, ranker, items)
            with self._cond:
                self.channels.append(channel)
                self._cond.notify_all()
        monkeypatch.setattr(storage, "record_impressions", record)

    def wait(self, count: int, timeout: float = 20.0) -> list[str]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.channels) >= count, timeout), \
                f"only {self.channels} logged"
            return list(self.channels)


def seed_small_login(runner, fake) -> object:
    """A live login of SMALL_MID (5 watches) stored directly: no QR flow, no training."""
    now = int(time.time())
    account = fake.add_account(
        SMALL_MID, "small", history=[make_video(9000 + k, view_at=now - 3600 * (k + 1),
                                                progress=-1) for k in range(5)],
        feed=[make_video(9100 + j) for j in range(40)])
    storage = runner.services.storage

    def seed():
        storage.ensure_user(USER)
        storage.save_credentials(USER, fake.credentials_for(SMALL_MID))
        storage.set_bilibili_account(USER, SMALL_MID, "small")
    runner.call(seed)
    return account


def shown(impressions, channel: str) -> list[tuple[int, str]]:
    return [(i.position, i.bvid) for i in impressions if i.channel == channel]


def test_lists_log_their_impressions_and_logout_erases_them(tg, fake, env, start_bot,
                                                            monkeypatch):
    runner = start_bot()
    storage = runner.services.storage
    logged = LoggedLists(storage, monkeypatch)
    chat = Chat(tg, USER)
    assert bvids(chat.ask("/hot 3", "热门"))            # no user yet: not logged
    seed_small_login(runner, fake)
    hot = bvids(chat.ask("/hot 5", "热门"))
    assert logged.wait(1) == ["hot"]
    explore = bvids(chat.ask("/explore 4", "探索"))
    assert logged.wait(2) == ["hot", "explore"]

    impressions = storage.load_impressions(USER)
    assert shown(impressions, "hot") == list(enumerate(hot))
    assert shown(impressions, "explore") == list(enumerate(explore))
    assert {(i.ranker, i.score is not None) for i in impressions} == {("content", True)}
    assert all(0.0 <= i.score <= 1.0 and i.video.title for i in impressions)

    chat.log_out()
    runner.stop()
    assert logged.channels == ["hot", "explore"]
    after = open_storage(Path(env["BILIREC_DATA_DIR"]))
    try:
        assert after.load_impressions(USER) == []
    finally:
        after.close()


def test_a_digest_logs_both_lists_on_the_digest_channel(tg, fake, start_bot):
    runner = start_bot()
    seed_small_login(runner, fake)
    storage = runner.services.storage
    runner.call(lambda: storage.set_digest(USER, "08:00", "Asia/Shanghai"))
    chat = Chat(tg, USER)
    since = chat.send("/start")                         # the chat must exist to be written to
    chat.wait_new(since, "/help")
    assert runner.call(send_digest(runner.services, runner.application.bot, USER)) is True
    hot_part, explore_part = [m for m in tg.messages(USER)[since:] if "📬" in (m.text or "")]
    impressions = storage.load_impressions(USER)
    assert {i.channel for i in impressions} == {"digest"}
    assert [(i.position, i.bvid) for i in impressions] == \
        list(enumerate(bvids(hot_part))) + list(enumerate(bvids(explore_part)))


def test_status_tells_the_hit_rate_of_the_last_week(tg, fake, start_bot, monkeypatch):
    runner = start_bot()
    account = seed_small_login(runner, fake)
    logged = LoggedLists(runner.services.storage, monkeypatch)
    chat = Chat(tg, USER)
    assert "过去 7 天" not in chat.ask("/status", "状态").text   # nothing shown yet
    hot = bvids(chat.ask("/hot 10", "热门"))
    logged.wait(1)
    assert "过去 7 天推荐的视频中你看了 0/10（0%）" in chat.ask("/status", "状态").text

    watched_at = int(time.time()) + 60
    account.history = [*account.history,
                       *[make_video(9000, bvid=bvid, view_at=watched_at, progress=-1)
                         for bvid in hot[:3]]]
    result = runner.call(runner.services.sync.sync_and_train(USER))
    assert result.n_records == 8 and not result.accepted        # synced; too little to train
    english = Chat(tg, USER, language_code="en")
    status = english.ask("/status", "Status").text
    assert "Of the videos recommended in the last 7 days you watched 3 of 10 (30 %)" in status
    # too few engaged watches: the content ranker serves, and /status says why
    assert "the content ranker: too few finished or liked videos yet" in status
    assert "50 needed" in status
