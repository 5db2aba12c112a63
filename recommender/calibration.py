"""Score calibration for any ranker: raw 0..1 scores → probabilities → 0-100 ratings.

Bounded Platt scaling: ``p = sigmoid(a·logit(score) + b)`` fitted on a validation split. Platt
rather than isotonic regression because validation splits are small (tens to a few hundred
samples): two parameters cannot overfit them, the map is smooth and strictly increasing (the
rating order is the score order, no plateaus of tied ratings), and it extrapolates sanely to
scores outside the validation range.

Three guards keep a near-separable validation set from giving step-function ratings:
- Platt's smoothed targets, (N₊+1)/(N₊+2) for positives and 1/(N₋+2) for negatives, so the
  maximum-likelihood fit has a finite slope even on separable data;
- a weak L2 pull of (a, b) towards the identity (1, 0), so scarce data changes the raw scores
  little;
- the slope clipped to [MIN_SLOPE, MAX_SLOPE] (the intercept refitted for the clipped slope).
Probabilities are bounded to [FLOOR, CEILING]: a validation split of this size cannot support a
claim of under 1 % or over 99 %, so no rating is ever 0 or 100.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

FLOOR, CEILING = 0.01, 0.99
MIN_SLOPE, MAX_SLOPE = 0.2, 3.0
PRIOR_STRENGTH = 1.0          # L2 weight pulling (a, b) towards (1, 0), in samples
MIN_FIT_SAMPLES = 10
_NEWTON_STEPS = 50


def _logit(scores) -> np.ndarray:
    p = np.clip(np.asarray(scores, dtype=np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500.0, 500.0)))


def _fit(x: np.ndarray, t: np.ndarray, slope: float | None) -> tuple[float, float]:
    """Newton's method on the penalised log loss; ``slope`` given: fit the intercept only."""
    a, b = (1.0 if slope is None else slope), 0.0
    for _ in range(_NEWTON_STEPS):
        p = _sigmoid(a * x + b)
        w = p * (1 - p)
        r = p - t
        if slope is None:
            grad = np.array([r @ x + PRIOR_STRENGTH * (a - 1.0), r.sum() + PRIOR_STRENGTH * b])
            hess = np.array([[w @ (x * x) + PRIOR_STRENGTH, w @ x],
                             [w @ x, w.sum() + PRIOR_STRENGTH]])
            step = np.linalg.solve(hess, grad)
            a, b = a - step[0], b - step[1]
        else:
            step = np.array([0.0, (r.sum() + PRIOR_STRENGTH * b) / (w.sum() + PRIOR_STRENGTH)])
            b -= step[1]
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(a), float(b)


@dataclass(frozen=True)
class Calibrator:
    """``apply(scores)``: sigmoid(a·logit(score) + b) bounded to [FLOOR, CEILING]."""

    a: float = 1.0
    b: float = 0.0

    @classmethod
    def fit(cls, labels: Sequence[int], scores: Sequence[float]) -> "Calibrator":
        """Fitted on a validation split's 0/1 labels and raw scores; the identity when there
        are fewer than MIN_FIT_SAMPLES or only one class."""
        y = np.asarray(labels, dtype=np.float64).ravel()
        x = _logit(scores).ravel()
        n_pos = float(y.sum())
        n_neg = float(len(y) - n_pos)
        if len(y) < MIN_FIT_SAMPLES or n_pos == 0 or n_neg == 0:
            return cls()
        targets = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
        a, b = _fit(x, targets, None)
        if not (math.isfinite(a) and math.isfinite(b)):
            return cls()
        if not MIN_SLOPE <= a <= MAX_SLOPE:
            a, b = _fit(x, targets, min(MAX_SLOPE, max(MIN_SLOPE, a)))
        return cls(a, b)

    def apply(self, scores) -> np.ndarray:
        """Calibrated probabilities (float64 array of the scores' shape) in [FLOOR, CEILING]."""
        return np.clip(_sigmoid(self.a * _logit(scores) + self.b), FLOOR, CEILING)

    def to_dict(self) -> dict:
        return {"method": "platt", "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Calibrator":
        """From ``to_dict`` output."""
        if data.get("method") != "platt":
            raise ValueError(f"unknown calibration method {data.get('method')!r}")
        return cls(float(data["a"]), float(data["b"]))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Calibrator":
        return cls.from_dict(json.loads(text))
