"""Training through a real queue: Celery over ``BILIREC_BROKER_URL`` (the bot's side).

``TrainingQueue.submit`` sends a task that carries only the user id to the queue
``BILIREC_TRAIN_QUEUE``; ``wait`` (on the event loop, holding no thread) or ``train`` (blocking)
then waits, bounded, for the worker's report. The worker side is recommender.tasks. The bot
never needs the report to serve: the worker registers the model in storage, and the bot's
serving cache notices the new model revision on the next ranking.

Broker unreachable: ``submit`` logs once, marks the queue ``unreachable`` (/status then says
training is delayed) and returns None, so the caller trains in its own process; the next
training tries the broker again and logs once when it is back.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from recommender.jobs import PENDING_METRICS
from recommender.results import TrainingReport
from storage.backends import redact_url

logger = logging.getLogger(__name__)

TASK_NAME = "bilirec.train"
DEFAULT_QUEUE = "bilirec-train"
# seconds to reach the broker before a publish counts as failed (then one quick retry)
BROKER_CONNECT_TIMEOUT_S = 3.0
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0.2, "interval_step": 0.2,
                 "interval_max": 0.5}
RESULT_TTL_S = 3600
# how often the bot asks whether a queued training's report is back
POLL_S = 0.5


def make_celery(broker_url: str, queue: str = DEFAULT_QUEUE):
    """A Celery app on ``broker_url`` (also the result store) whose tasks go to ``queue``.

    Late acknowledgement with a prefetch of one: a task is taken only by a free worker process,
    and one whose process died is delivered again."""
    from celery import Celery   # only when a broker is configured

    app = Celery("bilirec", broker=broker_url, backend=broker_url)
    app.conf.update(
        task_default_queue=queue,
        task_serializer="json", result_serializer="json", accept_content=["json"],
        task_acks_late=True, task_reject_on_worker_lost=True, worker_prefetch_multiplier=1,
        result_expires=RESULT_TTL_S,
        broker_connection_timeout=BROKER_CONNECT_TIMEOUT_S,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"socket_connect_timeout": BROKER_CONNECT_TIMEOUT_S},
        redis_socket_connect_timeout=BROKER_CONNECT_TIMEOUT_S,
        worker_hijack_root_logger=False,
    )
    return app


def report_from(outcome: dict) -> TrainingReport:
    """The worker's report (a JSON dict) as the TrainingReport the bot shows."""
    return TrainingReport(int(outcome.get("n_records", 0)), bool(outcome.get("accepted")),
                          dict(outcome.get("metrics") or {}), str(outcome.get("message", "")))


def report_to_dict(report: TrainingReport) -> dict:
    """A TrainingReport as the JSON dict a task returns."""
    return {"n_records": report.n_records, "accepted": report.accepted,
            "metrics": dict(report.metrics), "message": report.message}


@dataclass
class QueuedTraining:
    """A training sent to the workers, and until when to wait for its report."""

    tg_id: int
    n_records: int
    result: Any          # celery.result.AsyncResult
    deadline: float      # time.monotonic()


class TrainingQueue:
    """Sends trainings to Celery workers and waits (at most ``wait_s``) for their report."""

    def __init__(self, broker_url: str, queue: str = DEFAULT_QUEUE, *, wait_s: float) -> None:
        self._app = make_celery(broker_url, queue)
        self._where = redact_url(broker_url)
        self.queue = queue
        self.wait_s = float(wait_s)
        self.unreachable = False
        self._lock = threading.Lock()

    def train(self, tg_id: int, n_records: int) -> TrainingReport | None:
        """Queue the user's training and wait for its report (blocking); None when the broker
        is unreachable (train elsewhere). Not back within ``wait_s``: a pending report."""
        queued = self.submit(tg_id, n_records)
        if queued is None:
            return None
        return self.collect(queued, max(0.0, queued.deadline - time.monotonic()))

    def submit(self, tg_id: int, n_records: int) -> QueuedTraining | None:
        """Send the task (it carries only the user id); None when the broker is unreachable."""
        try:
            result = self._app.send_task(TASK_NAME, args=[int(tg_id)], queue=self.queue,
                                         retry=True, retry_policy=PUBLISH_RETRY)
        except Exception as exc:  # noqa: BLE001 - kombu/redis raise several kinds
            self._reachable(False, exc)
            return None
        self._reachable(True)
        return QueuedTraining(int(tg_id), n_records, result, time.monotonic() + self.wait_s)

    async def wait(self, queued: QueuedTraining) -> TrainingReport:
        """The report, awaited on the event loop: the result store is asked every POLL_S
        seconds (in a thread, one quick read each), so a long queue holds no thread."""
        while True:
            try:
                ready = await asyncio.to_thread(queued.result.ready)
                if ready:
                    return await asyncio.to_thread(self._finished, queued)
            except Exception as exc:  # noqa: BLE001 - the result store is unreachable
                return self._failed(queued, exc)
            if time.monotonic() >= queued.deadline:
                return self._pending(queued)
            await asyncio.sleep(POLL_S)

    def collect(self, queued: QueuedTraining, timeout: float) -> TrainingReport:
        """The worker's report, waiting at most ``timeout`` seconds (blocking)."""
        from celery.exceptions import TimeoutError as ResultTimeout

        try:
            outcome = queued.result.get(timeout=timeout)
        except ResultTimeout:
            return self._pending(queued)
        except Exception as exc:  # noqa: BLE001 - the task failed, or the result store is down
            return self._failed(queued, exc)
        return self._report(queued, outcome)

    def _finished(self, queued: QueuedTraining) -> TrainingReport:
        result = queued.result
        if not result.successful():
            return self._failed(queued, result.result)
        return self._report(queued, result.result)

    @staticmethod
    def _report(queued: QueuedTraining, outcome: dict) -> TrainingReport:
        with contextlib.suppress(Exception):   # the result expires anyway (RESULT_TTL_S)
            queued.result.forget()
        return report_from(outcome)

    def _pending(self, queued: QueuedTraining) -> TrainingReport:
        """Not back in time: pending; the model serves as soon as the worker registers it."""
        logger.info("user %s: training queued, no report within %.0f s", queued.tg_id,
                    self.wait_s)
        return TrainingReport(queued.n_records, False, dict(PENDING_METRICS),
                              "training queued; the new model serves once a worker has "
                              "trained it")

    @staticmethod
    def _failed(queued: QueuedTraining, error: object) -> TrainingReport:
        name = type(error).__name__
        logger.warning("user %s: training on a worker failed (%s)", queued.tg_id, name)
        return TrainingReport(queued.n_records, False, {},
                              f"training failed ({name}); the previous model stays")

    def _reachable(self, ok: bool, exc: BaseException | None = None) -> None:
        """Log the broker going away and coming back, once each."""
        with self._lock:
            if ok and self.unreachable:
                self.unreachable = False
                logger.info("training broker %s reachable again; trainings go to workers",
                            self._where)
            elif not ok and not self.unreachable:
                self.unreachable = True
                logger.warning("training broker %s unreachable (%s); training in this "
                               "process until it is back", self._where, type(exc).__name__)

    def close(self) -> None:
        """Close the broker and result-store connections."""
        self._app.close()
