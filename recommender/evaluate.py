"""Offline evaluation as served: every ranker on each user's own later watches, time-ordered.

    python -m recommender.evaluate --synthetic [--conditions all] [--users 6] [--seeds 1,2,3]
                                   [--json PATH] [--markdown PATH]
    python -m recommender.evaluate --user TG_ID [--data-dir ./data] [--seeds 1]

Protocol (the same for stored and synthetic users):

1. The user's watches are split in time: the latest 20 % are the test period. Training sees only
   the earlier watches, the feedback, and the candidate pool minus the test negatives, and runs
   exactly as the bot runs it (``training.train_plan``: labels, the model, the choice of ranker).
2. Test set: the positive (engaged) watches of the test period against unwatched pool videos
   anchored in that period — later watches against videos the user skipped, the question /hot
   answers. Each sample sees only the watches before its own time.
3. As served: a later watch is scored as the candidate record a list would have shown
   (synthetic users: the popular or feed record of that video, in the pool's proportion, with
   its counts). A stored user's history has no such record, so there the count fields the
   positives lack are blanked from every test sample and the zone is equalized between the
   classes (``training.equalize_missing``), so no method can win by recognising a listing.

Methods: ``served`` (what /hot uses after the per-user choice), ``wide_deep`` (the trained
model itself; "—" where the data were too few to train), ``content_affinity`` (the hand-written
fallback), ``tfidf_logreg`` (TF-IDF + logistic regression on the earlier titles),
``zone_author_freq`` and ``popularity`` (the quality score of the counts).

Figures per condition: AUC (mean over users, with a bootstrap 95 % interval over users),
NDCG@10 over ranked lists of 50 consecutive test samples, the /hot top-10 on-taste share
(synthetic: the share of the top 10 of the current popular list in the user's planted zones),
and for ``served`` the paired difference to ``content_affinity`` with its interval. A
reliability table and the expected calibration error of the served ratings close the report.

For a stored user, the report also shows the online figure: hit rate@10 per channel and ISO
week — of the distinct videos the bot showed in the top 10, how many the user then watched,
engaged with or 👍'd (recommender.impressions).

"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from recommender.features import (COUNT_FIELDS, Vocabulary, choose_fields, encode_candidates,
                                  encode_samples, mask_video, quality_score, serving_context)
from recommender.impressions import judge, weekly_hit_rates
from recommender.labels import Sample, binary_labels, build_samples, time_split, watch_events
from recommender.metrics import auc, expected_calibration_error, ndcg_at_k, reliability_table
from recommender.ranking import select_top
from recommender.selection import TfidfRanker, as_served, holdout_scores, simple_scores
from recommender.training import HOLDOUT_FRACTION, TrainingData, equalize_missing, train_plan
from domain import Impression, Video

LIST_SIZE = 50
HOT_SIZE = 10
BOOTSTRAP = 2000
METHODS = ("served", "wide_deep", "content_affinity", "tfidf_logreg", "zone_author_freq",
           "popularity")
BASELINE_OF = {"content_affinity": "content", "zone_author_freq": "freq"}
CALIBRATION_BINS = 10


@dataclass
class UserResult:
    """One user's figures: per method AUC, NDCG@10 and /hot on-taste share (NaN = n/a)."""

    auc: dict[str, float]
    ndcg10: dict[str, float]
    hot_on_taste: dict[str, float]
    served: str
    labels: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))
    served_probabilities: np.ndarray = field(repr=False, default_factory=lambda: np.zeros(0))


def list_ndcg(samples: Sequence[Sample], scores: np.ndarray) -> float:
    """Mean NDCG@10 over lists of LIST_SIZE consecutive test samples (time order)."""
    order = sorted(range(len(samples)), key=lambda i: (samples[i].anchor, i))
    labels = binary_labels(samples)
    values = []
    for start in range(0, len(order), LIST_SIZE):
        chunk = order[start:start + LIST_SIZE]
        if len(chunk) < LIST_SIZE // 2 and values:
            break  # a short tail list would be easier than the rest
        value = ndcg_at_k(labels[chunk], scores[chunk], 10)
        if value is not None:
            values.append(value)
    return float(np.mean(values)) if values else float("nan")


