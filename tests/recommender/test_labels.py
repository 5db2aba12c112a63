"""Labels, sample building and the time-ordered split."""
from __future__ import annotations

import numpy as np

from recommender.labels import (FEEDBACK_WEIGHT, IMPLICIT_WEIGHT, build_samples, interest,
                                time_split, watched_fraction)
from recommender.training import equalize_missing, sample_weights
from domain import Impression, Video

DAY = 86400


def watch(bvid, view_at, progress, duration=100, **flags):
    return Video(bvid=bvid, title="测试视频", owner_mid=1, tname="游戏", duration=duration,
                 view_at=view_at, progress=progress, **flags)


def test_favourite_like_coin_are_positive_even_unwatched():
    assert interest(watch("a", 1, 0, faved=True)) == 1.0
    assert interest(watch("b", 1, 3, liked=True)) == 1.0
    assert interest(watch("c", 1, 3, coined=True)) == 1.0


def test_abandoned_early_is_negative_and_finished_is_positive():
    assert interest(watch("a", 1, 10)) == 0.0          # 10 % watched
    assert interest(watch("b", 1, -1)) == 1.0          # -1 = finished
    assert interest(watch("c", 1, 60)) == 0.6          # soft label in between
    assert watched_fraction(watch("d", 1, 500, duration=100)) == 1.0
    assert watched_fraction(watch("e", 1, 30, duration=0)) == 0.5


def test_feedback_overrides_behaviour_and_is_strong():
    behaviour = [watch("a", 10, -1), watch("b", 20, 5)]
    feedback = [(behaviour[0], -1), (watch("b", 0, 0), 1)]
    samples = {s.video.bvid: s for s in build_samples(behaviour, feedback, [],
                                                      rng=np.random.default_rng(0))}
    assert samples["a"].target == 0.0 and samples["a"].weight == FEEDBACK_WEIGHT
    assert samples["b"].target == 1.0 and samples["b"].source == "feedback"
    assert len(samples) == 2


def test_pool_negatives_skip_watched_videos_and_get_watch_anchors():
    behaviour = [watch(f"w{i}", 100 + i, -1) for i in range(10)]
    pool = [Video(bvid="w3"), *[Video(bvid=f"p{i}", view=1000) for i in range(30)]]
    samples = build_samples(behaviour, [], pool, rng=np.random.default_rng(0), min_pool=20)
    negatives = [s for s in samples if s.source == "pool"]
    assert len(negatives) == 20
    assert all(s.video.bvid.startswith("p") and s.target == 0.0 for s in negatives)
    assert all(100 <= s.anchor <= 109 for s in negatives)


def test_time_split_puts_the_latest_watches_in_the_holdout():
    behaviour = [watch(f"w{i}", 1000 + i, -1) for i in range(50)]
    feedback = [(watch("f", 0, 0), 1)]
    samples = build_samples(behaviour, feedback, [], rng=np.random.default_rng(0))
    train, held_out, split_time = time_split(samples, 0.2)
    assert len(held_out) == 10
    assert max(s.anchor for s in train if s.source == "history") < split_time
    assert min(s.anchor for s in held_out) >= split_time
    assert any(s.source == "feedback" for s in train)


def test_class_weights_balanced_and_single_class_users_cope():
    behaviour = [watch(f"w{i}", i + 1, -1) for i in range(30)]
    samples = build_samples(behaviour, [], [], rng=np.random.default_rng(0))
    weights = sample_weights(samples)
    assert np.all(weights == 1.0)           # one class: no balancing, no error
    mixed = samples + build_samples([], [], [Video(bvid=f"p{i}") for i in range(10)],
                                    rng=np.random.default_rng(0))
    w = sample_weights(mixed)
    positives = w[:30].sum()
    negatives = w[30:].sum()
    assert np.isclose(positives, negatives)


def test_equalize_missing_makes_a_missing_zone_say_nothing_about_the_label():
    rng = np.random.default_rng(0)
    positives = [watch(f"w{i}", i + 1, -1) for i in range(400)]      # zone, no counts
    negatives = [Video(bvid=f"f{i}", view=100, like=5) for i in range(400)]  # feed: no zone
    samples = build_samples(positives, [], negatives, rng=rng, pool_ratio=1.0)
    out = equalize_missing(samples, rng, ("view",))
    pos_missing = np.mean([not s.video.tname for s in out if s.positive])
    neg_missing = np.mean([not s.video.tname for s in out if not s.positive])
    assert abs(pos_missing - neg_missing) < 0.1
    pos_counts = np.mean([s.video.view is None for s in out if s.positive])
    neg_counts = np.mean([s.video.view is None for s in out if not s.positive])
    assert abs(pos_counts - neg_counts) < 0.1


