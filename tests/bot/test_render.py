"""Rendering of ranked lists: escaping, limits, order, languages, feedback buttons."""
from __future__ import annotations

import html
import re

import pytest

from bot.render import (CALLBACK_DATA_LIMIT, CAPTION_LIMIT, MESSAGE_LIMIT, attach_cover,
                        cover_url, feedback_data, format_age, format_duration, format_views,
                        parse_feedback_data, render_list, render_serving, telegram_length,
                        visible_length)
from recommender import Reason, Recommendation
from tests.fakes.fake_bilibili import make_video


ALLOWED_TAGS = {"a", "b"}


def assert_valid_html(message: str) -> None:
    """Only <a href> and <b>, balanced; every & starts an entity; no stray < or >."""
    stack = []
    for match in re.finditer(r"<(/?)([a-z]+)([^>]*)>", message):
        closing, tag = match.group(1), match.group(2)
        assert tag in ALLOWED_TAGS, tag
        if closing:
            assert stack and stack.pop() == tag
        else:
            stack.append(tag)
    assert not stack
    stripped = re.sub(r"<[^>]*>", "", message)
    assert "<" not in stripped and ">" not in stripped
    assert not re.search(r"&(?!(amp|lt|gt|quot|#x27|#39);)", stripped)


def rec(i: int, rating: int, **video_fields) -> Recommendation:
    return Recommendation(make_video(i, **video_fields), rating,
                          (Reason("author", "老番茄"), Reason("keywords", "美食, 做饭")))


def test_entry_has_link_title_owner_views_duration_rating_reason():
    item = rec(1, 87, title="Tom & Jerry <2> 🐱🐭", owner_name="UP<主>", view=123456,
               duration=3725)
    [message] = render_list([item], "zh", header="🔥 <b>热门</b>")
    assert f'<a href="https://www.bilibili.com/video/{item.video.bvid}">' in message.text
    assert "Tom &amp; Jerry &lt;2&gt; 🐱🐭" in message.text
    space = f"https://space.bilibili.com/{item.video.owner_mid}"
    assert f'UP主 <a href="{space}">UP&lt;主&gt;</a>' in message.text
    assert "12.3万 播放" in message.text
    assert "1:02:05" in message.text
    assert "推荐指数 87" in message.text
    assert "你常看 UP主 老番茄" in message.text
    assert_valid_html(message.text)


def test_english_uses_rating_and_english_units():
    [message] = render_list([rec(2, 64, view=12345)], "en", header="Hot")
    assert "rating 64" in message.text and "推荐指数" not in message.text
    assert "12K views" in message.text and "by <a href=" in message.text
    assert "you often watch 老番茄" in message.text
    assert "UP主" not in message.text


def test_entries_are_ordered_by_rating_highest_first():
    items = [rec(1, 30), rec(2, 95), rec(3, 60)]
    [message] = render_list(items, "zh", header="h")
    positions = [message.text.index(f"推荐指数 {r}") for r in (95, 60, 30)]
    assert positions == sorted(positions)
    assert message.text.index("1. ") < message.text.index("2. ") < message.text.index("3. ")


def test_long_lists_split_within_the_limit_and_keep_every_entry():
    long_title = "&<>" * 40 + "🎉" * 20
    items = [rec(i, 100 - i, title=long_title) for i in range(20)]
    messages = render_list(items, "zh", header="h", limit=1500)
    assert len(messages) > 1
    for message in messages:
        assert telegram_length(message.text) <= 1500
        assert_valid_html(message.text)
    joined = "".join(m.text for m in messages)
    for item in items:
        assert item.video.bvid in joined
    # buttons of each message belong to that message's entries
    for message in messages:
        for row in message.buttons:
            for _, data in row:
                assert data.rsplit(":", 1)[1] in message.text


def test_twenty_entries_fit_telegram_limits():
    items = [rec(i, 50, title="长" * 80, owner_name="名" * 30) for i in range(20)]
    for message in render_list(items, "en", header="h"):
        assert telegram_length(message.text) <= MESSAGE_LIMIT
        buttons = [b for row in message.buttons for b in row]
        assert len(buttons) <= 100


def test_feedback_buttons_carry_the_bvid_and_fit_64_bytes():
    items = [rec(i, 90 - i) for i in range(3)]
    [message] = render_list(items, "zh", header="h")
    buttons = [b for row in message.buttons for b in row]
    assert [label.split()[1] for label, _ in buttons] == ["👍", "👎", "⋯"] * 3
    for label, data in buttons:
        assert len(data.encode()) <= CALLBACK_DATA_LIMIT
    assert buttons[1][1] == f"fb:-:{items[0].video.bvid}"
    assert buttons[2][1] == f"fm:{items[0].video.bvid}"
    assert message.reply_markup().inline_keyboard[0][0].callback_data == buttons[0][1]


@pytest.mark.parametrize("data", ["", "fb", "fb:+", "fb:x:BV1xx411c7mD", "fb:+:BV1", "xx:+:BV1xx411c7mD",
                                  "fb:+:BV1xx411c7mD:extra", "fb:-:<script>"])
def test_bad_feedback_data_is_rejected(data):
    assert parse_feedback_data(data) is None


def test_feedback_data_round_trip():
    assert parse_feedback_data(feedback_data("+", "BV1xx411c7mD")) == (1, "BV1xx411c7mD")
    assert parse_feedback_data(feedback_data("-", "BV1xx411c7mD")) == (-1, "BV1xx411c7mD")


def test_empty_list_says_nothing_new():
    [message] = render_list([], "en", header="Hot", notes=["note"])
    assert "Nothing new" in message.text and "note" in message.text
    assert message.reply_markup() is None


