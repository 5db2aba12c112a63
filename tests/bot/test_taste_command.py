"""/taste sends the zone chart with the taste card as caption (naming the ranker serving the
user); without records it says what to do; /status shows the card too."""
from __future__ import annotations


import pytest

from tests.bot.conftest import FOOD_MID, Chat, taste_history
from tests.bot.test_faults import seed_login
from tests.fakes.fake_telegram import MAX_CAPTION_LENGTH, parse_text

USER = 9191
PNG = b"\x89PNG\r\n\x1a\n"
WORDS = {
    "zh": {"code": "zh-hans", "empty": "还没有足够的记录", "title": "你的口味（来自 60 条记录）",
           "zones": "常看分区：美食制作", "ranker": "排序：内容匹配", "status": "状态"},
    "en": {"code": "en", "empty": "Not enough records yet", "title": "Your taste (from 60 records)",
           "zones": "Zones you watch most: Cooking", "ranker": "Ranking: the content ranker",
           "status": "Status"},
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_taste_without_records_says_what_to_do(tg, fake, start_bot, lang):
    words = WORDS[lang]
    start_bot()
    chat = Chat(tg, USER, words["code"])
    answer = chat.ask("/taste", words["empty"])
    assert "/login" in answer.text and answer.photo is None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_taste_sends_the_chart_with_the_card(tg, fake, start_bot, lang):
    words = WORDS[lang]
    runner = start_bot()
    seed_login(runner, fake, USER, FOOD_MID, lang)
    storage = runner.services.storage
    runner.call(lambda: storage.save_behaviour(USER, taste_history(0, 0)))
    chat = Chat(tg, USER, words["code"])
    chat.send("/taste")
    [photo] = chat.wait_any(lambda m: m.photo is not None)
    assert photo.photo.startswith(PNG) and photo.photo_size[0] > 200
    for needle in ("title", "zones", "ranker"):
        assert words[needle] in photo.plain_text, (needle, photo.plain_text)
    assert len(parse_text(photo.text, "HTML").text) <= MAX_CAPTION_LENGTH
    actions = [a.action for a in tg.chat_actions if a.chat_id == USER]
    assert actions == ["upload_photo"]
    status = chat.ask("/status", words["status"])
    assert words["title"] in status.plain_text and words["zones"] in status.plain_text