def _as_stored_user_test(test: list[Sample], rng: np.random.Generator) -> list[Sample]:
    """Blank what the positives lack from every test sample, then equalize the rest."""
    fields = choose_fields([s.video for s in test if s.positive],
                           [s.video for s in test if not s.positive])
    test = [replace(s, video=mask_video(s.video, fields)) for s in test]
    return equalize_missing(test, rng, fields)


def evaluate_user(behaviour: Sequence[Video], feedback: Sequence[tuple[Video, int]],
                  pool: Sequence[Video], *, seed: int, trainers, time_cap_s: float = 120.0,
                  as_candidate: Callable[[Video, np.random.Generator], Video] | None = None,
                  hot_list: Sequence[Video] = (),
                  on_taste: Callable[[Video], bool] | None = None,
                  impressions: Sequence[Impression] = ()) -> UserResult | None:
    """Every method's figures for one user (see module doc); None when the test set has a
    single class.

    ``as_candidate(video, rng)``: the record a list would have shown for a watched video
    (synthetic users); without it the stored-user masking applies. ``hot_list`` and
    ``on_taste``: the current popular list and the planted taste, for the on-taste share.
    """
    rng = np.random.default_rng(seed)
    samples = build_samples(behaviour, feedback, pool, rng=rng, impressions=impressions)
    earlier, later, split_time = time_split(samples, HOLDOUT_FRACTION)
    test = as_served(later)
    if as_candidate is not None:
        test = [replace(s, video=as_candidate(s.video, rng)) if s.source == "history" else s
                for s in test]
    else:
        test = _as_stored_user_test(test, rng)
    labels = binary_labels(test)
    if not test or labels.min() == labels.max():
        return None
    test_bvids = {s.video.bvid for s in test}
    train_behaviour = [v for v in behaviour if v.view_at < split_time]
    train_pool = [v for v in pool if v.bvid not in test_bvids]
    train_impressions = [i for i in impressions if i.shown_at < split_time]
    trained = train_plan(TrainingData(train_behaviour, list(feedback), train_pool,
                                      impressions=train_impressions), seed=seed,
                         time_cap_s=time_cap_s, trainers=trainers)
    watches = watch_events(behaviour)
    plan = trained.plan
    scores: dict[str, np.ndarray] = {}
    scorer = None
    if trained.fitted is not None:
        trainer = trainers.get(trained.fitted.vocab.spec())
        weights = trained.fitted.weights

        def scorer(inputs, trainer=trainer, weights=weights):
            return trainer.score(inputs, weights)

        scores["wide_deep"] = scorer(encode_samples(test, watches, trained.fitted.vocab))
    baseline_tfidf = TfidfRanker.fit([s.video.title for s in earlier], binary_labels(earlier))
    plain = holdout_scores(test, watches, COUNT_FIELDS, baseline_tfidf)
    scores["content_affinity"] = plain["content"]
    scores["zone_author_freq"] = plain["freq"]
    if "tfidf" in plain:
        scores["tfidf_logreg"] = plain["tfidf"]
    scores["popularity"] = np.array([quality_score(s.video) for s in test])
    if plan.served == "model":
        scores["served"] = scores["wide_deep"]
    else:
        scores["served"] = holdout_scores(test, watches, plan.fields, plan.tfidf)[plan.served]
    probabilities = plan.calibrator().apply(scores["served"])
    hot = _hot_on_taste(hot_list, on_taste, [v for v in watches if v.view_at < split_time],
                        trained, scorer, baseline_tfidf)
    return UserResult(
        auc={m: _or_nan(auc(labels, s)) for m, s in scores.items()},
        ndcg10={m: list_ndcg(test, s) for m, s in scores.items()},
        hot_on_taste=hot, served=plan.served, labels=labels,
        served_probabilities=np.asarray(probabilities))


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _hot_on_taste(hot_list: Sequence[Video], on_taste: Callable[[Video], bool] | None,
                  watches: Sequence[Video], trained, scorer,
                  baseline_tfidf: TfidfRanker | None) -> dict[str, float]:
    """Share of each method's /hot top 10 that is on taste (empty without a taste)."""
    watched = {v.bvid for v in watches}
    candidates = [v for v in hot_list if v.bvid not in watched]
    if on_taste is None or len(candidates) < HOT_SIZE:
        return {}
    plan = trained.plan
    context = serving_context(watches, Vocabulary())
    scores = {"content_affinity": simple_scores("content", candidates, context, COUNT_FIELDS,
                                                None),
              "zone_author_freq": simple_scores("freq", candidates, context, COUNT_FIELDS, None),
              "popularity": np.array([quality_score(v) for v in candidates])}
    if baseline_tfidf is not None:
        scores["tfidf_logreg"] = baseline_tfidf.score([v.title for v in candidates])
    if scorer is not None:
        vocab = trained.fitted.vocab
        scores["wide_deep"] = scorer(encode_candidates(candidates, serving_context(watches, vocab),
                                                       vocab))
    if plan.served == "model":
        scores["served"] = scores["wide_deep"]
    else:
        scores["served"] = simple_scores(plan.served, candidates, context, plan.fields,
                                         plan.tfidf)
    out = {}
    for method, s in scores.items():
        top = select_top(candidates, list(s), HOT_SIZE)
        out[method] = sum(on_taste(candidates[i]) for i in top) / len(top)
    return out


