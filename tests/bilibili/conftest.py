"""Fixtures: a started FakeBilibili with two accounts, and a fast-retrying client pointed at it."""
from __future__ import annotations

import pytest

from bilibili import BilibiliClient
from tests.fakes.fake_bilibili import FakeBilibili, make_video

ALICE = 10086
BOB = 20077
NOW = 1_751_673_600


def history_of(start: int, n: int) -> list:
    """n watched videos, newest first, alternately finished and partly watched."""
    return [make_video(start + i, view_at=NOW - i * 600, progress=-1 if i % 2 else 30 + i)
            for i in range(n)]


@pytest.fixture
def fake():
    with FakeBilibili(slow_seconds=0.8) as server:
        server.popular = [make_video(1000 + i) for i in range(120)]
        server.add_account(
            ALICE, "爱丽丝",
            history=history_of(0, 75),
            favourites={"默认收藏夹": [make_video(200 + i) for i in range(25)],
                        "学习资料": [make_video(300 + i) for i in range(3)]},
            coins=[make_video(400), make_video(401)],
            likes=[make_video(410), make_video(411), make_video(412)],
            feed=[make_video(500 + i) for i in range(70)])
        server.add_account(
            BOB, "鲍勃",
            history=history_of(600, 5),
            feed=[make_video(700 + i) for i in range(10)])
        yield server


@pytest.fixture
def client(fake):
    with BilibiliClient(fake.url, fake.url, fake.url, timeout=0.3, max_retries=2,
                        backoff=0.01, refresh_public_key_pem=fake.public_key_pem) as c:
        yield c
