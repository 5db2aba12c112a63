"""Covers through the fakes: /hot shows the top pick's cover, as a photo with the list as caption
when the list fits Telegram's caption limit, else as the large link preview of the list."""
from __future__ import annotations

from bot.render import CAPTION_LIMIT
from tests.bot.conftest import Chat, bvids
from tests.fakes.fake_telegram import utf16_length

USER = 611
GROUP = -1001112223334


def https(url: str) -> str:
    return url.replace("http://", "https://", 1)


def covers(fake) -> dict[str, str]:
    return {video.bvid: https(video.cover) for video in fake.popular}


def owners(fake) -> dict[str, int]:
    return {video.bvid: video.owner_mid for video in fake.popular}


def test_a_short_list_is_the_top_picks_cover_with_the_list_as_caption(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER)
    message = chat.ask("/hot 3", "热门")
    assert message.photo is not None and message.parse_mode == "HTML"
    listed = bvids(message)
    assert len(listed) == 3
    assert message.photo_url == covers(fake)[listed[0]]          # entry 1: the top pick
    assert utf16_length(message.plain_text) <= CAPTION_LIMIT     # as Telegram counts it
    assert len(message.callback_data) == 3 * 3 + 1                # 👍/👎/⋯ and ▶ on the photo
    for bvid in listed:                                           # UP主 names link to spaces
        assert f"https://space.bilibili.com/{owners(fake)[bvid]}" in message.links
    assert not tg.calls_to("sendMessage")


def test_a_long_list_is_text_with_the_top_picks_cover_as_large_preview(tg, fake, start_bot):
    start_bot()
    chat = Chat(tg, USER, language_code="en")
    message = chat.ask("/hot 10", "Hot")
    assert message.photo is None
    listed = bvids(message)
    assert len(listed) == 10
    assert utf16_length(message.plain_text) > CAPTION_LIMIT
    # is_disabled is sent as false: the Application's Defaults disable previews elsewhere
    assert message.link_preview == {"is_disabled": False, "url": covers(fake)[listed[0]],
                                    "prefer_large_media": True, "show_above_text": True}
    assert "by " in message.plain_text and "UP主" not in message.plain_text


def test_a_cover_telegram_cannot_fetch_falls_back_to_the_preview(tg, fake, start_bot):
    start_bot()
    tg.unreachable_url("https://i0.hdslb.com/")
    chat = Chat(tg, USER)
    message = chat.ask("/hot 2", "热门")
    assert [c.status for c in tg.calls_to("sendPhoto")] == [400]
    assert message.photo is None and len(bvids(message)) == 2
    assert message.link_preview["url"] == covers(fake)[bvids(message)[0]]


def test_group_hot_shows_the_cover_without_buttons(tg, fake, start_bot):
    start_bot()
    tg.add_group(GROUP, "friends")
    tg.send_text(USER, "/hot 2", chat_id=GROUP)
    [message] = tg.wait_for(lambda msgs: len(msgs) >= 1, GROUP)
    assert message.photo_url == covers(fake)[bvids(message)[0]]
    assert message.callback_data == []
