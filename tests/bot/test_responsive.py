"""A slow Bilibili never holds up another user: its calls have their own threads, at most
BILIREC_BILIBILI_PER_USER at once per user (bot.services.executors). The fake Bilibili holds the
feed requests until the test releases them, so "slow" needs no timing."""
from __future__ import annotations

from tests.bot.conftest import Chat, FOOD_MID
from tests.bot.test_faults import FEED_PATH, seed_login, wait_until
from tests.fakes.fake_bilibili import make_video

USER = 42
OTHERS = range(3001, 3021)          # 20 users, each with a Bilibili account of the same id


def add_others(fake) -> None:
    for mid in OTHERS:
        fake.add_account(mid, f"other{mid}", feed=[make_video(20_000 + 40 * (mid % 100) + j)
                                                   for j in range(30)])


def test_status_answers_while_twenty_bilibili_calls_hang(tg, fake, start_bot):
    add_others(fake)
    runner = start_bot()
    for tg_id in OTHERS:
        seed_login(runner, fake, tg_id, tg_id)
    seed_login(runner, fake, USER, FOOD_MID)
    held = fake.hold(FEED_PATH)
    chats = [Chat(tg, tg_id) for tg_id in OTHERS]
    asked = [chat.send("/explore 5") for chat in chats]
    held.wait_held(len(OTHERS))                 # 20 feed requests in flight, all hanging
    Chat(tg, USER).ask("/status", "记录")        # answered now, not after Bilibili
    assert held.held == len(OTHERS)             # ... while every one of them still hangs
    held.release()
    for chat, since in zip(chats, asked):
        chat.wait_any(lambda m: m.message_id > since and "BV" in (m.text or ""))


def test_one_user_runs_at_most_two_bilibili_calls_at_once(tg, fake, start_bot):
    add_others(fake)
    runner = start_bot(BILIREC_BILIBILI_PER_USER="2")
    first, second = OTHERS[0], OTHERS[1]
    for tg_id in (first, second):
        seed_login(runner, fake, tg_id, tg_id)
    held = fake.hold(FEED_PATH)
    busy = Chat(tg, first)
    for _ in range(5):
        busy.send("/explore 5")
    held.wait_held(2)
    calls = runner.services.calls
    # the third call waits for a slot on the event loop, holding no thread (the fourth and
    # fifth wait behind it for the user's cookie check)
    wait_until(lambda: runner.call(lambda: calls.waiting(first)) >= 1)
    Chat(tg, second).send("/explore 5")
    held.wait_held(3)                           # another user is not queued behind them
    assert held.by_mid[first] == 2 and held.by_mid[second] == 1
    held.release()
    busy.tg.wait_for(lambda msgs: sum("BV" in (m.text or "") for m in msgs) >= 5, first,
                     timeout=30)
    assert held.most_by_mid[first] == 2
