"""/settings through the fakes: one message with buttons, edited in place; silent digest,
list size, the digest's lists, language, digest time (preset and typed) and zone; stored per
user, used by lists and digests, erased by /logout."""
from __future__ import annotations

import asyncio

import pytest

from bot.jobs import send_digest
from bot.services import preferences
from bot.services.preferences import Preferences
from storage import Storage, UserSettings, load_or_create_key
from tests.bot.conftest import FOOD_MID, Chat, bvids, press_edit as press
from tests.bot.test_faults import seed_login, wait_until

USER = 8080
WORDS = {
    "zh": {"code": "zh-hans", "title": "设置", "silent_on": "静音推送：开",
           "size5": "列表长度：5 个视频", "saved": "已保存", "bad_time": "HH:MM",
           "last_part": "至少要保留一项", "hot_only": "推送内容：热门\n", "type": "请发送推送时间"},
    "en": {"code": "en", "title": "Settings", "silent_on": "Silent digest: on",
           "size5": "List size: 5 videos", "saved": "Saved", "bad_time": "HH:MM",
           "last_part": "at least one list", "hot_only": "Digest holds: hot\n",
           "type": "Send the digest time"},
}


def current(chat, message):
    return next(m for m in chat.messages() if m.message_id == message.message_id)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_settings_change_in_place_and_a_silent_digest_arrives_silently(tg, fake, start_bot,
                                                                          lang):
    words = WORDS[lang]
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID, lang)
    storage = runner.services.storage
    chat = Chat(tg, USER, words["code"])
    settings = chat.ask("/settings", words["title"])
    assert "set:silent" in settings.callback_data and "set:lang:en" in settings.callback_data

    settings = press(tg, chat, settings, "set:silent")
    assert words["silent_on"] in settings.text and settings.edited
    settings = press(tg, chat, settings, "set:n:5")
    assert words["size5"] in settings.text and "✓ 5" in str(settings.reply_markup)
    settings = press(tg, chat, settings, "set:part:explore")       # hot only
    assert words["hot_only"] in settings.text
    answers = len(tg.callback_answers)
    tg.press_button(USER, settings.message_id, "set:part:hot")     # the last list stays
    tg.wait_for(lambda _: len(tg.callback_answers) > answers, USER)
    assert words["last_part"] in tg.callback_answers[-1].text
    assert words["hot_only"] in current(chat, settings).text

    # the digest time: the custom entry is typed, a bad one is explained
    settings = press(tg, chat, settings, "set:time")
    assert "set:t:08:00" in settings.callback_data
    settings = press(tg, chat, settings, "set:t:custom")
    assert words["type"] in settings.text
    chat.ask("25:00", words["bad_time"])
    since = chat.send("7:30")
    chat.wait_new(since, words["saved"])
    settings = current(chat, settings)
    assert "07:30" in settings.text and "set:time" in settings.callback_data
    digest = runner.call(lambda: storage.get_digest(USER))
    assert digest.time_hhmm == "07:30"
    jobs = runner.call(lambda: runner.application.job_queue.get_jobs_by_name(f"digest:{USER}"))
    assert len(jobs) == 1

    # lists use the size; the digest is silent and holds the hot list only
    assert len(bvids(chat.ask("/hot", "🔥"))) == 5
    since = chat.mark()
    assert runner.call(send_digest(runner.services, runner.application.bot, USER)) is True
    digest_messages = [m for m in chat.messages()[since:] if "📬" in (m.text or "")]
    assert digest_messages and all(m.disable_notification for m in digest_messages)
    assert all("🧭" not in m.text for m in digest_messages)
    assert sum(len(bvids(m)) for m in digest_messages) == 5


def test_a_digest_is_not_silent_unless_asked(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    storage = runner.services.storage
    runner.call(lambda: storage.set_digest(USER, "08:00", "Asia/Shanghai"))
    chat = Chat(tg, USER)
    since = chat.send("/help")
    chat.wait_new(since, "/login")
    since = chat.mark()
    assert runner.call(send_digest(runner.services, runner.application.bot, USER)) is True
    parts = [m for m in chat.messages()[since:] if "📬" in (m.text or "")]
    assert len(parts) == 2 and not any(m.disable_notification for m in parts)


def test_language_zone_and_logout(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    storage = runner.services.storage
    chat = Chat(tg, USER)                                  # a Chinese client
    settings = chat.ask("/settings", "设置")
    settings = press(tg, chat, settings, "set:lang:en")
    assert "Settings" in settings.text and "✓ English" in str(settings.reply_markup)
    assert "/login" in chat.ask("/help", "your personal Bilibili").text   # English now
    settings = press(tg, chat, settings, "set:zone")
    settings = press(tg, chat, settings, "set:z:Europe/Berlin")
    assert runner.call(lambda: storage.get_digest(USER)).timezone == "Europe/Berlin"
    settings = press(tg, chat, settings, "set:time")
    settings = press(tg, chat, settings, "set:t:21:00")
    assert "21:00 (Europe/Berlin)" in settings.text
    settings = press(tg, chat, settings, "set:lang:auto")
    assert "设置" in settings.text
    settings = press(tg, chat, settings, "set:lang:en")

    done = chat.log_out()
    assert "Logged out" in done.text                      # still the chosen language
    assert runner.call(lambda: storage.get_user(USER)) is None
    assert runner.call(lambda: storage.get_settings(USER)).language == "auto"
    assert runner.services.preferences.language(USER) is None
    assert "设置" in chat.ask("/settings", "设置").text   # back to the client's language
    wait_until(lambda: not runner.call(lambda: [
        j for j in runner.application.job_queue.get_jobs_by_name(f"digest:{USER}")
        if not j.removed]))


def test_the_language_cache_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(preferences, "LANGUAGE_CACHE_USERS", 2)
    storage = Storage(tmp_path, load_or_create_key(tmp_path, None))
    try:
        storage.save_settings(1, UserSettings(language="en"))
        prefs = Preferences(storage, None, default_zone="UTC")

        async def load(*tg_ids):
            for tg_id in tg_ids:
                await prefs.load_language(tg_id)
        asyncio.run(load(1))
        assert prefs.language(1) == "en"
        asyncio.run(load(2, 3))
        assert prefs.language(1) is None          # evicted: re-read on the user's next update
        asyncio.run(load(1))
        assert prefs.language(1) == "en"
    finally:
        storage.close()
