"""A new login while the old login's sync still runs: the old sync writes nothing more and
erases nothing, so the new login (its user row, credentials, records) stays, with nothing of
the old account in it; a training of the old sync that ends late is discarded with its files."""
from __future__ import annotations

import concurrent.futures
import threading
from pathlib import Path

from recommender.training import TrainingResult, plan_path_for, vocab_path_for
from tests.bot.conftest import FOOD_MID, Chat
from tests.bot.test_faults import wait_until
from tests.bot.test_journey import qr_login
from tests.fakes.fake_bilibili import make_video

USER = 6120
OLD_MID, NEW_MID = 1003, 1004  # few records each: their syncs train nothing
HISTORY = "/x/web-interface/history/cursor"
EXPIRED = "登录已失效"
SYNCED = "数据已同步"


def two_small_accounts(fake) -> tuple[set[str], set[str]]:
    """Two accounts with 5 distinct history records each; returns their BV ids."""
    videos = {}
    for mid, start in ((OLD_MID, 300), (NEW_MID, 400)):
        videos[mid] = [make_video(start + i, view_at=1_700_000_000 - i, progress=-1)
                       for i in range(5)]
        fake.add_account(mid, f"small{mid}", history=videos[mid])
    return ({v.bvid for v in videos[OLD_MID]}, {v.bvid for v in videos[NEW_MID]})


def new_sync_outcome(chat: Chat, since: int) -> str:
    """The text of the messages since ``since`` once the new login's sync said how it went
    (records synced, or the login gone)."""
    def told(msgs) -> bool:
        return any(word in (m.text or "") for m in msgs[since:] for word in (SYNCED, EXPIRED))
    chat.tg.wait_for(told, chat.user_id, timeout=60)
    return "\n".join(m.text or "" for m in chat.messages()[since:])


def synced(runner) -> bool:
    return not runner.call(lambda: runner.services.sync.busy(USER))


def assert_logged_in_as(runner, mid: int) -> None:
    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(USER)).mid == mid
    assert runner.call(lambda: storage.load_credentials(USER)).mid == mid


def test_switching_account_during_a_slow_history_fetch_keeps_the_new_login(tg, fake,
                                                                            start_bot):
    old, new = two_small_accounts(fake)
    runner = start_bot()
    chat = Chat(tg, USER)
    held = fake.hold(HISTORY)
    qr_login(chat, fake, runner, OLD_MID, wait_model=False)
    held.wait_held(1)                       # the old account's sync waits for its history
    since = chat.mark()
    qr_login(chat, fake, runner, NEW_MID, wait_model=False)
    held.release()
    told = new_sync_outcome(chat, since)
    assert SYNCED in told and EXPIRED not in told
    wait_until(lambda: synced(runner))
    assert_logged_in_as(runner, NEW_MID)
    stored = {v.bvid for v in runner.call(lambda: runner.services.storage.load_behaviour(USER))}
    assert stored == new and not stored & old


def test_logout_and_login_during_a_slow_history_fetch_keeps_the_new_login(tg, fake,
                                                                          start_bot):
    _, new = two_small_accounts(fake)
    runner = start_bot()
    chat = Chat(tg, USER)
    held = fake.hold(HISTORY)
    qr_login(chat, fake, runner, NEW_MID, wait_model=False)
    held.wait_held(1)
    chat.log_out()
    since = chat.mark()
    qr_login(chat, fake, runner, NEW_MID, wait_model=False)   # the same account again
    held.release()
    told = new_sync_outcome(chat, since)
    assert SYNCED in told and EXPIRED not in told
    wait_until(lambda: synced(runner))
    assert_logged_in_as(runner, NEW_MID)
    stored = {v.bvid for v in runner.call(lambda: runner.services.storage.load_behaviour(USER))}
    assert stored == new


class HeldTraining:
    """The recommender's worker pool: the first job waits until ``finish`` writes a model
    into its folder (as the worker would); later jobs train nothing."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.first: concurrent.futures.Future | None = None
        self.out_dir: Path | None = None

    def submit(self, _fn, _data, out_dir, *_args) -> concurrent.futures.Future:
        future = concurrent.futures.Future()
        if self.first is None:
            self.first, self.out_dir = future, Path(out_dir)
            self.started.set()
        else:
            future.set_result(TrainingResult(False, "not trained", {}, 0))
        return future

    def finish(self) -> Path:
        """The held job ends with a new model; returns its path."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        model = self.out_dir / "model-late.npz"
        for path in (model, vocab_path_for(model), plan_path_for(model)):
            path.write_bytes(b"late")
        self.first.set_result(TrainingResult(True, "trained", {"served": "model"}, 60,
                                             str(model), str(vocab_path_for(model))))
        return model


def test_logout_and_login_during_training_discards_the_late_model(tg, fake, start_bot):
    runner = start_bot()
    training = HeldTraining()
    runner.services.recommender._pool = lambda: training
    chat = Chat(tg, USER)
    qr_login(chat, fake, runner, FOOD_MID, wait_model=False)
    assert training.started.wait(60)           # the sync's training runs in the "worker"
    chat.log_out()                             # neither waits for the training
    since = chat.mark()
    qr_login(chat, fake, runner, FOOD_MID, wait_model=False)
    late = training.finish()
    told = new_sync_outcome(chat, since)       # the new login's own sync and training
    assert SYNCED in told and EXPIRED not in told
    wait_until(lambda: synced(runner))
    assert_logged_in_as(runner, FOOD_MID)
    storage = runner.services.storage
    assert runner.call(lambda: storage.latest_model(USER)) is None
    assert runner.call(lambda: storage.count_behaviour(USER)) > 0
    assert not [p for p in (late, vocab_path_for(late), plan_path_for(late)) if p.exists()]


def test_logout_during_training_leaves_no_trace_of_the_late_model(tg, fake, start_bot, env):
    runner = start_bot()
    training = HeldTraining()
    runner.services.recommender._pool = lambda: training
    chat = Chat(tg, USER)
    qr_login(chat, fake, runner, FOOD_MID, wait_model=False)
    assert training.started.wait(60)
    chat.log_out()
    after_logout = chat.mark()
    training.finish()
    wait_until(lambda: synced(runner))
    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(USER)) is None
    assert runner.call(lambda: storage.latest_model(USER)) is None
    assert not [p for p in Path(env["BILIREC_DATA_DIR"]).rglob("*") if str(USER) in str(p)]
    assert not [m for m in chat.messages()[after_logout:] if not m.edited]   # nothing new sent
