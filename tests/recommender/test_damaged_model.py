"""A damaged model file (any load error) means the content fallback for that user only: the
files are set aside once, logged once, and a retrain is requested."""
from __future__ import annotations

import logging
import shutil

import pytest

from recommender import Recommender
from recommender.training import vocab_path_for
from storage import Storage, load_or_create_key

USER, DAMAGED = 101, 404


@pytest.fixture(scope="module")
def trained(user, catalogue, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    storage = Storage(data_dir, load_or_create_key(data_dir, None))
    for tg_id in (USER, DAMAGED):
        storage.ensure_user(tg_id)
        storage.save_behaviour(tg_id, user.behaviour)
    rec = Recommender(storage, time_cap_s=60, seed=3)
    assert rec.train(USER).accepted
    watched = {v.bvid for v in user.behaviour}
    candidates = [v for v in catalogue.videos if v.bvid not in watched][:100]
    yield storage, rec, candidates
    rec.close()
    storage.close()


def damage(storage, kind: str):
    """Register for DAMAGED a copy of USER's model, broken in one way."""
    record = storage.latest_model(USER)
    copy = storage.model_dir(DAMAGED) / f"model-{kind}.npz"
    shutil.copyfile(record.path, copy)
    shutil.copyfile(vocab_path_for(record.path), vocab_path_for(copy))
    if kind == "truncated":
        copy.write_bytes(copy.read_bytes()[: copy.stat().st_size // 2])
    elif kind == "garbage-vocab":
        vocab_path_for(copy).write_text("{not json", encoding="utf-8")
    elif kind == "empty":
        copy.write_bytes(b"")
    storage.register_model(DAMAGED, copy, dict(record.metrics), record.n_records)
    return copy


@pytest.mark.parametrize("kind", ["truncated", "garbage-vocab", "empty"])
def test_damaged_model_falls_back_sets_aside_and_asks_for_a_retrain(trained, kind, caplog):
    storage, rec, candidates = trained
    asked: list[int] = []
    rec.on_model_unreadable = asked.append
    path = damage(storage, kind)
    caplog.set_level(logging.WARNING, logger="recommender.service")
    first = rec.rank(DAMAGED, candidates, 10, channel="hot")
    assert first.provisional and len(first.items) == 10
    assert asked == [DAMAGED]
    assert not path.exists() and path.with_name(path.name + ".broken").exists()
    rec.forget(DAMAGED)  # even reloading (as after a restart) logs and asks nothing again
    assert rec.rank(DAMAGED, candidates, 10, channel="hot").provisional
    assert asked == [DAMAGED]
    assert len([r for r in caplog.records if "unreadable" in r.getMessage()]) == 1
    assert not rec.rank(USER, candidates, 10, channel="hot").provisional  # others untouched
