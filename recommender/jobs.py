"""One user's training job as every trainer runs it: the bot's process pool or a Celery worker.

``claim`` -> ``gather`` (behaviour, feedback, mutes, pool, impressions and the previous model
from storage; never credentials) -> train (``recommender.worker.run_training``, in whichever
process) -> ``record`` (register the model under the claim, delete the older files) -> ``release``.
The claim (``Storage.claim_training``) keeps at most one training per user in flight across all
processes and machines; erasing the user drops it, so a training that ends after /logout
registers nothing and deletes the files it wrote.
"""
from __future__ import annotations

import contextlib
import logging
import os
import platform
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from domain import Video
from recommender.labels import POSITIVE_THRESHOLD, interest
from recommender.mutes import Mutes
from recommender.results import TrainingReport
from recommender.selection import MIN_POSITIVES, REASON_FEW_POSITIVES
from recommender.training import TrainingData, TrainingResult, plan_path_for, vocab_path_for

logger = logging.getLogger(__name__)

# commit(register) -> bool, called from the training thread once a new model is written: runs
# register() (storing the model as the user's latest) and returns True, or returns False when
# the result is stale (the user's data was erased meanwhile): its files are then removed
Commit = Callable[[Callable[[], None]], bool]
# what /status shows while a training was asked for and has not ended yet
PENDING_METRICS = {"served": "content", "served_reason": "pending"}


@dataclass
class TrainingJob:
    """Everything a trainer needs for one user, as plain picklable values."""

    tg_id: int
    data: TrainingData
    out_dir: str
    previous_model: str | None
    n_records: int


def shortfall(behaviour: list[Video]) -> TrainingReport | None:
    """The report for too few engaged watches to train on (nothing starts), else None."""
    positives = sum(interest(v) >= POSITIVE_THRESHOLD for v in behaviour)
    if positives >= MIN_POSITIVES:
        return None
    return TrainingReport(len(behaviour), False,
                          {"served": "content", "served_reason": REASON_FEW_POSITIVES,
                           "positives": positives, "min_positives": MIN_POSITIVES},
                          f"too little data ({positives} engaged watches, need {MIN_POSITIVES})")


def new_owner(kind: str) -> str:
    """A claim owner name unique to this trainer: kind, host, process and a random part."""
    return f"{kind}:{platform.node()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def busy_report(n_records: int) -> TrainingReport:
    """Another trainer holds the user's claim; its model will serve when it ends."""
    return TrainingReport(n_records, False, dict(PENDING_METRICS),
                          "a training of this user is already running")


def gather(storage, tg_id: int, behaviour: list[Video]) -> TrainingJob:
    """The user's training inputs from storage (behaviour as already read)."""
    data = TrainingData(behaviour, storage.feedback_videos(tg_id), storage.load_pool(tg_id),
                        storage.load_impressions(tg_id), Mutes.of(storage.load_mutes(tg_id)))
    previous = storage.latest_model(tg_id)
    previous_path = str(previous.path) if previous and Path(previous.path).exists() else None
    return TrainingJob(tg_id, data, str(storage.model_dir(tg_id)), previous_path, len(behaviour))


def record(storage, job: TrainingJob, result: TrainingResult, owner: str,
           commit: Commit | None = None) -> TrainingReport:
    """Register a written model under ``owner``'s claim (the bot sees it through the model
    revision) and delete the user's older files. With ``commit`` (recommender.service.Commit)
    the registration runs only when it says so. When the claim is gone (user erased) or the
    commit refuses (a stale result), the new files are deleted instead."""
    if not result.accepted or not result.model_path:
        return TrainingReport(job.n_records, False, result.metrics, result.message)
    model_path = Path(result.model_path)
    registered: list = []

    def register() -> None:
        registered.append(storage.register_model(job.tg_id, model_path, result.metrics,
                                                 job.n_records, claim=owner))
    if commit is None:
        register()
    elif not commit(register):
        registered.append(None)
    if registered[0] is None:
        for path in (model_path, vocab_path_for(model_path), plan_path_for(model_path)):
            path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):   # the folder too, unless something else is in it
            model_path.parent.rmdir()
        logger.info("user %s was erased during training; its new model was discarded",
                    job.tg_id)
        return TrainingReport(job.n_records, False, {}, "the user was erased during training")
    remove_old_files(model_path)
    logger.info("user %s: new model (%s)", job.tg_id, result.message)
    return TrainingReport(job.n_records, True, result.metrics, result.message)


def remove_old_files(current: Path) -> None:
    """Delete the user's older model/vocabulary/plan files (the registry's latest is
    ``current``)."""
    keep = {current.name, vocab_path_for(current).name, plan_path_for(current).name}
    for path in current.parent.glob("*"):
        if path.name in keep or not path.is_file():
            continue
        if path.name.startswith(("model-", "vocab-", "plan-")):
            path.unlink(missing_ok=True)
