"""Training through a real queue, end to end: the bot on PostgreSQL with a real Redis broker and a
real Celery worker process (``celery -A recommender.tasks worker``), against the fakes.

/login → sync → the worker trains → /hot ranked with the worker's model → /logout erases the
user everywhere (database rows, the shared model folder); a task for the erased user then does
nothing. And without a reachable broker the bot trains in its own process and /status says
training is delayed. Skipped without PostgreSQL/Redis, failed on CI (tests/services.py).
"""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from storage import Storage
from tests.bot.conftest import FOOD_MID, Chat, bvids
from tests.bot.harness import bot_env
from tests.bot.test_journey import qr_login
from tests.services import REDIS_URL, need_redis, postgres_schema  # noqa: F401 - a fixture

ROOT = Path(__file__).resolve().parents[2]
USER = 515151
WORKER_STOP_TIMEOUT = 60


@pytest.fixture
def queue_env(tg, fake, tmp_path, postgres_schema):
    """The bot's and the worker's environment: PostgreSQL schema, Redis, a queue of its own."""
    need_redis()
    return bot_env(tg, fake, tmp_path / "shared",
                   BILIREC_DATABASE_URL=postgres_schema.url, BILIREC_BROKER_URL=REDIS_URL,
                   BILIREC_TRAIN_QUEUE=f"bilirec-test-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def celery_worker(queue_env, tmp_path):
    """A real Celery worker process (one training process) on the test's queue; its log."""
    log_path = tmp_path / "worker.log"
    env = {**os.environ, **queue_env, "PYTHONPATH": str(ROOT)}
    env.pop("TELEGRAM_BOT_TOKEN")                 # the worker needs no Telegram token
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "recommender.tasks", "worker",
             "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO",
             "--without-heartbeat", "--without-mingle", "--without-gossip",
             "--hostname", f"test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield log_path
    finally:
        process.send_signal(signal.SIGTERM)        # warm shutdown: finish the running task
        try:
            process.wait(WORKER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rows_holding(storage: Storage, tg_id: int) -> dict[str, int]:
    """Per table of the PostgreSQL schema: rows with tg_id in any column (as a value or in
    text), as tests/bot/test_erase_owner.py scans the SQLite file."""
    with storage._read() as conn:
        columns: dict[str, list[str]] = {}
        for table, column in conn.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position",
                ()).fetchall():
            columns.setdefault(table, []).append(column)
        return {table: conn.execute(
                    f'SELECT COUNT(*) FROM "{table}" WHERE '
                    + " OR ".join(f'CAST("{c}" AS TEXT) LIKE ?' for c in names),
                    [f"%{tg_id}%"] * len(names)).fetchone()[0]
                for table, names in columns.items() if table != "schema_version"}


def test_the_worker_trains_the_bot_serves_its_model_and_logout_erases_everywhere(
        tg, fake, queue_env, celery_worker, start_bot):
    runner = start_bot(**queue_env)
    chat = Chat(tg, USER)
    qr_login(chat, fake, runner, FOOD_MID)            # waits for "model ready"
    svc = runner.services

    # the worker trained: the bot never started a training process of its own
    assert svc.recommender._executor is None
    assert "succeeded" in celery_worker.read_text(errors="replace")
    model = runner.call(lambda: svc.storage.latest_model(USER))
    assert model is not None and model.path.is_file()
    assert svc.storage.engine == "postgresql"

    # /hot ranks with the worker's model: the same order the bot's recommender gives
    hot = chat.ask("/hot 8", "热门")
    snapshot = runner.call(svc.popular.get())
    expected = runner.call(lambda: svc.recommender.rank(USER, snapshot.videos, 8, channel="hot"))
    assert not expected.provisional and expected.ranker == model.metrics["served"]
    assert bvids(hot) == [item.video.bvid for item in expected.items]
    assert "训练队列暂时不可用" not in chat.ask("/status", "状态").text

    # /logout: nothing of the user in any table or in the shared model folder
    held = runner.call(lambda: rows_holding(svc.storage, USER))
    assert held["behaviour"] and held["training_claims"] == 0 and "mutes" in held
    chat.log_out()
    held = runner.call(lambda: rows_holding(svc.storage, USER))
    assert set(held.values()) == {0}, held
    assert not model.path.parent.exists()

    # a task for the erased user does nothing (it brings back neither rows nor files)
    report = svc.recommender.queue.train(USER, 0)
    assert report is not None and not report.accepted and "erased" in report.message
    assert svc.storage.get_user(USER) is None and not model.path.parent.exists()


def test_without_a_reachable_broker_the_bot_trains_itself_and_says_training_is_delayed(
        tg, fake, tmp_path, start_bot, caplog):
    env = bot_env(tg, fake, tmp_path / "data", BILIREC_BROKER_URL="redis://127.0.0.1:9/0")
    runner = start_bot(**env)
    chat = Chat(tg, USER)
    with caplog.at_level(logging.WARNING, logger="recommender.queue"):
        qr_login(chat, fake, runner, FOOD_MID)        # trained in this process instead
    assert runner.call(lambda: runner.services.storage.latest_model(USER)) is not None
    assert [r.message for r in caplog.records if "unreachable" in r.message]
    status = chat.ask("/status", "状态").text
    assert "训练队列暂时不可用" in status
    assert bvids(chat.ask("/hot 5", "热门"))          # serving goes on


def test_an_unreachable_broker_is_logged_once_until_it_is_back(caplog):
    from recommender.queue import TrainingQueue

    queue = TrainingQueue("redis://127.0.0.1:9/0", "bilirec-unreachable", wait_s=1)
    try:
        with caplog.at_level(logging.INFO, logger="recommender.queue"):
            assert queue.train(1, 60) is None and queue.train(1, 60) is None
        assert queue.unreachable
        assert len([r for r in caplog.records if "unreachable" in r.message]) == 1
    finally:
        queue.close()


class StubResult:
    """A Celery AsyncResult stand-in: not ready for ``polls`` asks, then done with ``outcome``
    (a dict: success; an exception: the task failed)."""

    def __init__(self, polls: int, outcome) -> None:
        self.polls, self.result, self.forgotten = polls, outcome, False

    def ready(self) -> bool:
        self.polls -= 1
        return self.polls < 0

    def successful(self) -> bool:
        return not isinstance(self.result, BaseException)

    def forget(self) -> None:
        self.forgotten = True


def test_a_queued_report_is_awaited_by_polling_and_a_late_or_failed_one_is_said(monkeypatch):
    import asyncio
    import time

    from recommender import queue as queue_module
    from recommender.queue import QueuedTraining, TrainingQueue

    monkeypatch.setattr(queue_module, "POLL_S", 0.001)
    queue = TrainingQueue("redis://127.0.0.1:9/0", "bilirec-stub", wait_s=60)

    def wait(result, seconds: float = 60):
        return asyncio.run(queue.wait(QueuedTraining(1, 80, result,
                                                     time.monotonic() + seconds)))
    try:
        done = StubResult(3, {"n_records": 80, "accepted": True, "metrics": {"served": "model"},
                              "message": "trained"})
        report = wait(done)
        assert report.accepted and report.metrics == {"served": "model"} and done.forgotten
        assert done.polls == -1                        # asked until it was ready, no further

        report = wait(StubResult(10**9, None), seconds=0.05)
        assert not report.accepted and report.metrics["served_reason"] == "pending"

        report = wait(StubResult(0, MemoryError("worker")))
        assert not report.accepted and "MemoryError" in report.message
    finally:
        queue.close()
