"""Offline evaluation: the Wide&Deep model against baselines on a time-ordered hold-out.

    python -m recommender.evaluate --synthetic [--users 6] [--seeds 1,2,3] [--watches 300-900]
    python -m recommender.evaluate --user TG_ID [--data-dir ./data] [--seeds 1]

Protocol (the same for stored and synthetic users): the user's samples are built exactly as for
training (labels, pool negatives); the latest 20 % of the watches (with the pool negatives
anchored in that period) are the test set. The model trains on the rest, with its own
time-ordered validation split for early stopping and calibration; the test set is never seen.

Listings differ in what they carry (history: zone, no counts; feed: counts, no zone), so in
the test set, as in training, a random share of one class has its zone or counts blanked until a
missing field says nothing about the label (``training.equalize_missing``); otherwise a method
could win by recognising the listing a video came from, which ranks nothing at serving time.

AUC is over the whole test set. NDCG@10 and Recall@10 are averaged over ranked lists of 50
consecutive test samples (in time order, like one /hot list), counting lists with a positive.

For a stored user, the report also shows the online figure: hit rate@10 per channel and ISO
week — of the distinct videos the bot showed in the top 10, how many the user then watched,
engaged with or 👍'd (recommender.impressions).

Baselines a user could pick instead:
- ``popularity``: the quality/popularity score of the listing's counts;
- ``zone_author_freq``: how often the user watched/engaged with the UP主 and the zone so far;
- ``tfidf_logreg``: TF-IDF over jieba title tokens + scikit-learn logistic regression;
- ``content_affinity``: the content fallback the bot uses before a model exists.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from recommender.features import Vocabulary, WatchContext, encode_samples, quality_score
from recommender.impressions import judge, weekly_hit_rates
from recommender.labels import (Sample, binary_labels, build_samples, time_split, watch_events)
from recommender.metrics import auc, ndcg_at_k, recall_at_k
from recommender.ranking import affinity_score
from recommender.text import title_tokens
from recommender.training import HOLDOUT_FRACTION, equalize_missing, fit_samples
from storage.records import Impression, Video

LIST_SIZE = 50
METHODS = ("wide_deep", "popularity", "zone_author_freq", "tfidf_logreg", "content_affinity")
COLUMNS = ("AUC", "NDCG@10", "Recall@10")
REFERENCE = "planted_utility"


def list_metrics(samples: Sequence[Sample], scores: np.ndarray) -> tuple[float, float]:
    """Mean NDCG@10 and Recall@10 over lists of LIST_SIZE consecutive samples (time order)."""
    order = sorted(range(len(samples)), key=lambda i: (samples[i].anchor, i))
    labels = binary_labels(samples)
    ndcgs, recalls = [], []
    for start in range(0, len(order), LIST_SIZE):
        chunk = order[start:start + LIST_SIZE]
        if len(chunk) < LIST_SIZE // 2 and ndcgs:
            break  # a short tail list would be easier than the rest
        n = ndcg_at_k(labels[chunk], scores[chunk], 10)
        if n is not None:
            ndcgs.append(n)
            recalls.append(recall_at_k(labels[chunk], scores[chunk], 10))
    if not ndcgs:
        return float("nan"), float("nan")
    return float(np.mean(ndcgs)), float(np.mean(recalls))


def _tfidf_scores(train: Sequence[Sample], test: Sequence[Sample]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    y = binary_labels(train)
    if y.min() == y.max():
        return np.full(len(test), float(y[0]))
    vectorizer = TfidfVectorizer(analyzer=lambda title: list(title_tokens(title)), min_df=1)
    x_train = vectorizer.fit_transform([s.video.title for s in train])
    model = LogisticRegression(class_weight="balanced", max_iter=1000, C=1.0)
    model.fit(x_train, y)
    return model.predict_proba(vectorizer.transform([s.video.title for s in test]))[:, 1]


def _context_scores(test: Sequence[Sample], watches: Sequence[Video]) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """(zone+UP主 frequency, content affinity) with the watches before each sample's anchor."""
    freq = np.zeros(len(test))
    content = np.zeros(len(test))
    events = sorted(watches, key=lambda v: (v.view_at, v.bvid))
    order = sorted(range(len(test)), key=lambda i: test[i].anchor)
    context = WatchContext(Vocabulary())
    position = 0
    for i in order:
        while position < len(events) and events[position].view_at < test[i].anchor:
            context.add(events[position])
            position += 1
        a = context.affinity(test[i].video)
        freq[i] = a[1] + 0.5 * a[0] + 2.0 * a[4] + a[3]
        content[i] = affinity_score(test[i].video, context)
    return freq, content


