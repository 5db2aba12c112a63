"""Issue #12's first-time journey, in Chinese and in English, through the real bot and the fakes:
/start → scan-to-log-in button → QR → progress edits → ready with the taste card → /hot with its
cover → 👍 edits the keyboard (a second tap undoes) → ⋯ → ▶ next batch → /settings (silent
digest, list size, parts, language, typed time) → the digest arrives silently → /logout erase →
nothing of the user is left."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.handlers.login import qr_png
from bot.render import CAPTION_LIMIT, render_serving, render_taste
from bot.texts import TEXTS, text
from tests.bot.conftest import (FOOD_MID, Chat, buttons, bvids, feed_of, message_now, press,
                                press_edit, taste_history)
from tests.bot.test_erase_owner import rows_holding
from tests.bot.test_faults import wait_until
from tests.bot.test_journey import MODEL_READY_TIMEOUT
from tests.bot.test_words import assert_english
from tests.fakes.fake_telegram import utf16_length
from tests.storage.disk import files_under

USER = 7300473                         # distinctive enough to scan every table for
CLIENTS = {"zh": "zh-hans", "en": "en"}
ZONE = "Asia/Shanghai"                 # the bot's default digest zone (BILIREC_TIMEZONE)
# every stage of a sync, in the order it runs (the training start and its epochs are one)
STAGES = ("history", "favourites", "coins_likes", "feed", "counts", "queued", "training")
WORDS = {
    "zh": {"welcome": "欢迎使用 BiliRec", "login_button": "📱 扫码登录", "qr": "请用哔哩哔哩 App 扫描",
           "scanned": "已扫码", "confirmed": "✅ 登录成功。", "hello": "你好，<b>美食家&lt;&amp;&gt;</b>",
           "history": "正在读取观看历史", "training": ("正在启动训练", "正在训练你的模型"),
           "ready": "🎉 已就绪",
           "taste": "你的口味（来自", "zones": "常看分区：美食制作", "hot": "🔥 <b>热门 · 为你排序</b>",
           "by": "\nUP主 <a href", "ranked": "（按{}排序）", "up": "1 👍", "down": "1 👎", "menu": "1 ⋯",
           "saved": "再点一次撤销", "undone": "已撤销", "close": "1 ✕", "author": "少看 UP主",
           "zone": "少看「", "more": "▶ 下一批", "note": "▶ 接着看：第 4–6 个",
           "settings": "⚙️ <b>设置</b>", "silent_on": "静音推送：开", "size5": "列表长度：5 个视频",
           "hot_only": "推送内容：热门\n", "both": "推送内容：热门 + 探索", "lang": "✓ 中文",
           "type": "请发送推送时间", "saved_time": "已保存", "digest": "📬 <b>每日推送</b>",
           "explore": "🧭 <b>探索 · 首页推荐</b>", "confirm": "确定要退出吗？",
           "erase": "🗑 退出并删除", "keep": "保留", "done": "已退出",
           "signed_out": "Bilibili 网页端的这次登录也已注销", "logged_out": "登录：未登录"},
    "en": {"welcome": "Welcome to BiliRec", "login_button": "📱 Scan to log in",
           "qr": "Scan this QR code with the Bilibili app", "scanned": "Scanned.",
           "confirmed": "✅ Logged in.", "hello": "Hello, <b>美食家&lt;&amp;&gt;</b>",
           "history": "Reading your watch history",
           "training": ("Starting the training", "Training your model"), "ready": "🎉 Ready",
           "taste": "Your taste (from", "zones": "Zones you watch most: Cooking",
           "hot": "🔥 <b>Hot · ranked for you</b>", "by": "\nby <a href",
           "ranked": "(ranked by: {})",
           "up": "1 👍", "down": "1 👎", "menu": "1 ⋯", "saved": "tap again to undo",
           "undone": "Undone", "close": "1 ✕", "author": "Fewer from", "zone": "Fewer from the",
           "more": "▶ More", "note": "▶ More of this list: 4–6", "settings": "⚙️ <b>Settings</b>",
           "silent_on": "Silent digest: on", "size5": "List size: 5 videos",
           "hot_only": "Digest holds: hot\n", "both": "Digest holds: hot + explore",
           "lang": "✓ English", "type": "Send the digest time", "saved_time": "Saved",
           "digest": "📬 <b>Daily digest</b>", "explore": "🧭 <b>Explore · your feed</b>",
           "confirm": "Log out?", "erase": "🗑 Log out and erase", "keep": "Keep",
           "done": "Logged out", "signed_out": "The Bilibili web session is signed out too",
           "logged_out": "Login: not logged in"},
}
RANKER_SHORT = {"zh": {"model": "个人模型", "content": "内容匹配", "freq": "观看频次",
                       "tfidf": "关键词模型"},
                "en": {"model": "personal model", "content": "content ranker",
                       "freq": "watch frequency", "tfidf": "keyword ranker"}}


class Journey:
    """The chat, the fakes and the words of one language, with the checks every step shares."""

    def __init__(self, tg, fake, runner, lang: str) -> None:
        self.tg, self.fake, self.runner, self.lang = tg, fake, runner, lang
        self.chat = Chat(tg, USER, CLIENTS[lang])
        self.words = WORDS[lang]
        self.seen: list[int] = []       # every bot message the journey expects, in order
        videos = [*fake.popular, *feed_of(FOOD_MID), *taste_history(0, 0)]
        self.covers = {v.bvid: v.cover.replace("http://", "https://", 1) for v in videos}
        # Bilibili's own data (titles, names) may hold Chinese punctuation in any language
        self.data = sorted({s for v in videos for s in (v.title, v.owner_name)} | {"美食家<&>"},
                           key=len, reverse=True)

    def check_words(self, message) -> None:
        """English words only for an English user (Bilibili's titles and names aside)."""
        if self.lang != "en":
            return
        plain = message.plain_text or ""
        for item in self.data:
            plain = plain.replace(item, "")
        assert_english(plain)
        for label, _ in buttons(message):
            assert_english(label)

    def check_cover(self, message, listed: list[str]) -> None:
        """The top pick's cover: a photo by URL when the list fits a caption, else the large
        link preview of the list."""
        cover = self.covers[listed[0]]
        if utf16_length(message.plain_text) <= CAPTION_LIMIT:
            assert message.photo is not None and message.photo_url == cover
        else:
            assert message.photo is None
            assert message.link_preview == {"is_disabled": False, "url": cover,
                                            "prefer_large_media": True,
                                            "show_above_text": True}

    def list_buttons(self, listed: list[str], first: int) -> list[tuple[str, str]]:
        """The keyboard of a list message without its ▶ (👍, 👎, ⋯ per entry)."""
        return [(f"{first + i} {sign}", data) for i, bvid in enumerate(listed)
                for sign, data in (("👍", f"fb:+:{bvid}"), ("👎", f"fb:-:{bvid}"),
                                   ("⋯", f"fm:{bvid}"))]


def keyboard(message) -> list[tuple[str, str]]:
    return [(label, data) for label, data in buttons(message) if not data.startswith("more:")]


def more_of(message) -> list[tuple[str, str]]:
    return [(label, data) for label, data in buttons(message) if data.startswith("more:")]


def stage_of(version: str, lang: str) -> int | None:
    """The index in STAGES of the stage a progress text shows (None: greeting or outcome)."""
    for index, name in enumerate(STAGES):
        keys = ("progress_training_start", "progress_training") if name == "training" else (
            f"progress_{name}",)
        if any(TEXTS[lang][key].split("{")[0].rstrip("…").strip() in version for key in keys):
            return index
    return None


def log_in(j: Journey):
    """/start → the welcome's button → QR → scanned → confirmed; returns the greeting."""
    w, chat = j.words, j.chat
    welcome = chat.ask("/start", w["welcome"])
    assert buttons(welcome) == [(w["login_button"], "login:start")]
    assert "/help" in welcome.text and "/hot" in welcome.text
    j.check_words(welcome)
    j.seen.append(welcome.message_id)

    since = chat.mark()
    assert press(j.tg, chat, welcome.message_id, "login:start") == ""
    [photo] = chat.wait_any(lambda m: m.photo is not None and w["qr"] in (m.text or ""))
    assert photo.photo == qr_png(j.runner.client.qr_codes[-1].url)
    j.check_words(photo)
    key = j.fake.last_qrcode_key
    j.fake.scan(key)
    chat.wait_any(lambda m: m.message_id == photo.message_id and w["scanned"] in (m.text or ""))
    j.fake.confirm(key, FOOD_MID)
    [greeting] = chat.wait_new(since, w["hello"])
    photo = chat.wait_any(lambda m: m.message_id == photo.message_id
                          and m.text == w["confirmed"])[-1]
    assert photo.edited and buttons(photo) == []
    j.seen += [photo.message_id, greeting.message_id]
    return greeting


def wait_ready(j: Journey, greeting):
    """The greeting is edited through the sync's stages, in order, into "ready" + taste card."""
    w, runner, storage = j.words, j.runner, j.runner.services.storage
    ready = j.chat.wait_any(lambda m: m.message_id == greeting.message_id and m.edited
                            and stage_of(m.text, j.lang) is None, timeout=MODEL_READY_TIMEOUT)[-1]
    assert w["ready"] in ready.text
    versions = [v.text for v in ready.history] + [ready.text]
    assert versions[0] == greeting.text and ready.edited
    assert all(v.startswith(greeting.text + "\n") for v in versions[1:])
    assert all(a != b for a, b in zip(versions, versions[1:]))
    stages = [stage_of(v, j.lang) for v in versions[1:-1]]
    assert None not in stages and stages == sorted(stages), versions
    assert stages[0] == STAGES.index("history") and STAGES.index("training") in stages
    assert w["history"] in versions[1]
    assert any(word in v for v in versions[1:-1] for word in w["training"])
    assert all(stage_of(v, j.lang) is None for v in (versions[0], versions[-1]))

    model = runner.call(lambda: storage.latest_model(USER))
    records = runner.call(lambda: storage.count_behaviour(USER))
    taste = runner.call(runner.services.tastes.taste(USER))
    outcome = text(j.lang, "model_ready", records=records,
                   serving=render_serving(model.metrics, j.lang))
    assert ready.text == f"{greeting.text}\n{outcome}\n\n{render_taste(taste, j.lang)}"
    assert records >= 60 and w["taste"] in ready.plain_text and w["zones"] in ready.plain_text
    j.check_words(ready)
    return model.metrics["served"]


def hot_with_cover(j: Journey, served: str):
    """/hot 3 after a typing action: rated, cover shown, the note names the ranker."""
    w, chat, tg = j.words, j.chat, j.tg
    calls = len(tg.calls)
    hot = chat.ask("/hot 3", w["hot"])
    sent = [c.method for c in tg.calls[calls:] if c.method in ("sendChatAction", "sendPhoto",
                                                               "sendMessage")]
    assert sent[0] == "sendChatAction" and tg.chat_actions[-1].action == "typing"
    listed = bvids(hot)
    assert len(listed) == 3 and set(listed) <= {v.bvid for v in j.fake.popular}
    j.check_cover(hot, listed)
    assert hot.photo is not None                      # three entries fit a caption
    assert w["ranked"].format(RANKER_SHORT[j.lang][served]) in hot.text
    assert hot.text.count(w["by"]) == 3
    assert keyboard(hot) == j.list_buttons(listed, 1)
    assert [label for label, _ in more_of(hot)] == [w["more"]]
    j.check_words(hot)
    j.seen.append(hot.message_id)
    return hot, listed


def vote_and_menu(j: Journey, hot, listed: list[str]) -> None:
    """👍 marks the keyboard, a second tap undoes; ⋯ opens and closes the entry's menu."""
    w, chat, tg, storage = j.words, j.chat, j.tg, j.runner.services.storage
    top, original = listed[0], buttons(hot)
    assert w["saved"] in press(tg, chat, hot.message_id, f"fb:+:{top}")
    voted = message_now(chat, hot.message_id)
    assert keyboard(voted)[:3] == [("✅ " + w["up"], f"fb:+:{top}"), (w["down"], f"fb:-:{top}"),
                                   (w["menu"], f"fm:{top}")]
    assert keyboard(voted)[3:] == keyboard(hot)[3:] and more_of(voted) == more_of(hot)
    assert voted.text == hot.text and voted.photo_url == hot.photo_url and voted.edited
    assert j.runner.call(lambda: storage.load_feedback(USER)) == {top: 1}

    assert w["undone"] in press(tg, chat, hot.message_id, f"fb:+:{top}")
    assert buttons(message_now(chat, hot.message_id)) == original
    assert j.runner.call(lambda: storage.load_feedback(USER)) == {}
    assert w["saved"] in press(tg, chat, hot.message_id, f"fb:+:{top}")   # 👍 for good

    assert press(tg, chat, hot.message_id, f"fm:{top}") == ""
    menu = message_now(chat, hot.message_id)
    assert (w["close"], f"fm:{top}") in buttons(menu)
    mutes = [(label, data) for label, data in buttons(menu) if data.startswith("mu:")]
    assert [data for _, data in mutes] == [f"mu:a:{top}", f"mu:z:{top}"]
    assert w["author"] in mutes[0][0] and w["zone"] in mutes[1][0]
    j.check_words(menu)
    press(tg, chat, hot.message_id, f"fm:{top}")
    closed = message_now(chat, hot.message_id)
    assert keyboard(closed)[0] == ("✅ " + w["up"], f"fb:+:{top}")
    assert keyboard(closed)[1:] == keyboard(hot)[1:] and more_of(closed) == more_of(hot)


def next_batch(j: Journey, hot, listed: list[str]) -> None:
    """▶ sends entries 4-6 of the same ranking, none repeated; the 👍 stays marked."""
    w, chat = j.words, j.chat
    [(_, data)] = more_of(message_now(chat, hot.message_id))
    since = chat.mark()
    assert press(j.tg, chat, hot.message_id, data) == ""
    [batch] = chat.wait_new(since, w["note"])
    assert chat.messages()[since:] == [batch]
    tapped = message_now(chat, hot.message_id)
    assert more_of(tapped) == [] and keyboard(tapped)[0] == ("✅ " + w["up"],
                                                              f"fb:+:{listed[0]}")
    more = bvids(batch)
    assert len(more) == 3 and not set(more) & set(listed)
    assert set(more) <= {v.bvid for v in j.fake.popular}
    assert batch.text.startswith(w["hot"]) and "4. " in batch.text and "1. " not in batch.text
    assert keyboard(batch) == j.list_buttons(more, 4)
    assert [label for label, _ in more_of(batch)] == [w["more"]]
    j.check_cover(batch, more)
    j.check_words(batch)
    j.seen.append(batch.message_id)


def settings_for_a_silent_digest(j: Journey) -> str:
    """/settings: silent, 5 videos, parts off and on, the language, a typed time; edited in
    place. Returns the time typed."""
    w, chat, tg = j.words, j.chat, j.tg
    settings = chat.ask("/settings", w["settings"])
    j.check_words(settings)
    for data in ("set:time", "set:zone", "set:silent", "set:n:5", "set:part:hot",
                 "set:part:explore", "set:lang:auto", "set:lang:zh", "set:lang:en"):
        assert data in settings.callback_data
    settings = press_edit(tg, chat, settings, "set:silent")
    assert w["silent_on"] in settings.text and settings.edited
    settings = press_edit(tg, chat, settings, "set:n:5")
    assert w["size5"] in settings.text
    assert ("✓ " + text(j.lang, "settings_size_button", n=5), "set:n:5") in buttons(settings)
    settings = press_edit(tg, chat, settings, "set:part:explore")
    assert w["hot_only"] in settings.text
    settings = press_edit(tg, chat, settings, "set:part:explore")
    assert w["both"] in settings.text
    settings = press_edit(tg, chat, settings, f"set:lang:{j.lang}")
    assert (w["lang"], f"set:lang:{j.lang}") in buttons(settings)
    assert settings.text.startswith(w["settings"])              # the same language as before
    settings = press_edit(tg, chat, settings, "set:time")
    preset = "21:00" if datetime.now(ZoneInfo(ZONE)).hour in (7, 8) else "08:00"  # not due now
    assert (preset, f"set:t:{preset}") in buttons(settings)
    settings = press_edit(tg, chat, settings, f"set:t:{preset}")
    assert preset in settings.text
    settings = press_edit(tg, chat, settings, "set:time")
    settings = press_edit(tg, chat, settings, "set:t:custom")
    assert w["type"] in settings.text
    j.check_words(settings)
    # hours away: the job fires only when moved to now
    at = (datetime.now(ZoneInfo(ZONE)) + timedelta(hours=3)).strftime("%H:%M")
    saved = chat.ask(at, w["saved_time"])
    j.check_words(saved)
    settings = message_now(chat, settings.message_id)
    assert at in settings.text and "set:time" in settings.callback_data
    for needle in ("silent_on", "size5", "both"):
        assert w[needle] in settings.text
    j.check_words(settings)
    j.seen += [settings.message_id, saved.message_id]
    return at


def silent_digest(j: Journey, at: str) -> None:
    """The scheduled job, moved to now, sends both lists of 5, silently, with covers and ▶."""
    w, chat, runner = j.words, j.chat, j.runner
    jobs = runner.call(lambda: runner.application.job_queue.get_jobs_by_name(f"digest:{USER}"))
    assert len(jobs) == 1 and jobs[0].next_t.astimezone(ZoneInfo(ZONE)).strftime("%H:%M") == at
    since = chat.mark()
    runner.call(lambda: jobs[0].job.modify(next_run_time=datetime.now(timezone.utc)))
    parts = chat.wait_new(since, w["digest"], count=2)
    assert chat.messages()[since:] == parts
    assert all(part.disable_notification for part in parts)
    hot, explore = parts
    assert w["hot"] in hot.text and w["explore"] in explore.text
    assert set(bvids(hot)) <= {v.bvid for v in j.fake.popular}
    assert set(bvids(explore)) <= {v.bvid for v in feed_of(FOOD_MID)}
    for part in parts:
        listed = bvids(part)
        assert len(listed) == 5
        assert keyboard(part) == j.list_buttons(listed, 1)
        assert [label for label, _ in more_of(part)] == [w["more"]]
        j.check_cover(part, listed)
        j.check_words(part)
    j.seen += [hot.message_id, explore.message_id]
    # the job's last step: both lists logged as shown on the digest channel
    storage = runner.services.storage
    wait_until(lambda: {i.bvid for i in runner.call(lambda: storage.load_impressions(USER))
                        if i.channel == "digest"} == set(bvids(hot)) | set(bvids(explore)))


def log_out_erases_everything(j: Journey, data_dir: Path) -> None:
    """/logout asks with two buttons; erase leaves no row, file or login of the user."""
    w, chat, tg, runner = j.words, j.chat, j.tg, j.runner
    question = chat.ask("/logout", w["confirm"])
    assert buttons(question) == [(w["erase"], "logout:erase"), (w["keep"], "logout:keep")]
    j.check_words(question)
    assert press(tg, chat, question.message_id, "logout:erase") == ""
    done = chat.wait_any(lambda m: m.message_id == question.message_id
                         and w["signed_out"] in (m.text or ""))[-1]
    assert done.text.startswith(w["done"]) and done.edited and buttons(done) == []
    j.check_words(done)
    assert j.fake.count("/login/exit/v2") == 1
    assert not [job for job in runner.call(lambda: runner.application.job_queue
                                           .get_jobs_by_name(f"digest:{USER}"))
                if not job.removed]
    status = chat.ask("/status", w["logged_out"])
    j.check_words(status)
    assert set(rows_holding(data_dir, USER).values()) == {0}
    assert not [path for path in files_under(data_dir) if str(USER) in str(path)]
    j.seen += [question.message_id, status.message_id]
    assert [m.message_id for m in chat.messages()] == j.seen       # nothing else was sent


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_first_journey(tg, fake, env, start_bot, lang):
    runner = start_bot()
    journey = Journey(tg, fake, runner, lang)
    greeting = log_in(journey)
    served = wait_ready(journey, greeting)
    hot, listed = hot_with_cover(journey, served)
    vote_and_menu(journey, hot, listed)
    next_batch(journey, hot, listed)
    at = settings_for_a_silent_digest(journey)
    silent_digest(journey, at)
    log_out_erases_everything(journey, Path(env["BILIREC_DATA_DIR"]))
