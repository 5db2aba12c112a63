"""Synthetic Bilibili-like data: a catalogue of Chinese-titled videos and users with planted tastes.

Used by ``python -m recommender.evaluate --synthetic``, the bench and the tests, so everything runs
on a fresh machine with no login. Pure data generation: no TensorFlow, no storage.

What each listing carries (as ``bilibili/parse.py`` keeps it; ``tags`` are never filled — no
listing the bot reads has them):

- watch history (``history/cursor``, §4.1): title, UP主, zone *name* (``tag_name`` → tname; no
  tid), duration, view_at, progress (-1 = finished), ``is_fav`` → faved. No counts, no pubdate.
- enrichment (``fav/resource/infos``, §9.5, what the bot adds to history records): view (play),
  favorite (collect), danmaku, plus duration, UP主 and pubdate. **Not** like/coin/reply/share.
  About 2 % of history videos are gone (deleted): they come back without counts.
- favourite folders (§5.2): title, UP主, duration, pubdate, view, favorite, danmaku; no zone,
  no view_at; faved=True.
- coin / like lists (§6.1, §6.2): view-shaped archive objects — every count, zone name and tid,
  pubdate — with coined / liked = True, no view_at. They are *recent* lists: only the newest
  ``RECENT_LIST_CAP`` coins / likes are listed (an assumption; older ones are lost, so an old
  liked watch is just a history record).
- popular (§7.1): archive objects: every count, zone, tid, pubdate.
- homepage feed (§8): view, like, danmaku only (no coin/favorite/reply/share), no zone/tid.

The stored behaviour is these listings merged by bvid exactly as ``Storage.save_behaviour`` does
(``merge_videos``), newest view_at first; favourited/liked/coined videos whose watch is older than
the history the API returns are *untimed* records (view_at 0) at the end. Like the real merge, a
count that is truly 0 (a small video's favourites) stays None on a record that lacked it.

Shown lists: ``popular_now`` is the popular list at the end of the history (the most viewed
videos with a little daily churn, none the user watched) — what /hot ranks now. ``pool`` holds
what was shown before: a few popular snapshots (as fetched, watched ones included) and feed
snapshots of 60, half from the user's liked zones (the site's feed is personalised), half by
views, none watched before the snapshot. ``served_record`` gives any catalogue video in the
popular (or feed) shape, to show a later watch as /hot would.

Conditions (``CONDITIONS``), each a kind of real user the evaluation must survive:

- ``full``: history (enriched) + favourites + coins + likes; shown popular and feed snapshots.
- ``history_only``: the user never likes, coins or favourites (many real users): only enriched
  history; liked/coined/faved are all False.
- ``no_counts``: enrichment off — no behaviour record carries any count or tag (flags stay).
- ``niche``: the 3 liked zones are niche zones (``NICHE_ZONES``: programming, science, tech —
  their videos get fewer views), they make 55 % (±3) of the history, and under 2 % of the popular
  list (built from the most viewed videos; the few niche ones are capped).
- ``cold``: a new user: 25–59 watches, no older favourites, one feed and one popular snapshot.
  (Every other condition has 300–900 history watches by default, plus 20–50 % older watches
  that only survive through favourites and the recent like/coin lists.)
- ``no_pool``: nothing was shown before: ``pool`` is empty (the bot falls back to
  ``popular_now`` as first-sync negatives).

A user's taste (the planted truth): 2–3 liked zones, a few favourite UP主s, a few favourite
title keywords, a disliked zone, a taste for quality (``utility``). Watching alternates runs of
*taste* watches (a binge in one liked zone: a slate of unwatched videos of that zone, one opened
by softmax over utility) and *browse* watches (a slate from the other zones weighted by their
views — what trends and what the feed pushes — again chosen by utility); the share of taste
watches is drawn per user (exactly controlled for ``niche``). How much of a video is watched and
whether it is liked/coined/favourited follows the utility plus noise and a per-user shyness.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Sequence

import numpy as np

from domain import Video, merge_videos

ZONES: dict[str, list[str]] = {
    "单机游戏": ["艾尔登法环", "黑神话", "悟空", "魂系", "通关", "速通", "剧情", "boss", "法环", "只狼"],
    "网络游戏": ["原神", "崩坏", "星穹铁道", "抽卡", "角色", "强度", "版本", "攻略", "深渊", "配队"],
    "美食制作": ["红烧肉", "家常菜", "烘焙", "蛋糕", "火锅", "做饭", "食谱", "厨房", "面条", "炒饭"],
    "数码": ["手机", "评测", "iphone", "华为", "小米", "相机", "耳机", "续航", "芯片", "开箱"],
    "科学科普": ["宇宙", "黑洞", "物理", "量子", "实验", "化学", "数学", "生物", "科普", "进化"],
    "音乐现场": ["演唱会", "翻唱", "吉他", "钢琴", "live", "乐队", "原创", "编曲", "弹唱", "合唱"],
    "宅舞": ["翻跳", "舞蹈", "编舞", "练习室", "初音", "少女", "镜面", "教学", "国风", "元气"],
    "鬼畜调教": ["鬼畜", "全明星", "素材", "魔性", "洗脑", "循环", "名场面", "神曲", "调教", "混剪"],
    "汽车": ["试驾", "新能源", "特斯拉", "比亚迪", "油耗", "越野", "改装", "suv", "跑车", "驾驶"],
    "运动": ["篮球", "足球", "健身", "跑步", "nba", "训练", "减脂", "增肌", "瑜伽", "比赛"],
    "动物圈": ["猫咪", "狗狗", "橘猫", "柯基", "萌宠", "仓鼠", "鹦鹉", "铲屎官", "喵星人", "救助"],
    "影视杂谈": ["电影", "解说", "剧情", "悬疑", "经典", "导演", "豆瓣", "高分", "科幻", "影评"],
    "人文历史": ["历史", "三国", "唐朝", "古代", "文物", "战争", "王朝", "考古", "故宫", "秦始皇"],
    "编程": ["python", "编程", "算法", "前端", "java", "代码", "程序员", "面试", "数据库", "linux"],
    "日常": ["vlog", "日常", "生活", "旅行", "租房", "上班", "周末", "记录", "城市", "搬家"],
    "动画": ["动画", "新番", "番剧", "声优", "作画", "京阿尼", "催泪", "名场面", "补番", "推荐"],
}
GENERIC = ["合集", "第一期", "挑战", "教程", "测评", "盘点", "最新", "全网", "必看", "保姆级",
           "十分钟", "沉浸式", "超详细", "年度", "爆笑", "硬核", "入门", "高能", "完整版", "解析"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
NICKNAMES = ["酱", "君", "同学", "老师", "大叔", "小姐姐", "不是猫", "的日常", "Official", "工作室"]
START_TIME = 1_700_000_000
HOUR = 3600

CONDITIONS = ("full", "history_only", "no_counts", "niche", "cold", "no_pool")
# zones whose videos rarely trend (a programming / science / tech viewer's zones)
NICHE_ZONES = ("编程", "科学科普", "数码", "人文历史")
# log-offset of a zone's views: niche zones reach fewer viewers, a few mainstream ones more
ZONE_REACH: dict[str, float] = {
    **{zone: 0.0 for zone in ZONES}, **{zone: -1.3 for zone in NICHE_ZONES},
    "鬼畜调教": 0.3, "网络游戏": 0.3, "动画": 0.2, "美食制作": 0.2, "日常": 0.1}
NICHE_SHARE = (0.52, 0.58)       # niche users: share of the history in their 3 main zones
NICHE_POPULAR_SHARE = 0.02       # niche users' main zones stay under this share of popular lists
COLD_WATCHES = (25, 59)
RECENT_LIST_CAP = 100            # coin / like lists list only the newest ones (assumption)
GONE_RATE = 0.02                 # history videos deleted since: enrichment gives no counts
FEED_SNAPSHOT = 60               # one sync fetches 2 feed pages of 30


@dataclass(frozen=True)
class Catalogue:
    """Generated videos (popular shape: every count and the zone) with hidden quality and zone."""

    videos: list[Video]
    quality: np.ndarray          # latent quality per video
    zone_of: list[str]
    authors: dict[int, str]      # mid -> main zone

    @cached_property
    def _index(self) -> dict[str, int]:
        return {video.bvid: i for i, video in enumerate(self.videos)}

    @cached_property
    def zones(self) -> np.ndarray:
        """zone_of as an array (for masks)."""
        return np.array(self.zone_of)

    @cached_property
    def zone_codes(self) -> np.ndarray:
        """Each video's zone as its position in ZONES."""
        names = list(ZONES)
        return np.array([names.index(z) for z in self.zone_of])

    @cached_property
    def by_zone(self) -> dict[str, np.ndarray]:
        """The video indices of each zone."""
        return {z: np.flatnonzero(self.zone_codes == i) for i, z in enumerate(ZONES)}

    @cached_property
    def log_views(self) -> np.ndarray:
        return np.log1p(np.array([v.view or 0 for v in self.videos], dtype=float))

    def index_of(self, bvid: str) -> int:
        """The catalogue index of a video by bvid (KeyError if unknown)."""
        return self._index[bvid]


