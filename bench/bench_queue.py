"""Queued trainings with 1 vs 2 Celery worker processes, and /hot latency while they train.

Needs PostgreSQL and Redis (defaults: the test servers on 127.0.0.1, as tests/services.py).
Prints figures; asserts nothing; not run by CI.

1. N synthetic users (``--users``, default 200; ``--records`` behaviour records each) are stored
   in a fresh PostgreSQL schema. For each worker count (1, then 2) a real Celery worker
   (``celery -A recommender.tasks worker --concurrency W``) is started and warmed (TensorFlow
   imported and traced in every process), the model registry is emptied, then N training tasks
   are queued at once; the wall time until every report is back is the figure. The ratio of the
   two wall times is the speed-up of the second worker process (goal: >= 1.6 on 2 free cores).
2. The bot runs against the fakes on the same database and broker, with one logged-in user whose
   model a worker trained. After the timed 2-process run, the N trainings run once more while
   that user asks /hot again and again: p50/p95 from queuing the command at the fake Telegram to
   the answer's arrival, next to the same figure with idle workers.

    python bench/bench_queue.py [--users 200] [--records 300] [--requests 40] [--worker-nice 10]
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from bench.bench_bot import add_account, percentile, timed_command  # noqa: E402
from bot.settings import Settings  # noqa: E402
from recommender.queue import TASK_NAME, make_celery  # noqa: E402
from recommender.synthetic import make_catalogue, make_user  # noqa: E402
from storage import Storage, load_or_create_key  # noqa: E402
from tests.bot.harness import BotRunner, bot_env, make_client  # noqa: E402
from tests.fakes.fake_bilibili import FakeBilibili, make_video  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402
from tests.services import POSTGRES_URL, PostgresSchema  # noqa: E402

REDIS_URL = os.environ.get("BILIREC_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
HOT_USER, HOT_MID = 900_001, 9_000_001
DISTINCT_USERS = 8          # synthetic behaviours, cycled over the users
TIME_CAP_S = 120


def seed_users(storage: Storage, n_users: int, n_records: int) -> list[int]:
    rng = np.random.default_rng(2024)
    catalogue = make_catalogue(rng, n_videos=8000, n_authors=600)
    people = [make_user(catalogue, rng, n_watches=int(n_records * 1.8))
              for _ in range(DISTINCT_USERS)]
    ids = list(range(1, n_users + 1))
    for tg_id in ids:
        person = people[tg_id % DISTINCT_USERS]
        storage.ensure_user(tg_id)
        storage.save_behaviour(tg_id, person.behaviour[:n_records])
        storage.save_pool(tg_id, "popular", person.pool[:100])
        storage.save_pool(tg_id, "feed", person.pool[100:])
    return ids


def forget_models(storage: Storage, ids: list[int]) -> None:
    """Empty the registry and the model files, so every run trains from scratch alike."""
    with storage._write() as conn:
        conn.execute("DELETE FROM models WHERE tg_id <> ?", (HOT_USER,))
    for tg_id in ids:
        for path in storage.model_dir(tg_id).glob("*"):
            path.unlink()


class Worker:
    """A Celery worker subprocess with ``processes`` training processes."""

    def __init__(self, env: dict, processes: int, log: Path, nice: int = 0) -> None:
        self._log = open(log, "ab")
        self.process = subprocess.Popen(
            (["nice", "-n", str(nice)] if nice else []) +
            [sys.executable, "-m", "celery", "-A", "recommender.tasks", "worker",
             "--pool", "prefork", "--concurrency", str(processes), "--loglevel", "WARNING",
             "--without-heartbeat", "--without-mingle", "--without-gossip",
             "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def run_all(app, queue: str, ids: list[int]) -> tuple[float, int]:
    """Queue one training per id at once; wall seconds until every report, accepted count."""
    t0 = time.perf_counter()
    results = [app.send_task(TASK_NAME, args=[tg_id], queue=queue) for tg_id in ids]
    accepted = sum(bool(r.get(timeout=3600).get("accepted")) for r in results)
    return time.perf_counter() - t0, accepted


def hot_latencies(tg, n: int) -> list[float]:
    return [timed_command(tg, HOT_USER, "/hot 10", 1) * 1000 for _ in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--worker-nice", type=int, default=0,
                        help="run the workers at this niceness (as on a machine shared with "
                             "the bot)")
    args = parser.parse_args()
    schema = PostgresSchema()
    queue = f"bilirec-bench-{uuid.uuid4().hex[:8]}"
    with tempfile.TemporaryDirectory() as tmp, FakeBilibili() as fake, FakeTelegram() as tg:
        data_dir = Path(tmp) / "shared"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "BILIREC_DATABASE_URL": schema.url,
               "BILIREC_BROKER_URL": REDIS_URL, "BILIREC_TRAIN_QUEUE": queue,
               "BILIREC_DATA_DIR": str(data_dir), "BILIREC_TRAIN_TIME_CAP_S": str(TIME_CAP_S)}
        storage = Storage(data_dir, load_or_create_key(data_dir, None), database_url=schema.url)
        app = make_celery(REDIS_URL, queue)
        runner = None
        try:
            t0 = time.perf_counter()
            ids = seed_users(storage, args.users, args.records)
            print(f"{len(ids)} users with {args.records} records each stored in PostgreSQL "
                  f"({POSTGRES_URL}) in {time.perf_counter() - t0:.1f} s")

            # the bot, on the same database and broker, with one logged-in user (for /hot)
            fake.popular = [make_video(5000 + j) for j in range(100)]
            add_account(fake, HOT_MID, 0, 200, 60)
            bot_settings = bot_env(tg, fake, data_dir, BILIREC_DATABASE_URL=schema.url,
                                   BILIREC_BROKER_URL=REDIS_URL, BILIREC_TRAIN_QUEUE=queue,
                                   BILIREC_TRAIN_TIME_CAP_S=str(TIME_CAP_S),
                                   BILIREC_REFRESH_CHECK_S="21600")
            runner = BotRunner(bot_settings, make_client(fake, Settings.from_env(bot_settings)))
            runner.start()
            bot_storage = runner.services.storage

            def seed_hot_user():
                bot_storage.ensure_user(HOT_USER, "zh")
                bot_storage.save_credentials(HOT_USER, fake.credentials_for(HOT_MID))
                bot_storage.set_bilibili_account(HOT_USER, HOT_MID, "bench")
            runner.call(seed_hot_user)

            walls: dict[int, float] = {}
            busy: list[float] = []
            idle: list[float] = []
            for processes in (1, 2):
                worker = Worker(env, processes, Path(tmp) / f"worker{processes}.log",
                                args.worker_nice)
                try:
                    t0 = time.perf_counter()
                    run_all(app, queue, ids[:2 * processes])    # every process warm
                    print(f"{processes} worker process(es): warm-up (start, TensorFlow import, "
                          f"first traces) {time.perf_counter() - t0:.1f} s")
                    if processes == 2:   # the hot user's model, trained by the workers
                        result = runner.call(runner.services.sync.sync_and_train(HOT_USER),
                                             timeout=900)
                        print(f"  bot user synced and trained by a worker: accepted="
                              f"{result.accepted}")
                        for _ in range(5):
                            timed_command(tg, HOT_USER, "/hot 10", 1)
                        idle = hot_latencies(tg, args.requests)
                    forget_models(storage, ids)
                    wall, accepted = run_all(app, queue, ids)
                    walls[processes] = wall
                    print(f"{processes} worker process(es): {len(ids)} queued trainings in "
                          f"{wall:.1f} s ({len(ids) / wall * 60:.1f} per minute, "
                          f"{wall / len(ids):.2f} s each; {accepted} accepted; load average "
                          f"{os.getloadavg()[0]:.1f})")
                    if processes == 2:    # again, with /hot asked all the time meanwhile
                        forget_models(storage, ids)
                        stop = threading.Event()

                        def ask():
                            while not stop.is_set():
                                busy.extend(hot_latencies(tg, 1))
                        asker = threading.Thread(target=ask, daemon=True)
                        asker.start()
                        busy_wall, _ = run_all(app, queue, ids)
                        stop.set()
                        asker.join(60)
                        print(f"  the same with /hot asked continuously: {busy_wall:.1f} s")
                finally:
                    worker.stop()
            print(f"speed-up of the second worker process: {walls[1] / walls[2]:.2f}x "
                  f"(goal >= 1.6; cores on this machine: {os.cpu_count()}, load average "
                  f"{os.getloadavg()[0]:.1f})")
            print(f"/hot 10 with idle workers: p50 {statistics.median(idle):.1f} ms, "
                  f"p95 {percentile(idle, 0.95):.1f} ms over {len(idle)} requests")
            if busy:
                print(f"/hot 10 while 2 worker processes train: p50 "
                      f"{statistics.median(busy):.1f} ms, p95 {percentile(busy, 0.95):.1f} ms "
                      f"over {len(busy)} requests")
        finally:
            if runner is not None:
                runner.stop()
            app.close()
            storage.close()
            schema.drop()


if __name__ == "__main__":
    main()
