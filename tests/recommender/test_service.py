"""Recommender over a real Storage, training in the real worker process."""
from __future__ import annotations

import numpy as np
import pytest

from recommender import Recommender
from storage import Storage, load_or_create_key

USER, NEWCOMER = 101, 202


@pytest.fixture(scope="module")
def setup(user, catalogue, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    storage = Storage(data_dir, load_or_create_key(data_dir, None))
    storage.ensure_user(USER)
    storage.save_behaviour(USER, user.behaviour)
    storage.save_pool(USER, "popular", user.pool[:60])
    storage.save_pool(USER, "feed", user.pool[60:])
    storage.ensure_user(NEWCOMER)
    storage.save_behaviour(NEWCOMER, user.behaviour[:5])
    rec = Recommender(storage, time_cap_s=60, seed=3)
    watched = {v.bvid for v in user.behaviour}
    candidates = [v for v in catalogue.videos if v.bvid not in watched][:200]
    report = rec.train(USER)
    yield storage, rec, report, candidates
    rec.close()
    storage.close()


def test_training_in_the_worker_registers_the_model(setup):
    storage, _rec, report, _ = setup
    assert report.accepted, report.message
    record = storage.latest_model(USER)
    assert record is not None and record.path.exists()
    assert record.metrics["auc"] == report.metrics["auc"]
    assert record.n_records == report.n_records == storage.count_behaviour(USER)


def test_rank_with_model_drops_watched_sent_and_disliked(setup, user):
    storage, rec, _report, candidates = setup
    watched = user.behaviour[:3]
    ranked = rec.rank(USER, watched + candidates, 20, channel="hot")
    assert not ranked.provisional and len(ranked.items) == 20
    bvids = [item.video.bvid for item in ranked.items]
    assert not set(bvids) & {v.bvid for v in watched}
    ratings = [item.rating for item in ranked.items]
    assert ratings == sorted(ratings, reverse=True) and all(0 <= r <= 100 for r in ratings)
    assert all(item.reasons for item in ranked.items)
    mids = [item.video.owner_mid for item in ranked.items]
    assert max(mids.count(m) for m in mids) <= 2
    top = ranked.items[0].video
    storage.record_sent(USER, [top.bvid], "hot")
    assert top.bvid not in [i.video.bvid for i in rec.rank(USER, candidates, 20,
                                                           channel="hot").items]
    assert top.bvid in [i.video.bvid for i in rec.rank(USER, candidates, 200,
                                                       channel="explore").items]
    excluded = ranked.items[1].video.bvid
    assert excluded not in [i.video.bvid for i in rec.rank(USER, candidates, 200,
                                                           channel="explore",
                                                           exclude={excluded}).items]


def test_a_disliked_video_is_never_ranked_again_even_after_retraining(setup):
    storage, rec, _report, candidates = setup
    first = rec.rank(USER, candidates, 5, channel="explore").items[0].video
    storage.add_feedback(USER, first.bvid, -1, first)
    for _ in range(2):
        ranked = rec.rank(USER, candidates, len(candidates), channel="digest")
        assert first.bvid not in {item.video.bvid for item in ranked.items}
        report = rec.train(USER)                      # warm start, with the 👎 as a sample
        assert report.metrics.get("warm_start") in (True, None)


def test_newcomer_and_anonymous_get_provisional_lists(setup):
    _storage, rec, _report, candidates = setup
    report = rec.train(NEWCOMER)
    assert not report.accepted and "too little data" in report.message
    ranked = rec.rank(NEWCOMER, candidates, 10, channel="hot")
    assert ranked.provisional and len(ranked.items) == 10
    anonymous = rec.rank(None, candidates, 10, channel="hot")
    assert anonymous.provisional and len(anonymous.items) == 10
    assert all(item.reasons for item in anonymous.items)


def test_forget_reloads_the_model_with_the_same_scores(setup):
    _storage, rec, _report, candidates = setup
    before = rec.rank(USER, candidates, 10, channel="explore")
    rec.forget(USER)
    after = rec.rank(USER, candidates, 10, channel="explore")
    assert [(i.video.bvid, i.rating) for i in before.items] == \
        [(i.video.bvid, i.rating) for i in after.items]
    assert np.isfinite([i.rating for i in after.items]).all()


def test_training_that_overruns_the_cap_keeps_the_previous_model(setup, monkeypatch):
    storage, _rec, _report, candidates = setup
    from recommender import service

    monkeypatch.setattr(service, "STARTUP_GRACE_S", 0.2)
    before = storage.latest_model(USER)
    slow = Recommender(storage, time_cap_s=0.1)
    try:
        report = slow.train(USER)      # the worker cannot even import TensorFlow in time
        assert not report.accepted and "timed out" in report.message
        assert storage.latest_model(USER) == before
        assert not slow.rank(USER, candidates, 5, channel="hot").provisional
    finally:
        slow.close()
