"""Training one user's model from plain data (runs inside the worker process; imports TensorFlow).

``train_user_model`` is the whole job: label the behaviour (too few engaged watches or no
negatives: no model, the content ranker serves), split by time, choose the count fields both
classes carry, build (or grow) the vocabularies, fit with early stopping under a time cap, then
compare the model with the simple rankers on the held-out later part and choose what serves
(recommender.selection), calibrate every ranker's scores there (bounded Platt scaling,
recommender.calibration), and write the
model file, vocabulary JSON and plan JSON atomically.

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
from typing import Callable, Sequence

import numpy as np

from models.trainer import TrainerPool
from models.wide_deep import ModelSpec, weights_to_bytes
from recommender.calibration import Calibrator
from recommender.features import (COUNT_FIELDS, Vocabulary, build_vocabulary, choose_fields,
                                  encode_samples, mask_video, present_fields)
from recommender.labels import (Sample, binary_labels, build_samples, time_split, watch_events)
from recommender.metrics import auc, ndcg_at_k
from recommender.mutes import Mutes
from recommender.selection import (MIN_POSITIVES, REASON_FEW_POSITIVES, REASON_NO_HOLDOUT,
                                   ServingPlan, TfidfRanker, as_served, choose,
                                   data_shortfall, holdout_scores)
from storage.files import write_atomic
from domain import Impression, Video

logger = logging.getLogger(__name__)

HOLDOUT_FRACTION = 0.2
MAX_EPOCHS = 40
PATIENCE = 4
BATCH_SIZE = 128
LEARNING_RATE = 3e-3


@dataclass
class TrainingData:
    """Everything one training job needs, as plain picklable records."""

    behaviour: list[Video]
    feedback: list[tuple[Video, int]] = field(default_factory=list)
    pool: list[Video] = field(default_factory=list)
    impressions: list[Impression] = field(default_factory=list)
    mutes: Mutes = field(default_factory=Mutes)


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
    """A trained model with its vocabularies and held-out figures."""

    weights: list[np.ndarray]
    vocab: Vocabulary
    metrics: dict


_BLANK_ZONE = {"tname": "", "tid": 0, "tags": ()}


def _lacks_zone(video: Video) -> bool:
    return not (video.tname or video.tags)


def equalize_missing(samples: Sequence[Sample], rng: np.random.Generator,
                     fields: Sequence[str]) -> list[Sample]:
    """Blank the zone / a count field of some samples so positives and negatives lack it equally.

    Listings differ in what they carry (watch history has a zone, the feed none; the feed has
    no favourites). Counts a class mostly lacks are masked outright (``features.choose_fields``);
    for the zone and the kept ``fields``, blanking the class that has one more often, with the
    probability that evens the rates, makes a missing value say nothing about the label —
    otherwise the model would learn the listing instead of the taste.
    """
    out = list(samples)
    checks = [(_lacks_zone, lambda v: replace(v, **_BLANK_ZONE))]
    for name in fields:
        others = [f for f in COUNT_FIELDS if f != name]
        checks.append((lambda v, name=name: name not in present_fields(v),
                       lambda v, others=others: mask_video(v, others)))
    for lacks, blank in checks:
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
                out[i] = replace(sample, video=blank(sample.video))
    return out


def sample_weights(samples: Sequence[Sample]) -> np.ndarray:
    """Per-sample weight × balanced class weight (one class present: no balancing)."""
    from sklearn.utils.class_weight import compute_class_weight  # training only (~80 MB)

    y = binary_labels(samples)
    base = np.array([s.weight for s in samples], dtype=np.float32)
    classes = np.unique(y)
    if len(classes) < 2:
        return base
    weights = compute_class_weight("balanced", classes=classes, y=y)
    lookup = dict(zip(classes.tolist(), weights.tolist()))
    return base * np.array([lookup[int(c)] for c in y], dtype=np.float32)


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
                fields: Sequence[str] = COUNT_FIELDS, previous: SavedModel | None = None,
                max_epochs: int = MAX_EPOCHS,
                on_epoch: Callable[[int, int], None] | None = None) -> FittedModel:
    """Fit a model on ``train``, early-stopped on ``validation``.

    Both are used as given (equalize them first); counts outside ``fields`` are blanked.
    """
    started = time.monotonic()
    vocab = build_vocabulary([s.video for s in train] + list(watches),
                             previous=previous.vocab if previous else None, fields=fields)
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
                          learning_rate=LEARNING_RATE, on_epoch=on_epoch)
    metrics: dict = {"train_samples": len(train), "val_samples": len(validation),
                     "epochs": outcome.epochs}
    if outcome.stopped_by_time:
        metrics["stopped_by_time_cap"] = True
    if held_out is not None:
        val_scores = trainer.score(held_out[0], outcome.weights)
        labels = binary_labels(validation)
        metrics["auc"] = auc(labels, val_scores)
        metrics["ndcg10"] = ndcg_at_k(labels, val_scores, 10)
    metrics["train_seconds"] = round(time.monotonic() - started, 2)
    return FittedModel(outcome.weights, vocab, metrics)


@dataclass
class TrainedPlan:
    """A training's outcome before anything is written: the model (None when the data were too
    few) and the serving plan chosen on the user's own hold-out."""

    fitted: FittedModel | None
    plan: ServingPlan
    n_samples: int
    n_positive: int


