"""The Keras model through the training job, in-process (small data, few epochs)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models import Scorer, TrainerPool, load_model
from recommender import training
from recommender.features import Vocabulary, encode_candidates, serving_context
from recommender.training import TrainingData, train_user_model, vocab_path_for
from storage.records import Video


@pytest.fixture(scope="module")
def trainers():
    return TrainerPool()


@pytest.fixture(scope="module")
def trained(user, trainers, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    result = train_user_model(TrainingData(user.behaviour, [], user.pool), out, seed=5,
                              time_cap_s=60, trainers=trainers)
    assert result.accepted, result.message
    return result


def odd_videos() -> list[Video]:
    return [Video(bvid="e1"),                                             # empty everything
            Video(bvid="e2", title="", owner_mid=987654321, tname="前所未见的分区",
                  tags=("完全陌生的标签",)),
            Video(bvid="e3", title="！！！……", view=0, like=0, coin=None),
            Video(bvid="e4", title="qwertyuiop 未知词汇组合", owner_mid=1, view=10**9,
                  like=10**9, coin=10**9, favorite=10**9)]


def test_saved_and_loaded_model_scores_identically(user, trained, trainers):
    vocab = Vocabulary.from_json(vocab_path_for(trained.model_path).read_text("utf-8"))
    model, spec = load_model(trained.model_path)
    inputs = encode_candidates(user.pool[:50] + odd_videos(),
                               serving_context(user.behaviour, vocab), vocab)
    loaded = Scorer(model)(inputs)
    from models import read_weights

    _spec, weights = read_weights(trained.model_path)
    in_trainer = trainers.get(spec).score(inputs, weights)
    np.testing.assert_array_equal(loaded, in_trainer)
    reloaded = Scorer(load_model(trained.model_path)[0])(inputs)
    np.testing.assert_array_equal(loaded, reloaded)
    assert trained.metrics["model_bytes"] < 2_000_000
    assert 0.0 <= trained.metrics["auc"] <= 1.0 and "ndcg10" in trained.metrics


def test_empty_titles_unknown_tags_and_authors_give_finite_scores(user, trained):
    vocab = Vocabulary.from_json(vocab_path_for(trained.model_path).read_text("utf-8"))
    model, _ = load_model(trained.model_path)
    scorer = Scorer(model)
    for context_videos in (user.behaviour, []):          # also a user with no history at all
        scores = scorer(encode_candidates(odd_videos(), serving_context(context_videos, vocab),
                                          vocab))
        assert np.isfinite(scores).all() and ((scores >= 0) & (scores <= 1)).all()


def test_single_class_user_trains_without_error(user, trainers, tmp_path):
    finished = [dataclasses.replace(v, progress=-1) for v in user.behaviour[:60]]
    result = train_user_model(TrainingData(finished, [], []), tmp_path, seed=1, time_cap_s=30,
                              trainers=trainers)
    assert result.accepted and result.model_path
    assert "auc" not in result.metrics             # undefined with one class, not invented


def test_new_model_worse_than_previous_is_not_written(user, trained, trainers, tmp_path,
                                                       monkeypatch):
    monkeypatch.setattr(training, "ACCEPT_TOLERANCE", -1.0)   # demand +1.0 AUC: impossible
    result = train_user_model(TrainingData(user.behaviour, [], user.pool), tmp_path, seed=5,
                              time_cap_s=60, trainers=trainers,
                              previous_model=trained.model_path)
    assert not result.accepted and "previous" in result.message
    assert result.metrics["warm_start"] is True and "previous_auc" in result.metrics
    assert not list(tmp_path.iterdir())


def test_too_little_data_is_reported_not_trained(trainers, tmp_path):
    few = [Video(bvid=f"v{i}", view_at=i + 1, progress=-1) for i in range(5)]
    result = train_user_model(TrainingData(few), tmp_path, seed=1, time_cap_s=10,
                              trainers=trainers)
    assert not result.accepted and "too little data" in result.message
