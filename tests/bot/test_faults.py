"""Faults and edge cases end to end: expired QR codes, expired logins, cookie refresh, risk
control, Bilibili outages, malformed commands, users without a login, secrets in logs."""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet

from bot.jobs import send_digest
from bot.services import accounts as accounts_service
from storage import CredentialsUnreadable, Storage
from tests.bot.conftest import CAT_MID, FOOD_MID, Chat, buttons, bvids, feed_of, open_storage

USER = 5150
FEED_PATH = "/x/web-interface/wbi/index/top/feed/rcmd"
POPULAR_PATH = "/x/web-interface/popular"


def seed_login(runner, fake, tg_id: int, mid: int, lang: str = "zh") -> None:
    """Store a live login for tg_id directly (skips the QR flow and the training)."""
    storage = runner.services.storage

    def seed():
        storage.ensure_user(tg_id, lang)
        storage.save_credentials(tg_id, fake.credentials_for(mid))
        storage.set_bilibili_account(tg_id, mid, f"user{mid}")
    runner.call(seed)


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.05)


def test_expired_qr_code_offers_a_new_one(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    since = chat.send("/login")
    chat.wait_any(lambda m: m.photo is not None)
    first = [m for m in chat.messages()[since:] if m.photo][0]
    fake.expire(fake.last_qrcode_key)
    expired = chat.wait_any(lambda m: m.message_id == first.message_id and "过期" in m.text)[0]
    [(label, data)] = buttons(expired)
    assert "二维码" in label
    since = chat.mark()
    tg.press_button(USER, first.message_id, data)
    second = chat.wait_any(lambda m: m.photo is not None and m.message_id != first.message_id)
    assert second
    # a new /login cancels the running one, and says so on the old code
    chat.send("/login")
    chat.wait_any(lambda m: m.message_id == second[0].message_id and "作废" in m.text)


def test_qr_code_given_up_after_its_lifetime(tg, fake, start_bot):
    start_bot(BILIREC_QR_TIMEOUT_S="0.5")
    chat = Chat(tg, USER)
    chat.send("/login")
    chat.wait_any(lambda m: m.photo is not None and "过期" in m.text)


def test_expired_login_asks_for_login_and_pauses_digest(tg, fake, start_bot, env):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    chat.ask("/digest 08:00", "08:00")
    old = fake.credentials_for(FOOD_MID)
    fake.expire_session(FOOD_MID)
    reply = chat.ask("/explore", "登录已失效")
    assert "/login" in reply.text
    storage = runner.services.storage
    assert runner.call(lambda: storage.load_credentials(USER)) is None
    assert runner.call(lambda: storage.get_digest(USER)).paused
    # the refresh was attempted before giving up
    assert any("cookie/info" in path for _, path, _ in fake.requests)
    assert "已失效" in chat.ask("/status", "状态").text
    # the paused digest job sends nothing
    assert runner.call(send_digest(runner.services, runner.application.bot, USER)) is False
    assert old.cookies["SESSDATA"] not in "".join(m.text or "" for m in chat.messages())


def test_cookies_refreshed_when_due(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    old = runner.call(lambda: runner.services.storage.load_credentials(USER))
    fake.refresh_due(FOOD_MID, True)
    explore = Chat(tg, USER).ask("/explore 3", "探索")
    assert bvids(explore)
    new = runner.call(lambda: runner.services.storage.load_credentials(USER))
    assert new.cookies["SESSDATA"] != old.cookies["SESSDATA"]
    assert new.refresh_token and new.refresh_token != old.refresh_token
    assert fake.is_alive(new.cookies) and not fake.is_alive(old.cookies)


def test_risk_control_and_outages_give_clear_messages(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    fake.fail(FEED_PATH, "-352", times=10)
    assert "风控" in chat.ask("/explore", "风控").text
    fake.fail(POPULAR_PATH, "412", times=10)
    chat.ask("/hot", "风控")

    # another user is unaffected meanwhile
    other = Chat(tg, USER + 1, language_code="en")
    assert "risk control" in other.ask("/hot", "risk control").text
    assert "/help" in other.ask("/whatever", "/help").text


def test_last_good_list_served_with_its_age(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    first = bvids(chat.ask("/explore 5", "探索"))
    assert first
    fake.fail(FEED_PATH, "500", times=20)
    stale = chat.ask("/explore 5", "⚠️")
    assert bvids(stale) == first
    assert "分钟" in stale.text


def test_malformed_commands(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    assert "1 到 20" in chat.ask("/hot abc", "1 到 20").text
    chat.ask("/hot 99", "1 到 20")
    chat.ask("/explore 0", "1 到 20")
    chat.ask("/digest 25:00", "HH:MM")
    assert "Mars/Base" in chat.ask("/digest 08:00 Mars/Base", "时区").text
    chat.ask("/digest 08:00 <b>", "时区")  # escaped, so the message is valid HTML
    chat.ask("/digest 1 2 3", "用法")
    chat.ask("/frobnicate", "/help")
    chat.ask("hello", "/help")
    assert bvids(chat.ask("/hot 3", "热门"))  # still serving


def test_before_login_and_english(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    hot = chat.ask("/hot 5", "热门")
    assert len(bvids(hot)) == 5 and "/login" in hot.text
    chat.ask("/explore", "需要先登录")
    chat.ask("/sync", "需要先登录")
    assert "未登录" in chat.ask("/status", "状态").text
    chat.ask("/digest", "未开启")

    english = Chat(tg, USER + 7, language_code="en-GB")
    assert "/login" in english.ask("/help", "Bilibili").text
    hot_en = english.ask("/hot 3", "Hot")
    assert "rating " in hot_en.text and "推荐指数" not in hot_en.text
    english.ask("/explore", "needs a login")


def test_digest_set_show_off(tg, fake, start_bot):
    runner = start_bot()
    chat = Chat(tg, USER)
    chat.ask("/digest 7:30 Europe/Berlin", "07:30")
    assert "Europe/Berlin" in chat.ask("/digest", "07:30").text
    jobs = runner.call(lambda: runner.application.job_queue.get_jobs_by_name(f"digest:{USER}"))
    assert jobs[0].next_t.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") == "07:30"
    chat.ask("/digest off", "关闭")
    chat.ask("/digest", "未开启")
    live = runner.call(lambda: [j for j in runner.application.job_queue.get_jobs_by_name(
        f"digest:{USER}") if not j.removed])
    assert live == []


def _zone_with_time_passed() -> tuple[str, str]:
    """A zone whose local time is past 01:00, and a time 30 minutes before now there."""
    for name in ("Asia/Shanghai", "Europe/London", "America/New_York", "Pacific/Auckland"):
        now = datetime.now(ZoneInfo(name))
        if now.hour >= 1:
            return name, (now - timedelta(minutes=30)).strftime("%H:%M")
    raise AssertionError("no zone found")


def test_missed_digest_sent_once_when_the_bot_comes_back(tg, fake, start_bot, env):
    zone, earlier = _zone_with_time_passed()
    data_dir = Path(env["BILIREC_DATA_DIR"])
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    chat.ask("/status", "已登录")  # the user has talked to the bot (Telegram knows the chat)
    runner.stop()
    storage = open_storage(data_dir)
    storage.set_digest(USER, earlier, zone)
    storage.close()

    since = chat.mark()
    runner = start_bot()
    digest = chat.wait_new(since, "📬", count=2)
    pushed = [b for m in digest for b in bvids(m)]
    assert pushed and len(pushed) == len(set(pushed))
    assert set(pushed) & {v.bvid for v in feed_of(FOOD_MID)}  # the explore half is there
    runner.stop()
    runner = start_bot()
    time.sleep(2.0)
    assert len([m for m in chat.messages() if "📬" in (m.text or "")]) == 2
    # a second digest the same day is refused; the next day's never repeats a pushed video
    assert runner.call(send_digest(runner.services, runner.application.bot, USER)) is False
    content = runner.call(runner.services.digests.prepare(USER, "2099-01-01"))
    assert not set(content.bvids()) & set(pushed)


def test_secrets_never_logged(tg, fake, start_bot, caplog):
    caplog.set_level(logging.DEBUG)
    runner = start_bot()
    chat = Chat(tg, USER)
    since = chat.send("/login")
    chat.wait_any(lambda m: m.photo is not None)
    key = fake.last_qrcode_key
    fake.scan(key)
    fake.confirm(key, CAT_MID)
    chat.wait_new(since, "你好")
    creds = runner.call(lambda: runner.services.storage.load_credentials(USER))
    fake.refresh_due(CAT_MID, True)
    chat.ask("/explore 2", "探索")
    refreshed = runner.call(lambda: runner.services.storage.load_credentials(USER))
    # the sync after the login would otherwise meet the dead session first
    wait_until(lambda: not runner.call(lambda: runner.services.sync.busy(USER)), timeout=240)
    fake.expire_session(CAT_MID)
    chat.ask("/explore 2", "登录已失效")
    runner.stop()
    logged = "\n".join(record.getMessage() + str(record.exc_info or "")
                       for record in caplog.records)
    assert logged  # something was logged
    for secret in (creds.cookies["SESSDATA"], creds.cookies["bili_jct"], creds.refresh_token,
                   refreshed.cookies["SESSDATA"], refreshed.refresh_token, tg.token):
        assert secret not in logged


def test_telegram_429_is_retried(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    tg.fail_next("sendPhoto", 429, retry_after=1)   # a short list: the top pick's cover
    hot = chat.ask("/hot 3", "热门")
    assert len(bvids(hot)) == 3 and hot.photo is not None
    statuses = [c.status for c in tg.calls_to("sendPhoto")]
    assert 429 in statuses and statuses[-1] == 200


def test_unexpected_error_is_logged_and_reported(tg, fake, start_bot, caplog):
    runner = start_bot()

    async def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")
    runner.services.lists.hot = broken
    chat = Chat(tg, USER)
    chat.ask("/hot", "出了点问题")
    assert any(r.levelno == logging.ERROR and "ZeroDivisionError" in r.getMessage()
               for r in caplog.records)
    assert "状态" in chat.ask("/status", "状态").text  # the bot lives on


def test_blocked_user_does_not_stop_other_digests(tg, fake, start_bot):
    runner = start_bot()
    blocked, fine = Chat(tg, USER), Chat(tg, USER + 1)
    for chat in (blocked, fine):
        chat.ask("/digest 08:00", "08:00")
    tg.block_bot(USER)
    services, bot = runner.services, runner.application.bot
    assert runner.call(send_digest(services, bot, USER)) is False
    since = fine.mark()
    assert runner.call(send_digest(services, bot, USER + 1)) is True
    assert bvids(fine.wait_new(since, "📬")[0])


def test_logout_during_sync_leaves_nothing(tg, fake, start_bot, env):
    runner = start_bot()
    chat = Chat(tg, USER)
    since = chat.send("/login")
    chat.wait_any(lambda m: m.photo is not None)
    fake.confirm(fake.last_qrcode_key, FOOD_MID)
    chat.wait_new(since, "你好")
    chat.log_out()
    wait_until(lambda: not runner.call(lambda: runner.services.sync.busy(USER)), timeout=240)
    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(USER)) is None
    assert runner.call(lambda: storage.count_behaviour(USER)) == 0
    assert runner.call(lambda: storage.latest_model(USER)) is None
    assert not any(str(USER) in p.name for p in Path(env["BILIREC_DATA_DIR"]).rglob("*"))
    assert "已就绪" not in "".join(m.text or "" for m in chat.messages())


def test_logout_erases_everything_when_bilibili_sign_out_fails(tg, fake, start_bot, env, caplog):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    creds = fake.credentials_for(FOOD_MID)
    fake.fail("/login/exit/v2", "500", times=10)  # more than the client's retries
    caplog.set_level(logging.INFO)
    done = Chat(tg, USER).log_out()
    assert "未能注销" in done.text
    assert fake.count("/login/exit/v2") == runner.client.max_retries + 1
    assert fake.is_alive(creds.cookies)  # Bilibili kept it, but locally nothing is left
    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(USER)) is None
    assert runner.call(lambda: storage.load_credentials(USER)) is None
    assert "Bilibili sign-out failed" in caplog.text
    for secret in (creds.cookies["SESSDATA"], creds.cookies["bili_jct"], creds.refresh_token):
        assert secret not in caplog.text
    assert not any(str(USER) in p.name for p in Path(env["BILIREC_DATA_DIR"]).rglob("*"))


def test_logout_does_not_wait_long_for_a_slow_bilibili(tg, fake, start_bot, monkeypatch,
                                                         caplog):
    monkeypatch.setattr(accounts_service, "SIGN_OUT_WAIT_S", 0.3)
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    fake.fail("/login/exit/v2", "slow")  # answers after fake.slow_seconds (2 s)
    caplog.set_level(logging.INFO)
    started = time.monotonic()
    done = Chat(tg, USER).log_out()
    assert time.monotonic() - started < fake.slow_seconds
    assert "未能注销" in done.text
    assert "took over 0.3 s" in caplog.text
    assert runner.call(lambda: runner.services.storage.get_user(USER)) is None


def test_logout_with_unreadable_credentials_still_erases(tg, fake, start_bot, env):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    storage = runner.services.storage
    # credentials written under another key: load_credentials raises CredentialsUnreadable
    with Storage(Path(env["BILIREC_DATA_DIR"]), Fernet.generate_key()) as other:
        other.save_credentials(USER, fake.credentials_for(FOOD_MID))
    with pytest.raises(CredentialsUnreadable):
        runner.call(lambda: storage.load_credentials(USER))
    done = Chat(tg, USER).log_out()
    assert "未能注销" in done.text
    assert fake.count("/login/exit/v2") == 0
    assert runner.call(lambda: storage.get_user(USER)) is None


def test_logout_without_a_login_says_nothing_about_bilibili(tg, fake, start_bot):
    start_bot()
    done = Chat(tg, USER).log_out()
    assert "Bilibili" not in done.text
    assert fake.count("/login/exit/v2") == 0
