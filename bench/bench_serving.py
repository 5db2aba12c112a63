"""Serving and training figures of issue #10, side by side in one run; prints them and, with
``--json PATH``, writes them (keys below). Not run by CI; ~6-10 minutes on 2 cores.

    python bench/bench_serving.py --json docs/performance.json [--users 1000] [--rr-users 200]

What it does, in order (docs/PERFORMANCE.md explains the set-up and shows the table):

1. Training in one warm worker (``Recommender.train``: worker process, storage, registry): a
   first job warms the worker up (process start, TensorFlow import, graph tracing; reported
   apart), then users with 1,000 and 5,000 behaviour records from scratch -> train_1k_s,
   train_5k_s. Three trained 1,000-record users are the *templates*.
2. 1,000 users (``--users``) with trained models: each gets a template's behaviour records, a
   hard link of the template's model, vocabulary and plan files registered as their own model
   (plans that chose a simple ranker are switched to the model, the costlier path), a login
   at the fake Bilibili and a homepage feed of 60 videos there. Every user's titles are their
   own (as real users' histories share few titles, no user finds another's titles tokenized),
   and the title tokens of all but the newest 5 % of the records are stored, as after earlier
   rankings.
3. The serving process: a child process builds the bot exactly as ``python -m bot`` does
   (bot.app.build_application, polling the fake Telegram) and prepares every user's digest
   (the hot list ranked + two feed pages fetched from the fake Bilibili and ranked, no sending)
   -> digest_1000_s; then ranks the popular list for 200 users (``--rr-users``) round robin with
   the default cache, with a forced cache miss per call (rank_miss_*) and for one user again
   and again (rank_warm_*), and with none of the user's titles tokenized
   (rank_miss_untokenized_*: the first ranking of a new user's whole history); its peak RSS (serving_rss_peak_mb) and whether it imported
   TensorFlow (serving_imports_tensorflow).
4. First /hot: ``python -m bot`` starts on that data directory (its byte code compiled, as in
   the image) with a /hot of a user with a model already waiting at the fake Telegram: process
   start to the reply, the median of 5 starts -> first_hot_ms (and the slowest, and the median
   from the bot's first getUpdates to the reply).
5. /status of one user while 20 other users' Bilibili calls hang at the fake (held, released
   after) -> status_slow_p95_ms; and without them.
6. The numpy scorer against Keras on the trained models' encoded candidates -> max_score_diff
   (this imports TensorFlow, in this parent process, last).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from recommender.selection import ServingPlan  # noqa: E402
from recommender.synthetic import make_catalogue, make_user, served_record  # noqa: E402
from recommender.training import plan_path_for, vocab_path_for  # noqa: E402
from storage import Storage, load_or_create_key  # noqa: E402

GOALS = {  # key -> (goal text, passes(value))
    "digest_1000_s": ("<= 60 s", lambda v: v <= 60),
    "serving_rss_peak_mb": ("<= 300 MB", lambda v: v <= 300),
    "serving_imports_tensorflow": ("false", lambda v: v is False),
    "rank_miss_p50_ms": ("<= 30 ms", lambda v: v <= 30),
    "first_hot_ms": ("<= 1000 ms", lambda v: v <= 1000),
    "status_slow_p95_ms": ("<= 100 ms", lambda v: v <= 100),
    "max_score_diff": ("<= 1e-5", lambda v: v <= 1e-5),
}
TEMPLATE_IDS = (1, 2, 3)          # trained 1,000-record users whose models the others copy
FIVE_K_ID = 4
FIRST_BENCH_ID = 100_000
FEED_SIZE = 60
FIRST_HOT_STARTS = 5              # first_hot_ms is the median of this many starts
PACKAGES = ("bot", "bilibili", "recommender", "models", "storage", "domain")
UNTOKENIZED_SHARE = 0.05          # records new since the user's last ranking (see seed_users)
# as in the Docker image: glibc keeps at most 2 malloc arenas instead of one per thread (the bot
# runs ~40 threads); measured -30 MB of serving RSS
DEPLOYED_ENV = {"MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def ms(values: list[float]) -> list[float]:
    return [v * 1000.0 for v in values]


# --- 1. training ----------------------------------------------------------------------------

def synthetic_records(catalogue, rng, size: int):
    """A synthetic user with exactly ``size`` behaviour records, and the user."""
    user = make_user(catalogue, rng, n_watches=int(size * 1.8))
    if len(user.behaviour) < size:
        raise SystemExit(f"could not generate {size} distinct watches")
    return user.behaviour[:size], user


def train_all(storage: Storage, catalogue, rng) -> tuple[dict, dict]:
    """Train the templates and the 5,000-record user; figures and {tg_id: user}."""
    from recommender import Recommender

    rec = Recommender(storage, time_cap_s=120.0)
    users, figures = {}, {}
    for tg_id, size in [*((t, 1000) for t in TEMPLATE_IDS), (FIVE_K_ID, 5000)]:
        behaviour, user = synthetic_records(catalogue, rng, size)
        storage.ensure_user(tg_id)
        storage.save_behaviour(tg_id, behaviour)
        storage.save_pool(tg_id, "popular", user.pool[:100])
        storage.save_pool(tg_id, "feed", user.pool[100:])
        users[tg_id] = user
    order = [(TEMPLATE_IDS[0], "first_job_s"), (TEMPLATE_IDS[1], "train_1k_s"),
             (FIVE_K_ID, "train_5k_s"), (TEMPLATE_IDS[2], "train_1k_other_s")]
    for tg_id, key in order:
        t0 = time.perf_counter()
        report = rec.train(tg_id)
        figures[key] = round(time.perf_counter() - t0, 2)
        figures[f"{key[:-2]}_served"] = report.metrics.get("served")
        print(f"  training user {tg_id} ({report.n_records} records): {figures[key]:.1f} s, "
              f"accepted={report.accepted}, serves {report.metrics.get('served')}", flush=True)
        if not report.accepted:
            raise SystemExit(f"training of user {tg_id} was not accepted: {report.message}")
    rec.close()                      # joins the worker, so its peak RSS is counted below
    figures["training_worker_rss_peak_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    return figures, users


# --- 2. 1,000 users with models ------------------------------------------------------------

def own_title(video, user: int, k: int):
    """The video with a title no other bench user has: real users' histories and feeds share
    few titles, so their titles meet no cache. The tail (digits and a dash) adds no token."""
    return replace(video, title=f"{video.title} {user}-{k}")


def seed_users(storage: Storage, fake, catalogue, rng, n_users: int) -> list[int]:
    """n_users logged-in users, each with a template's records (titles made their own) and a
    copy of its model. As after earlier rankings, the title tokens of all but the newest
    ``UNTOKENIZED_SHARE`` of each user's records are stored with the records."""
    from recommender.text import pack_tokens, titles_tokens

    templates = []
    for tg_id in TEMPLATE_IDS:
        record = storage.latest_model(tg_id)
        plan = ServingPlan.from_json(plan_path_for(record.path).read_text("utf-8"))
        behaviour = storage.load_behaviour(tg_id)
        tokens = [pack_tokens(t) for t in titles_tokens(v.title for v in behaviour)]
        templates.append((behaviour, tokens, record, plan))
    sample = own_title(templates[0][0][0], 1, 1)
    assert pack_tokens(titles_tokens([sample.title])[0]) == templates[0][1][0]
    ids = [FIRST_BENCH_ID + i for i in range(n_users)]
    n_videos = len(catalogue.videos)
    for i, tg_id in enumerate(ids):
        template, tokens, record, plan = templates[i % len(templates)]
        behaviour = [own_title(video, i, k) for k, video in enumerate(template)]
        mid = 50_000_000 + i
        feed = [own_title(served_record(catalogue.videos[j], "feed"), i, -k)
                for k, j in enumerate(rng.choice(n_videos, FEED_SIZE, replace=False))]
        fake.add_account(mid, f"bench{mid}", feed=feed)
        storage.ensure_user(tg_id)
        storage.save_behaviour(tg_id, behaviour)
        kept = len(behaviour) - int(len(behaviour) * UNTOKENIZED_SHARE)
        storage.save_title_tokens(tg_id, [(v.bvid, v.title, packed) for v, packed
                                          in zip(behaviour[-kept:], tokens[-kept:])])
        storage.save_credentials(tg_id, fake.credentials_for(mid))
        storage.set_bilibili_account(tg_id, mid, f"bench{mid}")
        target = storage.model_dir(tg_id) / record.path.name
        os.link(record.path, target)
        os.link(vocab_path_for(record.path), vocab_path_for(target))
        if plan.served == "model":
            os.link(plan_path_for(record.path), plan_path_for(target))
        else:                        # every bench user is served by the model
            plan_path_for(target).write_text(replace(plan, served="model").to_json(), "utf-8")
        storage.register_model(tg_id, target, {**record.metrics, "served": "model"},
                               record.n_records)
        if (i + 1) % 200 == 0:
            print(f"  {i + 1} users seeded", flush=True)
    return ids


