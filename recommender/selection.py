"""Which ranker serves a user: the trained model or a simple ranker, measured on the user's own data.

Every training compares, on the user's own time-ordered hold-out (later engaged watches against
the offered videos they skipped, ``as_served``; counts blanked exactly as at serving), the
trained model with three simple
rankers that need no training beyond a few counters:

- ``content``: content affinity (UP主s, zones and title words the user watches, + quality);
  also the fallback for users without a plan;
- ``freq``: how often the user watched/engaged with the UP主 and the zone;
- ``tfidf``: TF-IDF over jieba title tokens + logistic regression, fitted on the earlier part.

The plan serves the best of them by AUC. The model (or a simple ranker) replaces the content
ranker only when it is above chance and beats it on that hold-out by more than
``SELECT_MARGIN``, and does so on at least ``SELECT_CONFIDENCE`` of paired bootstrap resamples
of the hold-out; otherwise (ties included) the content ranker serves. A user with too little data (fewer than
``MIN_POSITIVES`` engaged watches, or fewer than ``MIN_NEGATIVES`` negatives of any kind) gets
no model: the content ranker serves and the plan says why. The plan keeps every ranker's figure,
so /status can tell the user how each did on their own later watches.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from recommender.calibration import Calibrator
from recommender.features import (COUNT_FIELDS, Vocabulary, WatchContext, affinity_score,
                                  mask_video, memo_get, memo_put)
from recommender.labels import Sample, binary_labels
from recommender.metrics import auc
from recommender.text import title_tokens
from domain import Video

RANKERS = ("model", "content", "freq", "tfidf")
MIN_POSITIVES = 50
MIN_NEGATIVES = 10
SELECT_MARGIN = 0.005
SELECT_CONFIDENCE = 0.8
BOOTSTRAP_ROUNDS = 200
PLAN_FORMAT = 1

# why a plan serves what it serves (rendered in words by the bot)
REASON_BEST = "best"                       # the served ranker did best on the hold-out
REASON_FEW_POSITIVES = "few_positives"     # too few engaged watches to train on
REASON_NO_NEGATIVES = "no_negatives"       # nothing the user skipped to learn from
REASON_NO_HOLDOUT = "no_holdout"           # the later part has a single class: cannot compare


def freq_score(video: Video, context: WatchContext) -> float:
    """Zone/UP主 frequency in 0..1: how often the user watched/engaged with them so far."""
    a = context.affinity(video)
    raw = float(a[1] + 0.5 * a[0] + 2.0 * a[4] + a[3])
    return 1.0 - math.exp(-raw)


@dataclass(frozen=True)
class TfidfRanker:
    """TF-IDF (raw term counts × smooth idf, l2-normalised) over title tokens + logistic
    regression, stored as plain numbers so serving needs no scikit-learn object."""

    idf: dict[str, float]
    coef: dict[str, float]
    intercept: float

    @classmethod
    def fit(cls, titles: Sequence[str], labels: np.ndarray) -> "TfidfRanker | None":
        """Fit on titles and binary labels; None when only one class is present."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        labels = np.asarray(labels)
        if len(labels) == 0 or labels.min() == labels.max():
            return None
        vectorizer = TfidfVectorizer(analyzer=lambda title: list(title_tokens(title)))
        x = vectorizer.fit_transform(list(titles))
        if x.shape[1] == 0:
            return None
        model = LogisticRegression(class_weight="balanced", max_iter=1000, C=1.0).fit(x, labels)
        coef = model.coef_[0]
        idf = {token: float(vectorizer.idf_[j]) for token, j in vectorizer.vocabulary_.items()}
        weights = {token: float(coef[j]) for token, j in vectorizer.vocabulary_.items()}
        return cls(idf, weights, float(model.intercept_[0]))

    def score(self, titles: Sequence[str]) -> np.ndarray:
        """Probabilities of engagement for titles (unknown words count for nothing)."""
        out = np.empty(len(titles))
        for i, title in enumerate(titles):
            counts = Counter(t for t in title_tokens(title) if t in self.idf)
            weights = {t: n * self.idf[t] for t, n in counts.items()}
            norm = math.sqrt(sum(w * w for w in weights.values()))
            logit = self.intercept
            if norm > 0:
                logit += sum(w * self.coef[t] for t, w in weights.items()) / norm
            out[i] = 1.0 / (1.0 + math.exp(-logit))
        return out

    def to_dict(self) -> dict:
        return {"idf": self.idf, "coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: dict) -> "TfidfRanker":
        return cls({str(k): float(v) for k, v in data["idf"].items()},
                   {str(k): float(v) for k, v in data["coef"].items()},
                   float(data["intercept"]))


@dataclass
class ServingPlan:
    """What serves a user, why, and how every ranker did on the user's own later watches."""

    served: str = "content"
    reason: str = REASON_BEST
    figures: dict[str, float] = field(default_factory=dict)    # hold-out AUC per ranker
    calibration: dict[str, Calibrator] = field(default_factory=dict)   # per ranker
    fields: tuple[str, ...] = COUNT_FIELDS                      # counts every ranker may use
    tfidf: TfidfRanker | None = None
    n_holdout: int = 0

    def to_json(self) -> str:
        return json.dumps({"format": PLAN_FORMAT, "served": self.served, "reason": self.reason,
                           "figures": self.figures,
                           "calibration": {k: v.to_dict() for k, v in self.calibration.items()},
                           "fields": list(self.fields), "n_holdout": self.n_holdout,
                           "tfidf": self.tfidf.to_dict() if self.tfidf else None},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ServingPlan":
        data = json.loads(text)
        if data.get("format") != PLAN_FORMAT:
            raise ValueError(f"unsupported plan format {data.get('format')!r}")
        served = str(data["served"])
        if served not in RANKERS:
            raise ValueError(f"unknown ranker {served!r}")
        tfidf = TfidfRanker.from_dict(data["tfidf"]) if data.get("tfidf") else None
        if served == "tfidf" and tfidf is None:
            raise ValueError("a plan serving tfidf without its weights")
        return cls(served, str(data["reason"]),
                   {str(k): float(v) for k, v in data["figures"].items()},
                   {str(k): Calibrator.from_dict(v) for k, v in data["calibration"].items()},
                   tuple(str(f) for f in data["fields"] if f in COUNT_FIELDS), tfidf,
                   int(data.get("n_holdout", 0)))

    def calibrator(self) -> Calibrator:
        """The calibration of the served ranker's scores (identity when none was fitted)."""
        return self.calibration.get(self.served, Calibrator())

    def metrics(self) -> dict:
        """The plan as flat metrics (stored with the model record, shown by /status)."""
        out: dict = {"served": self.served, "served_reason": self.reason,
                     "holdout_samples": self.n_holdout}
        out.update({f"auc_{name}": round(value, 4) for name, value in self.figures.items()})
        return out


def simple_scores(ranker: str, videos: Sequence[Video], context: WatchContext,
                  fields: Sequence[str], tfidf: TfidfRanker | None,
                  memo: dict | None = None) -> np.ndarray:
    """One simple ranker's 0..1 scores of candidates that share one watch context.

    ``memo`` (optional, owned by the caller, valid for this one context and plan): scores by
    (ranker, video), reused and filled here (``features.memo_get``/``memo_put``).
    """
    if ranker == "tfidf":
        if tfidf is None:
            raise ValueError("no TF-IDF ranker fitted")
        return tfidf.score([v.title for v in videos])
    score = {"content": affinity_score, "freq": freq_score}[ranker]
    out = np.empty(len(videos))
    for i, video in enumerate(videos):
        key = (ranker, video)
        value = memo_get(memo, key)
        if value is None:
            value = score(mask_video(video, fields), context)
            memo_put(memo, key, value)
        out[i] = value
    return out


def holdout_scores(samples: Sequence[Sample], watches: Sequence[Video], fields: Sequence[str],
                   tfidf: TfidfRanker | None) -> dict[str, np.ndarray]:
    """Every simple ranker's scores of samples, each seeing the watches before its anchor."""
    content = np.zeros(len(samples))
    freq = np.zeros(len(samples))
    events = sorted(watches, key=lambda v: (v.view_at, v.bvid))
    order = sorted(range(len(samples)), key=lambda i: samples[i].anchor)
    context = WatchContext(Vocabulary())
    position = 0
    for i in order:
        while position < len(events) and events[position].view_at < samples[i].anchor:
            context.add(events[position])
            position += 1
        video = mask_video(samples[i].video, fields)
        content[i] = affinity_score(video, context)
        freq[i] = freq_score(video, context)
    out = {"content": content, "freq": freq}
    if tfidf is not None:
        out["tfidf"] = tfidf.score([s.video.title for s in samples])
    return out


# samples of videos the user was offered and did not watch
SKIPPED_SOURCES = ("pool", "impression")


def as_served(samples: Sequence[Sample]) -> list[Sample]:
    """The samples that ask what a list asks: engaged watches against videos offered and
    skipped (abandoned and partly watched videos left out: they were chosen, not skipped)."""
    return [s for s in samples
            if (s.source == "history" and s.positive) or s.source in SKIPPED_SOURCES]


def data_shortfall(samples: Sequence[Sample]) -> str | None:
    """Why these samples are too few to train on, or None when they suffice."""
    labels = binary_labels(samples)
    if int(labels.sum()) < MIN_POSITIVES:
        return REASON_FEW_POSITIVES
    if int(len(labels) - labels.sum()) < MIN_NEGATIVES:
        return REASON_NO_NEGATIVES
    return None


def _paired_auc_wins(labels: np.ndarray, challenger: np.ndarray, reference: np.ndarray,
                     rng: np.random.Generator) -> float:
    """Share of bootstrap resamples of the hold-out on which ``challenger`` has the higher AUC."""
    wins, rounds = 0, 0
    n = len(labels)
    for _ in range(BOOTSTRAP_ROUNDS):
        pick = rng.integers(0, n, n)
        y = labels[pick]
        if y.min() == y.max():
            continue
        rounds += 1
        wins += _rank_auc(y, challenger[pick]) > _rank_auc(y, reference[pick])
    return wins / rounds if rounds else 0.0


def _rank_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half (no validation: the caller checks the classes)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    n_pos = int(labels.sum())
    n_neg = len(labels) - n_pos
    return (ranks[labels == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)


def choose(labels: np.ndarray, scores: dict[str, np.ndarray], *, seed: int = 0
           ) -> tuple[str, str, dict]:
    """(served ranker, reason, AUC per ranker) on one hold-out (see module doc).

    A challenger replaces the content ranker when its AUC is above chance, above the content
    ranker's by more than SELECT_MARGIN, and higher on at least SELECT_CONFIDENCE of paired
    bootstrap resamples of the hold-out (a small hold-out's lucky draw does not switch rankers);
    among such challengers the highest AUC serves.
    """
    figures = {name: value for name, s in scores.items()
               if (value := auc(labels, s)) is not None}
    if "content" not in figures:
        return "content", REASON_NO_HOLDOUT, figures
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    best = "content"
    for name in RANKERS:
        value = figures.get(name)
        if name == "content" or value is None or value < 0.5:
            continue
        if value <= figures["content"] + SELECT_MARGIN or value <= figures[best]:
            continue
        if _paired_auc_wins(labels, np.asarray(scores[name]), np.asarray(scores["content"]),
                            rng) >= SELECT_CONFIDENCE:
            best = name
    return best, REASON_BEST, figures
