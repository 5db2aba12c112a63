"""The training worker process (spawned, kept alive so TensorFlow stays imported).

The process keeps one ``TrainerPool``: the traced training graphs, reused by every job. No user
data survives a job — each job loads its own starting weights and resets the optimizer.
"""
from __future__ import annotations

import json
import logging
import os
import resource
from pathlib import Path

from recommender.training import TrainingData, TrainingResult, train_user_model
from storage.files import write_atomic

_process_trainers = []  # [TrainerPool] of this worker process (traced graphs only)


def init_worker() -> None:
    """Process initializer: quiet TensorFlow's C++ logging before it is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def _trainers():
    if not _process_trainers:
        from models import TrainerPool

        _process_trainers.append(TrainerPool())
    return _process_trainers[0]


def run_training(data: TrainingData, out_dir: str, seed: int, time_cap_s: float,
                 previous_model: str | None, progress_path: str | None = None) -> TrainingResult:
    """Train one user's model in this worker (see recommender.training.train_user_model);
    with progress_path, each finished epoch is written there as {"done": k, "total": K}."""
    def on_epoch(done: int, total: int) -> None:
        try:
            write_atomic(Path(progress_path), json.dumps({"done": done, "total": total}).encode())
        except OSError as exc:  # the user's folder erased meanwhile: progress is only a nicety
            logging.getLogger(__name__).info("training progress not written: %s", exc)

    return train_user_model(data, out_dir, seed=seed, time_cap_s=time_cap_s,
                            trainers=_trainers(), previous_model=previous_model,
                            on_epoch=on_epoch if progress_path else None)


def read_progress(progress_path: Path) -> tuple[int, int] | None:
    """(epochs done, epochs planned) from a running job's progress file, None before any."""
    try:
        data = json.loads(progress_path.read_text(encoding="utf-8"))
        return int(data["done"]), int(data["total"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def peak_rss_bytes() -> int:
    """Peak resident memory of this worker process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