def evaluate_user(behaviour: Sequence[Video], feedback: Sequence[tuple[Video, int]],
                  pool: Sequence[Video], *, seed: int, trainers, time_cap_s: float = 120.0,
                  reference: Callable[[Video], float] | None = None,
                  impressions: Sequence[Impression] = ()
                  ) -> dict[str, tuple[float, float, float]] | None:
    """{method: (AUC, NDCG@10, Recall@10)} for one user, or None when the data cannot tell.

    ``reference`` (synthetic users): the planted utility, scored on the same test set under
    the key REFERENCE — the ceiling a method could reach, not a method.
    """
    rng = np.random.default_rng(seed)
    samples = build_samples(behaviour, feedback, pool, rng=rng, impressions=impressions)
    earlier, test, _ = time_split(samples, HOLDOUT_FRACTION)
    test = equalize_missing(test, rng)
    labels = binary_labels(test)
    if not test or labels.min() == labels.max():
        return None
    train, validation, _ = time_split(earlier, HOLDOUT_FRACTION)
    watches = watch_events(behaviour)
    fitted = fit_samples(train, validation, watches, seed=seed, time_cap_s=time_cap_s,
                         trainers=trainers)
    trainer = trainers.get(fitted.vocab.spec())
    scores = {"wide_deep": trainer.score(encode_samples(test, watches, fitted.vocab),
                                         fitted.weights),
              "popularity": np.array([quality_score(s.video) for s in test]),
              "tfidf_logreg": _tfidf_scores(earlier, test)}
    scores["zone_author_freq"], scores["content_affinity"] = _context_scores(test, watches)
    if reference is not None:
        scores[REFERENCE] = np.array([reference(s.video) for s in test])
    out = {}
    for method in scores:
        ndcg, recall = list_metrics(test, scores[method])
        out[method] = (auc(labels, scores[method]) or float("nan"), ndcg, recall)
    return out


def format_table(per_seed: dict[int, list[dict[str, tuple[float, float, float]]]]) -> str:
    """The plain-text table: mean over every user and seed, ± the std of the per-seed means."""
    lines = [f"{'method':<18}" + "".join(f"{c:>18}" for c in COLUMNS)]
    seed_means = {m: [] for m in METHODS}
    for seed, results in per_seed.items():
        for method in METHODS:
            seed_means[method].append(np.nanmean([r[method] for r in results], axis=0))
    for method in METHODS:
        means = np.array(seed_means[method])
        row = f"{method:<18}"
        for j in range(len(COLUMNS)):
            spread = float(np.std(means[:, j])) if len(means) > 1 else 0.0
            row += f"{np.mean(means[:, j]):>11.3f} ±{spread:.3f}"
        lines.append(row)
    lines.append("")
    lines.append("AUC margin of wide_deep over each baseline, per seed (mean over that seed's "
                 "users):")
    model = np.array(seed_means["wide_deep"])[:, 0]
    for method in METHODS[1:]:
        margins = model - np.array(seed_means[method])[:, 0]
        shown = " ".join(f"{m:+.3f}" for m in margins)
        lines.append(f"  vs {method:<18} mean {np.mean(margins):+.3f}  min {np.min(margins):+.3f}"
                     f"  std {np.std(margins):.3f}  [{shown}]")
    planted = [r[REFERENCE][0] for results in per_seed.values() for r in results
               if REFERENCE in r]
    if planted:
        lines.append(f"ceiling: the planted (noise-free) utility itself scores AUC "
                     f"{np.mean(planted):.3f} on the same test sets")
    return "\n".join(lines)


