"""Recommender over a real Storage, training in the real worker process."""
from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from recommender import Recommender
from recommender.calibration import Calibrator
from recommender.features import Vocabulary, serving_context
from recommender.reasons import candidate_zone_shares, supported_drivers
from recommender.selection import ServingPlan
from recommender.training import plan_path_for, vocab_path_for
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
    stages: list[tuple[str, int, int]] = []
    report = rec.train(USER, lambda *stage: stages.append(stage))
    yield storage, rec, report, candidates, stages
    rec.close()
    storage.close()


def test_training_in_the_worker_registers_the_model(setup):
    storage, _rec, report, _, _ = setup
    assert report.accepted, report.message
    record = storage.latest_model(USER)
    assert record is not None and record.path.exists()
    assert record.metrics["auc"] == report.metrics["auc"]
    assert record.n_records == report.n_records == storage.count_behaviour(USER)


def test_training_reports_its_epochs(setup):
    *_, stages = setup
    assert stages[0] == ("training", 0, 0)         # the worker is starting
    epochs = [(done, total) for name, done, total in stages[1:] if name == "training"]
    assert epochs and all(1 <= done <= total for done, total in epochs)
    assert [done for done, _ in epochs] == sorted(set(done for done, _ in epochs))
    assert not (setup[0].model_dir(USER) / "training-progress.json").exists()


def test_a_waiting_training_reports_its_place_in_the_queue(tmp_path):
    storage = Storage(tmp_path, load_or_create_key(tmp_path, None))
    rec = Recommender(storage, max_workers=1)
    places: list[tuple[str, int, int]] = []
    reported = threading.Event()

    def progress(*stage):
        places.append(stage)
        reported.set()
    try:
        rec._slots.acquire()          # another user's training holds the only worker
        waiter = threading.Thread(target=rec._wait_for_slot, args=(7, progress))
        waiter.start()
        assert reported.wait(30)
        rec._slots.release()
        waiter.join(30)
        assert not waiter.is_alive()
        assert set(places) == {("queued", 1, 0)}
        rec._slots.release()          # the slot the waiter took
    finally:
        rec.close()
        storage.close()


SERVE_WITHOUT_TF = textwrap.dedent("""
    import json, shutil, sys
    from pathlib import Path

    sys.path.insert(0, sys.argv[1])
    model, data_dir = Path(sys.argv[2]), Path(sys.argv[3])
    import numpy as np
    import bot.app  # noqa: F401  - the bot's composition root, as the bot process imports it
    from recommender import Recommender
    from recommender.synthetic import make_catalogue, make_user
    from recommender.training import plan_path_for, vocab_path_for
    from storage import Storage, load_or_create_key

    catalogue = make_catalogue(np.random.default_rng(7), n_videos=1200, n_authors=120)
    user = make_user(catalogue, np.random.default_rng(8), n_watches=260, n_popular=60,
                     n_feed=120)
    storage = Storage(data_dir, load_or_create_key(data_dir, None))
    storage.ensure_user(1)
    storage.save_behaviour(1, user.behaviour)
    target = storage.model_dir(1) / model.name
    for source in (model, vocab_path_for(model), plan_path_for(model)):
        shutil.copyfile(source, target.with_name(source.name))
    storage.register_model(1, target, {}, len(user.behaviour))
    rec = Recommender(storage)
    ranked = rec.rank(1, user.pool, 10, channel="hot")
    print(json.dumps({"ranker": ranked.ranker, "n": len(ranked.items),
                      "modules": sorted({m.split(".")[0] for m in sys.modules
                                         if m.split(".")[0] in ("tensorflow", "keras",
                                                                "sklearn", "scipy",
                                                                "jieba")})}))
""")