def bootstrap_interval(values: Sequence[float], rng: np.random.Generator,
                       rounds: int = BOOTSTRAP) -> tuple[float, float, float]:
    """(mean, 2.5 %, 97.5 %) of the mean over users, resampling users (NaNs dropped)."""
    values = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
    if len(values) == 0:
        return float("nan"), float("nan"), float("nan")
    means = values[rng.integers(0, len(values), size=(rounds, len(values)))].mean(axis=1)
    return float(values.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means,
                                                                                     97.5))


def summarize(results: Sequence[UserResult], seed: int = 0) -> dict[str, dict[str, float]]:
    """{method: {auc, auc_low, auc_high, ndcg10, hot_on_taste}} plus the served-content gap."""
    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, float]] = {}
    for method in METHODS:
        mean, low, high = bootstrap_interval([r.auc.get(method, np.nan) for r in results], rng)
        ndcg = [r.ndcg10.get(method, np.nan) for r in results]
        hot = [r.hot_on_taste.get(method, np.nan) for r in results]
        out[method] = {"auc": mean, "auc_low": low, "auc_high": high,
                       "ndcg10": float(np.nanmean(ndcg)) if np.isfinite(ndcg).any() else np.nan,
                       "hot_on_taste": (float(np.nanmean(hot)) if np.isfinite(hot).any()
                                        else np.nan)}
    for other in ("content_affinity", "wide_deep"):
        pairs = [r.auc["served"] - r.auc[other] for r in results
                 if other in r.auc and np.isfinite(r.auc[other]) and np.isfinite(r.auc["served"])]
        mean, low, high = bootstrap_interval(pairs, rng)
        out[f"served_minus_{other}"] = {"auc": mean, "auc_low": low, "auc_high": high}
    model_pairs = [r.auc["wide_deep"] - r.auc["content_affinity"] for r in results
                   if np.isfinite(r.auc.get("wide_deep", np.nan))]
    mean, low, high = bootstrap_interval(model_pairs, rng)
    out["wide_deep_minus_content_affinity"] = {"auc": mean, "auc_low": low, "auc_high": high}
    served = [r.served for r in results]
    out["served_share"] = {name: served.count(name) / len(served)
                           for name in sorted(set(served))} if served else {}
    labels = np.concatenate([r.labels for r in results]) if results else np.zeros(0)
    probabilities = (np.concatenate([r.served_probabilities for r in results]) if results
                     else np.zeros(0))
    rows = [row for row in reliability_table(labels, probabilities, CALIBRATION_BINS)
            if row["count"]]
    ece = expected_calibration_error(labels, probabilities, CALIBRATION_BINS)
    out["calibration"] = {"ece": float("nan") if ece is None else ece, "rows": rows}
    out["users"] = {"n": len(results)}
    return out


def _cell(value: float, digits: int = 3) -> str:
    return "—" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"


def _method_cells(row: dict) -> tuple[str, str, str, str]:
    """AUC, its interval, NDCG@10 and the /hot on-taste share of one method, as text."""
    interval = (f"[{_cell(row['auc_low'])}, {_cell(row['auc_high'])}]"
                if np.isfinite(row["auc"]) else "")
    return _cell(row["auc"]), interval, _cell(row["ndcg10"]), _cell(row["hot_on_taste"], 2)