# --- 3. the serving process (child) --------------------------------------------------------

def serve(ids: list[int], rr_users: int) -> dict:
    """In the child: the bot as deployed prepares every digest, then the rank figures."""
    from bot.settings import Settings
    from tests.bot.harness import BotRunner

    settings = Settings.from_env(os.environ)
    out: dict = {}
    with BotRunner(dict(os.environ), None) as runner:   # None: the production client
        svc = runner.services
        runner.call(svc.popular.get())
        popular = svc.popular.peek()
        warm_up = runner.application.bot_data["tokenizer_warm_up"]
        if warm_up is not None:                         # None: the segmenter was loaded
            warm_up.join(60)
        out["serving_rss_started_mb"] = rss_mb()       # imports, segmenter, threads; no user yet

        async def prepare(tg_id: int):
            async with svc.digest_slots:        # as bot.jobs does: a few digests at a time
                return await svc.digests.prepare(tg_id, "2099-01-01")

        async def prepare_all():
            t0 = time.perf_counter()
            contents = await asyncio.gather(*(prepare(tg_id) for tg_id in ids))
            return time.perf_counter() - t0, contents
        cpu0 = cpu_seconds()
        elapsed, contents = runner.call(prepare_all(), timeout=1800)
        out["digest_1000_s"] = round(elapsed, 2)
        out["digest_1000_cpu_s"] = round(cpu_seconds() - cpu0, 2)   # this process, all threads
        out["serving_rss_after_digests_mb"] = rss_mb()
        out["digest_users"] = len(ids)
        out["digest_ms_per_user"] = round(elapsed / len(ids) * 1000, 2)
        out["digest_hot_by_model"] = sum(c.hot is not None and c.hot.ranker == "model"
                                         for c in contents)
        out["digest_explore_lists"] = sum(c.explore is not None and bool(c.explore.items)
                                          for c in contents)
        out["digest_faults"] = sum(len(c.faults) for c in contents)
        rec = svc.recommender
        out["serving_cache_mb"] = round(rec._cache.nbytes / 2**20, 1)
        out["serving_cache_users"] = len(rec._cache)
        out["serving_cache_budget_mb"] = settings.serving_cache_mb

        cpu_ms: dict[str, list[float]] = {"rr": [], "miss": [], "warm": [], "untokenized": []}

        def timed(tg_id: int, kind: str = "rr") -> float:
            c0, t0 = time.thread_time(), time.perf_counter()
            rec.rank(tg_id, popular, 10, channel="hot")
            elapsed = time.perf_counter() - t0
            cpu_ms[kind].append((time.thread_time() - c0) * 1000)
            return elapsed

        rr = ids[:rr_users]
        for tg_id in rr:
            timed(tg_id)
        round_robin = ms([timed(tg_id) for _ in range(3) for tg_id in rr])
        misses = []
        for _ in range(2):
            for tg_id in rr:
                rec.forget(tg_id)
                misses.append(timed(tg_id, "miss"))
        warm = ms([timed(ids[0], "warm") for _ in range(200)])
        misses = ms(misses)
        # a miss of a user none of whose titles is tokenized yet (the first ranking after the
        # upgrade that stores tokens, or of a new user's full history): stale tokens, a cold
        # title cache
        from recommender import text

        text._cache = text._TitleCache(text.CACHED_TITLES)
        untokenized = []
        for tg_id in rr[:20]:
            storage = svc.storage
            storage.save_title_tokens(tg_id, [(r.bvid, r.title, "stale")
                                              for r in storage.load_watch_records(tg_id)])
            rec.forget(tg_id)
            untokenized.append(timed(tg_id, "untokenized"))
        untokenized = ms(untokenized)
        out.update(rank_miss_untokenized_p50_ms=percentile(untokenized, 50),
                   rank_miss_untokenized_cpu_p50_ms=percentile(cpu_ms["untokenized"], 50))
        out.update(rank_warm_p50_ms=percentile(warm, 50), rank_warm_p95_ms=percentile(warm, 95),
                   rank_miss_p50_ms=percentile(misses, 50),
                   rank_miss_p95_ms=percentile(misses, 95),
                   rank_rr_p50_ms=percentile(round_robin, 50),
                   rank_rr_p95_ms=percentile(round_robin, 95),
                   rank_warm_cpu_p50_ms=percentile(cpu_ms["warm"], 50),
                   rank_rr_cpu_p50_ms=percentile(cpu_ms["rr"], 50),
                   rank_miss_cpu_p50_ms=percentile(cpu_ms["miss"], 50))
    out["serving_rss_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                                       1)
    out["serving_imports_tensorflow"] = any(m.split(".")[0] in ("tensorflow", "keras")
                                            for m in sys.modules)
    return out


def rss_mb() -> float:
    """This process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds() -> float:
    """CPU seconds this process used so far (user + system, every thread)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_serving_child(env: dict, ids: list[int], rr_users: int) -> dict:
    spec = json.dumps({"ids": ids, "rr_users": rr_users})
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--serve", spec],
                          cwd=ROOT, env={**os.environ, **env, **DEPLOYED_ENV,
                                         "BILIREC_LOG_LEVEL": "WARNING"},
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"serving process failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- 4. first /hot after start ---------------------------------------------------------------

def first_hot(tg, env: dict, tg_id: int) -> dict:
    # as the Docker image does at build time: the project's modules compiled to byte code
    # (python -m bot runs the source tree, and PYTHONDONTWRITEBYTECODE=1 would make every
    # start compile them again, ~0.1 s)
    subprocess.run([sys.executable, "-m", "compileall", "-q", *PACKAGES], cwd=ROOT, check=True)
    from_start, from_ready = [], []
    for _ in range(FIRST_HOT_STARTS):
        before = len(tg.messages(tg_id))
        tg.send_command(tg_id, "/hot 10")
        t0 = time.time()
        proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT,
                                env={**os.environ, **env, **DEPLOYED_ENV,
                                     "BILIREC_LOG_LEVEL": "WARNING"})
        try:
            reply = tg.wait_for(
                lambda msgs: len(msgs) > before and "BV" in (msgs[-1].text or ""), tg_id,
                timeout=120)[-1]
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        polls = [c.at for c in tg.calls_to("getUpdates") if c.at >= t0]
        from_start.append((reply.sent_at - t0) * 1000)
        from_ready.append((reply.sent_at - polls[0]) * 1000)
    return {"first_hot_ms": round(percentile(from_start, 50), 1),
            "first_hot_max_ms": round(max(from_start), 1),
            "first_hot_after_ready_ms": round(percentile(from_ready, 50), 1),
            "first_hot_starts_ms": [round(v) for v in from_start]}


