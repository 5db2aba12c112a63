"""JSON items -> Video: non-videos dropped, null fields tolerated, user-side fields filled."""
from __future__ import annotations

from bilibili import VideoStats, parse


def test_history_keeps_archive_only():
    archive = {"title": "视频", "history": {"oid": 5, "bvid": "BV1xx411c7mD", "business": "archive"},
               "author_mid": 9, "author_name": "UP", "view_at": 100, "progress": -1,
               "duration": 60, "tag_name": "数码", "is_fav": 1}
    live = {"title": "直播", "history": {"oid": 7, "bvid": "", "business": "live"}}
    pgc = {"title": "番剧", "history": {"oid": 8, "bvid": "BV1yy411c7mE", "business": "pgc"}}
    video = parse.history_video(archive)
    assert (video.bvid, video.aid, video.tname, video.view_at, video.progress, video.faved) == \
        ("BV1xx411c7mD", 5, "数码", 100, -1, True)
    assert parse.history_video(live) is None
    assert parse.history_video(pgc) is None
    assert parse.history_video("junk") is None


def test_feed_drops_ads_live_and_ogv():
    video = {"id": 1, "bvid": "BV1DJ4m1u7Mp", "goto": "av", "title": "推荐", "business_info": None,
             "owner": {"mid": 2, "name": "UP"}, "stat": {"view": 10, "like": 1, "danmaku": 0},
             "rcmd_reason": {"content": "2万点赞", "reason_type": 3}}
    ad = {"id": 0, "bvid": "", "goto": "av", "business_info": {"archive": {"bvid": "BV1ad"}},
          "owner": None, "stat": None}
    ad_with_bvid = dict(video, business_info={"id": 1})
    live = {"id": 3, "bvid": "", "goto": "live", "stat": None}
    ogv = {"id": 4, "bvid": "BV1og", "goto": "ogv"}
    parsed = parse.feed_video(video)
    assert (parsed.view, parsed.like, parsed.coin, parsed.rcmd_reason) == (10, 1, None, "2万点赞")
    assert [parse.feed_video(i) for i in (ad, ad_with_bvid, live, ogv)] == [None] * 4


def test_favourite_skips_invalid_and_non_video():
    ok = {"id": 1, "type": 2, "title": "好视频", "bvid": "BV1ok", "upper": {"mid": 3, "name": "U"},
          "cnt_info": {"play": 5, "collect": 2, "danmaku": 1}, "pubtime": 9}
    gone = dict(ok, title="已失效视频")
    audio = dict(ok, type=12)
    video = parse.favourite_video(ok)
    assert (video.faved, video.view, video.favorite, video.like) == (True, 5, 2, None)
    assert parse.favourite_video(gone) is None
    assert parse.favourite_video(audio) is None


def test_archive_with_nulls_and_string_reason():
    item = {"aid": None, "bvid": "BV1n", "title": None, "owner": None, "stat": None,
            "rcmd_reason": "每周必看"}
    video = parse.archive_video(item, coined=True)
    assert (video.aid, video.title, video.view, video.rcmd_reason, video.coined) == \
        (0, "", None, "每周必看", True)
    assert parse.archive_video({"aid": 1}) is None


def test_resource_stats_counts_gone_and_non_video():
    ok = {"id": 170001, "type": 2, "title": "好视频", "bvid": "BV17x411w7KC", "duration": 300,
          "upper": {"mid": 3, "name": "UP"}, "attr": 0, "pubtime": 9,
          "cnt_info": {"collect": 2, "play": 50, "danmaku": 1}}
    stats = parse.resource_stats(ok)
    assert (stats.aid, stats.gone, stats.view, stats.favorite, stats.danmaku) == \
        (170001, False, 50, 2, 1)
    assert (stats.duration, stats.owner_mid, stats.owner_name, stats.pubdate) == (300, 3, "UP", 9)
    assert parse.resource_stats(dict(ok, bvid=None, bv_id="BV1bv")).bvid == "BV1bv"
    for gone in (dict(ok, attr=1), dict(ok, attr=9), dict(ok, title="已失效视频")):
        assert parse.resource_stats(gone) == VideoStats(aid=170001, gone=True)
    assert parse.resource_stats(dict(ok, cnt_info=None)).view is None
    assert [parse.resource_stats(i) for i in (dict(ok, type=12), dict(ok, id=None), "junk")] == \
        [None] * 3