def format_condition(name: str, summary: dict) -> str:
    """One condition's plain-text table."""
    lines = [f"[{name}] {summary['users']['n']} users; served: " + ", ".join(
        f"{k} {v:.0%}" for k, v in summary["served_share"].items())]
    lines.append(f"  {'method':<18}{'AUC':>7}{'95% CI':>17}{'NDCG@10':>9}{'hot on-taste':>14}")
    for method in METHODS:
        auc_, interval, ndcg, hot = _method_cells(summary[method])
        lines.append(f"  {method:<18}{auc_:>7}{interval:>17}{ndcg:>9}{hot:>14}")
    for key in ("served_minus_content_affinity", "wide_deep_minus_content_affinity"):
        row = summary[key]
        lines.append(f"  {key.replace('_', ' ')}: {_cell(row['auc'])} "
                     f"[{_cell(row['auc_low'])}, {_cell(row['auc_high'])}]")
    lines.append(f"  served ratings: expected calibration error "
                 f"{_cell(summary['calibration']['ece'])}")
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


MARKDOWN_INTRO = """# Evaluation: every ranker as served, on synthetic users that resemble real ones

Regenerate this page (about 10 minutes on 2 cores):

    python -m recommender.evaluate --synthetic --conditions all --users 6 --seeds 1,2,3 \\
        --markdown docs/EVALUATION.md --json docs/evaluation.json

Conditions (recommender/synthetic.py): `full` (all listings, history enriched with counts),
`history_only` (no likes, coins or favourites), `no_counts` (history without counts or tags,
enrichment off), `niche` (3 main zones = 55 % of the history, under 2 % of the popular list),
`cold` (fewer than 60 watches), `no_pool` (no shown lists: the current popular list is the only
source of negatives, as at a first sync).

Protocol (recommender/evaluate.py): per user, the latest 20 % of the watches are the test
period; training sees only the earlier data and runs exactly as the bot runs it, including the
per-user choice of ranker. Test set: the engaged watches of the test period against unwatched
candidates shown in that period, each later watch scored as the record a list would have shown.
AUC is the mean over users with a bootstrap 95 % interval over users; NDCG@10 over lists of 50
consecutive test samples; /hot on-taste is the share of the top 10 of the current popular list in
the user's planted zones. `served` is what /hot uses after the choice; `wide_deep` is the model
itself ("—" where too few engaged watches to train one).
"""


def format_markdown(summaries: dict[str, dict], header: str) -> str:
    """The report as Markdown (docs/EVALUATION.md)."""
    lines = [MARKDOWN_INTRO, header, "",
             "| condition | method | AUC | 95 % CI | NDCG@10 | /hot on-taste |",
             "|---|---|---|---|---|---|"]
    for name, summary in summaries.items():
        for method in METHODS:
            lines.append(f"| {name} | {method} | " + " | ".join(_method_cells(summary[method]))
                         + " |")
    lines += ["", "Paired AUC differences (mean over users, bootstrap 95 % CI) and what served:",
              "", "| condition | served − content_affinity | wide_deep − content_affinity | "
              "served by | ECE of served ratings |", "|---|---|---|---|---|"]
    for name, summary in summaries.items():
        gaps = []
        for key in ("served_minus_content_affinity", "wide_deep_minus_content_affinity"):
            row = summary[key]
            gaps.append(f"{_cell(row['auc'])} [{_cell(row['auc_low'])}, {_cell(row['auc_high'])}]")
        share = ", ".join(f"{k} {v:.0%}" for k, v in summary["served_share"].items())
        lines.append(f"| {name} | {gaps[0]} | {gaps[1]} | {share} | "
                     f"{_cell(summary['calibration']['ece'])} |")
    lines += ["", "Reliability of the served ratings per condition, pooled over its users "
              "(bin: count, mean rating, observed share of later watches):", ""]
    for name, summary in summaries.items():
        cells = [f"{r['low']:.1f}–{r['high']:.1f}: {r['count']}, {r['mean_predicted']:.2f}, "
                 f"{r['observed_rate']:.2f}" for r in summary["calibration"]["rows"]]
        lines.append(f"- {name}: " + "; ".join(cells))
    return "\n".join(lines) + "\n"


