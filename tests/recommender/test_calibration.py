"""Calibration: non-degenerate ratings, calibrated probabilities, JSON, old vocabulary files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from recommender.calibration import CEILING, FLOOR, MAX_SLOPE, Calibrator
from recommender.features import Vocabulary
from recommender.metrics import expected_calibration_error, reliability_table
from recommender.ranking import rating_of


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def separable_validation(seed: int, n: int = 60):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(int)
    logits = np.where(labels == 1, rng.normal(1.2, 0.4, n), rng.normal(-1.2, 0.4, n))
    return labels, sigmoid(logits), rng


def test_near_separable_validation_gives_spread_ratings():
    for seed in range(5):
        labels, scores, rng = separable_validation(seed)
        assert scores[labels == 1].min() > scores[labels == 0].max()   # separable
        calibrator = Calibrator.fit(labels, scores)
        assert 0 < calibrator.a <= MAX_SLOPE
        candidates = sigmoid(rng.uniform(-1.6, 1.6, 100))              # scores that differ
        ratings = [rating_of(p) for p in calibrator.apply(candidates)]
        at_ends = sum(r in (0, 100) for r in ratings)
        near_ends = sum(r <= 1 or r >= 99 for r in ratings)
        assert at_ends == 0 and near_ends <= 10, (seed, calibrator, sorted(ratings))
        assert len(set(ratings)) >= 30
        assert ratings == [rating_of(p) for p in calibrator.apply(candidates)]


def test_probabilities_are_bounded_and_follow_the_score_order():
    calibrator = Calibrator(a=MAX_SLOPE, b=0.0)
    scores = np.array([0.0, 1e-9, 0.2, 0.5, 0.8, 1.0 - 1e-9, 1.0])
    out = calibrator.apply(scores)
    assert out.min() >= FLOOR and out.max() <= CEILING
    assert np.all(np.diff(out) >= 0)


def test_calibrated_probabilities_of_a_known_logistic_model():
    rng = np.random.default_rng(11)
    x = rng.normal(0.0, 1.5, 24000)
    truth = sigmoid(1.8 * x - 0.7)                  # the raw score sigmoid(x) is miscalibrated
    labels = (rng.random(len(x)) < truth).astype(int)
    scores = sigmoid(x)
    calibrator = Calibrator.fit(labels[:4000], scores[:4000])
    held_out = calibrator.apply(scores[4000:])
    assert expected_calibration_error(labels[4000:], scores[4000:]) > 0.08
    assert expected_calibration_error(labels[4000:], held_out) <= 0.05


def test_too_little_or_one_class_gives_the_identity():
    assert Calibrator.fit([1, 0, 1], [0.9, 0.1, 0.8]) == Calibrator()
    assert Calibrator.fit([1] * 50, np.linspace(0.1, 0.9, 50)) == Calibrator()
    np.testing.assert_allclose(Calibrator().apply([0.3, 0.7]), [0.3, 0.7])


def test_json_round_trip():
    labels, scores, _ = separable_validation(3)
    calibrator = Calibrator.fit(labels, scores)
    assert Calibrator.from_json(calibrator.to_json()) == calibrator
    with pytest.raises(ValueError):
        Calibrator.from_dict({"method": "isotonic"})


def test_old_vocabulary_files_are_refused():
    old = {"format": 1, "tags": ["游戏"], "authors": [7], "tokens": ["原神"],
           "calibration": [0.8, -0.3]}
    with pytest.raises(ValueError, match="format"):   # the user's content ranker serves
        Vocabulary.from_json(json.dumps(old))


def test_reliability_table_and_ece():
    labels = [0, 0, 1, 1, 1, 0]
    probabilities = [0.05, 0.15, 0.95, 1.0, 0.9, 0.5]
    table = reliability_table(labels, probabilities, bins=10)
    assert len(table) == 10 and sum(row["count"] for row in table) == 6
    assert table[9]["count"] == 3 and table[9]["observed_rate"] == 1.0
    assert abs(table[9]["mean_predicted"] - 0.95) < 1e-12
    assert table[3]["count"] == 0 and table[3]["mean_predicted"] is None
    expected = (0.05 + 0.15 + 3 * 0.05 + 0.5) / 6
    assert abs(expected_calibration_error(labels, probabilities) - expected) < 1e-12
    assert expected_calibration_error([], []) is None