@dataclass(frozen=True)
class Taste:
    """One user's planted taste."""

    zones: dict[str, float]
    authors: frozenset[int]
    keywords: frozenset[str]
    disliked_zone: str
    quality_weight: float


@dataclass(frozen=True)
class SyntheticUser:
    """A generated user: stored behaviour and pools as the bot would hold them.

    ``behaviour``: merged records, newest view_at first, untimed (view_at 0) ones last.
    ``popular_pool`` / ``feed_pool``: what popular and feed fetches before the end showed
    (newest snapshot first, unique); ``pool`` is both (popular first), empty in ``no_pool``.
    ``popular_now``: the popular list at the end of the history, full counts, never a video the
    user watched. ``watches``: (catalogue index, view_at) of every watch, oldest first, including
    those too old for the history listing.
    """

    taste: Taste
    behaviour: list[Video]
    pool: list[Video]
    popular_now: list[Video] = field(default_factory=list)
    popular_pool: list[Video] = field(default_factory=list)
    feed_pool: list[Video] = field(default_factory=list)
    condition: str = "full"
    watches: tuple[tuple[int, int], ...] = ()
    catalogue: Catalogue | None = field(default=None, repr=False, compare=False)

    @property
    def main_zones(self) -> tuple[str, ...]:
        """The planted liked zones."""
        return tuple(self.taste.zones)

    def on_taste(self, video: Video) -> bool:
        """Whether the video's zone is one of the planted liked zones (the /hot on-taste share).

        Listings without a zone (feed) are looked up in the catalogue.
        """
        zone = video.tname
        if not zone and self.catalogue is not None and video.bvid in self.catalogue._index:
            zone = self.catalogue.zone_of[self.catalogue.index_of(video.bvid)]
        return zone in self.taste.zones


