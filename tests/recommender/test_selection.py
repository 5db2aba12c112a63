"""The per-user choice of ranker, the exported TF-IDF ranker and the count-field mask (no TF)."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.calibration import Calibrator
from recommender.features import (COUNT_FIELDS, choose_fields, mask_video, present_fields,
                                  quality_features)
from recommender.selection import (REASON_BEST, REASON_NO_HOLDOUT, SELECT_MARGIN, ServingPlan,
                                   TfidfRanker, choose)
from recommender.text import title_tokens
from domain import Video


def scores_for(labels: np.ndarray, quality: float, rng: np.random.Generator) -> np.ndarray:
    """Scores whose AUC against labels is roughly ``quality``."""
    noise = rng.normal(0, 1, len(labels))
    return 1 / (1 + np.exp(-(noise + 4 * (quality - 0.5) * (labels * 2 - 1))))


@pytest.fixture
def labels():
    return np.array([1] * 60 + [0] * 140)


def test_an_inverted_model_is_never_served(labels):
    rng = np.random.default_rng(1)
    served, reason, figures = choose(labels, {"model": 1 - labels + rng.normal(0, .1, 200),
                                              "content": scores_for(labels, .55, rng)})
    assert figures["model"] < 0.5 and served == "content" and reason == REASON_BEST


def test_a_model_below_the_content_ranker_is_not_served(labels):
    rng = np.random.default_rng(2)
    served, _, figures = choose(labels, {"model": scores_for(labels, .65, rng),
                                         "content": scores_for(labels, .8, rng)})
    assert figures["model"] < figures["content"] and served == "content"


def test_the_best_ranker_serves_and_ties_go_to_the_content_ranker(labels):
    content = labels * 0.5 + np.linspace(0, .6, 200)
    served, _, figures = choose(labels, {"model": content.copy(), "content": content})
    assert served == "content"                               # equal: the simpler one
    better = content + labels * 0.3
    served, _, figures = choose(labels, {"model": better, "content": content,
                                         "tfidf": content - labels * 0.1})
    assert figures["model"] > figures["content"] + SELECT_MARGIN and served == "model"


def test_a_single_class_hold_out_cannot_choose(labels):
    served, reason, _ = choose(np.ones(50, dtype=int), {"model": np.ones(50),
                                                        "content": np.ones(50)})
    assert served == "content" and reason == REASON_NO_HOLDOUT


def test_the_exported_tfidf_ranker_scores_like_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    titles = ["【原神】新版本抽卡攻略", "黑洞到底是什么？量子物理科普", "家常红烧肉的做法",
              "原神深渊配队推荐", "宇宙黑洞科普合集", "十分钟学会做蛋糕"] * 5
    labels = np.array([1, 0, 0, 1, 0, 0] * 5)
    ranker = TfidfRanker.fit(titles, labels)
    vectorizer = TfidfVectorizer(analyzer=lambda t: list(title_tokens(t)))
    model = LogisticRegression(class_weight="balanced", max_iter=1000, C=1.0)
    model.fit(vectorizer.fit_transform(titles), labels)
    new = ["原神抽卡", "黑洞", "完全陌生的标题", ""]
    expected = model.predict_proba(vectorizer.transform(new))[:, 1]
    np.testing.assert_allclose(ranker.score(new), expected, atol=1e-9)
    again = TfidfRanker.from_dict(ranker.to_dict())
    np.testing.assert_allclose(again.score(new), expected, atol=1e-9)
    assert TfidfRanker.fit(titles, np.ones(len(titles))) is None


def test_the_plan_round_trips_and_rejects_what_it_cannot_serve():
    plan = ServingPlan("tfidf", REASON_BEST, {"model": 0.7, "content": 0.72, "tfidf": 0.8},
                       {"tfidf": Calibrator(0.9, -0.1)}, ("view", "duration"),
                       TfidfRanker({"原神": 1.2}, {"原神": 2.0}, -0.5), 120)
    again = ServingPlan.from_json(plan.to_json())
    assert again == plan
    assert again.metrics()["served"] == "tfidf" and again.metrics()["auc_tfidf"] == 0.8
    broken = plan.to_json().replace('"tfidf": {', '"tfidf_gone": {')
    with pytest.raises(ValueError):
        ServingPlan.from_json(broken)


def test_fields_lacking_in_one_class_are_masked_and_mask_blanks_them():
    history = [Video(bvid=f"h{i}", duration=300, view=1000, favorite=20, danmaku=5)
               for i in range(10)]                             # enriched: no like/coin
    popular = [Video(bvid=f"p{i}", duration=200, view=5000, like=300, coin=50, favorite=60,
                     reply=10, danmaku=40) for i in range(10)]
    fields = choose_fields(history, popular)
    assert fields == ("view", "favorite", "comments", "duration")
    masked = mask_video(popular[0], fields)
    assert masked.like is None and masked.coin is None and masked.favorite == 60
    assert present_fields(masked) == set(fields)
    countless = [Video(bvid=f"c{i}", duration=300) for i in range(10)]
    assert choose_fields(countless, popular) == ("duration",)    # ratios need views
    z = quality_features(mask_video(popular[0], ("duration",)))
    assert np.count_nonzero(z[:-1]) == 0 and z[-1] != 0
    assert choose_fields([], popular) == () and set(COUNT_FIELDS) >= set(fields)
