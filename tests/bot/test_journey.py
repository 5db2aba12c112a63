"""One user's whole journey through the real bot, the fake Telegram and the fake Bilibili:
/login → scan → confirm → model ready → /hot → /explore → 👎 → /hot without it → /digest →
digest arrives → restart → digest job and login survive → /logout → nothing of the user left."""
from __future__ import annotations

import re
import time
from pathlib import Path
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bilibili.errors import NotLoggedIn
from bot.handlers.login import qr_png
from tests.bot.conftest import FOOD_MID, Chat, buttons, bvids, feed_of, open_storage

USER = 424242
MODEL_READY_TIMEOUT = 240


def qr_login(chat: Chat, fake, runner, mid: int, *, wait_model: bool = True):
    """Log chat's user in as Bilibili account mid through the QR flow; returns the photo."""
    since = chat.send("/login")
    photo = chat.tg.wait_for(lambda msgs: any(m.photo for m in msgs[since:]), chat.user_id,
                             timeout=20)
    photo = [m for m in chat.messages()[since:] if m.photo][-1]
    key = fake.last_qrcode_key
    fake.scan(key)
    chat.wait_any(lambda m: m.message_id == photo.message_id and "已扫码" in (m.text or ""))
    fake.confirm(key, mid)
    chat.wait_new(since, "你好")
    if wait_model:
        chat.wait_new(since, "已就绪", timeout=MODEL_READY_TIMEOUT)
    return photo


