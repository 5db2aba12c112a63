"""Buttons that answer, through the real bot and the fakes: 👍/👎 edit the keyboard to show the
choice and a second tap undoes it; ⋯ offers "fewer from this UP主 / zone", which /hot then
honours and /status lists with a button to bring it back; ▶ sends the next batch of the same
ranking without repeats until nothing is left, also under a digest."""
from __future__ import annotations

import re

import pytest

from bot.jobs import send_digest
from tests.bot.conftest import FOOD_MID, Chat, buttons, bvids, message_now, press
from tests.bot.test_faults import seed_login

USER = 6262
LANGS = {"zh": "zh-hans", "en": "en"}
WORDS = {
    "zh": {"hot": "热门", "saved": "再点一次撤销", "undone": "已撤销", "author": "少看 UP主",
           "zone": "分区", "muted": "以后不再推荐", "status": "状态", "mutes": "不再推荐",
           "none": "没有被你设为少看", "back": "已恢复", "more": "▶ 下一批", "note": "第 {}–{} 个",
           "end": "没有更多视频", "stale": "已经发过", "expired": "已过期"},
    "en": {"hot": "Hot", "saved": "tap again to undo", "undone": "Undone", "author": "Fewer from",
           "zone": "zone", "muted": "left out of your lists", "status": "Status",
           "mutes": "Left out of your lists", "none": "Nothing is left out",
           "back": "is back in your lists", "more": "▶ More", "note": "{}–{}",
           "end": "no more videos", "stale": "sent already", "expired": "expired"},
}


def labels(message) -> list[str]:
    return [label for label, _ in buttons(message)]


def owners(fake) -> dict[str, int]:
    return {video.bvid: video.owner_mid for video in fake.popular}


