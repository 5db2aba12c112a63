"""recommender.segmenter cuts exactly what jieba.cut cuts, from its compact cache file."""
from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
from pathlib import Path

import jieba
import numpy as np
import pytest

from recommender.segmenter import Segmenter, fingerprint
from recommender.synthetic import make_catalogue

ROOT = Path(__file__).resolve().parents[2]
HAND_PICKED = [
    "", " ", "\r\n", "我来到北京清华大学", "他来到了网易杭研大厦", "结婚的和尚未结婚的",
    "小明硕士毕业于中国科学院计算所，后在日本京都大学深造", "永和服装饰品有限公司",
    "【官方MV】周杰伦 最伟大的作品 超清版本来了！第3期", "Python3.11 教程 100% 从入门到精通 C++ & C#",
    "  \r\n\t双 空格", "〇〇 ①② 😀 emoji 的视频", "３.１４ 全角数字ＡＢＣ", "v1.2.3-beta_rc#2",
    "【4K】原神 x 崩坏：星穹铁道 联动PV｜2024", "这是一个非常非常非常非常非常非常长的没有标点的中文标题用来测试动态规划",
    "鬼畜区UP主の日常～(๑•̀ㅂ•́)و✧", "abc def GHI", "123 456.78% 9", "——……！？《》「」",
]


@pytest.fixture(scope="module")
def reference():
    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory):
    return Segmenter.cached(tmp_path_factory.mktemp("segmenter"))


def texts() -> list[str]:
    """Hand-picked edge cases, synthetic titles, and random strings of dictionary words,
    single characters (common, rare, outside the CJK block), latin, digits and punctuation."""
    catalogue = make_catalogue(np.random.default_rng(11), n_videos=2000, n_authors=100)
    rng = random.Random(5)
    words = ["中国", "科学院", "计算", "所", "大学", "和尚", "未", "结婚", "的", "视频", "教程", "原神",
             "鬼畜", "UP", "主", "up", "MV", "4K", "2024", "第", "期", "超清", "版本", "本来"]
    singles = list("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出就分对成会可主"
                   "发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化"
                   "鑫彧曌龘靐齉〇々ヶ가나😀𠀀ÀéñЖ") + [" ", "，", "！", "-", "_", ".", "%", "#", "&", "+"]
    made = []
    for _ in range(3000):
        parts = [rng.choice(words) if rng.random() < 0.5 else rng.choice(singles)
                 for _ in range(rng.randint(1, 14))]
        made.append("".join(parts))
    return HAND_PICKED + [video.title for video in catalogue.videos] + made


def test_cuts_exactly_what_jieba_cuts(reference, segmenter):
    cases = texts()
    expected = [list(reference.cut(text)) for text in cases]
    assert [segmenter.cut(text) for text in cases] == expected
    assert segmenter.cut_many(cases) == expected            # all at once: the same


def test_the_cache_file_is_made_once_and_reloads_to_the_same_cuts(tmp_path, reference):
    made = Segmenter.cached(tmp_path)
    files = list(tmp_path.iterdir())
    assert [f.name for f in files] == [f"segmenter-{fingerprint()}.npz"]
    mtime = files[0].stat().st_mtime_ns
    again = Segmenter.cached(tmp_path)                     # loaded, not made again
    assert files[0].stat().st_mtime_ns == mtime
    sample = HAND_PICKED + ["我爱自然语言处理", "南京市长江大桥"]
    assert again.cut_many(sample) == made.cut_many(sample) == [list(reference.cut(t))
                                                                for t in sample]
    with np.load(files[0], allow_pickle=False) as data:   # plain arrays, nothing to unpickle
        assert all(data[name].dtype != object for name in data.files)


def test_an_unreadable_cache_file_is_made_again(tmp_path, reference):
    path = tmp_path / f"segmenter-{fingerprint()}.npz"
    path.write_bytes(b"not a zip file")
    segmenter = Segmenter.cached(tmp_path)
    assert segmenter.cut("南京市长江大桥") == list(reference.cut("南京市长江大桥"))
    assert Segmenter.load(path).cut("南京市长江大桥") == segmenter.cut("南京市长江大桥")


def test_an_unwritable_cache_folder_still_gives_a_segmenter(tmp_path, reference):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    segmenter = Segmenter.cached(blocked / "cache")
    assert segmenter.cut("结婚的和尚未结婚的") == list(reference.cut("结婚的和尚未结婚的"))


def test_tokenizing_titles_never_imports_jieba(tmp_path):
    """The process that tokenizes (the bot) keeps jieba's ~85 MB dictionary out of memory:
    the cache file is made by a child process."""
    code = ("import json, sys; from pathlib import Path; from recommender import text; "
            "text.warm_up(Path(sys.argv[1])).join(); "
            "tokens = text.title_tokens('【官方MV】周杰伦 最伟大的作品'); "
            "print(json.dumps([list(tokens), 'jieba' in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    tokens, imported = json.loads(done.stdout.strip().splitlines()[-1])
    assert tokens == ["官方", "mv", "周杰伦", "伟大", "作品"] and imported is False


def test_stored_tokens_are_used_only_when_made_the_same_way():
    from recommender import text

    tokens = text.title_tokens("【官方MV】周杰伦 最伟大的作品")
    packed = text.pack_tokens(tokens)
    assert text.unpack_tokens(packed) == tokens and text.tokens_current(packed)
    assert text.unpack_tokens(text.pack_tokens(())) == () and text.tokens_current(
        text.pack_tokens(()))
    for other in (None, "", "0badtag0 官方 mv", text.tokens_tag() + "x 官方", "官方 mv"):
        assert text.unpack_tokens(other) is None and not text.tokens_current(other)
    assert text.watch_titles_tokens([]) == []