# --- 5. /status while Bilibili hangs ---------------------------------------------------------

def status_latency(requests: int = 40) -> dict:
    from bot.settings import Settings
    from tests.bot.harness import BotRunner, bot_env, make_client
    from tests.fakes.fake_bilibili import FakeBilibili, make_video
    from tests.fakes.fake_telegram import FakeTelegram

    user, others = 7, range(3001, 3021)
    feed_path = "/x/web-interface/wbi/index/top/feed/rcmd"
    with FakeBilibili() as fake, FakeTelegram() as tg, tempfile.TemporaryDirectory() as tmp:
        fake.popular = [make_video(5000 + j) for j in range(80)]
        for mid in others:
            fake.add_account(mid, f"o{mid}", feed=[make_video(20_000 + 40 * mid + j)
                                                   for j in range(30)])
        env = bot_env(tg, fake, Path(tmp) / "data", BILIREC_REFRESH_CHECK_S="21600",
                      BILIREC_BILIBILI_TIMEOUT_S="120")
        with BotRunner(env, make_client(fake, Settings.from_env(env))) as runner:
            storage = runner.services.storage

            def seed():
                for mid in others:
                    storage.ensure_user(mid)
                    storage.save_credentials(mid, fake.credentials_for(mid))
                    storage.set_bilibili_account(mid, mid, f"o{mid}")
                storage.ensure_user(user)
            runner.call(seed)

            def status_ms() -> float:
                before = len(tg.messages(user))
                t0 = time.time()
                tg.send_command(user, "/status")
                reply = tg.wait_for(lambda msgs: len(msgs) > before, user, timeout=60)[-1]
                return (reply.sent_at - t0) * 1000

            for _ in range(5):
                status_ms()
            calm = [status_ms() for _ in range(requests)]
            held = fake.hold(feed_path)
            for mid in others:
                tg.send_command(mid, "/explore 5")
            held.wait_held(len(others))
            slow = [status_ms() for _ in range(requests)]
            still_held = held.held
            held.release()
            for mid in others:
                tg.wait_for(lambda msgs: any("BV" in (m.text or "") for m in msgs), mid,
                            timeout=60)
    return {"status_calm_p50_ms": percentile(calm, 50), "status_calm_p95_ms": percentile(calm, 95),
            "status_slow_p50_ms": percentile(slow, 50), "status_slow_p95_ms": percentile(slow, 95),
            "status_slow_calls_held": still_held}


