"""Training one user's model from plain data (runs inside the worker process; imports TensorFlow).

``train_user_model`` is the whole job: label the behaviour, split by time, build (or grow) the
vocabularies, fit with early stopping under a time cap, measure AUC and NDCG@10 on the held-out
later part, calibrate (Platt scaling on the held-out part), compare with the previous model on
the same held-out samples, and write the model file + vocabulary JSON atomically.

Incremental training ("reuses what it can"): when a previous model exists, its vocabularies are
kept with their ids and only new tags/UP主s/words are appended; every weight whose shape is
unchanged is copied, and the embedding tables copy the old rows into the grown tables (new rows
start from the random initialisation). Training then continues from those weights with the same
early stopping, so a retrain after a sync or after a few 👍/👎 converges in a few epochs.
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Sequence

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.utils.class_weight import compute_class_weight

from models.trainer import TrainerPool
from models.wide_deep import ModelSpec, weights_to_bytes
from recommender.features import Vocabulary, build_vocabulary, encode_samples
from recommender.labels import (Sample, binary_labels, build_samples, time_split, watch_events)
from recommender.metrics import auc, ndcg_at_k
from storage.files import write_atomic
from storage.records import Impression, Video

logger = logging.getLogger(__name__)

HOLDOUT_FRACTION = 0.2
ACCEPT_TOLERANCE = 0.02     # a new model may be this much worse in held-out AUC and still win
MAX_EPOCHS = 40
PATIENCE = 4
BATCH_SIZE = 128
LEARNING_RATE = 3e-3
MIN_SAMPLES = 20


@dataclass
class TrainingData:
    """Everything one training job needs, as plain picklable records."""

    behaviour: list[Video]
    feedback: list[tuple[Video, int]] = field(default_factory=list)
    pool: list[Video] = field(default_factory=list)
    impressions: list[Impression] = field(default_factory=list)


@dataclass
class TrainingResult:
    """What a training job did; paths are set only when a new model was written."""

    accepted: bool
    message: str
    metrics: dict
    n_samples: int
    model_path: str | None = None
    vocab_path: str | None = None


@dataclass
class FittedModel:
    """A trained model with its vocabularies (calibration included) and held-out figures."""

    weights: list[np.ndarray]
    vocab: Vocabulary
    metrics: dict


_BLANK_ZONE = {"tname": "", "tid": 0, "tags": ()}
_BLANK_COUNTS = {name: None for name in ("view", "like", "coin", "favorite", "reply", "danmaku",
                                         "share")}


def _lacks_zone(video: Video) -> bool:
    return not (video.tname or video.tags)


def _lacks_counts(video: Video) -> bool:
    return video.view is None


def equalize_missing(samples: Sequence[Sample], rng: np.random.Generator) -> list[Sample]:
    """Blank the zone / the counts of some samples so positives and negatives lack them equally.

    Listings differ in what they carry: watch history has a zone but no counts, the feed has
    counts but no zone, the popular list has both. Unequalized, "no zone" or "has counts" would
    mean "not watched", the model would learn the listing instead of the taste, and every feed
    video would be scored down. Blanking the class that has the field more often, with the
    probability that evens the rates, makes a missing field say nothing about the label.
    """
    out = list(samples)
    for lacks, blank in ((_lacks_zone, _BLANK_ZONE), (_lacks_counts, _BLANK_COUNTS)):
        pos = [s for s in out if s.positive]
        neg = [s for s in out if not s.positive]
        if not pos or not neg:
            return out
        rate_pos = sum(lacks(s.video) for s in pos) / len(pos)
        rate_neg = sum(lacks(s.video) for s in neg) / len(neg)
        if math.isclose(rate_pos, rate_neg, abs_tol=0.02):
            continue
        blank_positive = rate_neg > rate_pos
        low, high = (rate_pos, rate_neg) if blank_positive else (rate_neg, rate_pos)
        probability = (high - low) / (1.0 - low)
        for i, sample in enumerate(out):
            if sample.positive == blank_positive and not lacks(sample.video) \
                    and rng.random() < probability:
                out[i] = replace(sample, video=replace(sample.video, **blank))
    return out


def sample_weights(samples: Sequence[Sample]) -> np.ndarray:
    """Per-sample weight × balanced class weight (one class present: no balancing)."""
    y = binary_labels(samples)
    base = np.array([s.weight for s in samples], dtype=np.float32)
    classes = np.unique(y)
    if len(classes) < 2:
        return base
    weights = compute_class_weight("balanced", classes=classes, y=y)
    lookup = dict(zip(classes.tolist(), weights.tolist()))
    return base * np.array([lookup[int(c)] for c in y], dtype=np.float32)


def platt_calibration(labels: np.ndarray, probabilities: np.ndarray) -> tuple[float, float]:
    """(a, b) so that sigmoid(a·logit(p) + b) is calibrated on held-out data; (1, 0) if unusable."""
    if len(labels) < 10 or labels.min() == labels.max():
        return 1.0, 0.0
    logits = _logit(probabilities).reshape(-1, 1)
    fit = LogisticRegression(C=100.0).fit(logits, labels)
    a, b = float(fit.coef_[0][0]), float(fit.intercept_[0])
    if not (math.isfinite(a) and math.isfinite(b)) or a <= 0.05:
        return 1.0, 0.0
    return a, b


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def calibrate(probabilities: np.ndarray, calibration: tuple[float, float]) -> np.ndarray:
    """Apply Platt scaling to raw model probabilities."""
    a, b = calibration
    return 1.0 / (1.0 + np.exp(-(a * _logit(probabilities) + b)))


def start_weights(trainer, previous: "SavedModel | None", seed: int) -> list[np.ndarray]:
    """The previous model's weights where shapes allow (warm start), else fresh ones.

    A previous model of another graph (a file written with another ModelSpec) gives fresh
    weights: its weight list need not line up with this graph's.
    """
    fresh = trainer.initial_weights(seed)
    if previous is None or previous.spec != trainer.spec:
        return fresh
    out = []
    for new, old in zip(fresh, previous.weights):
        out.append(old if old.shape == new.shape else new)
    return out


@dataclass
class SavedModel:
    """A model as stored: its weights and vocabularies (no Keras object needed)."""

    weights: list[np.ndarray]
    vocab: Vocabulary
    spec: ModelSpec


def fit_samples(train: Sequence[Sample], validation: Sequence[Sample], watches: Sequence[Video],
                *, seed: int, time_cap_s: float, trainers: TrainerPool,
                previous: SavedModel | None = None, max_epochs: int = MAX_EPOCHS) -> FittedModel:
    """Fit a model on ``train``, early-stopped and calibrated on ``validation``."""
    started = time.monotonic()
    rng = np.random.default_rng(seed)
    train = equalize_missing(train, rng)
    vocab = build_vocabulary([s.video for s in train] + list(watches),
                             previous=previous.vocab if previous else None)
    trainer = trainers.get(vocab.spec())
    x_train = encode_samples(train, watches, vocab)
    y_train = np.array([s.target for s in train], dtype=np.float32)
    held_out = None
    if validation:
        x_val = encode_samples(validation, watches, vocab)
        y_val = np.array([s.target for s in validation], dtype=np.float32)
        w_val = np.array([s.weight for s in validation], dtype=np.float32)
        held_out = (x_val, y_val, w_val)
    outcome = trainer.fit(x_train, y_train, sample_weights(train),
                          start_weights=start_weights(trainer, previous, seed), seed=seed,
                          deadline=started + time_cap_s, validation=held_out,
                          max_epochs=max_epochs, patience=PATIENCE, batch_size=BATCH_SIZE,
                          learning_rate=LEARNING_RATE)
    metrics: dict = {"train_samples": len(train), "val_samples": len(validation),
                     "epochs": outcome.epochs}
    if outcome.stopped_by_time:
        metrics["stopped_by_time_cap"] = True
    if held_out is not None:
        val_scores = trainer.score(held_out[0], outcome.weights)
        labels = binary_labels(validation)
        metrics["auc"] = auc(labels, val_scores)
        metrics["ndcg10"] = ndcg_at_k(labels, val_scores, 10)
        vocab.calibration = platt_calibration(labels, val_scores)
    metrics["train_seconds"] = round(time.monotonic() - started, 2)
    return FittedModel(outcome.weights, vocab, metrics)


def model_paths(out_dir: Path, stamp: str) -> tuple[Path, Path]:
    """The model file and vocabulary file of one model version."""
    return out_dir / f"model-{stamp}.npz", out_dir / f"vocab-{stamp}.json"


def vocab_path_for(model_path: Path) -> Path:
    """The vocabulary file that belongs to a model file."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name.replace("model-", "vocab-", 1)).with_suffix(".json")