def test_shown_and_unwatched_videos_become_light_negatives_anchored_when_shown():
    behaviour = [watch(f"w{i}", 100 + i, -1) for i in range(10)]
    behaviour.append(watch("hit", 10 * DAY, -1))                     # watched after its showing
    feedback = [(Video("down"), -1), (Video("up"), 1)]
    impressions = [Impression(Video(bvid, view=10), "hot", i, 1000.0 + i, "model", 0.4)
                   for i, bvid in enumerate(["neg", "hit", "down", "up", "w3", "neg"])]
    impressions.append(Impression(Video("fresh"), "digest", 0, 9 * DAY, "content", None))
    pool = [Video("neg"), Video("fresh"), *[Video(f"p{i}") for i in range(30)]]
    samples = build_samples(behaviour, feedback, pool, rng=np.random.default_rng(0),
                            impressions=impressions, now=10 * DAY)
    implicit = [s for s in samples if s.source == "impression"]
    assert [(s.video.bvid, s.target, s.anchor) for s in implicit] == [("neg", 0.0, 1000.0)]
    assert IMPLICIT_WEIGHT == implicit[0].weight < 1.0 < FEEDBACK_WEIGHT
    assert implicit[0].video.view == 10                         # the record shown is learnt from
    by_bvid = {}
    for sample in samples:
        by_bvid.setdefault(sample.video.bvid, []).append(sample.source)
    assert by_bvid["hit"] == ["history"] and by_bvid["w3"] == ["history"]
    assert by_bvid["down"] == ["feedback"] and by_bvid["up"] == ["feedback"]
    assert "fresh" not in by_bvid                               # pending: no label of any kind
    assert all(sources == ["pool"] for bvid, sources in by_bvid.items()
               if bvid.startswith("p"))


def test_without_impressions_the_samples_are_unchanged():
    behaviour = [watch(f"w{i}", 100 + i, -1) for i in range(10)]
    pool = [Video(f"p{i}") for i in range(30)]
    plain = build_samples(behaviour, [], pool, rng=np.random.default_rng(3), min_pool=20)
    again = build_samples(behaviour, [], pool, rng=np.random.default_rng(3), min_pool=20,
                          impressions=[], now=0.0)
    assert plain == again


def test_time_split_puts_impression_negatives_by_their_time():
    behaviour = [watch(f"w{i}", 100 * i, -1) for i in range(1, 11)]
    impressions = [Impression(Video("early"), "hot", 0, 150.0, "model", 0.5),
                   Impression(Video("late"), "explore", 0, 950.0, "model", 0.5)]
    samples = build_samples(behaviour, [], [], rng=np.random.default_rng(0),
                            impressions=impressions, now=10 * DAY)
    earlier, later, split_time = time_split(samples, 0.2)
    assert split_time == 900
    assert "early" in {s.video.bvid for s in earlier}
    assert "late" in {s.video.bvid for s in later}


def test_a_mute_turns_that_uploaders_and_zones_samples_into_negatives():
    from recommender.labels import MUTE_WEIGHT
    from recommender.mutes import Mutes

    def by(bvid, mid, zone, **kw):
        return Video(bvid=bvid, title="测试", owner_mid=mid, tname=zone, duration=100, **kw)

    behaviour = [by("a", 7, "游戏", view_at=10, progress=-1),      # muted UP主, finished
                 by("b", 8, "美食", view_at=20, progress=-1),      # muted zone, finished
                 by("c", 8, "游戏", view_at=30, progress=-1),      # neither
                 by("d", 7, "游戏", view_at=40, progress=-1)]      # muted UP主, but 👍
    feedback = [(behaviour[3], 1)]
    pool = [by(f"p{i}", 7 if i < 3 else 9, "知识") for i in range(60)]
    mutes = Mutes(authors=frozenset({7}), zones=frozenset({"美食"}))
    plain = {s.video.bvid: s for s in build_samples(behaviour, feedback, pool,
                                                    rng=np.random.default_rng(0), min_pool=5)}
    samples = {s.video.bvid: s for s in build_samples(behaviour, feedback, pool,
                                                      rng=np.random.default_rng(0), min_pool=5,
                                                      mutes=mutes)}
    assert plain["a"].positive and plain["b"].positive
    assert samples["a"].target == 0.0 and samples["a"].weight >= MUTE_WEIGHT
    assert samples["b"].target == 0.0 and samples["a"].source == "history"
    assert samples["c"].positive and samples["d"].positive     # 👍 speaks for that video
    muted_pool = {f"p{i}" for i in range(3)}
    assert muted_pool <= set(samples)                          # every muted pool video
    assert all(samples[b].target == 0.0 for b in muted_pool)
    assert len([b for b in samples if b.startswith("p")]) == 5 + 3
