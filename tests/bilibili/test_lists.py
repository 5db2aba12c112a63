"""Behaviour lists (history, favourites, coins, likes), candidates (popular, feed) and video
details, through the fake over real HTTP."""
from __future__ import annotations

import pytest

from bilibili import FavFolder
from bilibili.errors import NotLoggedIn, RiskControl, VideoUnavailable
from tests.bilibili.conftest import ALICE, BOB, NOW, history_of
from tests.fakes.fake_bilibili import make_video


def test_history_pages_newest_first_with_user_side(fake, client):
    creds = fake.credentials_for(ALICE)
    videos = client.history(creds)
    expected = history_of(0, 75)
    assert [v.bvid for v in videos] == [v.bvid for v in expected]
    assert fake.count("/history/cursor") == 4  # 30 + 30 + 15, then the empty page stops
    first, second = videos[0], videos[1]
    assert (first.view_at, first.progress) == (NOW, 30)
    assert second.progress == -1
    assert first.title == expected[0].title and first.owner_name == expected[0].owner_name
    assert first.tname == expected[0].tname and first.aid == expected[0].aid


def test_history_stops_at_cap(fake, client):
    videos = client.history(fake.credentials_for(ALICE), cap=40)
    assert len(videos) == 40
    assert fake.count("/history/cursor") == 2
    params = [p for _, path, p in fake.requests if path.endswith("/history/cursor")]
    assert params[0]["max"] == "0" and params[1]["max"] == str(videos[29].aid)


def test_history_empty(fake, client):
    fake.add_account(30001, "新用户")
    assert client.history(fake.credentials_for(30001)) == []


def test_fav_folders_and_contents(fake, client):
    creds = fake.credentials_for(ALICE)
    folders = client.fav_folders(creds, ALICE)
    assert [f.title for f in folders] == ["默认收藏夹", "学习资料"]
    assert isinstance(folders[0], FavFolder) and folders[0].media_count == 26  # incl. 1 deleted
    videos = client.favourites(creds, ALICE)
    assert len(videos) == 28 and all(v.faved for v in videos)
    assert "已失效视频" not in {v.title for v in videos}
    assert {v.bvid for v in videos} == {make_video(i).bvid for i in
                                        [*range(200, 225), *range(300, 303)]}
    assert fake.count("/fav/resource/list") == 3  # 20 + 6 in the first folder, 3 in the second
    assert videos[0].view == make_video(200).view and videos[0].like is None


def test_favourites_cap_and_no_folders(fake, client):
    creds = fake.credentials_for(ALICE)
    assert len(client.favourites(creds, ALICE, cap=10)) == 10
    assert client.fav_folders(fake.credentials_for(BOB), BOB) == []
    assert client.favourites(fake.credentials_for(BOB), BOB) == []


def test_coins_and_likes(fake, client):
    creds = fake.credentials_for(ALICE)
    coined = client.coined(creds, ALICE)
    liked = client.liked(creds, ALICE)
    assert [v.bvid for v in coined] == [make_video(400).bvid, make_video(401).bvid]
    assert all(v.coined and not v.liked for v in coined)
    assert len(liked) == 3 and all(v.liked and not v.coined for v in liked)
    assert coined[0].coin == make_video(400).coin and coined[0].tname == make_video(400).tname


@pytest.mark.parametrize("kind", ["-403", "-404", "53013"])
def test_hidden_coin_and_like_lists_are_empty(fake, client, kind):
    creds = fake.credentials_for(ALICE)
    fake.fail("/space/coin/video", kind)
    fake.fail("/space/like/video", kind)
    assert client.coined(creds, ALICE) == []
    assert client.liked(creds, ALICE) == []
    assert client.coined(fake.credentials_for(BOB), BOB) == []  # nothing coined: data null


def test_popular_pages_signed_and_shared(fake, client):
    videos = client.popular(pages=2, page_size=50)
    assert [v.bvid for v in videos] == [v.bvid for v in fake.popular[:100]]
    assert videos[0].view == fake.popular[0].view and videos[0].tname == fake.popular[0].tname
    log = [r for r in fake.request_log if r.path == "/x/web-interface/popular"]
    assert len(log) == 2 and all("w_rid" in r.params and "wts" in r.params for r in log)
    assert all(r.mid is None and "SESSDATA" not in r.cookie_names for r in log)
    assert all(r.params["web_location"] == "333.934" for r in log)


def test_popular_stops_on_no_more(fake, client):
    fake.popular = fake.popular[:60]
    assert len(client.popular(pages=5, page_size=50)) == 60
    assert fake.count("/x/web-interface/popular") == 2