def load_saved(model_path: Path) -> SavedModel:
    """A saved model's weights and vocabularies."""
    from models import read_weights

    spec, weights = read_weights(model_path)
    vocab = Vocabulary.from_json(vocab_path_for(model_path).read_text(encoding="utf-8"))
    return SavedModel(weights, vocab, spec)


def _rounded(metrics: dict) -> dict:
    return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in metrics.items()
            if v is not None}


def train_user_model(data: TrainingData, out_dir: str | Path, *, seed: int, time_cap_s: float,
                     trainers: TrainerPool, previous_model: str | Path | None = None
                     ) -> TrainingResult:
    """The whole training job of one user (see module doc). Never raises for bad data."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    samples = build_samples(data.behaviour, data.feedback, data.pool, rng=rng,
                            impressions=data.impressions)
    if len(samples) < MIN_SAMPLES:
        return TrainingResult(False, f"too little data ({len(samples)} samples)", {},
                              len(samples))
    train, validation, _ = time_split(samples, HOLDOUT_FRACTION)
    watches = watch_events(data.behaviour)
    previous = None
    if previous_model and Path(previous_model).exists():
        try:
            previous = load_saved(Path(previous_model))
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("previous model unreadable, training from scratch: %s", exc)
    fitted = fit_samples(train, validation, watches, seed=seed, time_cap_s=time_cap_s,
                         trainers=trainers, previous=previous)
    metrics = dict(fitted.metrics)
    metrics["warm_start"] = previous is not None
    new_auc = metrics.get("auc")
    if previous is not None and validation and new_auc is not None:
        trainer = trainers.get(previous.spec)
        old_scores = trainer.score(encode_samples(validation, watches, previous.vocab),
                                   previous.weights)
        old_auc = auc(binary_labels(validation), old_scores)
        if old_auc is not None:
            metrics["previous_auc"] = old_auc
            if new_auc < old_auc - ACCEPT_TOLERANCE:
                return TrainingResult(False, f"kept the previous model (held-out AUC "
                                      f"{new_auc:.3f} < {old_auc:.3f})", _rounded(metrics),
                                      len(samples))
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.time_ns()}"
    model_path, vocab_path = model_paths(out_dir, stamp)
    write_atomic(vocab_path, fitted.vocab.to_json().encode("utf-8"))
    model_bytes = weights_to_bytes(fitted.weights, fitted.vocab.spec())
    write_atomic(model_path, model_bytes)
    metrics["model_bytes"] = len(model_bytes)
    shown = f"{new_auc:.3f}" if new_auc is not None else "n/a"
    return TrainingResult(True, f"trained on {len(samples)} samples, held-out AUC {shown}",
                          _rounded(metrics), len(samples), str(model_path), str(vocab_path))
