"""Fault-matrix scenarios that no other test file covers end to end."""
from __future__ import annotations

from tests.bot.conftest import Chat, bvids
from tests.fakes.fake_bilibili import make_video

USER = 6160
POPULAR_PATH = "/x/web-interface/popular"


def telegram_400_on_a_reply(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    tg.fail_next("sendMessage", 400, description="Bad Request: message is too long")
    chat.ask("/hot 20", "出了点问题")   # too long for a caption: a text message, refused
    assert len(bvids(chat.ask("/hot 3", "热门"))) == 3


def forged_callback_data(tg, fake, start_bot):
    runner = start_bot()
    chat = Chat(tg, USER)
    hot = chat.ask("/hot 3", "热门")
    forged = ["fb:+:BV1../../etc", "fb:*:" + bvids(hot)[0], "fb:+", "x" * 64, "login:newer",
              "fm:BV1../../etc", "mu:q:" + bvids(hot)[0], "mu:a:<b>", "um:abc", "more:!!:1",
              "more:abc:-1"]
    for data in forged:
        tg.press_button(USER, hot.message_id, data, check=False)
    tg.wait_for(lambda _: len(tg.callback_answers) == len(forged), USER)
    assert all("失效" in answer.text for answer in tg.callback_answers)
    assert runner.call(lambda: runner.services.storage.load_feedback(USER)) == {}
    assert runner.call(lambda: runner.services.storage.load_mutes(USER)) == []
    assert runner.client.qr_codes == []
    assert [m.text for m in chat.messages()] == [hot.text]        # nothing sent, nothing edited


def used_or_expired_more(tg, fake, start_bot):
    runner = start_bot()
    chat = Chat(tg, USER)
    hot = chat.ask("/hot 3", "热门")
    [used] = [data for data in hot.callback_data if data.startswith("more:")]
    tg.press_button(USER, hot.message_id, used)
    tg.wait_for(lambda msgs: len(msgs) == 2 and len(tg.callback_answers) == 1, USER)
    batch = chat.messages()[1]
    [fresh] = [data for data in batch.callback_data if data.startswith("more:")]
    tg.press_button(USER, hot.message_id, used, check=False)      # a double tap
    tg.wait_for(lambda _: len(tg.callback_answers) == 2, USER)
    assert "已经发过" in tg.callback_answers[1].text
    runner.stop()
    start_bot()
    tg.press_button(USER, batch.message_id, fresh)                 # its cursor died with the bot
    tg.wait_for(lambda _: len(tg.callback_answers) == 3, USER)
    assert "已过期" in tg.callback_answers[2].text
    messages = chat.messages()
    assert len(messages) == 2 and not any(d.startswith("more:") for m in messages
                                          for d in m.callback_data)


def hostile_html_title(tg, fake, start_bot):
    title = '<b>bold</b> & <a href="javascript:x">click</a> </i> &amp; <script>'
    fake.popular = [make_video(9000, title=title)]
    start_bot()
    hot = Chat(tg, USER).ask("/hot 20", "热门")
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;a href=" in hot.text
    assert '<b>bold</b>' in hot.plain_text and "javascript:x" not in "".join(hot.links)


def broken_json(tg, fake, start_bot):
    fake.fail(POPULAR_PATH, "badjson", times=20)
    start_bot()
    assert "暂时无法访问" in Chat(tg, USER).ask("/hot", "暂时无法访问").text
