"""Mapping of Bilibili's JSON items (archive objects, history, favourites, feed) to ``Video``.

Every function returns None for an item that is not a normal, valid video, so callers simply
drop it. Missing or null fields fall back to the record's defaults; counts the listing does not
carry stay None.
"""
from __future__ import annotations

from typing import Any

from bilibili.records import VideoStats
from domain import Video

INVALID_FAV_TITLE = "已失效视频"
VIDEO_RESOURCE_TYPE = 2


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _count(stat: Any, name: str) -> int | None:
    if not isinstance(stat, dict) or stat.get(name) is None:
        return None
    return _int(stat.get(name))


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _reason(value: Any) -> str:
    """``rcmd_reason`` is an object ``{content: …}`` in most listings, a plain string in some."""
    if isinstance(value, str):
        return value
    return _str(_dict(value).get("content"))


def archive_video(item: Any, **user_side: Any) -> Video | None:
    """An archive (view-shaped) object: popular, coin and like lists, ``view``."""
    if not isinstance(item, dict) or not _str(item.get("bvid")):
        return None
    owner = _dict(item.get("owner"))
    stat = item.get("stat")
    return Video(
        bvid=item["bvid"],
        aid=_int(item.get("aid")),
        title=_str(item.get("title")),
        owner_mid=_int(owner.get("mid")),
        owner_name=_str(owner.get("name")),
        tname=_str(item.get("tname")),
        tid=_int(item.get("tid")),
        duration=_int(item.get("duration")),
        pubdate=_int(item.get("pubdate")),
        cover=_str(item.get("pic")),
        view=_count(stat, "view"),
        like=_count(stat, "like"),
        coin=_count(stat, "coin"),
        favorite=_count(stat, "favorite"),
        reply=_count(stat, "reply"),
        danmaku=_count(stat, "danmaku"),
        share=_count(stat, "share"),
        rcmd_reason=_reason(item.get("rcmd_reason")),
        **user_side,
    )


def history_video(item: Any) -> Video | None:
    """A ``history/cursor`` item; only ``history.business == "archive"`` is a video."""
    if not isinstance(item, dict):
        return None
    history = _dict(item.get("history"))
    bvid = _str(history.get("bvid"))
    if history.get("business") != "archive" or not bvid:
        return None
    return Video(
        bvid=bvid,
        aid=_int(history.get("oid")) or _int(item.get("kid")),
        title=_str(item.get("title")),
        owner_mid=_int(item.get("author_mid")),
        owner_name=_str(item.get("author_name")),
        tname=_str(item.get("tag_name")),
        duration=_int(item.get("duration")),
        cover=_str(item.get("cover")),
        view_at=_int(item.get("view_at")),
        progress=_int(item.get("progress")),
        faved=_int(item.get("is_fav")) == 1,
    )


def favourite_video(media: Any) -> Video | None:
    """A favourite folder ``medias[]`` entry; deleted videos ("已失效视频") and non-videos skipped."""
    if not isinstance(media, dict) or _int(media.get("type"), 2) != 2:
        return None
    bvid = _str(media.get("bvid")) or _str(media.get("bv_id"))
    if not bvid or media.get("title") == INVALID_FAV_TITLE:
        return None
    upper = _dict(media.get("upper"))
    cnt = media.get("cnt_info")
    return Video(
        bvid=bvid,
        aid=_int(media.get("id")),
        title=_str(media.get("title")),
        owner_mid=_int(upper.get("mid")),
        owner_name=_str(upper.get("name")),
        duration=_int(media.get("duration")),
        pubdate=_int(media.get("pubtime")),
        cover=_str(media.get("cover")),
        view=_count(cnt, "play"),
        favorite=_count(cnt, "collect"),
        danmaku=_count(cnt, "danmaku"),
        faved=True,
    )


def feed_video(item: Any) -> Video | None:
    """A homepage feed item; ads, live rooms, bangumi and any other non-video card give None."""
    if not isinstance(item, dict):
        return None
    if item.get("goto") != "av" or not _str(item.get("bvid")) or item.get("business_info"):
        return None
    owner = _dict(item.get("owner"))
    stat = item.get("stat")
    return Video(
        bvid=item["bvid"],
        aid=_int(item.get("id")),
        title=_str(item.get("title")),
        owner_mid=_int(owner.get("mid")),
        owner_name=_str(owner.get("name")),
        duration=_int(item.get("duration")),
        pubdate=_int(item.get("pubdate")),
        cover=_str(item.get("pic")),
        view=_count(stat, "view"),
        like=_count(stat, "like"),
        danmaku=_count(stat, "danmaku"),
        rcmd_reason=_reason(item.get("rcmd_reason")),
    )


def resource_stats(item: Any) -> VideoStats | None:
    """A ``fav/resource/infos`` ``data[]`` entry; None for a non-video or an entry without id.

    ``attr`` bit 0 (or the "已失效视频" title) marks a deleted or invalid video: gone, no counts."""
    if not isinstance(item, dict) or _int(item.get("type"), 2) != VIDEO_RESOURCE_TYPE:
        return None
    aid = _int(item.get("id"))
    if aid <= 0:
        return None
    if _int(item.get("attr")) & 1 or item.get("title") == INVALID_FAV_TITLE:
        return VideoStats(aid=aid, gone=True)
    upper = _dict(item.get("upper"))
    cnt = item.get("cnt_info")
    return VideoStats(
        aid=aid,
        bvid=_str(item.get("bvid")) or _str(item.get("bv_id")),
        title=_str(item.get("title")),
        owner_mid=_int(upper.get("mid")),
        owner_name=_str(upper.get("name")),
        duration=_int(item.get("duration")),
        pubdate=_int(item.get("pubtime")),
        cover=_str(item.get("cover")),
        view=_count(cnt, "play"),
        favorite=_count(cnt, "collect"),
        danmaku=_count(cnt, "danmaku"),
    )
