"""Ranking metrics (AUC, NDCG@k with binary relevance) and calibration metrics.

scikit-learn is imported where it is used: serving imports this module (through the training
module's names) but never computes an AUC, and scikit-learn + SciPy cost ~80 MB of RSS."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def auc(labels: Sequence[int], scores: Sequence[float]) -> float | None:
    """ROC AUC, or None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    if len(labels) == 0 or labels.min() == labels.max():
        return None
    return float(roc_auc_score(labels, np.asarray(scores, dtype=np.float64)))


def _order(scores: np.ndarray) -> np.ndarray:
    # stable descending order; ties keep input order so results are reproducible
    return np.argsort(-scores, kind="stable")


def ndcg_at_k(labels: Sequence[int], scores: Sequence[float], k: int = 10) -> float | None:
    """NDCG@k (gain 1 per relevant item); None when nothing is relevant."""
    labels = np.asarray(labels, dtype=np.float64)
    if labels.sum() <= 0:
        return None
    ranked = labels[_order(np.asarray(scores, dtype=np.float64))][:k]
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = float(np.sum(ranked * discounts[:len(ranked)]))
    ideal = float(np.sum(discounts[:int(min(k, labels.sum()))]))
    return dcg / ideal


def reliability_table(labels: Sequence[int], probabilities: Sequence[float], bins: int = 10
                      ) -> list[dict]:
    """Per equal-width probability bin (the last one includes 1.0): count, mean predicted
    probability and observed positive rate (both None for an empty bin)."""
    labels = np.asarray(labels, dtype=np.float64).ravel()
    probabilities = np.asarray(probabilities, dtype=np.float64).ravel()
    index = np.clip((probabilities * bins).astype(int), 0, bins - 1)
    table = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        table.append({"low": b / bins, "high": (b + 1) / bins, "count": count,
                      "mean_predicted": float(probabilities[mask].mean()) if count else None,
                      "observed_rate": float(labels[mask].mean()) if count else None})
    return table


def expected_calibration_error(labels: Sequence[int], probabilities: Sequence[float],
                               bins: int = 10) -> float | None:
    """Count-weighted mean |mean predicted − observed rate| over the bins; None when empty."""
    table = reliability_table(labels, probabilities, bins)
    total = sum(row["count"] for row in table)
    if not total:
        return None
    return float(sum(row["count"] * abs(row["mean_predicted"] - row["observed_rate"])
                     for row in table if row["count"]) / total)
