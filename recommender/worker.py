"""The training worker process (spawned, kept alive so TensorFlow stays imported).

The process keeps one ``TrainerPool``: the traced training graphs, reused by every job. No user
data survives a job — each job loads its own starting weights and resets the optimizer.
"""
from __future__ import annotations

import logging
import os
import resource

from recommender.training import TrainingData, TrainingResult, train_user_model

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
                 previous_model: str | None) -> TrainingResult:
    """Train one user's model in this worker (see recommender.training.train_user_model)."""
    return train_user_model(data, out_dir, seed=seed, time_cap_s=time_cap_s,
                            trainers=_trainers(), previous_model=previous_model)


def peak_rss_bytes() -> int:
    """Peak resident memory of this worker process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