def test_feed_signed_paged_videos_only(fake, client):
    creds = fake.credentials_for(ALICE)
    videos = client.feed(creds, pages=2, page_size=30)
    assert [v.bvid for v in videos] == [make_video(500 + i).bvid for i in range(60)]
    assert all(v.bvid and v.title != "推广视频" for v in videos)
    log = [r for r in fake.request_log if r.path.endswith("/feed/rcmd")]
    assert [r.params["fresh_idx"] for r in log] == ["1", "2"]
    assert all(r.mid == ALICE for r in log)
    assert fake.count("/feed/rcmd") == 2


def test_feed_rejects_a_wrong_signature(fake):
    """The fake really checks w_rid: a request signed with other keys gets -352."""
    import requests

    from bilibili import wbi
    params = wbi.sign({"ps": 12, "fresh_idx": 1}, "a" * 32, "b" * 32, 1702204169)
    answer = requests.get(fake.url + "/x/web-interface/wbi/index/top/feed/rcmd", params=params,
                          headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131"},
                          timeout=5).json()
    assert answer["code"] == -352 and answer["data"]["v_voucher"]
    good = wbi.sign({"ps": 12, "fresh_idx": 1}, fake.img_key, fake.sub_key, 1702204169)
    answer = requests.get(fake.url + "/x/web-interface/wbi/index/top/feed/rcmd", params=good,
                          headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131"},
                          timeout=5).json()
    assert answer["code"] == 0 and answer["data"]["mid"] == 0


def test_wbi_keys_cached_and_reread_after_rotation(fake, client):
    creds = fake.credentials_for(ALICE)
    client.feed(creds, pages=1)
    client.popular(pages=1)
    assert fake.count("/x/web-interface/nav") == 1  # keys read once, then cached
    fake.rotate_wbi_keys()
    assert len(client.feed(creds, pages=1)) == 30  # -352, keys re-read, re-signed
    assert fake.count("/x/web-interface/nav") == 2


@pytest.mark.parametrize("kind", ["-352", "voucher"])
def test_feed_reread_keys_once_after_352(fake, client, kind):
    creds = fake.credentials_for(ALICE)
    fake.fail("/feed/rcmd", kind, times=1)
    assert len(client.feed(creds, pages=1)) == 30
    assert fake.count("/x/web-interface/nav") == 2
    assert fake.count("/feed/rcmd") == 2


def test_persistent_352_raises_risk_control_after_one_reread(fake, client):
    creds = fake.credentials_for(ALICE)
    fake.fail("/feed/rcmd", "-352", times=5)
    with pytest.raises(RiskControl) as info:
        client.feed(creds, pages=1)
    assert info.value.code == -352
    assert fake.count("/feed/rcmd") == 2 and fake.count("/x/web-interface/nav") == 2


def test_bad_signature_answered_with_voucher_rereads_keys(fake, client):
    fake.bad_signature_answer = "voucher"  # code 0 + data.v_voucher, the disguised refusal
    client.popular(pages=1)
    fake.rotate_wbi_keys()
    assert len(client.popular(pages=1)) == 50
    assert fake.count("/x/web-interface/nav") == 2


def test_persistent_voucher_is_risk_control(fake, client):
    fake.fail("/x/web-interface/popular", "voucher", times=5)
    with pytest.raises(RiskControl) as info:
        client.popular(pages=1)
    assert "v_voucher" in str(info.value)
    assert fake.count("/x/web-interface/popular") == 2


def test_feed_of_an_expired_session_is_not_logged_in(fake, client):
    creds = fake.credentials_for(BOB)
    fake.expire_session(BOB)
    with pytest.raises(NotLoggedIn):
        client.feed(creds)


def test_anonymous_feed(fake, client):
    videos = client.feed(None, pages=1, page_size=12)
    assert [v.bvid for v in videos] == [v.bvid for v in fake.popular[:12]]


def test_video_details_and_tags(fake, client):
    target = fake.popular[3]
    video = client.video(target.bvid)
    assert (video.bvid, video.title, video.tags, video.tname) == \
        (target.bvid, target.title, target.tags, target.tname)
    assert client.video(target.bvid, tags=False).tags == ()


@pytest.mark.parametrize("code", [62002, 62004, 62012, -404])
def test_unavailable_video(fake, client, code):
    target = fake.popular[0]
    fake.hide_video(target.bvid, code)
    with pytest.raises(VideoUnavailable) as info:
        client.video(target.bvid)
    assert info.value.code == code


def test_unknown_video_is_unavailable(client):
    with pytest.raises(VideoUnavailable):
        client.video("BV1zzzzzzzzz")


def test_wbi_keys_reread_when_stale(fake):
    from bilibili import BilibiliClient
    with BilibiliClient(fake.url, fake.url, fake.url, backoff=0.01, wbi_ttl=0.0) as stale:
        stale.popular(pages=1)
        stale.popular(pages=1)
    assert fake.count("/x/web-interface/nav") == 2
