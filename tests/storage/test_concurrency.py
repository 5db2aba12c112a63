"""Smoke test: many threads (as asyncio.to_thread uses) share one Storage without errors."""
from __future__ import annotations

import asyncio
import threading

from domain import Credentials, Video
from storage import Storage

THREADS = 8
ROUNDS = 40


def test_threads_share_one_storage(open_store):
    errors: list[BaseException] = []
    barrier = threading.Barrier(THREADS)
    with open_store() as store:
        def work(worker: int) -> None:
            try:
                barrier.wait()
                own = 1000 + worker
                for i in range(ROUNDS):
                    store.save_behaviour(own, [Video(f"BV{worker}-{i}", view_at=i)])
                    store.save_behaviour(1, [Video("BVshared", view_at=i,
                                                   liked=(worker == 0 and i == 0),
                                                   coined=(worker == 1 and i == 5))])
                    store.record_sent(1, [f"BV{worker}-{i}"], "hot")
                    store.add_feedback(own, f"BV{worker}-{i}", 1 if i % 2 else -1)
                    store.save_credentials(own, Credentials({"SESSDATA": f"s{i}"}, f"r{i}"))
                    store.save_pool(own, "feed", [Video(f"BVp{worker}-{i}")])
                    store.get_user(1)
                    store.load_behaviour(own)
                    if i % 10 == 9:
                        store.erase_user(5000 + worker)
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert errors == []
        for worker in range(THREADS):
            own = 1000 + worker
            assert store.count_behaviour(own) == ROUNDS
            assert len(store.load_feedback(own)) == ROUNDS
            assert store.load_credentials(own).refresh_token == f"r{ROUNDS - 1}"
            assert len(store.load_pool(own)) == ROUNDS
        shared = store.load_behaviour(1)
        assert len(shared) == 1
        assert shared[0].liked and shared[0].coined and shared[0].view_at == ROUNDS - 1
        assert len(store.sent_bvids(1, "hot")) == THREADS * ROUNDS


def test_asyncio_to_thread(open_store):
    async def main(store: Storage) -> list[int]:
        await asyncio.gather(*(asyncio.to_thread(store.ensure_user, n) for n in range(50)))
        users = await asyncio.to_thread(store.list_users)
        return [user.tg_id for user in users]

    with open_store() as store:
        assert sorted(asyncio.run(main(store))) == list(range(50))