def test_serving_a_trained_model_never_imports_tensorflow(setup, tmp_path):
    """In a fresh process (other tests import TensorFlow here): the bot's modules, a Recommender
    over a Storage with a trained model, a ranking by that model; no tensorflow, no keras, no
    scikit-learn or SciPy either (training-only; ~80 MB of RSS), and no jieba (its dictionary
    is ~85 MB; recommender.segmenter cuts the same tokens from a compact copy)."""
    storage, _rec, _report, _, _ = setup
    model = storage.latest_model(USER).path
    assert ServingPlan.from_json(plan_path_for(model).read_text("utf-8")).served == "model"
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", SERVE_WITHOUT_TF, str(root), str(model),
                           str(tmp_path / "data")], capture_output=True, text=True, timeout=300,
                          cwd=root)
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome == {"ranker": "model", "n": 10, "modules": []}


def test_rank_with_model_drops_watched_sent_and_disliked(setup, user):
    storage, rec, _report, candidates, _ = setup
    watched = user.behaviour[:3]
    ranked = rec.rank(USER, watched + candidates, 20, channel="hot")
    assert not ranked.provisional and len(ranked.items) == 20
    bvids = [item.video.bvid for item in ranked.items]
    assert not set(bvids) & {v.bvid for v in watched}
    ratings = [item.rating for item in ranked.items]
    assert ratings == sorted(ratings, reverse=True) and all(1 <= r <= 99 for r in ratings)
    assert all(item.reasons for item in ranked.items)
    assert ranked.ranker == "model"
    assert all(0.0 <= item.score <= 1.0 and item.rating == round(100 * item.score)
               for item in ranked.items)
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
    storage, rec, _report, candidates, _ = setup
    first = rec.rank(USER, candidates, 5, channel="explore").items[0].video
    storage.add_feedback(USER, first.bvid, -1, first)
    for _ in range(2):
        ranked = rec.rank(USER, candidates, len(candidates), channel="digest")
        assert first.bvid not in {item.video.bvid for item in ranked.items}
        report = rec.train(USER)                      # warm start, with the 👎 as a sample
        assert report.metrics.get("warm_start") in (True, None)


def test_newcomer_and_anonymous_get_provisional_lists(setup):
    _storage, rec, _report, candidates, _ = setup
    report = rec.train(NEWCOMER)
    assert not report.accepted and "too little data" in report.message
    ranked = rec.rank(NEWCOMER, candidates, 10, channel="hot")
    assert ranked.provisional and len(ranked.items) == 10 and ranked.ranker == "content"
    anonymous = rec.rank(None, candidates, 10, channel="hot")
    assert anonymous.provisional and len(anonymous.items) == 10
    assert anonymous.ranker == "quality"
    assert all(item.score is not None for item in ranked.items + anonymous.items)
    assert all(item.reasons for item in anonymous.items)


def test_forget_reloads_the_model_with_the_same_scores(setup):
    _storage, rec, _report, candidates, _ = setup
    before = rec.rank(USER, candidates, 10, channel="explore")
    rec.forget(USER)
    after = rec.rank(USER, candidates, 10, channel="explore")
    assert [(i.video.bvid, i.rating) for i in before.items] == \
        [(i.video.bvid, i.rating) for i in after.items]
    assert np.isfinite([i.rating for i in after.items]).all()


def test_training_that_overruns_the_cap_keeps_the_previous_model(setup, monkeypatch):
    storage, _rec, _report, candidates, _ = setup
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


# --- the serving cache: every kind of write is seen by the very next rank call -----------------

def listing(ranked) -> list[tuple[str, int]]:
    return [(item.video.bvid, item.rating) for item in ranked.items]


def uncached_rank(rec, tg_id, candidates, n, channel):
    rec.forget(tg_id)
    return rec.rank(tg_id, candidates, n, channel=channel)


def record_reads(storage, monkeypatch, *names: str) -> list[str]:
    """The names of the storage methods called from now on (they still do their work)."""
    calls: list[str] = []
    for name in names:
        original = getattr(storage, name)
        monkeypatch.setattr(storage, name, lambda *a, _f=original, _n=name, **k:
                            calls.append(_n) or _f(*a, **k))
    return calls


