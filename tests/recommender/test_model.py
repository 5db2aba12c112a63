"""The Keras model through the training job, in-process (small data, few epochs)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models import Scorer, TrainerPool, load_model
from recommender import training
from recommender.features import Vocabulary, encode_candidates, serving_context
from recommender.selection import REASON_FEW_POSITIVES, REASON_NO_NEGATIVES, ServingPlan
from recommender.training import TrainingData, plan_path_for, train_user_model, vocab_path_for
from domain import Video
from tests.recommender.conftest import odd_videos


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


def test_a_user_with_nothing_skipped_gets_no_model_and_is_told_why(user, trainers, tmp_path):
    finished = [dataclasses.replace(v, progress=-1) for v in user.behaviour[:80]]
    result = train_user_model(TrainingData(finished, [], []), tmp_path, seed=1, time_cap_s=30,
                              trainers=trainers)
    assert not result.accepted and "skipped" in result.message
    assert result.metrics["served"] == "content"
    assert result.metrics["served_reason"] == REASON_NO_NEGATIVES
    assert not list(tmp_path.iterdir())


def test_an_inverted_model_is_not_served(user, trainers, tmp_path, monkeypatch):
    real_fit = training.fit_samples

    def inverted_fit(*args, **kwargs):
        fitted = real_fit(*args, **kwargs)
        trainer = trainers.get(fitted.vocab.spec())
        names = [w.path for w in trainer.model.weights]
        weights = [np.zeros_like(w) for w in fitted.weights]
        weights[next(i for i, n in enumerate(names) if "prior_weight" in n)][:] = -3.0
        return dataclasses.replace(fitted, weights=weights)   # ranks against the content score

    monkeypatch.setattr(training, "fit_samples", inverted_fit)
    result = train_user_model(TrainingData(user.behaviour, [], user.pool), tmp_path, seed=5,
                              time_cap_s=60, trainers=trainers)
    assert result.metrics["auc_model"] < 0.5 < result.metrics["auc_content"]
    assert result.metrics["served"] != "model"
    plan = ServingPlan.from_json(plan_path_for(result.model_path).read_text("utf-8"))
    assert plan.served == result.metrics["served"] and plan.figures["model"] < 0.5


def test_counts_the_training_never_saw_do_not_act_at_serving(user, trainers, tmp_path):
    countless = [Video(**{**dataclasses.asdict(v), "view": None, "like": None, "coin": None,
                          "favorite": None, "reply": None, "danmaku": None, "share": None,
                          "tags": ()}) for v in user.behaviour]
    result = train_user_model(TrainingData(countless, [], user.pool), tmp_path, seed=2,
                              time_cap_s=60, trainers=trainers)
    assert result.model_path, result.message
    vocab = Vocabulary.from_json(vocab_path_for(result.model_path).read_text("utf-8"))
    assert "view" not in vocab.fields and "like" not in vocab.fields
    model, _ = load_model(result.model_path)
    with_counts = user.pool[:60]
    without = [dataclasses.replace(v, view=None, like=None, coin=None, favorite=None, reply=None,
                                   danmaku=None, share=None) for v in with_counts]
    context = serving_context(countless, vocab)
    scorer = Scorer(model)
    np.testing.assert_array_equal(scorer(encode_candidates(with_counts, context, vocab)),
                                  scorer(encode_candidates(without, context, vocab)))


def test_a_model_file_of_an_older_graph_is_refused(trained, tmp_path):
    import io
    import json

    with np.load(trained.model_path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    spec = json.loads(str(arrays["spec"]))
    del spec["format"]                               # as written before formats were recorded
    arrays["spec"] = np.array(json.dumps(spec))
    old = tmp_path / "model-old.npz"
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    old.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="format"):
        load_model(old)


def test_too_little_data_is_reported_not_trained(trainers, tmp_path):
    few = [Video(bvid=f"v{i}", view_at=i + 1, progress=-1) for i in range(5)]
    result = train_user_model(TrainingData(few), tmp_path, seed=1, time_cap_s=10,
                              trainers=trainers)
    assert not result.accepted and "too little data" in result.message
    assert result.metrics["served"] == "content"
    assert result.metrics["served_reason"] == REASON_FEW_POSITIVES
