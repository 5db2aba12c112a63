"""English names of Bilibili's zones (分区), for English messages and chart labels.

Bilibili names a video's zone in Chinese (``tname``, a sub-zone such as "单机游戏"). English texts
show the English name when it is known here and the Chinese name otherwise (a name, like an
UP主's, is data: it is never translated by guess).
"""
from __future__ import annotations

ZONE_NAMES_EN: dict[str, str] = {
    # main zones
    "动画": "Animation", "番剧": "Anime", "国创": "Chinese animation", "音乐": "Music",
    "舞蹈": "Dance", "游戏": "Gaming", "知识": "Knowledge", "科技": "Tech", "运动": "Sports",
    "汽车": "Cars", "生活": "Life", "美食": "Food", "动物圈": "Animals", "鬼畜": "Remixes",
    "时尚": "Fashion", "资讯": "News", "娱乐": "Entertainment", "影视": "Film & TV",
    "纪录片": "Documentaries", "电影": "Movies", "电视剧": "TV series", "数码": "Digital",
    # sub-zones
    "MAD·AMV": "MAD/AMV", "MMD·3D": "MMD/3D", "短片·手书": "Short animations",
    "综合": "General", "特摄": "Tokusatsu", "手办·模玩": "Figures & models",
    "原创音乐": "Original music", "翻唱": "Covers", "演奏": "Instrumental",
    "VOCALOID·UTAU": "VOCALOID/UTAU", "音乐现场": "Live music", "MV": "Music videos",
    "乐评盘点": "Music reviews", "音乐教学": "Music lessons", "音乐综合": "Music (general)",
    "宅舞": "Otaku dance", "舞蹈综合": "Dance (general)", "舞蹈教程": "Dance tutorials",
    "街舞": "Street dance", "明星舞蹈": "Celebrity dance", "国风舞蹈": "Chinese-style dance",
    "单机游戏": "Single-player games", "网络游戏": "Online games", "手机游戏": "Mobile games",
    "电子竞技": "Esports", "桌游棋牌": "Board games", "GMV": "Game music videos",
    "音游": "Rhythm games", "Mugen": "Mugen",
    "科学科普": "Science", "社科·法律·心理": "Social science & law", "人文历史": "History",
    "财经商业": "Business & finance", "校园学习": "Study", "职业职场": "Careers",
    "设计·创意": "Design", "野生技术协会": "DIY skills",
    "计算机技术": "Computing", "科工机械": "Engineering", "极客DIY": "Geek DIY",
    "手机平板": "Phones & tablets", "电脑装机": "PC building", "摄影摄像": "Photography",
    "影音智能": "Audio & smart devices",
    "篮球": "Basketball", "足球": "Football", "健身": "Fitness", "竞技体育": "Competitive sports",
    "运动文化": "Sports culture", "运动综合": "Sports (general)",
    "赛车": "Racing", "改装玩车": "Car tuning", "新能源车": "Electric cars",
    "房车": "RVs", "摩托车": "Motorbikes", "购车攻略": "Car buying", "汽车生活": "Car life",
    "搞笑": "Comedy", "出行": "Travel", "三农": "Rural life", "家居房产": "Home",
    "手工": "Crafts", "绘画": "Drawing", "日常": "Daily life", "亲子": "Parenting",
    "美食制作": "Cooking", "美食侦探": "Food hunting", "美食测评": "Food reviews",
    "田园美食": "Country cooking", "美食记录": "Food diaries",
    "喵星人": "Cats", "汪星人": "Dogs", "小宠异宠": "Small & exotic pets",
    "野生动物": "Wildlife", "动物二创": "Animal remixes", "动物综合": "Animals (general)",
    "鬼畜调教": "Remix edits", "音MAD": "Otomad", "人力VOCALOID": "Human VOCALOID",
    "鬼畜剧场": "Remix theatre", "教程演示": "Tutorials",
    "美妆护肤": "Beauty", "仿妆cos": "Cosplay makeup", "穿搭": "Outfits",
    "时尚潮流": "Trends", "热点": "Hot topics", "环球": "World", "社会": "Society",
    "综艺": "Variety shows", "娱乐杂谈": "Showbiz talk", "粉丝创作": "Fan works",
    "明星综合": "Celebrities", "影视杂谈": "Film talk", "影视剪辑": "Film edits",
    "小剧场": "Skits", "预告·资讯": "Trailers", "短片": "Short films",
    "知识分享官": "Knowledge sharing", "VLOG": "Vlogs",
}


def zone_name(name: str, lang: str) -> str:
    """The zone's name for a language: Chinese as given; English when known, else as given."""
    name = (name or "").strip()
    if lang == "en":
        return ZONE_NAMES_EN.get(name, name)
    return name