# --- 6. numpy against Keras ------------------------------------------------------------------

def score_difference(storage: Storage, users: dict) -> dict:
    from models import NumpyScorer, Scorer, load_model
    from recommender.features import Vocabulary, encode_candidates, serving_context

    worst, same_order = 0.0, True
    for tg_id, user in users.items():
        record = storage.latest_model(tg_id)
        vocab = Vocabulary.from_json(vocab_path_for(record.path).read_text("utf-8"))
        inputs = encode_candidates(user.popular_now + user.pool,
                                   serving_context(storage.load_behaviour(tg_id), vocab), vocab)
        keras_scores = Scorer(load_model(record.path)[0])(inputs)
        numpy_scores = NumpyScorer.load(record.path, embedding_rows=vocab.table_rows())(inputs)
        worst = max(worst, float(np.max(np.abs(keras_scores - numpy_scores))))
        # the same ranking up to ties: along the numpy order, Keras' scores never rise by more
        # than rounding (identical candidates, e.g. a video both popular and in the feed, can
        # get scores 1e-7 apart in Keras' batched arithmetic and swap places)
        along = keras_scores[np.argsort(-numpy_scores, kind="stable")]
        same_order &= bool(np.all(np.diff(along) <= 1e-6))
    return {"max_score_diff": worst, "same_order": same_order}


