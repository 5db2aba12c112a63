"""Shared fixtures: a small synthetic catalogue and user (no network, no TensorFlow)."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.synthetic import make_catalogue, make_user
from domain import Video


@pytest.fixture(scope="session")
def catalogue():
    return make_catalogue(np.random.default_rng(7), n_videos=1200, n_authors=120)


@pytest.fixture(scope="session")
def user(catalogue):
    return make_user(catalogue, np.random.default_rng(8), n_watches=260, n_popular=60,
                     n_feed=120)


def odd_videos() -> list[Video]:
    """Candidates at the edges: empty, unknown zone/tag/UP主, punctuation-only, huge counts."""
    return [Video(bvid="e1"),                                             # empty everything
            Video(bvid="e2", title="", owner_mid=987654321, tname="前所未见的分区",
                  tags=("完全陌生的标签",)),
            Video(bvid="e3", title="！！！……", view=0, like=0, coin=None),
            Video(bvid="e4", title="qwertyuiop 未知词汇组合", owner_mid=1, view=10**9,
                  like=10**9, coin=10**9, favorite=10**9)]
