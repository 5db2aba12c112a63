"""Sync benchmark through the fake Bilibili on 127.0.0.1. Prints figures.

A user with 1,000 watch-history records (served without counts, like Bilibili's) is synced by
the real SyncService, client and storage, with the production chunk size and cap but no pause
between count requests; training is left out (a stand-in recommender). Printed: the sync time
without enrichment, the first sync with enrichment (its batch-count requests), the second sync
(every video already looked up), and what the production pacing would add.

    python3 bench/bench_sync.py [--records 1000]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bilibili import BilibiliClient  # noqa: E402
from bot.services.accounts import Accounts  # noqa: E402
from bot.services.enrich import JITTER, Enricher  # noqa: E402
from bot.services.executors import BilibiliCalls  # noqa: E402
from bot.services.popular import PopularCache  # noqa: E402
from bot.services.sync import SyncService  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage import Storage, load_or_create_key  # noqa: E402
from tests.fakes.fake_bilibili import FakeBilibili, make_video  # noqa: E402

RESOURCE_PATH = "/x/v3/fav/resource/infos"
USER, MID = 900_002, 9_000_002


class NoTraining:
    """Training is benchmarked elsewhere (bench_recommender.py)."""

    def train(self, tg_id: int, progress=None, *, commit=None):
        return SimpleNamespace(n_records=0, accepted=False, metrics={}, message="skipped")

    def forget(self, tg_id: int) -> None:
        pass


def timed_sync(fake: FakeBilibili, data_dir: Path, records: int, cap: int,
               runs: int) -> tuple[list[tuple[float, int]], int]:
    """(seconds, resource requests) of each of `runs` syncs of one user into data_dir, and how
    many stored records then have a view count."""
    defaults = Settings(telegram_bot_token="0:bench")
    storage = Storage(data_dir, load_or_create_key(data_dir, None))
    client = BilibiliClient(fake.url, fake.url, fake.url,
                            refresh_public_key_pem=fake.public_key_pem)
    try:
        storage.save_credentials(USER, fake.credentials_for(MID))
        storage.set_bilibili_account(USER, MID, "bench")
        enricher = Enricher(storage, client, chunk=defaults.enrich_chunk, pace_s=0.0, cap=cap)
        popular = PopularCache(lambda: client.popular(pages=2, page_size=50),
                               defaults.popular_ttl_s)
        sync = SyncService(storage, client, NoTraining(),
                           Accounts(storage, client, BilibiliCalls(4, 2),
                                    refresh_check_s=defaults.refresh_check_s),
                           history_cap=records, enricher=enricher, popular=popular)
        out = []
        for _ in range(runs):
            before = fake.count(RESOURCE_PATH)
            t0 = time.perf_counter()
            asyncio.run(sync.sync_and_train(USER))
            out.append((time.perf_counter() - t0, fake.count(RESOURCE_PATH) - before))
        return out, sum(v.view is not None for v in storage.load_behaviour(USER))
    finally:
        client.close()
        storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    defaults = Settings(telegram_bot_token="0:bench")
    now = int(time.time())
    history = [make_video(i, view_at=now - 60 * i, progress=-1) for i in range(args.records)]
    with FakeBilibili() as fake, tempfile.TemporaryDirectory() as tmp:
        fake.popular = [make_video(50_000 + j) for j in range(100)]
        fake.add_account(MID, "bench", history=history, invalid_favourites=0,
                         feed=[make_video(60_000 + j) for j in range(60)])
        print(f"sync of {args.records} history records (no training), fake Bilibili on 127.0.0.1")
        print("without enrichment (BILIREC_ENRICH_CAP=0):")
        [(plain, _)], counted = timed_sync(fake, Path(tmp) / "plain", args.records, 0, 1)
        print(f"  {plain:.2f} s; records with a view count: {counted}")
        print(f"with enrichment (chunk {defaults.enrich_chunk}, cap {defaults.enrich_cap}, "
              "pace 0):")
        [(first, requests), (second, again)], counted = timed_sync(
            fake, Path(tmp) / "enrich", args.records, defaults.enrich_cap, 2)
        print(f"  first sync:  {first:.2f} s, {requests} batch-count requests "
              f"(+{first - plain:.2f} s for the counts); records with a view count: {counted}")
        print(f"  second sync: {second:.2f} s, {again} batch-count requests (all looked up)")
        pause = defaults.enrich_pace_s * (1 + JITTER / 2)
        print(f"production pacing (BILIREC_ENRICH_PACE_S={defaults.enrich_pace_s:g}, jitter up to "
              f"{JITTER:.0%}) adds {max(requests - 1, 0)} pauses ≈ "
              f"{max(requests - 1, 0) * pause:.0f} s on average to a first sync "
              "(spent awaiting, no thread held)")


if __name__ == "__main__":
    main()