def test_a_warm_rank_reads_only_the_revisions(setup, monkeypatch):
    storage, rec, _report, candidates, _ = setup
    rec.rank(USER, candidates, 10, channel="hot")
    calls = record_reads(storage, monkeypatch, "load_watch_records", "load_behaviour",
                         "load_feedback", "sent_bvids", "latest_model", "load_pool")
    warm = rec.rank(USER, candidates, 10, channel="hot")
    assert calls == []
    assert listing(warm) == listing(uncached_rank(rec, USER, candidates, 10, "hot"))
    assert "load_watch_records" in calls and "latest_model" in calls  # forget dropped it all
    assert "load_behaviour" not in calls          # serving never decodes whole records


def test_prepare_loads_everything_a_ranking_needs(setup, monkeypatch):
    storage, rec, _report, candidates, _ = setup
    rec.forget(USER)
    rec.prepare(USER)
    calls = record_reads(storage, monkeypatch, "load_watch_records", "latest_model")
    prepared = rec.rank(USER, candidates, 10, channel="hot")
    assert calls == []
    assert listing(prepared) == listing(uncached_rank(rec, USER, candidates, 10, "hot"))


def test_a_new_dislike_or_sent_video_disappears_from_a_warm_cache_at_once(setup):
    storage, rec, _report, candidates, _ = setup
    rec.rank(USER, candidates, 10, channel="digest")
    top = rec.rank(USER, candidates, 10, channel="digest").items
    storage.add_feedback(USER, top[0].video.bvid, -1)          # no video record: bvid only
    after = rec.rank(USER, candidates, 10, channel="digest")
    assert top[0].video.bvid not in {bvid for bvid, _ in listing(after)}
    storage.record_sent(USER, [top[1].video.bvid], "digest")
    after = rec.rank(USER, candidates, len(candidates), channel="digest")
    assert top[1].video.bvid not in {bvid for bvid, _ in listing(after)}
    assert top[1].video.bvid in {i.video.bvid for i in rec.rank(
        USER, candidates, len(candidates), channel="hot").items}
    assert listing(after) == listing(uncached_rank(rec, USER, candidates, len(candidates),
                                                   "digest"))


def test_new_history_changes_the_sequence_and_the_watched_set(setup, catalogue):
    storage, rec, _report, candidates, _ = setup
    before = dict(listing(rec.rank(USER, candidates, len(candidates), channel="explore")))
    latest = max(v.view_at for v in storage.load_behaviour(USER))
    shown_zones = Counter(v.tname for v in candidates if v.bvid in before)
    zone = shown_zones.most_common(1)[0][0]        # a run of watches in one zone, newest last
    run = [v for v in catalogue.videos if v.tname == zone and v.bvid in before][:16]
    assert len(run) >= 8
    storage.save_behaviour(USER, [dataclasses.replace(v, view_at=latest + 60 * (i + 1),
                                                      progress=-1)
                                  for i, v in enumerate(run)])
    after = rec.rank(USER, candidates, len(candidates), channel="explore")
    shown = dict(listing(after))
    assert not set(shown) & {v.bvid for v in run}               # now watched: dropped
    changed = [b for b in shown if shown[b] != before.get(b, shown[b])]
    assert changed, "the new watches did not reach the serving features"
    assert listing(after) == listing(uncached_rank(rec, USER, candidates, len(candidates),
                                                   "explore"))


def test_a_newly_registered_model_is_used_without_forget(setup, tmp_path):
    storage, rec, _report, candidates, _ = setup
    before = rec.rank(USER, candidates, 10, channel="explore")
    record = storage.latest_model(USER)
    plan = ServingPlan.from_json(plan_path_for(record.path).read_text("utf-8"))
    plan.calibration[plan.served] = Calibrator(1.0, -6.0)  # same ranker, far lower probabilities
    copy = storage.model_dir(USER) / "model-copy.npz"
    shutil.copyfile(record.path, copy)
    shutil.copyfile(vocab_path_for(record.path), vocab_path_for(copy))
    plan_path_for(copy).write_text(plan.to_json(), encoding="utf-8")
    storage.register_model(USER, copy, dict(record.metrics), record.n_records)
    after = rec.rank(USER, candidates, 10, channel="explore")
    assert max(i.rating for i in after.items) < max(i.rating for i in before.items)
    assert listing(after) == listing(uncached_rank(rec, USER, candidates, 10, "explore"))