def format_hit_rates(impressions: Sequence[Impression], behaviour: Sequence[Video],
                     feedback: Sequence[tuple[Video, int]], *, now: float) -> str:
    """Hit rate@10 per ISO week and channel, one line each (outcomes judged at ``now``)."""
    rows = weekly_hit_rates(judge(impressions, behaviour, feedback, now=now), top=10)
    if not rows:
        return "hit rate@10: no impressions recorded"
    lines = ["hit rate@10 per channel (distinct videos shown in the top 10; hits = watched "
             "after being shown, liked/coined/faved or 👍):",
             f"  {'week':<10}{'channel':<10}{'shown':>7}{'hits':>7}{'rate':>8}"]
    for week, channel, rate in rows:
        lines.append(f"  {week:<10}{channel:<10}{rate.shown:>7}{rate.hits:>7}"
                     f"{100.0 * rate.rate:>7.1f}%")
    return "\n".join(lines)


def run_synthetic(users: int, seeds: Sequence[int], watches: tuple[int, int]) -> str:
    """Evaluate on generated users (see recommender.synthetic) for each seed."""
    from models import TrainerPool
    from recommender.synthetic import make_catalogue, make_user, utility

    trainers = TrainerPool()
    per_seed: dict[int, list] = {}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        catalogue = make_catalogue(rng)
        results = []
        for _ in range(users):
            user = make_user(catalogue, rng, n_watches=int(rng.integers(watches[0],
                                                                        watches[1] + 1)))
            truth = {v.bvid: utility(catalogue, user.taste, i, session_zone="")
                     for i, v in enumerate(catalogue.videos)}
            result = evaluate_user(user.behaviour, [], user.pool, seed=seed, trainers=trainers,
                                   reference=lambda video, truth=truth: truth[video.bvid])
            if result is not None:
                results.append(result)
        per_seed[seed] = results
    n = sum(len(r) for r in per_seed.values())
    header = (f"synthetic: {len(seeds)} seeds × {users} users = {n} evaluated users; "
              f"± is the std of per-seed means")
    return header + "\n" + format_table(per_seed)


def run_stored(data_dir: Path, tg_id: int, seeds: Sequence[int]) -> str:
    """Evaluate on one stored user's behaviour, feedback and pools."""
    from models import TrainerPool
    from storage import Storage, load_or_create_key

    if not (data_dir / "secret.key").exists() and not os.environ.get("BILIREC_SECRET_KEY"):
        raise SystemExit(f"no BiliRec data in {data_dir} (no secret.key)")
    storage = Storage(data_dir, load_or_create_key(data_dir,
                                                   os.environ.get("BILIREC_SECRET_KEY")))
    try:
        behaviour = storage.load_behaviour(tg_id)
        feedback = storage.feedback_videos(tg_id)
        pool = storage.load_pool(tg_id)
        impressions = storage.load_impressions(tg_id)
    finally:
        storage.close()
    if not behaviour:
        raise SystemExit(f"user {tg_id} has no stored behaviour in {data_dir}")
    hit_rates = format_hit_rates(impressions, behaviour, feedback, now=time.time())
    trainers = TrainerPool()
    per_seed = {}
    for seed in seeds:
        result = evaluate_user(behaviour, feedback, pool, seed=seed, trainers=trainers,
                               impressions=impressions)
        if result is None:
            raise SystemExit(f"user {tg_id}: the hold-out has a single class; cannot evaluate")
        per_seed[seed] = [result]
    return (f"user {tg_id}: {len(behaviour)} records, {len(pool)} pool videos, "
            f"{len(impressions)} impressions\n" + format_table(per_seed) + "\n\n" + hit_rates)


def _range(text: str) -> tuple[int, int]:
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (see module doc)."""
    parser = argparse.ArgumentParser(prog="python -m recommender.evaluate",
                                     description="Evaluate the recommender against baselines.")
    parser.add_argument("--synthetic", action="store_true",
                        help="generated users with planted tastes (no login needed)")
    parser.add_argument("--users", type=int, default=6, help="synthetic users per seed")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    parser.add_argument("--watches", type=_range, default=(300, 900),
                        help="synthetic watches per user, e.g. 300-900")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("BILIREC_DATA_DIR", "./data")))
    parser.add_argument("--user", type=int, help="Telegram id of a stored user")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not seeds:
        parser.error("--seeds needs at least one seed")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = time.monotonic()
    if args.synthetic:
        print(run_synthetic(args.users, seeds, args.watches))
    elif args.user is not None:
        print(run_stored(args.data_dir, args.user, seeds))
    else:
        parser.error("give --synthetic or --user TG_ID")
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
