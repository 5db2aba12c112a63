"""The training job every trainer runs: claimed per user, nothing for an erased user, and the
Celery task's side of it (recommender.tasks.train_claimed) without TensorFlow."""
from __future__ import annotations

from pathlib import Path

import pytest

from domain import Credentials
from recommender import Recommender
from recommender.tasks import train_claimed
from storage import Storage, StorageError, StorageUnavailable, load_or_create_key

USER = 7


@pytest.fixture
def storage(tmp_path, user):
    store = Storage(tmp_path, load_or_create_key(tmp_path, None))
    store.ensure_user(USER)
    store.save_behaviour(USER, user.behaviour)
    yield store
    store.close()


def test_a_user_whose_training_runs_elsewhere_is_not_trained_twice(storage):
    assert storage.claim_training(USER, "another-worker", ttl_s=600)
    assert train_claimed(storage, USER, time_cap_s=5) is None      # the task retries later
    rec = Recommender(storage, time_cap_s=5)
    try:
        report = rec.train(USER)
    finally:
        rec.close()
    assert not report.accepted and "already running" in report.message
    assert report.metrics["served_reason"] == "pending"
    assert rec._executor is None and storage.latest_model(USER) is None


def test_a_task_for_an_erased_user_does_nothing(storage):
    storage.erase_user(USER)
    outcome = train_claimed(storage, USER, time_cap_s=5)
    assert outcome["accepted"] is False and "erased" in outcome["message"]
    assert storage.get_user(USER) is None
    assert not (storage.data_dir / "models" / str(USER)).exists()


def test_the_worker_opens_storage_without_the_credentials_key(tmp_path):
    key = load_or_create_key(tmp_path, None)
    with Storage(tmp_path, key) as bot_storage:
        bot_storage.save_credentials(USER, Credentials({"SESSDATA": "secret"}, "rt"))
    with Storage(tmp_path, None) as worker_storage:
        with pytest.raises(StorageError, match="without the credentials key"):
            worker_storage.load_credentials(USER)
        with pytest.raises(StorageError, match="without the credentials key"):
            worker_storage.save_credentials(USER, Credentials({"SESSDATA": "x"}, "r"))


def test_the_task_retries_while_the_database_is_unreachable(storage, monkeypatch):
    """Run eagerly (Celery re-applies a retry at once, without the backoff pause)."""
    from recommender import tasks

    storage.erase_user(USER)             # the fast path once the storage answers
    calls = []

    def flaky_storage():
        calls.append(1)
        if len(calls) < 3:
            raise StorageUnavailable("the database connection was lost")
        return storage
    monkeypatch.setattr(tasks, "_storage", flaky_storage)
    result = tasks.train_user.apply(args=[USER])
    assert result.successful() and "erased" in result.get()["message"]
    assert len(calls) == 3


def test_the_task_retries_while_another_worker_trains_the_user(storage, monkeypatch):
    from recommender import tasks

    assert storage.claim_training(USER, "another-worker", ttl_s=600)
    attempts = []

    def storage_for_attempt():
        attempts.append(1)
        if len(attempts) == 3:           # meanwhile the user logged out
            storage.erase_user(USER)
        return storage
    monkeypatch.setattr(tasks, "_storage", storage_for_attempt)
    result = tasks.train_user.apply(args=[USER])
    assert result.successful() and "erased" in result.get()["message"]
    assert len(attempts) == 3


def test_a_model_finished_after_the_user_was_erased_is_discarded_with_its_folder(storage):
    from recommender import jobs
    from recommender.training import TrainingResult
    from storage.files import write_atomic

    owner = jobs.new_owner("test")
    assert storage.claim_training(USER, owner, ttl_s=60)
    job = jobs.gather(storage, USER, storage.load_behaviour(USER))
    storage.erase_user(USER)                          # /logout while the model trains
    model = Path(job.out_dir) / "model-1.npz"         # what the trainer then writes
    for name in ("model-1.npz", "vocab-1.json", "plan-1.json"):
        write_atomic(Path(job.out_dir) / name, b"x")
    report = jobs.record(storage, job, TrainingResult(True, "trained", {}, 10, str(model)), owner)
    assert not report.accepted and "erased" in report.message
    assert storage.get_user(USER) is None and storage.latest_model(USER) is None
    assert not Path(job.out_dir).exists()
