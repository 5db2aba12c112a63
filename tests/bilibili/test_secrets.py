"""No cookie or token value reaches a log record or an exception text, even at DEBUG."""
from __future__ import annotations

import logging
import traceback
from urllib.parse import unquote

from bilibili.errors import BilibiliError
from tests.bilibili.conftest import ALICE


def secret_values(creds) -> set[str]:
    values = {creds.refresh_token}
    for name in ("SESSDATA", "bili_jct", "DedeUserID__ckMd5", "sid"):
        values.add(creds.cookies[name])
    values |= {unquote(v) for v in values}
    return {v for v in values if v}


def test_login_refresh_and_faults_log_no_secret(fake, client, caplog):
    caplog.set_level(logging.DEBUG)  # root: includes urllib3's connection-pool lines
    logging.getLogger("urllib3").setLevel(logging.DEBUG)
    secrets: set[str] = set()
    texts: list[str] = []

    def attempt(call):
        try:
            return call()
        except BilibiliError as exc:
            texts.append(str(exc))
            texts.append(repr(exc))
            texts.append("".join(traceback.format_exception(exc)))
            return None

    qr = client.qr_generate()
    fake.scan(qr.qrcode_key)
    client.qr_poll(qr.qrcode_key)
    fake.confirm(qr.qrcode_key, ALICE)
    creds = client.qr_poll(qr.qrcode_key).credentials
    secrets |= secret_values(creds)
    texts.append(repr(creds))
    client.nav(creds)
    fake.refresh_due(ALICE, True)
    assert client.refresh_due(creds)
    new = client.refresh_cookies(creds)
    secrets |= secret_values(new)
    client.history(new, cap=5)
    client.feed(new, pages=1)

    # the fault run: each fault persists through all retries of one call
    tries = client.max_retries + 1
    for kind in ("500", "badjson", "slow", "-101", "412", "-352", "-412"):
        fake.fail("/history/cursor", kind, times=tries)
        attempt(lambda: client.history(new))
    fake.fail("/feed/rcmd", "-352", times=2)
    attempt(lambda: client.feed(new, pages=1))
    fake.fail("/cookie/refresh", "-111")
    attempt(lambda: client.refresh_cookies(new))
    fake.fail("/cookie/info", "-101")
    attempt(lambda: client.refresh_due(new))
    attempt(lambda: client.history(creds))  # the retired session
    assert len(texts) == 1 + 3 * 11  # the creds repr, then 11 failed calls

    records = [r.getMessage() for r in caplog.records]
    assert any("urllib3" in r.name for r in caplog.records), "urllib3 debug lines not captured"
    assert any("/history/cursor" in m for m in records)
    everything = "\n".join(records + texts)
    leaked = [s for s in secrets if s in everything]
    assert not leaked, f"{len(leaked)} secret value(s) leaked into logs or exceptions"