def test_an_erased_user_is_not_ranked_from_the_cache(setup, user):
    storage, rec, _report, candidates, _ = setup
    other = 303
    storage.save_behaviour(other, user.behaviour)
    record = storage.latest_model(USER)
    storage.register_model(other, record.path, dict(record.metrics), record.n_records)
    authors = {v.owner_mid for v in candidates}    # none dropped by the per-UP主 cap
    watched = [v for v in user.behaviour if v.owner_mid not in authors][:5]
    ranked = rec.rank(other, watched + candidates, 10, channel="hot")
    assert not ranked.provisional
    storage.erase_user(other)
    erased = rec.rank(other, watched + candidates, len(candidates) + 5, channel="hot")
    assert erased.provisional                        # no model any more
    assert {v.bvid for v in watched} <= {i.video.bvid for i in erased.items}  # no history
    assert record.path.exists()                      # USER's file was not the other's to erase


def test_reasons_name_only_what_the_history_supports(setup):
    storage, rec, _report, candidates, _ = setup
    shares = candidate_zone_shares(candidates)
    for tg_id in (USER, NEWCOMER):                       # the model path, the content fallback
        context = serving_context(storage.load_behaviour(tg_id), Vocabulary())
        ranked = rec.rank(tg_id, candidates, 30, channel="reasons")
        assert ranked.items and ranked.provisional == (tg_id == NEWCOMER)
        for item in ranked.items:
            supported = supported_drivers(item.video, context, shares)
            named = {r.kind for r in item.reasons} & {"author", "zone", "keywords"}
            assert named <= set(supported), (item.video.tname, item.reasons)


def test_a_mute_leaves_that_uploader_and_zone_out_at_once_and_an_unmute_brings_them_back(
        setup):
    storage, rec, _report, candidates, _ = setup
    top = rec.rank(USER, candidates, 10, channel="explore").items
    author, zone = top[0].video.owner_mid, top[1].video.tname
    storage.add_mute(USER, "author", str(author), "x")
    storage.add_mute(USER, "zone", zone, zone)
    try:
        after = rec.rank(USER, candidates, len(candidates), channel="explore").items
        assert after and all(i.video.owner_mid != author and i.video.tname != zone
                             for i in after)
    finally:
        storage.remove_mute(USER, "author", str(author))
        storage.remove_mute(USER, "zone", zone)
    back = rec.rank(USER, candidates, 10, channel="explore").items
    assert [i.video.bvid for i in back] == [i.video.bvid for i in top]


def training_data_sent(storage, monkeypatch):
    """What Recommender.train hands its worker for USER (the worker is a stand-in that
    trains nothing), with the storage closed afterwards."""
    import concurrent.futures

    from recommender.training import TrainingResult

    jobs = []

    class Executor:
        def submit(self, _fn, data, *_args):
            jobs.append(data)
            future = concurrent.futures.Future()
            future.set_result(TrainingResult(False, "not trained", {}, 0))
            return future

    rec = Recommender(storage)
    monkeypatch.setattr(rec, "_pool", Executor)
    try:
        assert not rec.train(USER).accepted
    finally:
        rec.close()
        storage.close()
    return jobs[0]


def test_training_gets_the_stored_impressions(user, tmp_path, monkeypatch):
    from domain import Video

    storage = Storage(tmp_path, load_or_create_key(tmp_path, None))
    storage.save_behaviour(USER, user.behaviour)
    storage.record_impressions(USER, "digest", "content", [(Video("BVshown1"), 0.25)])
    data = training_data_sent(storage, monkeypatch)
    assert [(i.bvid, i.channel, i.score) for i in data.impressions] == \
        [("BVshown1", "digest", 0.25)]


