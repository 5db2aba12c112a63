"""Plain data records shared by every layer: videos, credentials, impressions."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping, NamedTuple


@dataclass(frozen=True, slots=True)
class Video:
    """One Bilibili video as any listing gives it, plus this user's relation to it.

    Counts are ``None`` where the listing does not carry them (the feed has no coin count, a
    favourite folder has no like count). ``progress`` is seconds watched, -1 meaning finished.
    """

    bvid: str
    aid: int = 0
    title: str = ""
    owner_mid: int = 0
    owner_name: str = ""
    tname: str = ""
    tid: int = 0
    tags: tuple[str, ...] = ()
    duration: int = 0
    pubdate: int = 0
    cover: str = ""
    view: int | None = None
    like: int | None = None
    coin: int | None = None
    favorite: int | None = None
    reply: int | None = None
    danmaku: int | None = None
    share: int | None = None
    rcmd_reason: str = ""
    # the user's side
    view_at: int = 0
    progress: int = 0
    liked: bool = False
    faved: bool = False
    coined: bool = False

    def with_user_side(self, **changes) -> "Video":
        """A copy with some fields changed (used to merge the user's relation into a listing)."""
        return replace(self, **changes)

    @property
    def url(self) -> str:
        return f"https://www.bilibili.com/video/{self.bvid}"


COUNT_NAMES = frozenset({"view", "like", "coin", "favorite", "reply", "danmaku", "share"})


def merge_videos(a: Video, b: Video) -> Video:
    """Merge two records of the same video: b's non-empty fields win, user flags are OR-ed."""
    if a.bvid != b.bvid:
        raise ValueError("cannot merge records of different videos")
    changes = {}
    for name in Video.__dataclass_fields__:
        value = getattr(b, name)
        if name in ("liked", "faved", "coined"):
            changes[name] = getattr(a, name) or value
        elif name in ("view_at",):
            changes[name] = max(getattr(a, name), value)
        elif name == "progress":
            mine = getattr(a, name)
            # -1 means finished: it wins over any partial progress
            changes[name] = -1 if -1 in (mine, value) else max(mine, value)
        elif name in COUNT_NAMES:
            if value is not None:      # a count of 0 is a real count, None an unknown one
                changes[name] = value
        elif value not in (None, "", 0, ()):
            changes[name] = value
    return replace(a, **changes)


class WatchRecord(NamedTuple):
    """The fields of one behaviour record that serving reads (``Storage.load_watch_records``):
    the same names and meanings as on ``Video``, and ``title_tokens``, the recommender's
    tokens of the title as it stored them (None until it has)."""

    bvid: str
    view_at: int
    title: str
    owner_mid: int
    tname: str
    duration: int
    progress: int
    liked: bool
    faved: bool
    coined: bool
    title_tokens: str | None = None


@dataclass(frozen=True)
class Credentials:
    """A Bilibili login: the cookie jar and the refresh_token. Never printed in full."""

    cookies: Mapping[str, str] = field(default_factory=dict)
    refresh_token: str = ""

    @property
    def mid(self) -> int:
        try:
            return int(self.cookies.get("DedeUserID", "0"))
        except ValueError:
            return 0

    @property
    def csrf(self) -> str:
        return self.cookies.get("bili_jct", "")

    def __repr__(self) -> str:  # secrets never reach a log or a traceback
        names = ",".join(sorted(self.cookies))
        return f"Credentials(mid={self.mid}, cookies=[{names}], refresh_token=<redacted>)"

    __str__ = __repr__


@dataclass(frozen=True)
class Impression:
    """One video shown to a user: on which channel ("hot", "explore", "digest"), at which
    0-based position of the list, when (Unix seconds), by which ranker and with its 0..1 score."""

    video: Video
    channel: str
    position: int
    shown_at: float
    ranker: str
    score: float | None = None

    @property
    def bvid(self) -> str:
        return self.video.bvid