def test_formatting_helpers():
    assert format_views(None, "zh") == "?"
    assert format_views(999, "en") == "999"
    assert format_views(2_500_000, "en") == "2.5M"
    assert format_views(35_210, "en") == "35K" and format_views(1_234, "en") == "1.2K"
    assert format_views(123_456_789, "en") == "123M"
    assert format_views(35_210, "zh") == "3.5万"
    assert format_views(250_000_000, "zh") == "2.5亿"
    assert format_duration(75) == "1:15"
    assert format_duration(0) == "0:00"
    assert format_age(30, "en") == "1 min"
    assert format_age(7200, "zh") == "2 小时"
    assert telegram_length("🎉") == 2


def test_escaped_reason_values():
    item = Recommendation(make_video(5), 70, (Reason("keywords", "<b>&"),))
    [message] = render_list([item], "zh", header="h")
    assert html.escape("<b>&") in message.text
    assert_valid_html(message.text)


def test_serving_summary_names_the_ranker_and_every_figure_in_words():
    summary = {"served": "model", "served_reason": "best", "auc_model": 0.843,
               "auc_content": 0.801, "auc_tfidf": 0.78, "auc_freq": 0.7}
    zh = render_serving(summary, "zh", "2026-12-01 08:00")
    assert zh.startswith("你的个人模型") and "84%" in zh and "内容匹配 80%" in zh
    assert "2026-12-01 08:00" in zh
    en = render_serving({**summary, "served": "content"}, "en")
    assert en.startswith("the content ranker") and "80 %" in en and "personal model 84 %" in en
    assert "UP主" not in en
    for text_ in (zh, en):
        assert_valid_html(text_)


def test_serving_summary_says_why_there_is_no_model():
    few = render_serving({"served": "content", "served_reason": "few_positives",
                          "positives": 12, "min_positives": 50}, "en")
    assert "12" in few and "50 needed" in few
    assert "跳过" in render_serving({"served_reason": "no_negatives"}, "zh")
    assert "not trained yet" in render_serving({}, "en")
    odd = render_serving({"served": "<b>", "served_reason": "best", "auc_content": 0.7}, "en")
    assert odd.startswith("the content ranker") and "70 %" in odd


@pytest.mark.parametrize("days, zh, en", [("0", "今天发布", "published today"),
                                          ("1", "昨天发布", "published yesterday"),
                                          ("2", "2 天前发布", "published 2 days ago")])
def test_fresh_reason_in_both_languages(days, zh, en):
    item = Recommendation(make_video(6, title="新 <视频> & 更新"), 66,
                          (Reason("quality", "👍5.0%"), Reason("fresh", days)))
    for lang, expected in (("zh", zh), ("en", en)):
        [message] = render_list([item], lang, header="h")
        assert expected in message.text
        assert_valid_html(message.text)


def test_a_malformed_fresh_value_is_escaped():
    item = Recommendation(make_video(7), 50, (Reason("fresh", "<b>²&"),))
    [message] = render_list([item], "en", header="h")
    assert html.escape("<b>²&") in message.text
    assert_valid_html(message.text)


def test_the_provisional_note_names_the_ranker_truthfully():
    from bot.sending import list_messages
    from bot.services.lists import ListResult

    items = [Recommendation(make_video(3), 40)]
    [content] = list_messages(ListResult(items, True, ranker="content"), "en", header="h")
    assert "creators, zones and words you watch" in content.text
    assert "quality order" not in content.text
    [quality] = list_messages(ListResult(items, True, ranker="quality"), "zh", header="h")
    assert "按质量排序" in quality.text
    [personal] = list_messages(ListResult(items, False, ranker="model"), "en", header="h")
    assert "no personal model" not in personal.text


def test_cover_urls_are_https():
    assert cover_url(make_video(1, cover="http://i0.hdslb.com/bfs/a.jpg")) == \
        "https://i0.hdslb.com/bfs/a.jpg"
    assert cover_url(make_video(1, cover="//i1.hdslb.com/bfs/b.png")) == \
        "https://i1.hdslb.com/bfs/b.png"
    for bad in ("", "  ", "ftp://x/y.jpg", "javascript:alert(1)"):
        assert cover_url(make_video(1, cover=bad)) is None


def test_visible_length_counts_like_telegram():
    assert visible_length('  <b>a&amp;b</b> <a href="https://x.y/z">🎉</a>\n') == 6
    assert visible_length("&lt;名&gt;") == 3


def test_a_list_that_fits_a_caption_becomes_the_top_picks_photo():
    items = [rec(1, 40), rec(2, 90), rec(3, 70)]
    [message] = attach_cover(render_list(items, "zh", header="h"), items)
    assert message.photo_url == cover_url(items[1].video) and message.preview_url is None
    assert visible_length(message.text) <= CAPTION_LIMIT


def test_a_list_too_long_for_a_caption_previews_the_top_picks_cover():
    items = [rec(i, 90 - i, title="长" * 100) for i in range(8)]
    messages = attach_cover(render_list(items, "en", header="h", limit=1500), items)
    assert len(messages) > 1
    assert messages[0].photo_url is None and messages[0].preview_url == cover_url(items[0].video)
    preview = messages[0].link_preview()
    assert (preview.url, preview.prefer_large_media, preview.show_above_text) == \
        (cover_url(items[0].video), True, True)
    assert all(m.preview_url is None and m.link_preview().is_disabled for m in messages[1:])
    [single] = attach_cover(render_list(items, "en", header="h"), items)
    assert visible_length(single.text) > CAPTION_LIMIT and single.preview_url is not None


def test_no_cover_no_picture():
    items = [rec(1, 50, cover="")]
    [message] = attach_cover(render_list(items, "zh", header="h"), items)
    assert message.photo_url is None and message.link_preview().is_disabled
    assert attach_cover([], []) == []
