"""Batch counts (fav/resource/infos) through the fake over real HTTP: found, gone, missing,
any answer order, the batch limit and the error mapping."""
from __future__ import annotations

import pytest
import requests as http

from bilibili import VideoStats
from bilibili.client import RESOURCE_INFOS_MAX
from bilibili.errors import BilibiliError, BilibiliUnavailable, RiskControl
from tests.bilibili.conftest import ALICE
from tests.fakes.fake_bilibili import make_video

PATH = "/x/v3/fav/resource/infos"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64)"}


def test_counts_for_every_aid_asked_without_cookies(fake, client):
    wanted = [make_video(i) for i in range(10)]  # ALICE's history: known to the fake
    fake.hide_video(wanted[3].bvid)
    aids = [v.aid for v in wanted] + [77]  # 77: unknown to Bilibili
    stats = client.resource_infos(aids)
    assert list(stats) == aids
    for video in wanted[:3] + wanted[4:]:
        got = stats[video.aid]
        assert not got.gone and got.bvid == video.bvid
        assert (got.view, got.favorite, got.danmaku) == (video.view, video.favorite, video.danmaku)
        assert (got.duration, got.owner_mid, got.owner_name) == \
            (video.duration, video.owner_mid, video.owner_name)
    assert stats[wanted[3].aid].gone and stats[wanted[3].aid].view is None
    assert stats[77].gone
    (request,) = [r for r in fake.request_log if r.path == PATH]
    assert request.params["resources"] == ",".join(f"{aid}:2" for aid in aids)
    assert request.params["platform"] == "web"
    assert request.mid is None and "SESSDATA" not in request.cookie_names


def test_the_fake_answers_in_another_order_than_asked(fake, client):
    aids = [make_video(i).aid for i in range(20)]
    answer = http.get(fake.url + PATH, params={"resources": ",".join(f"{a}:2" for a in aids)},
                      headers=BROWSER, timeout=5).json()
    returned = [item["id"] for item in answer["data"]]
    assert sorted(returned) == sorted(aids) and returned != aids
    assert list(client.resource_infos(aids)) == aids  # mapped back by id


def test_duplicates_asked_once_and_nothing_asked_for_nothing(fake, client):
    aid = make_video(1).aid
    assert list(client.resource_infos([aid, aid])) == [aid]
    assert client.resource_infos([]) == {}
    assert fake.count(PATH) == 1
    assert fake.requests[-1][2]["resources"] == f"{aid}:2"


def test_nothing_matched_gives_null_data(fake, client):
    answer = http.get(fake.url + PATH, params={"resources": "5:2,6:2"}, headers=BROWSER,
                      timeout=5).json()
    assert answer["code"] == 0 and answer["data"] is None
    assert client.resource_infos([5, 6]) == {5: VideoStats(5, gone=True),
                                             6: VideoStats(6, gone=True)}


def test_batch_limit(fake, client):
    with pytest.raises(ValueError):
        client.resource_infos(range(1, RESOURCE_INFOS_MAX + 2))
    assert fake.count(PATH) == 0
    assert len(client.resource_infos(range(1, RESOURCE_INFOS_MAX + 1))) == RESOURCE_INFOS_MAX


def test_the_fake_refuses_malformed_or_too_long_resources(fake):
    too_long = ",".join(f"{i}:2" for i in range(1, RESOURCE_INFOS_MAX + 2))
    for resources in ("", "abc", "1:2,,3:2", "1-2", too_long):
        answer = http.get(fake.url + PATH, params={"resources": resources}, headers=BROWSER,
                          timeout=5).json()
        assert answer["code"] == -400, resources


@pytest.mark.parametrize("kind, error", [
    ("-352", RiskControl), ("-412", RiskControl), ("412", RiskControl),
    ("-400", BilibiliError)])
def test_errors_are_mapped(fake, client, kind, error):
    fake.fail(PATH, kind)
    with pytest.raises(error):
        client.resource_infos([make_video(1).aid])
    assert fake.count(PATH) == 1  # not retried


@pytest.mark.parametrize("kind", ["500", "badjson", "slow"])
def test_transient_faults_retried_then_unavailable(fake, client, kind):
    aid = make_video(1).aid
    fake.fail(PATH, kind)
    assert not client.resource_infos([aid])[aid].gone
    fake.fail(PATH, kind, times=client.max_retries + 1)
    with pytest.raises(BilibiliUnavailable):
        client.resource_infos([aid])


def test_history_carries_no_counts_and_no_tags(fake, client):
    history = client.history(fake.credentials_for(ALICE), cap=30)
    assert history and all(v.view is None and v.like is None and v.favorite is None
                            and v.danmaku is None and v.tags == () and v.pubdate == 0
                            for v in history)
