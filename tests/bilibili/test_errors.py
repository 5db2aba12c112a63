"""Every error class through the fake: mapping, bounded retries, headers, no shared cookies."""
from __future__ import annotations

import socket
import threading

import pytest

from bilibili import BilibiliClient
from bilibili.errors import (BilibiliError, BilibiliUnavailable, NotLoggedIn, RiskControl,
                             VideoUnavailable)
from tests.bilibili.conftest import ALICE, BOB

HISTORY = "/x/web-interface/history/cursor"


def test_error_classes_share_a_base():
    for cls in (NotLoggedIn, RiskControl, VideoUnavailable, BilibiliUnavailable):
        assert issubclass(cls, BilibiliError)


def test_not_logged_in_when_the_session_expires(fake, client):
    creds = fake.credentials_for(ALICE)
    fake.expire_session(ALICE)
    for call in (lambda: client.history(creds), lambda: client.refresh_due(creds)):
        with pytest.raises(NotLoggedIn) as info:
            call()
        assert info.value.code == -101


def test_not_logged_in_when_told(fake, client):
    fake.fail(HISTORY, "-101")
    with pytest.raises(NotLoggedIn) as info:
        client.history(fake.credentials_for(ALICE))
    assert HISTORY in str(info.value) and "-101" in str(info.value)
    assert fake.count(HISTORY) == 1  # never retried


@pytest.mark.parametrize("kind, code", [("-352", -352), ("-412", -412), ("412", 412),
                                        ("-799", -799), ("voucher", 0)])
def test_risk_control_is_raised_without_retry(fake, client, kind, code):
    fake.fail(HISTORY, kind)
    with pytest.raises(RiskControl) as info:
        client.history(fake.credentials_for(ALICE))
    assert info.value.code == code
    assert fake.count(HISTORY) == 1


@pytest.mark.parametrize("kind", ["500", "-500", "-503", "badjson", "slow"])
def test_transient_faults_are_retried_then_succeed(fake, client, kind):
    fake.fail(HISTORY, kind, times=2)
    assert len(client.history(fake.credentials_for(ALICE), cap=10)) == 10
    assert fake.count(HISTORY) == 3  # two failures, then success


@pytest.mark.parametrize("kind, text", [("500", "HTTP 500"), ("badjson", "malformed JSON"),
                                        ("slow", "timed out"), ("-509", "-509")])
def test_persistent_faults_give_up_after_bounded_retries(fake, client, kind, text):
    fake.fail(HISTORY, kind, times=100)
    with pytest.raises(BilibiliUnavailable) as info:
        client.history(fake.credentials_for(ALICE))
    assert text in str(info.value) and HISTORY in str(info.value)
    assert fake.count(HISTORY) == client.max_retries + 1


def test_backoff_grows(fake, client, monkeypatch):
    delays = []
    monkeypatch.setattr("bilibili.client.time.sleep", delays.append)
    fake.fail(HISTORY, "500", times=100)
    with pytest.raises(BilibiliUnavailable):
        client.history(fake.credentials_for(ALICE))
    assert len(delays) == client.max_retries
    assert 0.01 <= delays[0] <= 0.02 and 0.02 <= delays[1] <= 0.04  # exponential + jitter


def test_connection_refused_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again at once: nothing listens there
    url = f"http://127.0.0.1:{port}"
    with BilibiliClient(url, url, url, timeout=0.5, max_retries=1, backoff=0.01) as client:
        with pytest.raises(BilibiliUnavailable) as info:
            client.popular(pages=1)
        assert "connection failed" in str(info.value)


def test_other_codes_are_plain_bilibili_errors(fake, client):
    fake.fail(HISTORY, "-400")
    with pytest.raises(BilibiliError) as info:
        client.history(fake.credentials_for(ALICE))
    assert type(info.value) is BilibiliError and info.value.code == -400


def test_every_request_has_browser_headers(fake, client):
    creds = fake.credentials_for(ALICE)
    client.qr_generate()
    client.history(creds, cap=5)
    client.feed(creds, pages=1)
    client.refresh_cookies(creds)
    log = fake.request_log
    assert len(log) >= 8
    for request in log:
        assert request.user_agent.startswith("Mozilla/5.0") and "python" not in request.user_agent
        assert request.referer == "https://www.bilibili.com/"


def test_a_bare_user_agent_is_refused(fake):
    with BilibiliClient(fake.url, fake.url, fake.url, user_agent="python-requests/2.34",
                        backoff=0.01) as bare:
        with pytest.raises(RiskControl):
            bare.history(fake.credentials_for(ALICE))


def test_device_ids_fetched_once_and_sent(fake, client):
    creds = fake.credentials_for(ALICE)
    client.history(creds, cap=5)
    client.popular(pages=1)
    assert fake.count("/x/frontend/finger/spi") == 1
    others = [r for r in fake.request_log if r.path != "/x/frontend/finger/spi"]
    assert all({"buvid3", "buvid4"} <= set(r.cookie_names) for r in others)


def test_no_cookie_leakage_between_users(fake, client):
    alice, bob = fake.credentials_for(ALICE), fake.credentials_for(BOB)
    results = {}

    def run(name, creds):
        results[name] = [v.bvid for v in client.history(creds)]

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in
               (("alice", alice), ("bob", bob), ("alice2", alice), ("bob2", bob))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results["alice"] == results["alice2"] and len(results["alice"]) == 75
    assert results["bob"] == results["bob2"] and len(results["bob"]) == 5
    assert not set(results["alice"]) & set(results["bob"])
    client.popular(pages=1)
    client.nav(None)
    anonymous = [r for r in fake.request_log if r.path in ("/x/web-interface/popular",
                                                           "/x/web-interface/nav")]
    assert anonymous and all(r.mid is None and "SESSDATA" not in r.cookie_names
                             for r in anonymous)
    # QR login success set cookies, yet nothing was kept by the shared session
    qr = client.qr_generate()
    fake.confirm(qr.qrcode_key, ALICE)
    client.qr_poll(qr.qrcode_key)
    client.popular(pages=1)
    assert fake.request_log[-1].mid is None and "SESSDATA" not in fake.request_log[-1].cookie_names
    assert len(client._session.cookies) == 0


def test_device_id_failure_does_not_block_requests(fake, client):
    fake.fail("/x/frontend/finger/spi", "500", times=5)
    assert len(client.history(fake.credentials_for(ALICE), cap=3)) == 3
    client.popular(pages=1)
    assert fake.count("/x/frontend/finger/spi") == 1  # not retried in a loop
    assert "buvid3" not in fake.request_log[-1].cookie_names
