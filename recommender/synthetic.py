"""Synthetic Bilibili-like data: a catalogue of Chinese-titled videos and users with planted tastes.

Used by ``python -m recommender.evaluate --synthetic``, the bench and the tests, so everything runs
on a fresh machine with no login. The records have the shapes the real listings give:

- watch history: zone name, duration, progress, view_at, no counts (the history API has none);
  liked/coined/favourited videos carry full counts (their listings have them);
- popular list: zone name and every count; homepage feed: no zone and no coin count.

A user's taste (the planted truth): 2–3 liked zones, a few favourite UP主s, a few favourite
title keywords, a disliked zone, a taste for quality, and sessions — the user binges one liked
zone for a while before switching (what the GRU over the watch sequence can pick up). At each
step the user is shown a slate of videos and opens one (softmax over utility); how much of it
they watch and whether they like/coin/favourite it follows the utility plus noise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from storage.records import Video

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


@dataclass(frozen=True)
class Catalogue:
    """Generated videos with their hidden quality and zone."""

    videos: list[Video]
    quality: np.ndarray          # latent quality per video
    zone_of: list[str]
    authors: dict[int, str]      # mid -> main zone


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
    """A generated user: stored behaviour and pools as the bot would hold them."""

    taste: Taste
    behaviour: list[Video]       # newest view_at first (like Storage.load_behaviour)
    pool: list[Video]            # popular + feed listings seen


def make_catalogue(rng: np.random.Generator, n_videos: int = 4000,
                   n_authors: int = 400) -> Catalogue:
    """A catalogue of Chinese-titled videos from ``n_authors`` UP主s over the zones."""
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
        view = int(math.exp(rng.normal(10.5 + 0.6 * q, 1.3)))
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


def make_taste(catalogue: Catalogue, rng: np.random.Generator) -> Taste:
    """A random planted taste over the catalogue's zones, UP主s and words."""
    zone_names = list(ZONES)
    liked = list(rng.choice(zone_names, size=int(rng.integers(2, 4)), replace=False))
    zones = {z: float(rng.uniform(1.0, 2.0)) for z in liked}
    disliked = next(z for z in rng.permutation(zone_names) if z not in zones)
    in_liked = [m for m, z in catalogue.authors.items() if z in zones]
    others = [m for m, z in catalogue.authors.items() if z not in zones]
    authors = set(rng.choice(in_liked, size=min(8, len(in_liked)), replace=False).tolist())
    authors |= set(rng.choice(others, size=3, replace=False).tolist())
    words = [w for z in rng.choice(zone_names, size=4, replace=False) for w in ZONES[z]]
    keywords = frozenset(rng.choice(words, size=5, replace=False).tolist())
    return Taste(zones, frozenset(int(a) for a in authors), keywords, str(disliked),
                 float(rng.uniform(0.1, 0.4)))


def utility(catalogue: Catalogue, taste: Taste, index: int, session_zone: str) -> float:
    """The planted (noise-free) appeal of one video to one user."""
    video = catalogue.videos[index]
    zone = catalogue.zone_of[index]
    value = taste.zones.get(zone, 0.0) + taste.quality_weight * catalogue.quality[index]
    value += 1.8 if video.owner_mid in taste.authors else 0.0
    value += 0.9 * sum(1 for w in taste.keywords if w in video.title.lower())
    value += 1.0 if zone == session_zone else 0.0
    value -= 2.0 if zone == taste.disliked_zone else 0.0
    return value


def _history_record(video: Video) -> Video:
    """As the history API lists it: no counts."""
    return replace(video, view=None, like=None, coin=None, favorite=None, reply=None,
                   danmaku=None, share=None)


def _feed_record(video: Video) -> Video:
    """As the homepage feed lists it: no zone, no coin/favourite/reply counts."""
    return replace(video, tname="", tid=0, coin=None, favorite=None, reply=None, share=None)


def make_user(catalogue: Catalogue, rng: np.random.Generator, n_watches: int = 600,
              slate: int = 12, n_popular: int = 100, n_feed: int = 400) -> SyntheticUser:
    """Simulate one user's watches (see module doc) and the pools they were shown."""
    taste = make_taste(catalogue, rng)
    liked_zones = list(taste.zones)
    session = liked_zones[rng.integers(len(liked_zones))]
    n = len(catalogue.videos)
    watched: dict[int, Video] = {}
    now = START_TIME
    for _ in range(n_watches):
        if rng.random() < 0.12:
            session = liked_zones[rng.integers(len(liked_zones))]
        # a slate of random videos; the user opens one by softmax over utility
        shown = rng.integers(0, n, size=slate)
        scores = np.array([utility(catalogue, taste, i, session) for i in shown])
        probs = np.exp(scores - scores.max())
        probs /= probs.sum()
        index = int(shown[rng.choice(slate, p=probs)])
        if index in watched:
            continue
        u = utility(catalogue, taste, index, session) + rng.normal(0, 0.7)
        video = catalogue.videos[index]
        now += int(rng.integers(60, 3600))
        fraction = 1.0 / (1.0 + math.exp(-(u - 1.5) * 1.6))
        progress = -1 if fraction > 0.92 else int(fraction * video.duration)
        liked = rng.random() < 1.0 / (1.0 + math.exp(-(u - 2.8) * 2))
        coined = rng.random() < 1.0 / (1.0 + math.exp(-(u - 3.6) * 2))
        faved = rng.random() < 1.0 / (1.0 + math.exp(-(u - 3.3) * 2))
        record = video if (liked or coined or faved) else _history_record(video)
        watched[index] = replace(record, view_at=now, progress=progress, liked=liked,
                                 coined=coined, faved=faved)
    behaviour = sorted(watched.values(), key=lambda v: -v.view_at)
    unwatched = [i for i in range(n) if i not in watched]
    by_views = sorted(unwatched, key=lambda i: -(catalogue.videos[i].view or 0))
    popular = [catalogue.videos[i] for i in by_views[:n_popular]]
    rest = [i for i in unwatched if i not in set(by_views[:n_popular])]
    feed_idx = rng.choice(len(rest), size=min(n_feed, len(rest)), replace=False)
    feed = [_feed_record(catalogue.videos[rest[i]]) for i in feed_idx]
    return SyntheticUser(taste, behaviour, popular + feed)