def run_synthetic(conditions: Sequence[str], users: int, seeds: Sequence[int]
                  ) -> dict[str, dict]:
    """Evaluate generated users (recommender.synthetic) of each condition for each seed.

    A user without shown lists (``no_pool``) trains, as the bot does at its first sync, with
    the current popular list as its candidate pool.
    """
    from models import TrainerPool
    from recommender.synthetic import make_catalogue, make_user, served_record

    trainers = TrainerPool()
    summaries = {}
    for condition in conditions:
        results = []
        for seed in seeds:
            rng = np.random.default_rng(seed)
            catalogue = make_catalogue(rng)
            for _ in range(users):
                user = make_user(catalogue, rng, condition=condition)
                pool = user.pool or list(user.popular_now)
                feed_share = len(user.feed_pool) / len(pool)

                def as_candidate(video: Video, r: np.random.Generator,
                                 feed_share: float = feed_share) -> Video:
                    listing = "feed" if r.random() < feed_share else "popular"
                    full = catalogue.videos[catalogue.index_of(video.bvid)]
                    return served_record(full, listing)

                result = evaluate_user(user.behaviour, [], pool, seed=seed, trainers=trainers,
                                       as_candidate=as_candidate, hot_list=user.popular_now,
                                       on_taste=user.on_taste)
                if result is not None:
                    results.append(result)
        summaries[condition] = summarize(results)
    return summaries


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
    results = []
    for seed in seeds:
        result = evaluate_user(behaviour, feedback, pool, seed=seed, trainers=trainers,
                               impressions=impressions)
        if result is None:
            raise SystemExit(f"user {tg_id}: the hold-out has a single class; cannot evaluate")
        results.append(result)
    return (f"user {tg_id}: {len(behaviour)} records, {len(pool)} pool videos, "
            f"{len(impressions)} impressions, {len(seeds)} seed(s)\n"
            + format_condition("stored user", summarize(results)) + "\n\n" + hit_rates)


def _jsonable(summaries: dict) -> dict:
    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        if isinstance(value, float) and not np.isfinite(value):
            return None
        return value
    return clean(summaries)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (see module doc)."""
    from recommender.synthetic import CONDITIONS

    parser = argparse.ArgumentParser(prog="python -m recommender.evaluate",
                                     description="Evaluate the recommender as served.")
    parser.add_argument("--synthetic", action="store_true",
                        help="generated users with planted tastes (no login needed)")
    parser.add_argument("--conditions", default="full",
                        help=f"comma-separated, or 'all': {', '.join(CONDITIONS)}")
    parser.add_argument("--users", type=int, default=6, help="synthetic users per seed")
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seeds")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--markdown", type=Path, help="also write the report as Markdown here")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("BILIREC_DATA_DIR", "./data")))
    parser.add_argument("--user", type=int, help="Telegram id of a stored user")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    if not seeds:
        parser.error("--seeds needs at least one seed")
    conditions = (list(CONDITIONS) if args.conditions == "all"
                  else [c.strip() for c in args.conditions.split(",") if c.strip()])
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        parser.error(f"unknown condition(s): {', '.join(unknown)}")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    started = time.monotonic()
    if args.synthetic:
        summaries = run_synthetic(conditions, args.users, seeds)
        header = (f"synthetic: seeds {','.join(map(str, seeds))} × {args.users} users per "
                  f"condition; AUC is the mean over users, CI by bootstrap over users")
        print(header)
        for name, summary in summaries.items():
            print(format_condition(name, summary))
        if args.json:
            figures = {name: {m: {k: s[m][k] for k in ("auc", "auc_low", "auc_high", "ndcg10",
                                                        "hot_on_taste")} for m in METHODS}
                       for name, s in summaries.items()}
            args.json.write_text(json.dumps(_jsonable(figures), indent=2), encoding="utf-8")
        if args.markdown:
            args.markdown.write_text(format_markdown(summaries, header), encoding="utf-8")
    elif args.user is not None:
        print(run_stored(args.data_dir, args.user, seeds))
    else:
        parser.error("give --synthetic or --user TG_ID")
    print(f"({time.monotonic() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