def train_plan(data: TrainingData, *, seed: int, time_cap_s: float, trainers: TrainerPool,
               previous: SavedModel | None = None,
               on_epoch: Callable[[int, int], None] | None = None) -> TrainedPlan:
    """Label, split by time, fit the model and choose what serves (recommender.selection)."""
    rng = np.random.default_rng(seed)
    samples = build_samples(data.behaviour, data.feedback, data.pool, rng=rng,
                            impressions=data.impressions, mutes=data.mutes)
    n_positive = int(binary_labels(samples).sum()) if samples else 0
    shortfall = data_shortfall(samples)
    if shortfall is not None:
        return TrainedPlan(None, ServingPlan(reason=shortfall), len(samples), n_positive)
    train, validation, _ = time_split(samples, HOLDOUT_FRACTION)
    fields = choose_fields([s.video for s in train if s.positive],
                           [s.video for s in train if not s.positive])
    train = equalize_missing(train, rng, fields)
    validation = equalize_missing(validation, rng, fields)
    watches = watch_events(data.behaviour)
    fitted = fit_samples(train, validation, watches, seed=seed, time_cap_s=time_cap_s,
                         trainers=trainers, fields=fields, previous=previous, on_epoch=on_epoch)
    holdout = as_served(validation)
    labels = binary_labels(holdout)
    if not holdout or labels.min() == labels.max():
        return TrainedPlan(fitted, ServingPlan(reason=REASON_NO_HOLDOUT, fields=fields),
                           len(samples), n_positive)
    tfidf = TfidfRanker.fit([s.video.title for s in train], binary_labels(train))
    scores = holdout_scores(holdout, watches, fields, tfidf)
    scores["model"] = trainers.get(fitted.vocab.spec()).score(
        encode_samples(holdout, watches, fitted.vocab), fitted.weights)
    served, reason, figures = choose(labels, scores)
    calibration = {name: Calibrator.fit(labels, s) for name, s in scores.items()}
    plan = ServingPlan(served, reason, figures, calibration, fields, tfidf, len(holdout))
    return TrainedPlan(fitted, plan, len(samples), n_positive)


def model_paths(out_dir: Path, stamp: str) -> tuple[Path, Path, Path]:
    """The model, vocabulary and plan files of one model version."""
    return (out_dir / f"model-{stamp}.npz", out_dir / f"vocab-{stamp}.json",
            out_dir / f"plan-{stamp}.json")


def vocab_path_for(model_path: Path) -> Path:
    """The vocabulary file that belongs to a model file."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name.replace("model-", "vocab-", 1)).with_suffix(".json")


def plan_path_for(model_path: Path) -> Path:
    """The serving-plan file that belongs to a model file."""
    model_path = Path(model_path)
    return model_path.with_name(model_path.name.replace("model-", "plan-", 1)).with_suffix(".json")


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
                     trainers: TrainerPool, previous_model: str | Path | None = None,
                     on_epoch: Callable[[int, int], None] | None = None) -> TrainingResult:
    """The whole training job of one user (see module doc). Never raises for bad data.

    A new model, vocabulary and plan are written whenever there was enough data to train; the
    plan then says whether the model or a simple ranker serves. Too little data writes nothing:
    the content ranker serves and the result says why.
    """
    out_dir = Path(out_dir)
    previous = None
    if previous_model and Path(previous_model).exists():
        try:
            previous = load_saved(Path(previous_model))
        except (OSError, ValueError, KeyError) as exc:
            logger.warning("previous model unreadable, training from scratch: %s", exc)
    trained = train_plan(data, seed=seed, time_cap_s=time_cap_s, trainers=trainers,
                         previous=previous, on_epoch=on_epoch)
    plan = trained.plan
    metrics = {"positives": trained.n_positive, "min_positives": MIN_POSITIVES, **plan.metrics()}
    if trained.fitted is None:
        return TrainingResult(False, f"too little data ({trained.n_positive} engaged watches, "
                              f"need {MIN_POSITIVES})" if plan.reason == REASON_FEW_POSITIVES
                              else "nothing skipped to learn from", metrics, trained.n_samples)
    metrics.update(trained.fitted.metrics)
    metrics["warm_start"] = previous is not None
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{time.time_ns()}"
    model_path, vocab_path, plan_path = model_paths(out_dir, stamp)
    write_atomic(vocab_path, trained.fitted.vocab.to_json().encode("utf-8"))
    write_atomic(plan_path, plan.to_json().encode("utf-8"))
    model_bytes = weights_to_bytes(trained.fitted.weights, trained.fitted.vocab.spec())
    write_atomic(model_path, model_bytes)
    metrics["model_bytes"] = len(model_bytes)
    figures = ", ".join(f"{name} {value:.3f}" for name, value in sorted(plan.figures.items()))
    return TrainingResult(True, f"trained on {trained.n_samples} samples; serving {plan.served} "
                          f"(held-out AUC: {figures or 'n/a'})", _rounded(metrics),
                          trained.n_samples, str(model_path), str(vocab_path))