# --- the run ---------------------------------------------------------------------------------

def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in
                  Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), "unknown CPU")
    return (f"{os.cpu_count()} CPUs reported ({len(os.sched_getaffinity(0))} usable), {model}; "
            f"Python {sys.version.split()[0]}")


def report(figures: dict) -> None:
    print()
    print(f"{'figure':<30}{'measured':>14}   goal")
    for key, value in figures.items():
        if key == "machine":
            continue
        goal, passes = GOALS.get(key, ("", None))
        verdict = "" if passes is None else ("  ok" if passes(value) else "  MISSED")
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        print(f"{key:<30}{shown:>14}   {goal}{verdict}")
    print(f"\nmachine: {figures['machine']}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--rr-users", type=int, default=200)
    parser.add_argument("--serve", help=argparse.SUPPRESS)      # the child's part
    args = parser.parse_args()
    if args.serve:
        spec = json.loads(args.serve)
        print(json.dumps(serve(spec["ids"], spec["rr_users"])))
        return 0

    from tests.bot.harness import bot_env
    from tests.fakes.fake_bilibili import FakeBilibili
    from tests.fakes.fake_telegram import FakeTelegram

    started = time.perf_counter()
    figures: dict = {"machine": machine(),
                     "load_average_1min_at_start": round(os.getloadavg()[0], 1)}
    rng = np.random.default_rng(2024)
    catalogue = make_catalogue(rng, n_videos=20000, n_authors=1500)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        data_dir.mkdir()
        storage = Storage(data_dir, load_or_create_key(data_dir, None))
        print("1. training", flush=True)
        trained, users = train_all(storage, catalogue, rng)
        figures.update(trained)
        with FakeBilibili() as fake, FakeTelegram() as tg:
            fake.popular = list(users[TEMPLATE_IDS[0]].popular_now)
            print(f"2. seeding {args.users} users with models", flush=True)
            t0 = time.perf_counter()
            ids = seed_users(storage, fake, catalogue, rng, args.users)
            print(f"  seeded in {time.perf_counter() - t0:.0f} s", flush=True)
            storage.close()
            env = bot_env(tg, fake, data_dir, BILIREC_REFRESH_CHECK_S="21600")
            print("3. serving process: digests, ranks, memory", flush=True)
            figures.update(run_serving_child(env, ids, min(args.rr_users, len(ids))))
            print("4. first /hot after start", flush=True)
            figures.update(first_hot(tg, env, ids[0]))
        print("5. /status while 20 Bilibili calls hang", flush=True)
        figures.update(status_latency())
        print("6. numpy against Keras", flush=True)
        storage = Storage(data_dir, load_or_create_key(data_dir, None))
        figures.update(score_difference(storage, users))
        storage.close()
    figures["bench_wall_s"] = round(time.perf_counter() - started, 1)
    figures["load_average_1min_at_end"] = round(os.getloadavg()[0], 1)   # other processes
    ordered = {key: figures[key] for key in (
        "digest_1000_s", "serving_rss_peak_mb", "serving_imports_tensorflow", "rank_warm_p50_ms",
        "rank_miss_p50_ms", "first_hot_ms", "train_1k_s", "train_5k_s", "max_score_diff")}
    ordered.update({k: v for k, v in figures.items() if k not in ordered})
    report(ordered)
    if args.json:
        args.json.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n", "utf-8")
        print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
