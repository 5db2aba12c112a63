"""A reusable training graph for the Wide&Deep+GRU model.

Tracing the TensorFlow training step costs seconds, far more than the training itself on a few
thousand samples. A ``ModelTrainer`` builds one model per ``ModelSpec`` and traces its step once;
every job then loads its starting weights (fresh initialisation for a seed, or a previous model's
weights for a warm start), resets the optimizer, and runs mini-batch epochs with early stopping
on the held-out loss, restoring the best weights. Nothing of one job survives into the next.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from models.wide_deep import (INPUT_NAMES, MAX_SEQ, MAX_TAGS, MAX_TITLE, N_AFFINITY, N_QUALITY,
                              ModelSpec, Scorer, build_wide_deep)


@dataclass
class FitOutcome:
    """The best weights of a fit and how it went."""

    weights: list[np.ndarray]
    epochs: int
    best_val_loss: float | None
    stopped_by_time: bool


def weighted_log_loss(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """Weighted binary cross-entropy of probabilities ``p`` against (soft) targets ``y``."""
    p = np.clip(p, 1e-7, 1 - 1e-7)
    losses = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return float(np.sum(w * losses) / max(np.sum(w), 1e-9))


class ModelTrainer:
    """One traced model + optimizer for a spec (see module doc)."""

    def __init__(self, spec: ModelSpec, learning_rate: float = 3e-3) -> None:
        import keras
        import tensorflow as tf

        self.spec = spec
        self.model = build_wide_deep(spec)
        self.optimizer = keras.optimizers.Adam(learning_rate)
        self.optimizer.build(self.model.trainable_variables)
        self.scorer = Scorer(self.model)
        self._initial: dict[int, list[np.ndarray]] = {}
        model, optimizer = self.model, self.optimizer
        signature = [self._spec_for(name) for name in INPUT_NAMES] + [
            tf.TensorSpec((None,), tf.float32), tf.TensorSpec((None,), tf.float32)]

        def step(*tensors):
            inputs = dict(zip(INPUT_NAMES, tensors[:len(INPUT_NAMES)]))
            y, w = tensors[len(INPUT_NAMES):]
            with tf.GradientTape() as tape:
                p = tf.clip_by_value(model(inputs, training=True), 1e-7, 1 - 1e-7)
                losses = -(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))
                loss = tf.reduce_sum(w * losses) / tf.maximum(tf.reduce_sum(w), 1e-9)
                if model.losses:
                    loss = loss + tf.add_n(model.losses)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        self._step = tf.function(step, input_signature=signature)

    @staticmethod
    def _spec_for(name: str):
        import tensorflow as tf

        shapes = {"tags": (None, MAX_TAGS), "author": (None,), "title": (None, MAX_TITLE),
                  "seq_author": (None, MAX_SEQ), "seq_zone": (None, MAX_SEQ),
                  "affinity": (None, N_AFFINITY), "quality": (None, N_QUALITY),
                  "prior": (None, 1)}
        dtype = tf.float32 if name in ("affinity", "quality", "prior") else tf.int32
        return tf.TensorSpec(shapes[name], dtype, name=name)

    def initial_weights(self, seed: int) -> list[np.ndarray]:
        """Fresh initial weights for ``seed`` (the same seed gives the same weights)."""
        if seed not in self._initial:
            import keras

            keras.utils.set_random_seed(seed)
            self._initial[seed] = build_wide_deep(self.spec).get_weights()
        return [w.copy() for w in self._initial[seed]]

    def score(self, inputs: dict[str, np.ndarray], weights: list[np.ndarray] | None = None
              ) -> np.ndarray:
        """Probabilities for encoded rows, with ``weights`` loaded first if given."""
        if weights is not None:
            self.model.set_weights(weights)
        return self.scorer(inputs)

    def fit(self, x: dict[str, np.ndarray], y: np.ndarray, w: np.ndarray, *,
            start_weights: list[np.ndarray], seed: int, deadline: float,
            validation: tuple[dict[str, np.ndarray], np.ndarray, np.ndarray] | None = None,
            max_epochs: int = 40, patience: int = 4, batch_size: int = 128,
            no_validation_epochs: int = 8, learning_rate: float = 3e-3,
            on_epoch: Callable[[int, int], None] | None = None) -> FitOutcome:
        """Mini-batch training from ``start_weights``; early stopping on the held-out loss.
        ``on_epoch(done, planned)`` is called after each epoch (early stopping may end the
        training before ``planned``)."""
        self.model.set_weights(start_weights)
        for variable in self.optimizer.variables:  # moments and step count, not the rate
            if not variable.path.endswith("learning_rate"):
                variable.assign(np.zeros(variable.shape, dtype=variable.dtype))
        self.optimizer.learning_rate.assign(learning_rate)
        rng = np.random.default_rng(seed)
        n = len(y)
        epochs = max_epochs if validation is not None else min(max_epochs, no_validation_epochs)
        best_loss, best_weights, since_best, done = math.inf, None, 0, 0
        stopped_by_time = False
        arrays = [np.asarray(x[name]) for name in INPUT_NAMES]
        y = np.asarray(y, dtype=np.float32)
        w = np.asarray(w, dtype=np.float32)
        for _epoch in range(epochs):
            order = rng.permutation(n)
            for start in range(0, n, batch_size):
                batch = order[start:start + batch_size]
                self._step(*[a[batch] for a in arrays], y[batch], w[batch])
                if time.monotonic() > deadline:
                    stopped_by_time = True
                    break
            done += 1
            if on_epoch is not None:
                on_epoch(done, epochs)
            if validation is not None:
                x_val, y_val, w_val = validation
                loss = weighted_log_loss(y_val, self.scorer(x_val), w_val)
                if loss < best_loss - 1e-4:
                    best_loss, best_weights, since_best = loss, self.model.get_weights(), 0
                else:
                    since_best += 1
                if since_best >= patience:
                    break
            if stopped_by_time:
                break
        if best_weights is None:
            best_weights = self.model.get_weights()
        return FitOutcome(best_weights, done, None if best_loss == math.inf else best_loss,
                          stopped_by_time)


class TrainerPool:
    """ModelTrainers by spec, so a process traces each graph only once."""

    def __init__(self) -> None:
        self._trainers: dict[ModelSpec, ModelTrainer] = {}

    def get(self, spec: ModelSpec) -> ModelTrainer:
        if spec not in self._trainers:
            self._trainers[spec] = ModelTrainer(spec)
        return self._trainers[spec]
