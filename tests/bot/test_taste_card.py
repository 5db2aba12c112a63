"""The taste card (HTML, zh + en) and the zone-share chart (PNG) from a fixed behaviour."""
from __future__ import annotations

import logging
import subprocess
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from bot import charts
from bot.render import CAPTION_LIMIT, render_serving, render_taste, visible_length
from bot.texts import text
from recommender.impressions import HitRate
from recommender.taste import ZoneShare, compute_taste
from tests.bot.test_words import assert_english
from tests.fakes.fake_telegram import parse_text
from tests.recommender.test_taste import BEHAVIOUR, NOW, POPULAR

ROOT = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def taste(**changes):
    return replace(compute_taste(BEHAVIOUR, POPULAR, now=NOW), **changes)


def test_card_names_zones_creators_keywords_and_how_they_compare():
    serving = render_serving({"served": "model", "served_reason": "best", "auc_model": 0.84},
                             "zh")
    card = render_taste(taste(hit_rate=HitRate(20, 3)), "zh", serving)
    assert "常看分区：美食制作 67% · 出行 33%" in card
    assert '<a href="https://space.bilibili.com/11">老番茄</a> (5)' in card
    assert "常见关键词：cooking、noodles" in card
    assert "占你观看的 100%，占热门列表的 50%" in card
    assert "20 个视频中，你看了或点赞了 3 个（15%）" in card
    assert "排序：你的个人模型" in card
    parse_text(card, "HTML")                        # Telegram's HTML rules (raises if broken)
    assert visible_length(card) <= CAPTION_LIMIT    # fits a photo caption (e.g. the chart's)


def test_english_card_is_english():
    card = render_taste(taste(hit_rate=HitRate(20, 3)), "en",
                        render_serving({"served_reason": "no_negatives"}, "en"))
    assert "Zones you watch most: Cooking 67 % · Travel 33 %" in card
    assert "Frequent keywords: cooking, noodles" in card
    assert "watched or liked 3 (15 %)" in card
    assert_english(card)
    parse_text(card, "HTML")


def test_card_leaves_out_what_is_unknown():
    card = render_taste(taste(), "en")
    assert "recommended" not in card and "Ranking" not in card     # no impressions, no ranker
    assert render_taste(compute_taste([], POPULAR, now=NOW), "zh") == text("zh", "taste_empty")
    names = taste(authors=(replace(taste().authors[0], name="<b>&"),))
    assert "&lt;b&gt;&amp;" in render_taste(names, "zh")


def test_importing_charts_does_not_load_matplotlib():
    code = "import sys, bot.charts; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)


def draw(taste_, lang: str) -> tuple[bytes, list[str]]:
    """The chart's PNG and every missing-glyph complaint matplotlib made while drawing it."""
    complaints: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            complaints.append(record.getMessage())

    handler = Collect()
    logging.getLogger("matplotlib").addHandler(handler)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            png = charts.zone_share_chart(taste_, lang)
    finally:
        logging.getLogger("matplotlib").removeHandler(handler)
    complaints += [str(w.message) for w in caught]
    return png, [c for c in complaints if "missing from" in c.lower()]


UNKNOWN_ZONES = (ZoneShare("美食制作", 0.5, 0.1), ZoneShare("不存在的分区", 0.3, 0.2),
                 ZoneShare("VLOG日常", 0.2, 0.0))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_chart_is_a_png_whose_labels_all_render(lang):
    png, missing = draw(taste(hit_rate=HitRate(20, 3), zone_shares=UNKNOWN_ZONES), lang)
    assert png.startswith(PNG_SIGNATURE)
    assert missing == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_a_cjk_font_labels_fall_back_to_what_renders(monkeypatch, lang):
    monkeypatch.setattr(charts, "cjk_font_path", lambda: None)
    png, missing = draw(taste(hit_rate=HitRate(20, 3), zone_shares=UNKNOWN_ZONES), lang)
    assert png.startswith(PNG_SIGNATURE)
    assert missing == []
    assert charts.drawable("美食制作") == "" and charts.drawable("VLOG 日常") == "VLOG"


def test_the_cjk_font_found_draws_chinese():
    path = charts.cjk_font_path()
    if path is None:
        pytest.skip("no CJK font on this machine (fc-list :lang=zh is empty)")
    from matplotlib.ft2font import FT2Font

    assert FT2Font(path).get_char_index(ord("美")) != 0
