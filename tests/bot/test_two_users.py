"""Two users at once: concurrent QR logins, their own models, different lists, no mixing."""
from __future__ import annotations

from bot.handlers.login import qr_png
from tests.bot.conftest import CAT_MID, CAT_ZONE, FOOD_MID, FOOD_ZONE, Chat, bvids, feed_of
from tests.fakes.fake_bilibili import make_video

FOOD_USER, CAT_USER = 111, 222
MODEL_READY_TIMEOUT = 240


def zone_share(ids: list[str], zone: int, popular: dict[str, int]) -> float:
    return sum(popular[b] % 8 == zone for b in ids) / len(ids)


def test_two_users_get_their_own_lists(tg, fake, start_bot):
    runner = start_bot()
    food, cats = Chat(tg, FOOD_USER), Chat(tg, CAT_USER)
    since_food, since_cat = food.send("/login"), cats.send("/login")
    food.wait_any(lambda m: m.photo is not None)
    cats.wait_any(lambda m: m.photo is not None)
    keys = {code.qrcode_key for code in runner.client.qr_codes}
    assert len(keys) == 2
    # each chat's QR code is matched to its account by the photo the chat received
    photo_of = {qr_png(code.url): code.qrcode_key for code in runner.client.qr_codes}
    food_key = photo_of[[m for m in food.messages() if m.photo][0].photo]
    cat_key = photo_of[[m for m in cats.messages() if m.photo][0].photo]
    fake.confirm(food_key, FOOD_MID)
    fake.confirm(cat_key, CAT_MID)
    food.wait_new(since_food, "已就绪", timeout=MODEL_READY_TIMEOUT)
    cats.wait_new(since_cat, "已就绪", timeout=MODEL_READY_TIMEOUT)

    storage = runner.services.storage
    assert runner.call(lambda: storage.get_user(FOOD_USER)).mid == FOOD_MID
    assert runner.call(lambda: storage.get_user(CAT_USER)).mid == CAT_MID

    index = {make_video(5000 + j).bvid: 5000 + j for j in range(80)}
    food_hot = bvids(food.ask("/hot 10", "热门"))
    cat_hot = bvids(cats.ask("/hot 10", "热门"))
    assert food_hot != cat_hot
    assert zone_share(food_hot, FOOD_ZONE, index) > zone_share(cat_hot, FOOD_ZONE, index)
    assert zone_share(cat_hot, CAT_ZONE, index) > zone_share(food_hot, CAT_ZONE, index)

    # each user's /explore comes from their own feed only
    assert set(bvids(food.ask("/explore 5", "探索"))) <= {v.bvid for v in feed_of(FOOD_MID)}
    assert set(bvids(cats.ask("/explore 5", "探索"))) <= {v.bvid for v in feed_of(CAT_MID)}
    feed_requests = [r for r in fake.request_log if "feed/rcmd" in r.path]
    assert {r.mid for r in feed_requests} == {FOOD_MID, CAT_MID}