def make_catalogue(rng: np.random.Generator, n_videos: int = 4000,
                   n_authors: int = 400) -> Catalogue:
    """A catalogue of Chinese-titled videos from ``n_authors`` UP主s over the zones.

    Views follow quality and the zone's reach (``ZONE_REACH``: niche zones get fewer views).
    """
    zone_names = list(ZONES)
    authors: dict[int, str] = {}
    author_names: dict[int, str] = {}
    author_bias: dict[int, float] = {}
    for i in range(n_authors):
        mid = 10_000 + i * 7
        authors[mid] = zone_names[rng.integers(len(zone_names))]
        author_names[mid] = (SURNAMES[rng.integers(len(SURNAMES))]
                             + NICKNAMES[rng.integers(len(NICKNAMES))] + str(i))
        author_bias[mid] = float(rng.normal(0, 0.6))
    mids = list(authors)
    videos, quality, zone_of = [], [], []
    for i in range(n_videos):
        mid = mids[rng.integers(len(mids))]
        zone = authors[mid] if rng.random() < 0.85 else zone_names[rng.integers(len(zone_names))]
        words = list(rng.choice(ZONES[zone], size=int(rng.integers(2, 4)), replace=False))
        words += list(rng.choice(GENERIC, size=int(rng.integers(1, 3)), replace=False))
        if rng.random() < 0.15:  # a cross-over word from another zone
            other = zone_names[rng.integers(len(zone_names))]
            words.append(ZONES[other][rng.integers(len(ZONES[other]))])
        rng.shuffle(words)
        title = f"【{words[0]}】" + "".join(f"{w}，" if j % 2 else w for j, w in enumerate(words[1:]))
        title = title.rstrip("，") + ("！" if rng.random() < 0.3 else "")
        q = float(rng.normal(author_bias[mid], 1.0))
        view = int(math.exp(rng.normal(10.5 + ZONE_REACH[zone] + 0.6 * q, 1.3)))
        like_rate = math.exp(-3.3 + 0.45 * q + rng.normal(0, 0.3))
        coin_rate = math.exp(-4.8 + 0.55 * q + rng.normal(0, 0.35))
        fav_rate = math.exp(-4.2 + 0.5 * q + rng.normal(0, 0.35))
        duration = int(math.exp(rng.normal(6.0, 0.8))) + 15
        videos.append(Video(
            bvid=f"BV1syn{i:06d}", aid=900_000 + i, title=title, owner_mid=mid,
            owner_name=author_names[mid], tname=zone, tid=zone_names.index(zone) + 1,
            duration=duration, pubdate=START_TIME - int(rng.integers(0, 90 * 86400)),
            view=view, like=int(view * like_rate), coin=int(view * coin_rate),
            favorite=int(view * fav_rate), reply=int(view * math.exp(-5.5 + rng.normal(0, 0.4))),
            danmaku=int(view * math.exp(-4.8 + rng.normal(0, 0.4))),
            share=int(view * math.exp(-6 + rng.normal(0, 0.5)))))
        quality.append(q)
        zone_of.append(zone)
    return Catalogue(videos, np.array(quality), zone_of, authors)


