"""QR login, nav and the cookie refresh flow, through the fake over real HTTP."""
from __future__ import annotations

import time

import pytest

from bilibili import BilibiliClient, NavInfo, QrState
from bilibili.errors import BilibiliError, NotLoggedIn
from domain import Credentials
from tests.bilibili.conftest import ALICE


def test_qr_flow_waiting_scanned_confirmed_keeps_refresh_token(fake, client):
    qr = client.qr_generate()
    assert qr.qrcode_key == fake.last_qrcode_key and len(qr.qrcode_key) == 32
    assert qr.qrcode_key in qr.url
    assert client.qr_poll(qr.qrcode_key).state is QrState.WAITING
    fake.scan(qr.qrcode_key)
    scanned = client.qr_poll(qr.qrcode_key)
    assert scanned.state is QrState.SCANNED and scanned.credentials is None
    fake.confirm(qr.qrcode_key, ALICE)
    done = client.qr_poll(qr.qrcode_key)
    assert done.state is QrState.CONFIRMED
    creds = done.credentials
    assert creds.mid == ALICE
    assert creds.refresh_token and len(creds.refresh_token) == 32
    assert {"SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5", "sid"} <= set(creds.cookies)
    assert "%2C" in creds.cookies["SESSDATA"]  # kept byte-for-byte, still percent-encoded
    # the login works, and its refresh_token is the one the server will accept
    assert fake.is_alive(creds.cookies)
    assert client.nav(creds) == NavInfo(is_login=True, mid=ALICE, uname="爱丽丝")
    assert fake.credentials_for(ALICE).refresh_token == creds.refresh_token
    # a QR key logs in once
    assert client.qr_poll(qr.qrcode_key).state is QrState.EXPIRED


def test_qr_expired_when_told_and_after_its_lifetime(fake, client):
    qr = client.qr_generate()
    fake.expire(qr.qrcode_key)
    assert client.qr_poll(qr.qrcode_key).state is QrState.EXPIRED
    fake.qr_lifetime = 0.05
    qr2 = client.qr_generate()
    time.sleep(0.1)
    assert client.qr_poll(qr2.qrcode_key).state is QrState.EXPIRED
    assert client.qr_poll("0" * 32).state is QrState.EXPIRED


def test_nav_anonymous_and_expired(fake, client):
    assert client.nav(None) == NavInfo(is_login=False)
    creds = fake.credentials_for(ALICE)
    fake.expire_session(ALICE)
    assert client.nav(creds).is_login is False


def test_refresh_due_follows_cookie_info(fake, client):
    creds = fake.credentials_for(ALICE)
    assert client.refresh_due(creds) is False
    fake.refresh_due(ALICE, True)
    assert client.refresh_due(creds) is True
    fake.expire_session(ALICE)
    with pytest.raises(NotLoggedIn):
        client.refresh_due(creds)


def test_cookie_refresh_full_flow_retires_old_session(fake, client):
    old = fake.credentials_for(ALICE)
    fake.refresh_due(ALICE, True)
    new = client.refresh_cookies(old)
    assert new.mid == ALICE
    assert new.cookies["SESSDATA"] != old.cookies["SESSDATA"]
    assert new.csrf != old.csrf
    assert new.refresh_token and new.refresh_token != old.refresh_token
    assert not fake.is_alive(old.cookies)  # confirm/refresh retired it
    assert client.nav(new).is_login and client.refresh_due(new) is False
    with pytest.raises(NotLoggedIn):
        client.history(old)
    assert len(client.history(new, cap=5)) == 5
    # the new refresh_token is accepted for the next refresh
    newer = client.refresh_cookies(new)
    assert fake.is_alive(newer.cookies) and not fake.is_alive(new.cookies)
    assert fake.count("/correspond/1/") == 2


def test_refresh_with_a_wrong_public_key_is_rejected(fake):
    other = BilibiliClient(fake.url, fake.url, fake.url, backoff=0.01)  # Bilibili's real key
    old = fake.credentials_for(ALICE)
    with pytest.raises(BilibiliError) as info:
        other.refresh_cookies(old)
    assert info.value.code == 404 and "/correspond/1/" in str(info.value)
    assert fake.is_alive(old.cookies)
    other.close()


def test_refresh_with_a_stale_token_fails_and_keeps_the_session(fake, client):
    creds = fake.credentials_for(ALICE)
    stale = Credentials(cookies=creds.cookies, refresh_token="0" * 32)
    with pytest.raises(BilibiliError) as info:
        client.refresh_cookies(stale)
    assert info.value.code == 86095
    assert fake.is_alive(creds.cookies)


def test_refresh_of_a_dead_session_is_not_logged_in(fake, client):
    creds = fake.credentials_for(ALICE)
    fake.expire_session(ALICE)
    with pytest.raises(NotLoggedIn):
        client.refresh_cookies(creds)


def test_refresh_keeps_new_cookies_when_only_confirm_fails(fake, client):
    old = fake.credentials_for(ALICE)
    fake.fail("/confirm/refresh", "500", times=10)
    new = client.refresh_cookies(old)
    assert fake.is_alive(new.cookies)
    assert fake.count("/confirm/refresh") == client.max_retries + 1