def test_journey(tg, fake, env, start_bot):
    data_dir = env["BILIREC_DATA_DIR"]
    runner = start_bot()
    chat = Chat(tg, USER)

    help_text = chat.ask("/help", "/login").text
    for command in ("/hot", "/explore", "/digest", "/status", "/sync", "/logout"):
        assert command in help_text

    # /login: the photo encodes exactly the URL Bilibili returned
    since = chat.mark()
    photo = qr_login(chat, fake, runner, FOOD_MID, wait_model=False)
    assert photo.photo == qr_png(runner.client.qr_codes[-1].url)
    assert photo.photo.startswith(b"\x89PNG")
    greeting = chat.wait_new(since, "你好")[0]
    assert "美食家&lt;&amp;&gt;" in greeting.text  # the Bilibili name, escaped
    ready = chat.wait_new(since, "已就绪", timeout=MODEL_READY_TIMEOUT)[0]
    records = int(re.search(r"(\d+) 条记录", ready.text).group(1))
    assert records >= 60
    assert "你跳过的视频" in ready.text    # which ranker serves and how it did, in words
    assert "你的口味（来自" in ready.plain_text and "常看分区：美食制作" in ready.plain_text
    # one status message: the greeting, edited through the stages into "ready"
    assert ready.message_id == greeting.message_id and ready.edited
    versions = [v.plain_text for v in ready.history]
    assert any("正在读取观看历史" in v for v in versions)
    assert any("训练" in v for v in versions)
    assert all(a != b for a, b in zip(versions, versions[1:] + [ready.plain_text]))
    photo_now = next(m for m in chat.messages() if m.message_id == photo.message_id)
    assert "登录成功" in photo_now.text and photo_now.edited

    # /hot: ranked, rated, linked, with 👍/👎 buttons carrying the BV ids
    hot = chat.ask("/hot 8", "热门")
    hot_ids = bvids(hot)
    assert len(hot_ids) == 8
    assert set(hot_ids) <= {v.bvid for v in fake.popular}
    ratings = [int(r) for r in re.findall(r"推荐指数 (\d+)", hot.text)]
    assert ratings == sorted(ratings, reverse=True) and all(1 <= r <= 99 for r in ratings)
    assert "/login" not in hot.text  # logged in: no hint
    served = runner.call(lambda: runner.services.recommender.serving_summary(USER))["served"]
    short = {"model": "个人模型", "content": "内容匹配", "freq": "观看频次", "tfidf": "关键词模型"}
    assert f"（按{short[served]}排序）" in hot.text  # the note names what ranked it
    hot_buttons = buttons(hot)
    assert {data for _, data in hot_buttons if not data.startswith("more:")} == \
        {f"fb:{s}:{b}" for b in hot_ids for s in "+-"} | {f"fm:{b}" for b in hot_ids}
    assert [label for label, data in hot_buttons if data.startswith("more:")] == ["▶ 下一批"]

    # /explore: the user's own feed
    explore = chat.ask("/explore 5", "探索")
    account_feed = {v.bvid for v in feed_of(FOOD_MID)}
    assert bvids(explore) and set(bvids(explore)) <= account_feed

    # 👎 the top hot video: acknowledged, stored, never recommended again
    disliked = hot_ids[0]
    answers_before = len(tg.callback_answers)
    tg.press_button(USER, hot.message_id, f"fb:-:{disliked}")
    deadline = time.monotonic() + 10
    while len(tg.callback_answers) == answers_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(tg.callback_answers) > answers_before
    assert runner.call(lambda: runner.services.storage.load_feedback(USER)) == {disliked: -1}
    hot_again = chat.ask("/hot 8", "热门")
    assert disliked not in bvids(hot_again)
    assert len(bvids(hot_again)) == 8

    # /digest a minute ahead; the scheduled job fires (moved to now) and the digest arrives
    zone = ZoneInfo("Asia/Shanghai")
    at = (datetime.now(zone) + timedelta(minutes=1)).strftime("%H:%M")
    chat.ask(f"/digest {at}", at)
    jobs = runner.call(lambda: runner.application.job_queue.get_jobs_by_name(f"digest:{USER}"))
    assert len(jobs) == 1
    next_run = jobs[0].next_t.astimezone(zone)
    assert next_run.strftime("%H:%M") == at
    since = chat.mark()
    runner.call(lambda: jobs[0].job.modify(next_run_time=datetime.now(timezone.utc)))
    digest = chat.wait_new(since, "📬", count=2)
    digest_ids = [b for m in digest for b in bvids(m)]
    assert digest_ids and disliked not in digest_ids
    assert len(digest_ids) == len(set(digest_ids))

    # restart: the digest job and the login survive; today's digest is not sent again
    runner.stop()
    runner = start_bot()
    names = runner.call(lambda: [j.name for j in runner.application.job_queue.jobs()])
    assert f"digest:{USER}" in names
    status = chat.ask("/status", "状态").text
    assert "已登录" in status and at in status and "你跳过的视频" in status
    assert bvids(chat.ask("/explore 3", "探索"))
    time.sleep(1.5)  # a wrongly re-sent digest would come within a second of the start
    assert len([m for m in chat.messages() if "📬" in (m.text or "")]) == 2

    # /sync: re-sync and retrain now
    since = chat.send("/sync")
    chat.wait_new(since, "同步并重新训练")
    chat.wait_new(since, "已就绪", timeout=MODEL_READY_TIMEOUT)

    # /logout: the Bilibili web session is signed out too, and nothing of the user is left
    creds = runner.call(lambda: runner.services.storage.load_credentials(USER))
    done = chat.log_out()
    assert "Bilibili 网页端的这次登录也已注销" in done.text
    [logout] = [r for r in fake.request_log if r.path == "/login/exit/v2"]
    assert logout.method == "POST" and logout.mid == FOOD_MID
    assert not fake.is_alive(creds.cookies)
    with pytest.raises(NotLoggedIn):  # the old cookies now answer -101
        runner.client.refresh_due(creds)
    live_jobs = runner.call(lambda: [
        j for j in runner.application.job_queue.get_jobs_by_name(f"digest:{USER}")
        if not j.removed])
    assert live_jobs == []
    runner.stop()
    storage = open_storage(Path(data_dir))
    try:
        assert storage.get_user(USER) is None
        assert storage.load_credentials(USER) is None
        assert storage.count_behaviour(USER) == 0
        assert storage.load_feedback(USER) == {}
        assert storage.get_digest(USER) is None
        assert storage.latest_model(USER) is None
        assert storage.sent_bvids(USER) == set()
        assert USER not in [u for u, _ in storage.digest_users()]
    finally:
        storage.close()
    leftovers = [p for p in Path(data_dir).rglob("*") if str(USER) in p.name]
    assert leftovers == []
