"""Shared fixtures: a small synthetic catalogue and user (no network, no TensorFlow)."""
from __future__ import annotations

import numpy as np
import pytest

from recommender.synthetic import make_catalogue, make_user


@pytest.fixture(scope="session")
def catalogue():
    return make_catalogue(np.random.default_rng(7), n_videos=1200, n_authors=120)


@pytest.fixture(scope="session")
def user(catalogue):
    return make_user(catalogue, np.random.default_rng(8), n_watches=260, n_popular=60,
                     n_feed=120)