def make_taste(catalogue: Catalogue, rng: np.random.Generator,
               zones: Sequence[str] | None = None) -> Taste:
    """A random planted taste over the catalogue's zones, UP主s and words.

    ``zones``: the liked zones to use (default: 2–3 random zones).
    """
    zone_names = list(ZONES)
    liked = list(zones) if zones else list(rng.choice(zone_names, size=int(rng.integers(2, 4)),
                                                      replace=False))
    weights = {str(z): float(rng.uniform(1.0, 2.0)) for z in liked}
    disliked = next(z for z in rng.permutation(zone_names) if z not in weights)
    in_liked = [m for m, z in catalogue.authors.items() if z in weights]
    others = [m for m, z in catalogue.authors.items() if z not in weights]
    authors = set(rng.choice(in_liked, size=min(8, len(in_liked)), replace=False).tolist())
    authors |= set(rng.choice(others, size=min(3, len(others)), replace=False).tolist())
    words = [w for z in rng.choice(zone_names, size=4, replace=False) for w in ZONES[z]]
    keywords = frozenset(rng.choice(words, size=5, replace=False).tolist())
    return Taste(weights, frozenset(int(a) for a in authors), keywords, str(disliked),
                 float(rng.uniform(0.1, 0.4)))


def utility(catalogue: Catalogue, taste: Taste, index: int, session_zone: str = "") -> float:
    """The planted (noise-free) appeal of one video to one user."""
    video = catalogue.videos[index]
    zone = catalogue.zone_of[index]
    value = taste.zones.get(zone, 0.0) + taste.quality_weight * catalogue.quality[index]
    value += 1.8 if video.owner_mid in taste.authors else 0.0
    value += 0.9 * sum(1 for w in taste.keywords if w in video.title.lower())
    value += 1.0 if zone == session_zone else 0.0
    value -= 2.0 if zone == taste.disliked_zone else 0.0
    return value


