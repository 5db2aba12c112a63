"""Words users read: English has no Chinese punctuation, "UP主" or Chinese units; the rating is
explained once in /help; raw metric names never reach a user."""
from __future__ import annotations

import re
import string

import pytest

from bot.render import (format_age, format_fresh, format_reasons, render_list, render_not_updated,
                        render_serving)
from bot.texts import COMMANDS, TEXTS, text
from recommender import Reason, Recommendation
from tests.fakes.fake_bilibili import make_video

# CJK symbols and punctuation (、。「」…), CJK radicals, fullwidth forms (，：；！？（）)
CJK_PUNCTUATION = re.compile(r"[\u2e80-\u2eff\u3000-\u303f\ufe30-\ufe4f\uff00-\uffef]")
CHINESE_ONLY = ("UP主", "万", "亿")
METRIC_NAMES = re.compile(r"auc|ndcg|train_seconds|served_reason|positives|\b0\.\d{3}\b", re.I)


def assert_english(message: str) -> None:
    assert not CJK_PUNCTUATION.search(message), (CJK_PUNCTUATION.findall(message), message)
    for word in CHINESE_ONLY:
        assert word not in message, (word, message)


def filled(template: str) -> str:
    """A template with every field filled by a sample value."""
    names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
    return template.format(**{name: "7" for name in names})


def test_both_languages_have_every_text():
    # a key missing in English would fall back to the Chinese text
    assert set(TEXTS["en"]) == set(TEXTS["zh"])
    assert [name for name, _ in COMMANDS["en"]] == [name for name, _ in COMMANDS["zh"]]


@pytest.mark.parametrize("key", sorted(TEXTS["en"]))
def test_every_english_text_is_english(key):
    assert_english(filled(TEXTS["en"][key]))


def test_english_command_menu_is_english():
    for _, description in COMMANDS["en"]:
        assert_english(description)


def sample_list() -> list[Recommendation]:
    """Chinese data (names, zones, keywords) with every kind of reason and large counts."""
    reasons = [
        (Reason("author", "老番茄"), Reason("zone", "美食制作")),
        (Reason("keywords", "红烧肉、家常菜"), Reason("zone", "不常见分区")),
        (Reason("quality", "👍5.0% ⭐1.2% 🪙0.8%"), Reason("fresh", "0")),
        (Reason("popular", "12345678"), Reason("fresh", "1")),
        (Reason("popular", "35210"), Reason("fresh", "5")),
        (),
    ]
    views = [12_345_678, 35_210, 999, 350_000_000, None, 1_000_000]
    return [Recommendation(make_video(i, title=f"红烧肉的做法 第{i}期", owner_name="老番茄",
                                      view=views[i]), 90 - i, reasons[i])
            for i in range(len(reasons))]


def test_english_lists_are_english():
    notes = [text("en", key, age=format_age(7200, "en"), link="https://t.me/x")
             for key in ("stale", "provisional", "provisional_content", "login_hint",
                         "group_hot_note")]
    for message in render_list(sample_list(), "en", header=text("en", "hot_title"),
                               notes=notes):
        assert_english(message.text)
        assert "▶12M" in message.text and "▶35K" in message.text
        assert "you often watch the Cooking zone" in message.text
        assert "keywords: 红烧肉, 家常菜" in message.text
        for row in message.buttons:
            for label, _ in row:
                assert_english(label)
    zh = render_list(sample_list(), "zh", header=text("zh", "hot_title"))[0].text
    assert "▶1234.6万" in zh and "关键词：红烧肉、家常菜" in zh and "「美食制作」" in zh


def test_english_reasons_and_ages_are_english():
    for reasons in (r for item in sample_list() for r in [item.reasons]):
        assert_english(format_reasons(reasons, "en"))
    for seconds in (30, 7200, 5 * 86400):
        assert_english(format_age(seconds, "en"))
    for days in ("0", "1", "4"):
        assert_english(format_fresh(days, "en"))


SUMMARIES = [
    {"served": "model", "served_reason": "best", "auc_model": 0.833, "auc_content": 0.801,
     "auc_tfidf": 0.777, "auc_freq": 0.702, "ndcg10": 0.890, "train_seconds": 44.88,
     "positives": 310, "min_positives": 50},
    {"served": "content", "served_reason": "few_positives", "positives": 12,
     "min_positives": 50},
    {"served": "content", "served_reason": "no_negatives"},
    {"served": "freq", "served_reason": "no_holdout", "ndcg10": 0.5},
    {"served": "content", "served_reason": "pending"},
    {},
]


@pytest.mark.parametrize("summary", SUMMARIES)
def test_status_and_ready_messages_are_english_and_name_no_metric(summary):
    for lang in ("zh", "en"):
        serving = render_serving(summary, lang, "2026-12-01 08:00")
        messages = [
            text(lang, "status", login=text(lang, "status_logged_in", name="美食家"),
                 records=321, model=serving, digest=text(lang, "status_digest_off")),
            text(lang, "model_ready", records=321, serving=serving),
            text(lang, "model_not_ready", records=321,
                 reason=render_not_updated(summary, lang)),
        ]
        for message in messages:
            assert not METRIC_NAMES.search(message), message
            if lang == "en":
                assert_english(message)


def test_percentages_are_written_alike_in_one_sentence():
    english, chinese = render_serving(SUMMARIES[0], "en"), render_serving(SUMMARIES[0], "zh")
    assert "ranked 83 % of them" in english and "content ranker 80 %" in english
    assert not re.search(r"\d%", english)
    assert "83%" in chinese and "内容匹配 80%" in chinese


def test_a_failed_training_is_told_in_words_not_in_the_recommenders_message():
    for lang in ("zh", "en"):
        words = render_not_updated({}, lang)
        assert words == text(lang, "training_failed")
        assert not METRIC_NAMES.search(words)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_help_explains_the_rating_once(lang):
    help_text = text(lang, "help")
    assert help_text.count("0–100") == 1
    explanation = next(line for line in help_text.splitlines() if "0–100" in line)
    assert ("推荐指数" if lang == "zh" else "rating") in explanation
    assert ("可能性" if lang == "zh" else "how likely") in explanation
