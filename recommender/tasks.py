"""The Celery worker that trains: ``celery -A recommender.tasks worker`` on any machine that
reaches the database, the broker and the shared model folder.

It reads BILIREC_BROKER_URL, BILIREC_DATABASE_URL, BILIREC_DATA_DIR (the folder of model files
every machine shares), BILIREC_TRAIN_TIME_CAP_S and BILIREC_TRAIN_QUEUE. A task carries only the
user id: the worker reads the user's behaviour from storage, which it opens without the
credentials key (it cannot read a cookie), trains in its own process (TensorFlow stays
imported between tasks), registers the model under the user's training claim and returns the
report. While the database is unreachable or another worker holds the user's claim, the task is
retried with growing pauses; a task for an erased user does nothing.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from celery.signals import worker_process_init

from recommender import jobs
from recommender.queue import DEFAULT_QUEUE, TASK_NAME, make_celery, report_to_dict
from recommender.service import CLAIM_GRACE_S, STARTUP_GRACE_S
from recommender.worker import init_worker, run_training
from storage import Storage, StorageUnavailable

logger = logging.getLogger(__name__)

SEED = 1234                  # the bot's Recommender default, so both train alike
MAX_RETRIES = 8
RETRY_BACKOFF_MAX_S = 300
BUSY_RETRY_S = 15            # another worker trains this user: look again after this long


@dataclass(frozen=True)
class WorkerSettings:
    """The worker's part of the environment (the bot's settings need a Telegram token)."""

    broker_url: str
    database_url: str | None
    data_dir: Path
    time_cap_s: float
    queue: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> "WorkerSettings":
        cap = float(env.get("BILIREC_TRAIN_TIME_CAP_S") or 120)
        if not cap > 0:
            raise ValueError("BILIREC_TRAIN_TIME_CAP_S must be > 0")
        return cls(broker_url=env.get("BILIREC_BROKER_URL") or "redis://127.0.0.1:6379/0",
                   database_url=env.get("BILIREC_DATABASE_URL") or None,
                   data_dir=Path(env.get("BILIREC_DATA_DIR") or "./data"),
                   time_cap_s=cap,
                   queue=env.get("BILIREC_TRAIN_QUEUE") or DEFAULT_QUEUE)


settings = WorkerSettings.from_env(os.environ)
app = make_celery(settings.broker_url, settings.queue)
_process_storage: list[Storage] = []   # this worker process's storage, opened after the fork


def _storage() -> Storage:
    if not _process_storage:
        _process_storage.append(Storage(settings.data_dir, None,
                                        database_url=settings.database_url))
    return _process_storage[0]


@worker_process_init.connect
def _quiet_tensorflow(**_) -> None:
    init_worker()


def train_claimed(storage: Storage, tg_id: int, *, time_cap_s: float,
                  seed: int = SEED) -> dict | None:
    """Train the user here under their training claim; the report as a dict, or None when
    another trainer holds the claim (try again later)."""
    if storage.get_user(tg_id) is None:
        logger.info("user %s was erased; nothing to train", tg_id)
        return {"n_records": 0, "accepted": False, "metrics": {},
                "message": "the user was erased"}
    behaviour = storage.load_behaviour(tg_id)
    short = jobs.shortfall(behaviour)
    if short is not None:
        return report_to_dict(short)
    owner = jobs.new_owner("celery")
    if not storage.claim_training(tg_id, owner, time_cap_s + CLAIM_GRACE_S):
        if storage.get_user(tg_id) is None:
            return {"n_records": 0, "accepted": False, "metrics": {},
                    "message": "the user was erased"}
        return None
    try:
        job = jobs.gather(storage, tg_id, behaviour)
        result = run_training(job.data, job.out_dir, seed, time_cap_s, job.previous_model)
        return report_to_dict(jobs.record(storage, job, result, owner))
    finally:
        storage.release_training(tg_id, owner)


@app.task(name=TASK_NAME, bind=True, autoretry_for=(StorageUnavailable,),
          retry_backoff=2, retry_backoff_max=RETRY_BACKOFF_MAX_S, retry_jitter=True,
          max_retries=MAX_RETRIES, time_limit=settings.time_cap_s + STARTUP_GRACE_S)
def train_user(self, tg_id: int) -> dict:
    """Train one user's model (see module doc)."""
    outcome = train_claimed(_storage(), int(tg_id), time_cap_s=settings.time_cap_s)
    if outcome is None:
        raise self.retry(countdown=BUSY_RETRY_S)
    return outcome
