"""Benchmark of the recommender on this machine; prints figures, asserts nothing.

    python3 bench/bench_recommender.py [--sizes 300,1000,3000] [--repeats 200]

(a) training time for users with 300 / 1,000 / 3,000 behaviour records, through the real
    Recommender.train (worker process, Storage, registry), including the per-user choice of
    the serving ranker (TF-IDF fit, hold-out scoring of every ranker) — the first job of a
    fresh worker (process start, TensorFlow import, graph tracing) is reported separately;
(b) scoring latency for 200 candidates: the numpy scorer alone (what serves), the whole warm
    Recommender.rank (revision check, cached history/context, features, scoring, reasons), rank
    right after a write that invalidates part of the cache (a 👎; a history sync), and a
    cache-miss rank (everything of the user dropped: history read, model files loaded into the
    numpy scorer, context rebuilt) with the model load alone;
(c) model file size (weights .npz + vocabulary .json + plan .json);
(d) peak RSS of the training worker process and of this serving process, and whether serving
    imported TensorFlow — both taken before (e);
(e) the Keras scorer on the same inputs, for comparison: its latency and the largest
    |numpy - keras| score difference (this imports TensorFlow here, after (d)).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from models import NumpyScorer  # noqa: E402
from recommender import Recommender  # noqa: E402
from recommender.features import Vocabulary, encode_candidates, serving_context  # noqa: E402
from recommender.synthetic import make_catalogue, make_user  # noqa: E402
from recommender.training import plan_path_for, vocab_path_for  # noqa: E402
from storage import Storage, load_or_create_key  # noqa: E402


def percentile_ms(samples: list[float], q: float) -> float:
    return float(np.percentile(samples, q) * 1000.0)


def synthetic_behaviour(catalogue, rng, size: int):
    """A synthetic user with exactly ``size`` behaviour records (newest kept) and pools."""
    user = make_user(catalogue, rng, n_watches=int(size * 1.8))
    if len(user.behaviour) < size:
        raise SystemExit(f"could not generate {size} distinct watches")
    return user.behaviour[:size], user.pool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,1000,3000")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rng = np.random.default_rng(2024)
    catalogue = make_catalogue(rng, n_videos=12000, n_authors=900)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        storage = Storage(data_dir, load_or_create_key(data_dir, None))
        rec = Recommender(storage, time_cap_s=120.0)
        users = {}
        for tg_id, size in enumerate(sizes, start=1):
            behaviour, pool = synthetic_behaviour(catalogue, rng, size)
            storage.ensure_user(tg_id)
            storage.save_behaviour(tg_id, behaviour)
            storage.save_pool(tg_id, "popular", pool[:100])
            storage.save_pool(tg_id, "feed", pool[100:])
            users[tg_id] = size
        print(f"{'training':<44}{'seconds':>10}  held-out AUC model/content  epochs  serves")

        def figures(report) -> str:
            m = report.metrics
            return (f"{m.get('auc_model', float('nan')):.3f} / "
                    f"{m.get('auc_content', float('nan')):.3f}          {m.get('epochs')}"
                    f"      {m.get('served')}")

        started = time.perf_counter()
        first = rec.train(1)
        print(f"{'first job of a fresh worker (%d records)' % sizes[0]:<44}"
              f"{time.perf_counter() - started:>10.2f}  {figures(first)}")
        for tg_id, size in users.items():
            for attempt in ("scratch", "warm start"):
                if attempt == "scratch":
                    for record in storage.model_dir(tg_id).glob("*"):
                        record.unlink()
                started = time.perf_counter()
                report = rec.train(tg_id)
                elapsed = time.perf_counter() - started
                print(f"{'%d records, %s' % (size, attempt):<44}{elapsed:>10.2f}  "
                      f"{figures(report)}"
                      + ("" if report.accepted else f"  (not accepted: {report.message})"))

        tg_id = sizes.index(1000) + 1 if 1000 in sizes else 1
        record = storage.latest_model(tg_id)
        model_bytes = record.path.stat().st_size
        vocab_bytes = (vocab_path_for(record.path).stat().st_size
                       + plan_path_for(record.path).stat().st_size)
        watched = {v.bvid for v in storage.load_behaviour(tg_id)}
        candidates = [v for v in catalogue.videos if v.bvid not in watched][:200]
        started = time.perf_counter()
        rec.rank(tg_id, candidates, 10, channel="hot")          # first of this process
        cold_rank = time.perf_counter() - started
        vocab = Vocabulary.from_json(vocab_path_for(record.path).read_text(encoding="utf-8"))
        scorer = NumpyScorer.load(record.path)
        inputs = encode_candidates(candidates, serving_context(storage.load_behaviour(tg_id),
                                                               vocab), vocab)
        for _ in range(10):
            scorer(inputs)
            rec.rank(tg_id, candidates, 10, channel="hot")
        scorer_times, rank_times = [], []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            scorer(inputs)
            scorer_times.append(time.perf_counter() - t0)
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            rec.rank(tg_id, candidates, 10, channel="hot")
            rank_times.append(time.perf_counter() - t0)
        miss_times, load_times = [], []
        for _ in range(max(20, args.repeats // 4)):
            rec.forget(tg_id)                                   # a user not in the cache
            t0 = time.perf_counter()
            rec.rank(tg_id, candidates, 10, channel="hot")
            miss_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            rec._load(record.path)
            load_times.append(time.perf_counter() - t0)
        new_model_times = []
        for _ in range(20):          # a newly registered model: model and context reloaded
            storage.register_model(tg_id, record.path, dict(record.metrics), record.n_records)
            t0 = time.perf_counter()
            rec.rank(tg_id, candidates, 10, channel="hot")
            new_model_times.append(time.perf_counter() - t0)
        # right after a write: a 👎 (disliked set re-read), a sync (history + context rebuilt)
        after_dislike, after_sync = [], []
        behaviour = storage.load_behaviour(tg_id)
        spare = [v for v in catalogue.videos if v.bvid not in watched][200:]
        for i in range(20):
            storage.add_feedback(tg_id, candidates[i].bvid, -1)
            t0 = time.perf_counter()
            rec.rank(tg_id, candidates, 10, channel="hot")
            after_dislike.append(time.perf_counter() - t0)
        for i in range(20):
            new_watch = dataclasses.replace(spare[i], view_at=behaviour[0].view_at + 60 * (i + 1),
                                            progress=-1)
            storage.save_behaviour(tg_id, behaviour[:50] + [new_watch])
            t0 = time.perf_counter()
            rec.rank(tg_id, candidates, 10, channel="hot")
            after_sync.append(time.perf_counter() - t0)
        print()
        print(f"scoring 200 candidates (user with {users[tg_id]} records):")
        print(f"  numpy scorer alone         p50 {percentile_ms(scorer_times, 50):6.2f} ms   "
              f"p95 {percentile_ms(scorer_times, 95):6.2f} ms   ({len(scorer_times)} runs)")
        print(f"  Recommender.rank, warm     p50 {percentile_ms(rank_times, 50):6.2f} ms   "
              f"p95 {percentile_ms(rank_times, 95):6.2f} ms   ({len(rank_times)} runs, "
              f"revision check, features, scoring, reasons)")
        print(f"  rank right after a 👎      p50 {percentile_ms(after_dislike, 50):6.2f} ms   "
              f"p95 {percentile_ms(after_dislike, 95):6.2f} ms   ({len(after_dislike)} runs)")
        print(f"  rank right after a sync    p50 {percentile_ms(after_sync, 50):6.2f} ms   "
              f"p95 {percentile_ms(after_sync, 95):6.2f} ms   ({len(after_sync)} runs, "
              f"history re-read, context rebuilt)")
        print(f"  rank, cache miss           p50 {percentile_ms(miss_times, 50):6.2f} ms   "
              f"p95 {percentile_ms(miss_times, 95):6.2f} ms   ({len(miss_times)} runs, "
              f"history read, model loaded, context rebuilt)")
        print(f"  rank after a new model     p50 {percentile_ms(new_model_times, 50):6.2f} ms   "
              f"p95 {percentile_ms(new_model_times, 95):6.2f} ms   ({len(new_model_times)} runs, "
              f"history cached; model loaded, context rebuilt)")
        print(f"  model load alone           p50 {percentile_ms(load_times, 50):6.2f} ms   "
              f"p95 {percentile_ms(load_times, 95):6.2f} ms   (weights, vocabulary, plan)")
        print(f"  first rank of this process (model load, jieba dictionary) "
              f"{cold_rank * 1000:.0f} ms")
        print()
        print(f"model files: weights {model_bytes / 1e6:.3f} MB + vocabulary and plan "
              f"{vocab_bytes / 1e6:.3f} MB = {(model_bytes + vocab_bytes) / 1e6:.3f} MB per user")
        rec.close()                                    # joins the worker: its rusage is final
        storage.close()
        worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        serving_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        imported_tf = any(m.split(".")[0] in ("tensorflow", "keras") for m in sys.modules)
        print(f"peak RSS: training worker {worker_peak:.0f} MB; this serving process "
              f"{serving_peak:.0f} MB (tensorflow imported for serving: {imported_tf})")

        from models import Scorer, load_model       # TensorFlow, for the comparison only

        keras_scorer = Scorer(load_model(record.path)[0])
        for _ in range(10):
            keras_scorer(inputs)
        keras_times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            keras_scorer(inputs)
            keras_times.append(time.perf_counter() - t0)
        diff = float(np.max(np.abs(keras_scorer(inputs) - scorer(inputs))))
        same_order = bool(np.array_equal(np.argsort(-keras_scorer(inputs), kind="stable"),
                                         np.argsort(-scorer(inputs), kind="stable")))
        print(f"Keras scorer (comparison)    p50 {percentile_ms(keras_times, 50):6.2f} ms   "
              f"p95 {percentile_ms(keras_times, 95):6.2f} ms; max |numpy - keras| {diff:.2e}, "
              f"same order: {same_order}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