def test_the_watch_records_give_the_context_of_the_whole_records(setup, user):
    storage, _rec, _report, candidates, _ = setup
    vocab = Vocabulary.from_json(vocab_path_for(storage.latest_model(USER).path)
                                 .read_text("utf-8"))
    from_videos = serving_context(storage.load_behaviour(USER), vocab)
    from_records = serving_context(storage.load_watch_records(USER), vocab)
    for a, b in zip(from_videos.sequence(), from_records.sequence()):
        np.testing.assert_array_equal(a, b)
    assert from_videos.n_entries() == from_records.n_entries() > 0
    np.testing.assert_array_equal(np.stack([from_videos.affinity(v) for v in candidates]),
                                  np.stack([from_records.affinity(v) for v in candidates]))


def test_the_serving_cache_keeps_the_most_recent_users_within_its_byte_budget(setup, user,
                                                                           monkeypatch):
    storage, _rec, _report, candidates, _ = setup
    record = storage.latest_model(USER)
    users = [501, 502, 503]
    for tg_id in users:
        storage.save_behaviour(tg_id, user.behaviour)
        storage.register_model(tg_id, record.path, dict(record.metrics), record.n_records)
    probe = Recommender(storage)
    probe.rank(users[0], candidates, 10, channel="hot")
    one_user = probe._cache.nbytes
    assert 20_000 < one_user < 3_000_000          # a ~260-record user, trimmed model
    small = Recommender(storage, cache_bytes=int(one_user * 2.5))   # room for two users
    for tg_id in users:
        small.rank(tg_id, candidates, 10, channel="hot")
    assert len(small._cache) == 2 and small._cache.nbytes <= one_user * 2.5
    calls = record_reads(storage, monkeypatch, "load_watch_records", "latest_model")
    small.rank(users[2], candidates, 10, channel="hot")    # most recent: still cached
    assert calls == []
    small.rank(users[0], candidates, 10, channel="hot")    # least recent: evicted, read again
    assert calls == ["latest_model", "load_watch_records"]
    for rec in (probe, small):
        rec.close()
    for tg_id in users:
        storage.erase_user(tg_id)


def test_training_gets_the_stored_mutes(user, tmp_path, monkeypatch):
    from recommender.mutes import Mutes

    storage = Storage(tmp_path, load_or_create_key(tmp_path, None))
    storage.save_behaviour(USER, user.behaviour)
    storage.add_mute(USER, "author", "42", "someone")
    storage.add_mute(USER, "zone", "美食制作", "美食制作")
    assert training_data_sent(storage, monkeypatch).mutes == \
        Mutes(frozenset({42}), frozenset({"美食制作"}))


def test_title_tokens_are_stored_once_and_read_back_instead_of_segmenting_again(
        user, tmp_path, monkeypatch):
    from recommender import text

    data_dir = tmp_path / "data"
    storage = Storage(data_dir, load_or_create_key(data_dir, None))
    storage.save_behaviour(1, user.behaviour)
    storage.save_title_tokens(1, [(video.bvid, video.title, "othertag 旧 词")   # made another way
                                  for video in user.behaviour[:5]])
    rec = Recommender(storage)
    try:
        first = rec.rank(1, user.pool, 10, channel="hot")
        records = storage.load_watch_records(1)
        assert all(text.unpack_tokens(r.title_tokens) == text.title_tokens(r.title)
                   for r in records)
        segmented: list[str] = []
        segmenter = text._loader.get()
        real_cut_many = segmenter.cut_many
        monkeypatch.setattr(text, "_cache", text._TitleCache(text.CACHED_TITLES))  # cold
        monkeypatch.setattr(segmenter, "cut_many",
                            lambda texts: segmented.extend(texts) or real_cut_many(texts))
        rec.forget(1)
        again = rec.rank(1, user.pool, 10, channel="hot")
        assert [i.video.bvid for i in again.items] == [i.video.bvid for i in first.items]
        assert [i.score for i in again.items] == [i.score for i in first.items]
        history = {v.title for v in user.behaviour} - {v.title for v in user.pool}
        assert segmented and not history & set(segmented)   # candidates only
    finally:
        rec.close()
        storage.close()
