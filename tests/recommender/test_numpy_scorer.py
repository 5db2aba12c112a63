"""The numpy forward pass against the Keras model it replaces at serving (TF in this process)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from models import MAX_SEQ, ModelSpec, Scorer, TrainerPool, build_wide_deep, load_model
from models.numpy_scorer import NumpyScorer, weight_layout
from recommender.features import Vocabulary, encode_candidates, serving_context
from recommender.training import TrainingData, train_user_model, vocab_path_for
from domain import Video
from tests.recommender.conftest import odd_videos

TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def trainers():
    return TrainerPool()


@pytest.fixture(scope="module")
def normal(user, trainers, tmp_path_factory):
    result = train_user_model(TrainingData(user.behaviour, [], user.pool),
                              tmp_path_factory.mktemp("normal"), seed=5, time_cap_s=60,
                              trainers=trainers)
    assert result.model_path, result.message
    return result.model_path, user.behaviour


@pytest.fixture(scope="module")
def countless(user, trainers, tmp_path_factory):
    """A model trained with the count fields masked (and no tags)."""
    behaviour = [Video(**{**dataclasses.asdict(v), "view": None, "like": None, "coin": None,
                          "favorite": None, "reply": None, "danmaku": None, "share": None,
                          "tags": ()}) for v in user.behaviour]
    result = train_user_model(TrainingData(behaviour, [], user.pool),
                              tmp_path_factory.mktemp("countless"), seed=2, time_cap_s=60,
                              trainers=trainers)
    assert result.model_path, result.message
    vocab = Vocabulary.from_json(vocab_path_for(result.model_path).read_text("utf-8"))
    assert "view" not in vocab.fields
    return result.model_path, behaviour


def both_scores(path, history, candidates):
    vocab = Vocabulary.from_json(vocab_path_for(path).read_text("utf-8"))
    inputs = encode_candidates(candidates, serving_context(history, vocab), vocab)
    keras_scores = Scorer(load_model(path)[0])(inputs)
    numpy_scores = NumpyScorer.load(path)(inputs)
    return inputs, keras_scores, numpy_scores


def assert_parity(keras_scores, numpy_scores):
    assert numpy_scores.dtype == np.float64 and numpy_scores.shape == keras_scores.shape
    assert np.max(np.abs(numpy_scores - keras_scores)) <= TOLERANCE
    # the same ranking (ties within the tolerance may be broken either way)
    order_k, order_n = np.argsort(-keras_scores, kind="stable"), np.argsort(-numpy_scores,
                                                                             kind="stable")
    assert np.all(np.abs(keras_scores[order_k] - keras_scores[order_n]) <= TOLERANCE)


@pytest.mark.parametrize("which", ["normal", "countless"])
@pytest.mark.parametrize("empty_history", [False, True])
def test_numpy_scores_match_keras(which, empty_history, request, user):
    path, history = request.getfixturevalue(which)
    candidates = user.pool[:150] + odd_videos()
    _inputs, keras_scores, numpy_scores = both_scores(path, [] if empty_history else history,
                                                      candidates)
    assert_parity(keras_scores, numpy_scores)
    if len(set(np.round(keras_scores, 6))) == len(keras_scores):
        assert list(np.argsort(-keras_scores)) == list(np.argsort(-numpy_scores))


def test_rows_with_different_sequences_and_random_weights_match_keras():
    """Every weight random (not only what training moved), each row its own partly masked
    sequence, some rows all padding: the whole architecture, not just the prior path."""
    spec = ModelSpec(n_tags=40, n_authors=30, n_tokens=50)
    model = build_wide_deep(spec)
    rng = np.random.default_rng(0)
    weights = [rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(weights)
    n = 64
    seq_zone = rng.integers(1, spec.n_tags, (n, MAX_SEQ)).astype(np.int32)
    seq_zone[rng.random((n, MAX_SEQ)) < 0.3] = 0          # masked steps anywhere
    seq_zone[:4] = 0                                      # no history at all
    seq_zone[4:8, :10] = 0                                # left padding
    inputs = {
        "tags": np.where(rng.random((n, 6)) < 0.4, 0, rng.integers(1, 40, (n, 6))),
        "author": rng.integers(0, 30, n),
        "title": np.where(rng.random((n, 12)) < 0.5, 0, rng.integers(1, 50, (n, 12))),
        "seq_author": rng.integers(0, 30, (n, MAX_SEQ)),
        "seq_zone": seq_zone,
        "affinity": rng.normal(size=(n, 9)),
        "quality": rng.normal(size=(n, 6)),
        "prior": rng.normal(size=(n, 1)),
    }
    inputs["tags"][:3] = 0                                # all-padding tag rows
    inputs["title"][:3] = 0
    inputs = {k: np.asarray(v, dtype=np.float32 if k in ("affinity", "quality", "prior")
                            else np.int32) for k, v in inputs.items()}
    keras_scores = Scorer(model)(inputs)
    numpy_scores = NumpyScorer(spec, weights)(inputs)
    assert np.max(np.abs(numpy_scores - keras_scores)) <= TOLERANCE
    # the sequence shared by every row (serving) gives the same as computing it per row
    shared = {**inputs, "seq_author": np.repeat(inputs["seq_author"][5:6], n, 0),
              "seq_zone": np.repeat(inputs["seq_zone"][5:6], n, 0)}
    assert np.max(np.abs(NumpyScorer(spec, weights)(shared) - Scorer(model)(shared))) <= TOLERANCE


def test_weight_layout_names_the_keras_weights_in_order():
    for spec in (ModelSpec(n_tags=40, n_authors=30, n_tokens=50),
                 ModelSpec(n_tags=7, n_authors=7, n_tokens=7, embed_dim=8, gru_units=12,
                           hidden_units=20, dropout=0.1)):
        model = build_wide_deep(spec)
        assert [(w.path, tuple(w.shape)) for w in model.weights] == weight_layout(spec)


def test_a_file_that_does_not_fit_its_spec_is_refused(normal, tmp_path):
    from models import read_weights, weights_to_bytes

    spec, weights = read_weights(normal[0])
    bad = tmp_path / "model-bad.npz"
    bad.write_bytes(weights_to_bytes(weights[:-1], spec))
    with pytest.raises(ValueError):
        NumpyScorer.load(bad)
    bad.write_bytes(weights_to_bytes(weights, dataclasses.replace(spec, n_tags=spec.n_tags + 1)))
    with pytest.raises(ValueError, match="shape"):
        NumpyScorer.load(bad)


def test_an_empty_batch_scores_to_nothing(normal):
    scorer = NumpyScorer.load(normal[0])
    vocab = Vocabulary.from_json(vocab_path_for(normal[0]).read_text("utf-8"))
    inputs = encode_candidates([], serving_context([], vocab), vocab)
    assert scorer(inputs).shape == (0,)


def test_a_scorer_trimmed_to_its_vocabulary_scores_the_same(normal, user):
    path, history = normal
    vocab = Vocabulary.from_json(vocab_path_for(path).read_text("utf-8"))
    inputs = encode_candidates(user.popular_now[:50], serving_context(history, vocab), vocab)
    whole = NumpyScorer.load(path)
    trimmed = NumpyScorer.load(path, embedding_rows=vocab.table_rows())
    assert trimmed.nbytes < whole.nbytes / 3
    assert np.array_equal(trimmed(inputs), whole(inputs))
    beyond = {**inputs, "author": np.full_like(inputs["author"], vocab.table_rows()[1])}
    with pytest.raises(IndexError):
        trimmed(beyond)