def utilities(catalogue: Catalogue, taste: Taste) -> np.ndarray:
    """``utility(catalogue, taste, i)`` for every video at once (no session bonus)."""
    zone_value = {z: taste.zones.get(z, 0.0) - (2.0 if z == taste.disliked_zone else 0.0)
                  for z in ZONES}
    return np.array([
        zone_value.get(catalogue.zone_of[i], 0.0) + taste.quality_weight * catalogue.quality[i]
        + (1.8 if v.owner_mid in taste.authors else 0.0)
        + 0.9 * sum(1 for w in taste.keywords if w in v.title.lower())
        for i, v in enumerate(catalogue.videos)])


# --- records as each listing gives them (see module doc) ------------------------------------

def served_record(video: Video, listing: str = "popular") -> Video:
    """A catalogue video as a candidate listing serves it (no user side).

    ``popular`` (also coin/like lists): every count, zone and tid; ``feed``: view/like/danmaku,
    no zone. Use it to show a later watch as it would appear in /hot.
    """
    clean = replace(video, view_at=0, progress=0, liked=False, faved=False, coined=False)
    if listing == "popular":
        return clean
    if listing == "feed":
        return replace(clean, tname="", tid=0, coin=None, favorite=None, reply=None, share=None)
    raise ValueError(f"unknown listing {listing!r}")


def _history_record(video: Video, view_at: int, progress: int, is_fav: bool) -> Video:
    """As ``history/cursor`` lists it: zone name, no tid, no counts, no pubdate."""
    return Video(bvid=video.bvid, aid=video.aid, title=video.title, owner_mid=video.owner_mid,
                 owner_name=video.owner_name, tname=video.tname, duration=video.duration,
                 cover=video.cover, view_at=view_at, progress=progress, faved=is_fav)


def _resource_record(video: Video, faved: bool = False) -> Video:
    """As ``fav/resource/infos`` and favourite folders give it: play/collect/danmaku, no zone."""
    return Video(bvid=video.bvid, aid=video.aid, title=video.title, owner_mid=video.owner_mid,
                 owner_name=video.owner_name, duration=video.duration, pubdate=video.pubdate,
                 cover=video.cover, view=video.view, favorite=video.favorite,
                 danmaku=video.danmaku, faved=faved)


def _without_counts(video: Video) -> Video:
    return replace(video, view=None, like=None, coin=None, favorite=None, reply=None,
                   danmaku=None, share=None, tags=())


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _modes(n: int, n_taste: int, rng: np.random.Generator, mean_run: float = 6.0) -> list[bool]:
    """Runs of taste (True) / browse (False) watches with exactly ``n_taste`` taste ones."""
    left = [n - n_taste, n_taste]
    modes: list[bool] = []
    while left[0] + left[1]:
        mode = int(rng.random() < left[1] / (left[0] + left[1]))
        run = min(left[mode], int(rng.geometric(1.0 / mean_run)))
        modes += [bool(mode)] * run
        left[mode] -= run
    return modes


def _weighted_sample(rng: np.random.Generator, weight: np.ndarray, k: int) -> np.ndarray:
    """k distinct indices drawn with probability ∝ weight, without replacement (Gumbel top-k)."""
    valid = np.flatnonzero(weight > 0)
    k = min(k, len(valid))
    keys = np.log(weight[valid]) + rng.gumbel(size=len(valid))
    top = np.argpartition(-keys, k - 1)[:k] if k < len(valid) else np.arange(len(valid))
    return valid[top[np.argsort(-keys[top], kind="stable")]]


def _popular(catalogue: Catalogue, rng: np.random.Generator, n: int, exclude: np.ndarray,
             capped: frozenset[str], cap: int) -> list[int]:
    """One popular snapshot: the most viewed videos with a little daily churn.

    At most ``cap`` videos from the ``capped`` zones (niche users' zones rarely trend).
    """
    score = catalogue.log_views + rng.normal(0, 0.35, len(catalogue.videos))
    score[exclude] = -np.inf
    chosen, in_capped = [], 0
    for i in np.argsort(-score, kind="stable"):
        if not np.isfinite(score[i]) or len(chosen) == n:
            break
        if catalogue.zone_of[i] in capped:
            if in_capped >= cap:
                continue
            in_capped += 1
        chosen.append(int(i))
    return chosen


