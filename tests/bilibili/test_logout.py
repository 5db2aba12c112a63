"""Bilibili web logout (passport login/exit/v2) through the fake over real HTTP."""
from __future__ import annotations

import logging

import pytest

from bilibili.errors import BilibiliError, BilibiliUnavailable, NotLoggedIn
from domain import Credentials
from tests.bilibili.conftest import ALICE, BOB

LOGOUT_PATH = "/login/exit/v2"


def test_logout_retires_the_session_and_only_that_one(fake, client):
    alice, bob = fake.credentials_for(ALICE), fake.credentials_for(BOB)
    assert client.nav(alice).is_login
    client.logout(alice)
    [(method, path, params)] = [r for r in fake.requests if r[1] == LOGOUT_PATH]
    assert method == "POST" and params == {}  # biliCSRF goes in the form body, not the URL
    assert not fake.is_alive(alice.cookies)
    assert not client.nav(alice).is_login
    with pytest.raises(NotLoggedIn):
        client.refresh_due(alice)  # later requests with the old cookies answer -101
    assert fake.is_alive(bob.cookies) and client.nav(bob).is_login


def test_logout_with_a_wrong_csrf_is_an_error_and_keeps_the_session(fake, client):
    alice = fake.credentials_for(ALICE)
    forged = Credentials(cookies={**alice.cookies, "bili_jct": "0" * 32},
                         refresh_token=alice.refresh_token)
    with pytest.raises(BilibiliError) as caught:
        client.logout(forged)
    assert caught.value.code == 2202
    assert fake.is_alive(alice.cookies)
    for secret in (alice.cookies["SESSDATA"], alice.cookies["bili_jct"], "0" * 32):
        assert secret not in str(caught.value)


def test_logout_of_a_gone_session_is_no_error(fake, client):
    alice = fake.credentials_for(ALICE)
    client.logout(alice)
    client.logout(alice)  # dead cookies: Bilibili serves its login page
    assert fake.count(LOGOUT_PATH) == 2
    bob = fake.credentials_for(BOB)
    fake.expire_session(BOB)
    client.logout(bob)
    assert fake.count(LOGOUT_PATH) == 3  # answered, not retried


def test_logout_answered_minus_101_is_no_error(fake, client):
    alice = fake.credentials_for(ALICE)
    fake.fail(LOGOUT_PATH, "-101")
    client.logout(alice)
    assert fake.count(LOGOUT_PATH) == 1  # no retry of an "already gone" answer


def test_logout_retries_a_server_fault_within_the_bounded_policy(fake, client, caplog):
    alice = fake.credentials_for(ALICE)
    fake.fail(LOGOUT_PATH, "500")
    client.logout(alice)
    assert not fake.is_alive(alice.cookies)
    fake.fail(LOGOUT_PATH, "500", times=10)
    bob = fake.credentials_for(BOB)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BilibiliUnavailable):
        client.logout(bob)
    assert fake.count(LOGOUT_PATH) == 2 + client.max_retries + 1
    assert fake.is_alive(bob.cookies)
    for secret in (bob.cookies["SESSDATA"], bob.cookies["bili_jct"]):
        assert secret not in caplog.text


def test_logout_without_session_cookies_sends_nothing(fake, client):
    with pytest.raises(BilibiliError):
        client.logout(Credentials(cookies={"SESSDATA": "x"}, refresh_token=""))
    assert fake.count(LOGOUT_PATH) == 0
