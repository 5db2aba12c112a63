"""One sync per user at a time; /logout cancels it and nothing reaches the erased user; old
buttons after /logout write nothing; a damaged model file means fallback and a retrain."""
from __future__ import annotations

import logging
import threading

from tests.bot.conftest import FOOD_MID, Chat, buttons, bvids
from tests.bot.test_faults import seed_login, wait_until
from tests.fakes.fake_bilibili import make_video

USER = 5150
SMALL_MID = 1003  # few records: training answers at once (no TensorFlow run)


def small_account(fake) -> None:
    fake.add_account(SMALL_MID, "small", history=[make_video(300 + i, view_at=1_700_000_000 - i,
                                                             progress=-1) for i in range(5)])


def gate_history(runner) -> tuple[threading.Event, list]:
    """History fetches wait until the returned event is set (a sync held mid-way); the list
    counts the fetches."""
    gate, original, fetches = threading.Event(), runner.client.history, []

    def held(*args, **kwargs):
        fetches.append(1)
        gate.wait(60)
        return original(*args, **kwargs)
    runner.client.history = held
    return gate, fetches


def test_ten_syncs_give_one(tg, fake, start_bot):
    small_account(fake)
    runner = start_bot()
    seed_login(runner, fake, USER, SMALL_MID)
    gate, fetches = gate_history(runner)
    chat = Chat(tg, USER)
    since = chat.mark()
    for _ in range(10):
        tg.send_text(USER, "/sync")
    busy = chat.wait_new(since, "已经在同步了", count=9)
    assert all("秒前开始" in m.text for m in busy)
    assert len(chat.wait_new(since, "同步并重新训练")) == 1
    gate.set()
    chat.wait_new(since, "数据已同步")
    wait_until(lambda: not runner.call(lambda: runner.services.sync.busy(USER)))
    assert len(fetches) == 1
    assert len([m for m in chat.messages()[since:] if "数据已同步" in m.text]) == 1
    # once done, a new /sync runs again
    chat.ask("/sync", "同步并重新训练")


def test_logout_cancels_the_sync_and_nothing_is_sent_afterwards(tg, fake, start_bot):
    small_account(fake)
    runner = start_bot()
    seed_login(runner, fake, USER, SMALL_MID)
    gate, _ = gate_history(runner)
    chat = Chat(tg, USER)
    chat.ask("/sync", "同步并重新训练")
    chat.log_out()
    after_logout = chat.mark()
    gate.set()
    wait_until(lambda: not runner.call(lambda: runner.services.sync.busy(USER)))
    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(USER)) is None
    assert runner.call(lambda: storage.count_behaviour(USER)) == 0
    assert chat.messages()[after_logout:] == []


def test_buttons_after_logout_write_nothing(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    hot = chat.ask("/hot 3", "热门")
    (_, up), = [b for b in buttons(hot) if b[0].startswith("1 👍")]
    tg.press_button(USER, hot.message_id, up)
    tg.wait_for(lambda _: len(tg.callback_answers) == 1, USER)
    assert "已记录" in tg.callback_answers[0].text
    chat.log_out()                                   # its erase button is answered too
    answers = len(tg.callback_answers)
    tg.press_button(USER, hot.message_id, up)
    tg.wait_for(lambda _: len(tg.callback_answers) > answers, USER)
    assert "你已退出" in tg.callback_answers[-1].text
    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(USER)) is None
    assert runner.call(lambda: storage.load_feedback(USER)) == {}


def test_anonymous_hot_buttons_still_record(tg, fake, start_bot):
    runner = start_bot()
    chat = Chat(tg, USER)
    hot = chat.ask("/hot 3", "热门")
    tg.press_button(USER, hot.message_id, f"fb:-:{bvids(hot)[0]}")
    tg.wait_for(lambda _: len(tg.callback_answers) == 1, USER)
    assert "已记录" in tg.callback_answers[0].text
    assert runner.call(lambda: runner.services.storage.load_feedback(USER)) == {
        bvids(hot)[0]: -1}


def test_damaged_model_file_falls_back_and_schedules_a_retrain(tg, fake, start_bot, caplog):
    caplog.set_level(logging.INFO)
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    storage = runner.services.storage
    path = runner.call(lambda: storage.model_dir(USER)) / "model-broken.npz"
    path.write_bytes(b"PK\x03\x04 truncated")
    runner.call(lambda: storage.register_model(USER, path, {"auc": 0.9}, 60))
    chat = Chat(tg, USER)
    hot = chat.ask("/hot 5", "热门")
    assert len(bvids(hot)) == 5 and "尚无个人模型" in hot.text
    assert path.with_name(path.name + ".broken").exists() and not path.exists()
    wait_until(lambda: f"user {USER}: retraining" in caplog.text)
    assert len(bvids(Chat(tg, USER + 1).ask("/hot 5", "热门"))) == 5  # others untouched
