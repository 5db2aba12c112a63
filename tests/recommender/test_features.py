"""Features: one code path for training and serving; padding, unknown values, quality."""
from __future__ import annotations

import dataclasses

import numpy as np

from models import PAD_ID, UNKNOWN_ID
from recommender.features import (Vocabulary, build_vocabulary, encode_candidates,
                                  encode_item, encode_samples, quality_features, quality_score,
                                  serving_context)
from recommender.labels import AFTER_EVERYTHING, Sample, watch_events
from domain import Video


def test_training_and_serving_features_are_identical_for_the_same_video(user):
    vocab = build_vocabulary(user.behaviour + user.pool)
    watches = watch_events(user.behaviour)
    candidates = user.pool[:5] + [Video(bvid="BVnew", title="", owner_mid=999999)]
    # a sample anchored after every watch sees what serving sees: the whole history
    samples = [Sample(v, 0.0, 1.0, AFTER_EVERYTHING, "feedback") for v in candidates]
    trained = encode_samples(samples, watches, vocab)
    served = encode_candidates(candidates, serving_context(user.behaviour, vocab), vocab)
    assert trained.keys() == served.keys()
    for name in trained:
        np.testing.assert_array_equal(trained[name], served[name], err_msg=name)
    # every candidate sees the user's real latest watches, not zeros
    assert (served["seq_zone"] > 0).all()
    latest = max(user.behaviour, key=lambda v: v.view_at)
    assert served["seq_author"][0, -1] == vocab.author_id(latest.owner_mid)


def test_training_rows_only_see_earlier_watches(user):
    vocab = build_vocabulary(user.behaviour)
    watches = watch_events(user.behaviour)
    first = watches[0]
    rows = encode_samples([Sample(first, 1.0, 1.0, float(first.view_at), "history")], watches,
                          vocab)
    assert (rows["seq_zone"] == PAD_ID).all()      # nothing was watched before the first watch
    assert (rows["affinity"] == 0).all()


def test_padding_never_collides_with_real_ids_and_unknowns_map_to_oov(user):
    vocab = build_vocabulary(user.behaviour)
    assert min(vocab.tag_id(t) for t in vocab.tags) >= 2
    assert min(vocab.author_id(a) for a in vocab.authors) >= 2
    item = encode_item(Video(bvid="x", title="完全没见过的标题词汇xyzzy", owner_mid=424242,
                             tname="没见过的分区"), vocab)
    assert item.author == UNKNOWN_ID
    assert item.tags[0] == UNKNOWN_ID and (item.tags[1:] == PAD_ID).all()
    assert set(item.title[item.title > 0]) <= {UNKNOWN_ID}
    empty = encode_item(Video(bvid="y"), vocab)
    assert empty.author == PAD_ID and (empty.tags == PAD_ID).all() and (empty.title == 0).all()
    assert np.isfinite(empty.quality).all()


def test_warm_start_vocabulary_keeps_old_ids(user):
    old = build_vocabulary(user.behaviour[:100])
    grown = build_vocabulary(user.behaviour, previous=old)
    assert grown.tokens[:len(old.tokens)] == old.tokens
    assert grown.authors[:len(old.authors)] == old.authors
    assert len(grown.tokens) >= len(old.tokens)
    again = Vocabulary.from_json(grown.to_json())
    assert again.tokens == grown.tokens and again.authors == grown.authors


def test_quality_varies_across_ordinary_videos_and_copes_with_missing_counts(catalogue):
    scores = np.array([quality_score(v) for v in catalogue.videos])
    assert scores.std() > 0.08
    assert (scores > 0.95).mean() < 0.05 and (scores < 0.05).mean() < 0.05
    feed_like = dataclasses.replace(catalogue.videos[0], coin=None, favorite=None, reply=None,
                                    tname="")
    assert np.isfinite(quality_features(feed_like)).all()
    assert 0.0 <= quality_score(feed_like) <= 1.0
    assert quality_score(Video(bvid="n")) == 0.5
    zero_views = Video(bvid="z", view=0, like=0, coin=0)
    assert np.isfinite(quality_features(zero_views)).all()


def test_the_serving_memo_gives_the_same_rows_and_copes_with_unhashable_records(user):
    vocab = build_vocabulary(user.behaviour + user.pool)
    context = serving_context(user.behaviour, vocab)
    candidates = user.pool[:40]
    plain = encode_candidates(candidates, context, vocab)
    memo: dict = {}
    for _ in range(2):                                  # filled, then read back
        again = encode_candidates(candidates, context, vocab, memo)
        for name in plain:
            np.testing.assert_array_equal(plain[name], again[name], err_msg=name)
    assert len(memo) == len(candidates)
    odd = dataclasses.replace(candidates[0], tags=["列表", "不可哈希"])
    rows = encode_candidates([odd], context, vocab, memo)
    assert rows["tags"].shape[0] == 1 and len(memo) == len(candidates)


def test_a_row_is_the_masked_videos_features(user):
    """encode_row blanks counts without copying the video: the same vector, affinity and prior
    as the masked copy, for every subset of count fields a vocabulary may keep."""
    from itertools import combinations

    from recommender.features import (COUNT_FIELDS, affinity_score, encode_row, mask_video,
                                      quality_features)
    from tests.recommender.conftest import odd_videos

    context = serving_context(user.behaviour, build_vocabulary(user.behaviour))
    videos = user.pool[:20] + user.popular_now[:10] + odd_videos()
    subsets = [c for k in range(len(COUNT_FIELDS) + 1) for c in combinations(COUNT_FIELDS, k)]
    for fields in subsets:
        vocab = Vocabulary(context.vocab.tags, context.vocab.authors, context.vocab.tokens,
                           fields)
        for video in videos:
            masked = mask_video(video, fields)
            item, affinity, prior = encode_row(video, context, vocab)
            np.testing.assert_array_equal(item.quality, quality_features(masked))
            np.testing.assert_array_equal(affinity, context.affinity(masked))
            p = min(1 - 1e-3, max(1e-3, affinity_score(masked, context)))
            assert abs(prior - np.log(p / (1 - p))) < 1e-12


def test_the_bulk_serving_context_equals_adding_each_watch(user):
    from recommender.features import MAX_SEQ, WatchContext

    vocab = build_vocabulary(user.behaviour)
    watches = watch_events(user.behaviour)
    assert len(watches) > MAX_SEQ
    for part in (watches, watches[:3], []):
        one_by_one = WatchContext(vocab)
        for video in part:
            one_by_one.add(video)
        bulk = WatchContext.of_watches(part, vocab)
        for a, b in zip(one_by_one.sequence(), bulk.sequence()):
            np.testing.assert_array_equal(a, b)
        for name in ("author_watches", "author_positive", "author_negative", "zone_watches",
                     "zone_positive", "positive_tokens", "negative_tokens", "_recent_authors",
                     "_recent_zones"):
            assert +getattr(one_by_one, name) == +getattr(bulk, name), name
        assert (one_by_one.n_watches, one_by_one.n_positive) == (bulk.n_watches,
                                                                 bulk.n_positive)
        for video in user.pool[:30]:
            np.testing.assert_array_equal(one_by_one.affinity(video), bulk.affinity(video))