def make_user(catalogue: Catalogue, rng: np.random.Generator, condition: str = "full",
              n_watches: int | None = None, *, slate: int = 12, n_popular: int = 100,
              n_feed: int = 400, popular_snapshots: int = 3) -> SyntheticUser:
    """Simulate one user of ``condition`` (see module doc): watches, listings, shown pools.

    ``n_watches``: watches in the history listing (default 300–900; ``cold``: 25–59, and a
    larger value is clamped into that range). ``n_popular``: size of each popular list;
    ``n_feed``: feed videos kept in the pool (``cold``: at most one sync's worth).
    """
    if condition not in CONDITIONS:
        raise ValueError(f"unknown condition {condition!r}; one of {CONDITIONS}")
    cold = condition == "cold"
    if n_watches is None:
        n_watches = int(rng.integers(COLD_WATCHES[0], COLD_WATCHES[1] + 1) if cold
                        else rng.integers(300, 901))
    elif cold:
        n_watches = min(max(n_watches, COLD_WATCHES[0]), COLD_WATCHES[1])
    n_videos = len(catalogue.videos)

    if condition == "niche":
        zones = rng.choice(NICHE_ZONES, size=3, replace=False).tolist()
        taste = make_taste(catalogue, rng, zones=zones)
        share = float(rng.uniform(*NICHE_SHARE))
    else:
        taste = make_taste(catalogue, rng)
        share = float(rng.uniform(0.45, 0.8))
    liked_zones = list(taste.zones)
    zone_p = np.array([taste.zones[z] for z in liked_zones])
    zone_p /= zone_p.sum()
    base = utilities(catalogue, taste)
    in_liked = np.isin(catalogue.zones, liked_zones)
    zone_code = {z: i for i, z in enumerate(ZONES)}
    browse_weight = np.sqrt(np.expm1(catalogue.log_views)) * ~in_liked
    shyness = float(rng.uniform(0.0, 1.2))       # how rarely this user presses like/coin/fav
    engages = condition != "history_only"

    # watches too old for the history listing (only their favourites/likes survive)
    n_old = 0 if cold else int(n_watches * rng.uniform(0.2, 0.5))
    n_taste = int(round(n_watches * share))
    # the old watches must leave enough unwatched liked videos for the history's taste share
    n_old = min(n_old, max(0, int((0.9 * in_liked.sum() - n_taste) / share)))
    modes = _modes(n_old, int(round(n_old * share)), rng)
    modes += _modes(n_watches, n_taste, rng)
    watched = np.zeros(n_videos, dtype=bool)
    events: list[tuple[int, int, int, bool, bool, bool]] = []
    now = START_TIME                     # every catalogue video is published by then
    session = liked_zones[rng.choice(len(liked_zones), p=zone_p)]
    previous = True
    for taste_mode in modes:
        if taste_mode and (not previous or rng.random() < 0.1):
            session = liked_zones[rng.choice(len(liked_zones), p=zone_p)]
        previous = taste_mode
        if taste_mode:
            candidates = catalogue.by_zone[session]
            candidates = candidates[~watched[candidates]]
            if not len(candidates):
                candidates = np.flatnonzero(in_liked & ~watched)
            if not len(candidates):   # every liked video watched: browse instead
                taste_mode = False
            else:
                shown = rng.choice(candidates, size=min(slate, len(candidates)), replace=False)
        if not taste_mode:
            shown = _weighted_sample(rng, np.where(watched, 0.0, browse_weight), slate)
        scores = base[shown] + np.where(catalogue.zone_codes[shown] == zone_code[session],
                                        1.0, 0.0)
        probs = np.exp(scores - scores.max())
        index = int(shown[rng.choice(len(shown), p=probs / probs.sum())])
        watched[index] = True
        u = base[index] + (1.0 if catalogue.zone_of[index] == session else 0.0)
        u += rng.normal(0, 0.7)
        duration = catalogue.videos[index].duration
        fraction = _sigmoid((u - 1.5) * 1.6)
        progress = -1 if fraction > 0.92 else int(fraction * duration)
        liked = engages and rng.random() < _sigmoid((u - 2.8 - shyness) * 2)
        coined = engages and rng.random() < _sigmoid((u - 3.6 - shyness) * 2)
        faved = engages and rng.random() < _sigmoid((u - 3.3 - shyness) * 2)
        events.append((index, now, progress, liked, coined, faved))
        watch_s = duration if progress == -1 else progress
        now += watch_s + int(rng.integers(20, 600))
        if rng.random() < 0.08:          # a break: sleep, work, a day away
            now += int(rng.integers(3 * HOUR, 30 * HOUR))
    end = now

    # --- the listings, merged as Storage.save_behaviour does ------------------------------
    history = events[n_old:]
    records: dict[str, Video] = {}

    def add(record: Video) -> None:
        seen = records.get(record.bvid)
        records[record.bvid] = record if seen is None else merge_videos(seen, record)

    for index, view_at, progress, _, _, faved in history:
        video = catalogue.videos[index]
        add(_history_record(video, view_at, progress, faved))
        if condition != "no_counts" and rng.random() >= GONE_RATE:
            add(_resource_record(video))                       # enrichment
    for index, _, _, _, _, faved in events:
        if faved:
            add(_resource_record(catalogue.videos[index], faved=True))
    for flag, position in (("coined", 4), ("liked", 3)):
        recent = [e[0] for e in reversed(events) if e[position]][:RECENT_LIST_CAP]
        for index in recent:
            add(replace(served_record(catalogue.videos[index]), **{flag: True}))
    behaviour = list(records.values())
    if condition == "no_counts":
        behaviour = [_without_counts(v) for v in behaviour]
    behaviour.sort(key=lambda v: -v.view_at)

    # --- popular now and the pools shown before -----------------------------------------
    capped = frozenset(liked_zones) if condition == "niche" else frozenset()
    cap = max(0, math.ceil(NICHE_POPULAR_SHARE * n_popular) - 1)
    popular_now = [served_record(catalogue.videos[i])
                   for i in _popular(catalogue, rng, n_popular, watched, capped, cap)]
    popular_pool: list[Video] = []
    feed_pool: list[Video] = []
    if condition != "no_pool" and history:
        start = history[0][1]
        snapshots = 1 if cold else max(1, popular_snapshots)
        feed_total = min(n_feed, FEED_SNAPSHOT) if cold else n_feed
        feed_snapshots = max(1, math.ceil(feed_total / FEED_SNAPSHOT))
        watch_time = np.full(n_videos, np.inf)
        for index, view_at, *_ in events:
            watch_time[index] = view_at
        nobody = np.zeros(n_videos, dtype=bool)
        seen_pop: set[str] = set()
        for _ in range(snapshots):                             # newest first
            for i in _popular(catalogue, rng, n_popular, nobody, capped, cap):
                if catalogue.videos[i].bvid not in seen_pop:
                    seen_pop.add(catalogue.videos[i].bvid)
                    popular_pool.append(served_record(catalogue.videos[i]))
        seen_feed: set[str] = set()
        for k in range(feed_snapshots, 0, -1):
            t = start + (end - start) * k / (feed_snapshots + 1)
            fresh = watch_time > t                             # not yet watched then
            personal = np.flatnonzero(in_liked & fresh)
            general = np.sqrt(np.expm1(catalogue.log_views)) * fresh
            n_personal = min(FEED_SNAPSHOT // 2, len(personal))
            picks = list(rng.choice(personal, size=n_personal, replace=False))
            picks += list(_weighted_sample(rng, general, FEED_SNAPSHOT - n_personal))
            for i in picks:
                bvid = catalogue.videos[i].bvid
                if bvid not in seen_feed and len(feed_pool) < feed_total:
                    seen_feed.add(bvid)
                    feed_pool.append(served_record(catalogue.videos[i], "feed"))
    return SyntheticUser(taste=taste, behaviour=behaviour, pool=popular_pool + feed_pool,
                         popular_now=popular_now, popular_pool=popular_pool,
                         feed_pool=feed_pool, condition=condition,
                         watches=tuple((e[0], e[1]) for e in events), catalogue=catalogue)