def zones(fake) -> dict[str, str]:
    return {video.bvid: video.tname for video in fake.popular}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_vote_shows_on_the_keyboard_and_a_second_tap_undoes_it(tg, fake, start_bot, lang):
    runner = start_bot()
    chat, words = Chat(tg, USER, LANGS[lang]), WORDS[lang]
    hot = chat.ask("/hot 3", words["hot"])
    assert hot.photo is not None                      # a photo list: only its markup is edited
    top = bvids(hot)[0]
    assert labels(hot)[:3] == ["1 👍", "1 👎", "1 ⋯"]

    assert words["saved"] in press(tg, chat, hot.message_id, f"fb:+:{top}")
    now = message_now(chat, hot.message_id)
    assert labels(now)[:3] == ["✅ 1 👍", "1 👎", "1 ⋯"] and now.edited
    assert now.text == hot.text and now.photo is not None
    assert runner.call(lambda: runner.services.storage.load_feedback(USER)) == {top: 1}

    press(tg, chat, hot.message_id, f"fb:-:{top}")   # switching marks the other one
    assert labels(message_now(chat, hot.message_id))[:2] == ["1 👍", "✅ 1 👎"]
    assert top not in bvids(chat.ask("/hot 3", words["hot"]))

    assert words["undone"] in press(tg, chat, hot.message_id, f"fb:-:{top}")
    assert labels(message_now(chat, hot.message_id)) == labels(hot)
    assert runner.call(lambda: runner.services.storage.load_feedback(USER)) == {}
    assert top in bvids(chat.ask("/hot 3", words["hot"]))   # back in the ranking
    assert tg.calls_to("editMessageReplyMarkup") and not tg.calls_to("editMessageText")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_fewer_from_an_uploader_and_a_zone_until_brought_back_in_status(tg, fake, start_bot,
                                                                        lang):
    runner = start_bot()
    chat, words = Chat(tg, USER, LANGS[lang]), WORDS[lang]
    storage = runner.services.storage
    before = bvids(chat.ask("/hot 20", words["hot"]))
    hot = chat.ask("/hot 5", words["hot"])
    first, second = bvids(hot)[:2]
    muted_owner, muted_zone = owners(fake)[first], zones(fake)[second]
    assert zones(fake)[first] != muted_zone

    assert press(tg, chat, hot.message_id, f"fm:{first}") == ""
    menu = message_now(chat, hot.message_id)
    assert "1 ✕" in labels(menu)
    author_button, zone_button = [(label, data) for label, data in buttons(menu)
                                  if data.startswith("mu:")]
    assert author_button[1] == f"mu:a:{first}" and words["author"] in author_button[0]
    assert zone_button[1] == f"mu:z:{first}" and words["zone"] in zone_button[0]

    assert words["muted"] in press(tg, chat, hot.message_id, f"mu:a:{first}")
    after = message_now(chat, hot.message_id)
    assert "1 🙈" in labels(after) and not [d for _, d in buttons(after) if d.startswith("mu:")]
    press(tg, chat, hot.message_id, f"fm:{second}")
    press(tg, chat, hot.message_id, f"mu:z:{second}")
    assert "2 🙈" in labels(message_now(chat, hot.message_id))
    assert [(m.kind, m.key) for m in runner.call(lambda: storage.load_mutes(USER))] == [
        ("author", str(muted_owner)), ("zone", muted_zone)]

    listed = bvids(chat.ask("/hot 20", words["hot"]))
    assert listed and all(owners(fake)[b] != muted_owner for b in listed)
    assert all(zones(fake)[b] != muted_zone for b in listed)

    since = chat.send("/status")
    status = chat.wait_new(since, words["mutes"])[0]
    unmute = [data for _, data in buttons(status)]
    assert len(unmute) == 2 and all(re.fullmatch(r"um:\d+", data) for data in unmute)
    assert f"https://space.bilibili.com/{muted_owner}" in status.links
    assert words["back"] in press(tg, chat, status.message_id, unmute[0])
    assert len(buttons(message_now(chat, status.message_id))) == 1
    assert words["back"] in press(tg, chat, status.message_id, unmute[1])
    assert words["none"] in message_now(chat, status.message_id).text
    assert runner.call(lambda: storage.load_mutes(USER)) == []
    assert bvids(chat.ask("/hot 20", words["hot"])) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_more_sends_the_next_batch_until_the_list_runs_out(tg, fake, start_bot, lang):
    start_bot()
    chat, words = Chat(tg, USER, LANGS[lang]), WORDS[lang]
    fake.popular = fake.popular[:24]
    message = chat.ask("/hot 10", words["hot"])
    shown = bvids(message)
    first_more = [data for label, data in buttons(message) if label == words["more"]]
    assert len(first_more) == 1 and len(first_more[0].encode()) <= 64
    while True:
        [data] = [d for label, d in buttons(message) if label == words["more"]]
        since = chat.mark()
        toast = press(tg, chat, message.message_id, data)
        assert not [d for _, d in buttons(message_now(chat, message.message_id))
                    if d.startswith("more:")]                       # ▶ moves to the new batch
        new = chat.messages()[since:]
        if words["end"] in toast:
            assert [words["end"] in m.text for m in new] == [True]
            break
        [message] = new
        batch = bvids(message)
        assert words["note"].format(len(shown) + 1, len(shown) + len(batch)) in message.text
        assert f"{len(shown) + 1}. " in message.text
        assert not set(batch) & set(shown)
        shown += batch
    assert sorted(shown) == sorted(v.bvid for v in fake.popular)   # all of it, once each
    assert words["stale"] in press(tg, chat, message.message_id, first_more[0], check=False)
    assert words["expired"] in press(tg, chat, message.message_id, "more:nOsUcH:1",
                                     check=False)


def test_more_under_a_digest_and_after_a_restart(tg, fake, start_bot):
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID)
    chat = Chat(tg, USER)
    chat.ask("/digest 08:00", "08:00")
    since = chat.mark()
    assert runner.call(send_digest(runner.services, runner.application.bot, USER)) is True
    parts = chat.messages()[since:]
    assert len(parts) == 2 and all("📬" in part.text for part in parts)
    pushed = [b for part in parts for b in bvids(part)]
    explore = parts[1]
    [data] = [d for label, d in buttons(explore) if label == "▶ 下一批"]
    since = chat.mark()
    press(tg, chat, explore.message_id, data)
    [batch] = chat.messages()[since:]
    assert "探索" in batch.text and "第 11–" in batch.text
    assert bvids(batch) and not set(bvids(batch)) & set(pushed)
    assert runner.call(lambda: runner.services.storage.load_impressions(USER))[-1].channel \
        == "digest"

    [data] = [d for label, d in buttons(parts[0]) if label == "▶ 下一批"]
    runner.stop()
    runner = start_bot()
    assert "已过期" in press(tg, chat, parts[0].message_id, data)
