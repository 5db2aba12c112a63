"""Bot benchmarks through the fakes (fake Telegram + fake Bilibili on 127.0.0.1). Prints figures.

1. /hot and /explore latency, warm, for a logged-in user with a trained model: from the moment the
   command update is queued at the fake Telegram to the moment the last message of the answer
   arrives there (p50/p95 over N requests each).
2. Popular-list requests to Bilibili while many users ask /hot at once within one cache window.
3. Digests for 1,000 users: the bot runs as a subprocess (`python -m bot`, exactly as deployed)
   with 1,000 registered, logged-in users whose digest is due; time from start until every
   user has their digest, and the bot's RSS afterwards. Also the in-process preparation time of
   1,000 digests (ranking + feed fetches, no sending), which is what the bot itself costs; the
   sending is bounded by Telegram's ~30 messages/s (AIORateLimiter).

    python3 bench/bench_bot.py [--requests 50] [--users 1000] [--askers 200]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.settings import Settings  # noqa: E402
from storage import Storage, load_or_create_key  # noqa: E402
from tests.bot.harness import BotRunner, bot_env, make_client  # noqa: E402
from tests.fakes.fake_bilibili import FakeBilibili, make_video  # noqa: E402
from tests.fakes.fake_telegram import FakeTelegram  # noqa: E402

POPULAR_PATH = "/x/web-interface/popular"
BENCH_USER = 900_001
BENCH_MID = 9_000_001


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def add_account(fake: FakeBilibili, mid: int, zone: int, n_history: int, n_feed: int) -> None:
    now = int(time.time())
    history = [make_video(zone + 8 * k, view_at=now - 3600 * k, progress=-1)
               for k in range(n_history)]
    feed = [make_video(20_000 + (mid % 500) * 40 + j) for j in range(n_feed)]
    fake.add_account(mid, f"bench{mid}", history=history, favourites=history[:5],
                     coins=history[5:8], likes=history[8:12], feed=feed)


def timed_command(tg: FakeTelegram, user_id: int, command: str, expected_new: int,
                  timeout: float = 30.0) -> float:
    """Seconds from queuing the command to the arrival of its last expected message."""
    before = len(tg.messages(user_id))
    start = time.time()
    tg.send_command(user_id, command)
    messages = tg.wait_for(lambda msgs: len(msgs) >= before + expected_new, user_id,
                           timeout=timeout)
    return messages[-1].sent_at - start  # sent_at: the fake's clock when it stored the message


def bench_latency(requests: int, askers: int) -> None:
    with FakeBilibili() as fake, FakeTelegram() as tg, tempfile.TemporaryDirectory() as tmp:
        fake.popular = [make_video(5000 + j) for j in range(100)]
        add_account(fake, BENCH_MID, 0, 200, 60)
        env = bot_env(tg, fake, Path(tmp) / "data", BILIREC_TRAIN_TIME_CAP_S="60",
                      BILIREC_REFRESH_CHECK_S="21600")
        runner = BotRunner(env, make_client(fake, Settings.from_env(env))).start()
        try:
            storage = runner.services.storage

            def seed():
                storage.ensure_user(BENCH_USER, "zh")
                storage.save_credentials(BENCH_USER, fake.credentials_for(BENCH_MID))
                storage.set_bilibili_account(BENCH_USER, BENCH_MID, "bench")
            runner.call(seed)
            t0 = time.perf_counter()
            result = runner.call(runner.services.sync.sync_and_train(BENCH_USER), timeout=600)
            print(f"training for the bench user: {time.perf_counter() - t0:.1f} s, "
                  f"{result.n_records} records, accepted={result.accepted}, "
                  f"metrics={result.metrics}")

            for command in ("/hot 10", "/explore 10"):
                for _ in range(5):  # warm-up: popular cache, model loaded, connections open
                    timed_command(tg, BENCH_USER, command, 1)
                samples = [timed_command(tg, BENCH_USER, command, 1) * 1000
                           for _ in range(requests)]
                print(f"{command.split()[0]:<9} latency over {requests} warm requests: "
                      f"p50 {statistics.median(samples):.1f} ms, "
                      f"p95 {percentile(samples, 0.95):.1f} ms, max {max(samples):.1f} ms")
        finally:
            runner.stop()

    # popular-list requests per cache window with many users asking at once (cold cache)
    with FakeBilibili() as fake, FakeTelegram() as tg, tempfile.TemporaryDirectory() as tmp:
        fake.popular = [make_video(5000 + j) for j in range(100)]
        env = bot_env(tg, fake, Path(tmp) / "data")
        with BotRunner(env, make_client(fake, Settings.from_env(env))):
            before = fake.count(POPULAR_PATH)
            users = range(1, askers + 1)
            t0 = time.perf_counter()
            for user in users:
                tg.send_command(user, "/hot 5")
            for user in users:
                tg.wait_for(lambda msgs: len(msgs) >= 1, user, timeout=120)
            elapsed = time.perf_counter() - t0
            pages = fake.count(POPULAR_PATH) - before
            print(f"{askers} users asking /hot at once: {pages} popular page requests "
                  f"(= {pages // 2} list fetch of 2 pages) in one cache window; all answered "
                  f"in {elapsed:.2f} s")


def digest_zone() -> tuple[str, str, str]:
    """A zone whose local time is between 01:00 and 20:00, a time 30 minutes ago there and a
    time 3 hours ahead (both today)."""
    for name in ("Asia/Shanghai", "Europe/London", "America/New_York", "Pacific/Auckland"):
        now = datetime.now(ZoneInfo(name))
        if 1 <= now.hour < 20:
            return (name, (now - timedelta(minutes=30)).strftime("%H:%M"),
                    (now + timedelta(hours=3)).strftime("%H:%M"))
    raise RuntimeError("no suitable zone")


def seed_digest_users(data_dir: Path, fake: FakeBilibili, ids: list[int], zone: str,
                      time_hhmm: str) -> None:
    """Logged-in users (one fake account each) with a digest at time_hhmm in zone."""
    data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(data_dir, load_or_create_key(data_dir, None))
    try:
        for i, tg_id in enumerate(ids):
            mid = 10_000_000 + i
            add_account(fake, mid, i % 8, 30, 20)
            storage.ensure_user(tg_id, "zh")
            storage.save_credentials(tg_id, fake.credentials_for(mid))
            storage.set_bilibili_account(tg_id, mid, f"bench{mid}")
            storage.set_digest(tg_id, time_hhmm, zone)
    finally:
        storage.close()


def set_digest_time(data_dir: Path, ids: list[int], zone: str, time_hhmm: str) -> None:
    storage = Storage(data_dir, load_or_create_key(data_dir, None))
    try:
        for tg_id in ids:
            storage.set_digest(tg_id, time_hhmm, zone)
    finally:
        storage.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def bench_digests(users: int) -> None:
    zone, earlier, later = digest_zone()
    with FakeBilibili() as fake, FakeTelegram() as tg, tempfile.TemporaryDirectory() as tmp:
        fake.popular = [make_video(5000 + j) for j in range(100)]
        data_dir = Path(tmp) / "data"
        ids = [1_000_000 + i for i in range(users)]
        seed_digest_users(data_dir, fake, ids, zone, later)

        # in-process: every user talks to the bot once (Telegram then knows the chat), then
        # the bot prepares 1,000 digests (ranking + feed fetches) without sending them
        env = bot_env(tg, fake, data_dir, BILIREC_REFRESH_CHECK_S="21600")
        with BotRunner(env, make_client(fake, Settings.from_env(env))) as runner:
            for tg_id in ids:
                tg.send_text(tg_id, "/status")
            for tg_id in ids:
                tg.wait_for(lambda msgs: len(msgs) >= 1, tg_id, timeout=300)
            svc = runner.services
            runner.call(svc.popular.get())

            async def prepare_all():
                t0 = time.perf_counter()
                await asyncio.gather(*(svc.digests.prepare(tg_id, "2099-01-01") for tg_id in ids))
                return time.perf_counter() - t0
            prep = runner.call(prepare_all(), timeout=900)
            print(f"preparing {users} digests in-process (hot + explore incl. feed fetch, no "
                  f"sending): {prep:.2f} s ({prep / users * 1000:.1f} ms per user)")

        # out of process: `python -m bot` as deployed (default spread and rate limits) starts
        # with 1,000 digests missed today and sends them
        set_digest_time(data_dir, ids, zone, earlier)
        env = bot_env(tg, fake, data_dir)
        for name in ("BILIREC_DIGEST_SPREAD_S", "BILIREC_REFRESH_CHECK_S"):
            env.pop(name)  # production defaults
        proc_env = {**os.environ, **env, "BILIREC_LOG_LEVEL": "WARNING"}

        def digests(tg_id: int) -> int:
            return sum("📬" in (m.text or "") for m in tg.messages(tg_id))
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bot"], cwd=ROOT, env=proc_env)
        try:
            pending = set(ids)
            deadline = time.monotonic() + 1200
            while pending and time.monotonic() < deadline and proc.poll() is None:
                pending = {tg_id for tg_id in pending if digests(tg_id) < 2}
                time.sleep(0.5)
            elapsed = time.perf_counter() - t0
            served = users - len(pending)
            print(f"digests for {users} users through `python -m bot` (start-up included): "
                  f"{elapsed:.1f} s, {served} users served ({2 * served / elapsed:.1f} "
                  f"messages/s; Telegram allows ~30/s)")
            print(f"bot RSS with {users} users registered, after the digests: "
                  f"{rss_mb(proc.pid):.0f} MB")
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--askers", type=int, default=200)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--skip-digests", action="store_true")
    args = parser.parse_args()
    bench_latency(args.requests, args.askers)
    if not args.skip_digests:
        bench_digests(args.users)


if __name__ == "__main__":
    main()
