"""A fake Bilibili for tests: a real HTTP server on 127.0.0.1 that speaks the web API.

It serves every endpoint ``bilibili.BilibiliClient`` uses (api, passport and www under one base
URL) with payloads shaped like the real ones (see /work/shared/bilibili-api-detail.md §11),
identifies accounts by their SESSDATA cookie, checks WBI signatures, drives the QR login states,
runs the cookie refresh flow with its own RSA key pair, and can be told to fail.

    with FakeBilibili() as fake:
        fake.add_account(10086, "测试用户", history=[make_video(1, view_at=...)])
        client = BilibiliClient(fake.url, fake.url, fake.url,
                                refresh_public_key_pem=fake.public_key_pem)
"""
from __future__ import annotations

import hashlib
import json
import random
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qs, quote, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from domain import Credentials, Video

# the documented example keys (bilibili-api.md), so signatures match the published test vectors
DEFAULT_IMG_KEY = "7cd084941338484aae1ad9425b84077c"
DEFAULT_SUB_KEY = "4932caff0ff746eab6f01bf08b70ac45"

MESSAGES = {
    -101: "账号未登录", -111: "csrf 校验失败", -352: "风控校验失败", -400: "请求错误",
    -403: "访问权限不足", -404: "啥都木有", -412: "请求被拦截", -500: "服务器错误",
    -503: "过载保护,服务暂不可用", -509: "超出限制", -799: "请求过于频繁，请稍后再试",
    62002: "稿件不可见", 62004: "稿件审核中", 62012: "仅UP主自己可见", 53013: "用户隐私设置未公开",
    86095: "refresh_csrf 错误或 refresh_token 与 cookie 不匹配",
}
_OAEP_SHA256 = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()),
                            algorithm=hashes.SHA256(), label=None)
# WBI mixin table (bilibili-API-collect docs/misc/sign/wbi.md), kept independent of the client
_MIXIN_TAB = (46, 47, 18, 2, 53, 8, 23, 32, 15, 50, 10, 31, 58, 3, 45, 35, 27, 43, 5, 49, 33, 9,
              42, 19, 29, 28, 14, 39, 12, 38, 41, 13)
_DROP = str.maketrans("", "", "!'()*")
FAULT_KINDS = {"412", "500", "slow", "badjson", "voucher"}
RESOURCE_INFOS_MAX = 50  # the fake's batch limit of fav/resource/infos; more answers -400
INVALID_FAV_TITLE = "已失效视频"
LOGIN_PAGE_HTML = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>哔哩哔哩 (゜-゜)つロ 干杯~"
                   "-bilibili</title></head><body><div id=\"login-app\"></div></body></html>")


@dataclass
class FakeRequest:
    """One request as the fake saw it: no cookie values, only the names and the account."""

    method: str
    path: str
    params: dict[str, str]
    cookie_names: tuple[str, ...]
    mid: int | None
    user_agent: str
    referer: str


@dataclass
class FakeSession:
    """One login session (a cookie set plus its refresh_token)."""

    mid: int
    cookies: dict[str, str]
    refresh_token: str
    alive: bool = True
    token_used: bool = False
    refresh_csrf: str = ""
    previous: "FakeSession | None" = None


@dataclass
class FakeAccount:
    """A Bilibili user and what the fake serves for them."""

    mid: int
    uname: str
    history: list[Video] = field(default_factory=list)
    favourites: dict[str, list[Video]] = field(default_factory=dict)
    coins: list[Video] = field(default_factory=list)
    likes: list[Video] = field(default_factory=list)
    feed: list[Video] = field(default_factory=list)
    refresh_due: bool = False
    invalid_favourites: int = 1
    sessions: list[FakeSession] = field(default_factory=list)


@dataclass
class _Qr:
    created: float
    state: int = 86101
    mid: int | None = None


@dataclass
class _Fault:
    path_substring: str
    kind: str
    remaining: int


class Hold:
    """Requests held at the fake until released (``FakeBilibili.hold``): a slow Bilibili
    whose slowness the test controls, without timing."""

    def __init__(self, path_substring: str) -> None:
        self.path_substring = path_substring
        self._released = False
        self._changed = threading.Condition()
        self.held = 0           # requests waiting now
        self.by_mid: dict[int | None, int] = {}    # requests waiting now per account
        self.most_by_mid: dict[int | None, int] = {}   # most waiting at once per account

    def block(self, mid: int | None) -> None:
        """Called by the server thread of a matching request: wait until released."""
        with self._changed:
            self.held += 1
            self.by_mid[mid] = self.by_mid.get(mid, 0) + 1
            self.most_by_mid[mid] = max(self.most_by_mid.get(mid, 0), self.by_mid[mid])
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._released, timeout=60)
            self.held -= 1
            self.by_mid[mid] -= 1
            self._changed.notify_all()

    def wait_held(self, count: int, timeout: float = 20.0) -> None:
        """Wait until at least ``count`` requests are held; TimeoutError otherwise."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.held >= count, timeout):
                raise TimeoutError(f"{self.held} requests held, not {count}")

    def release(self) -> None:
        """Let every held request (and every later one) through."""
        with self._changed:
            self._released = True
            self._changed.notify_all()


class FakeBilibili:
    """The fake server; see the module docstring. All public methods are thread-safe."""

    def __init__(self, *, qr_lifetime: float = 180.0, slow_seconds: float = 2.0,
                 bad_signature_answer: str = "-352") -> None:
        self.qr_lifetime = qr_lifetime
        self.slow_seconds = slow_seconds
        self.bad_signature_answer = bad_signature_answer  # "-352" or "voucher"
        self.img_key = DEFAULT_IMG_KEY
        self.sub_key = DEFAULT_SUB_KEY
        self.popular: list[Video] = []
        self.videos: dict[str, Video] = {}  # extra videos the view endpoint knows
        self._hidden: dict[str, int] = {}
        self._shuffle = random.Random(8)  # resource infos come back in no particular order
        self._lock = threading.RLock()
        self._accounts: dict[int, FakeAccount] = {}
        self._sessions: dict[str, FakeSession] = {}
        self._qrs: dict[str, _Qr] = {}
        self._faults: list[_Fault] = []
        self._holds: list[Hold] = []
        self._log: list[FakeRequest] = []
        self.last_qrcode_key: str | None = None
        self._private_key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
        self.public_key_pem = self._private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle
    def start(self) -> "FakeBilibili":
        """Start serving on a free port of 127.0.0.1 in a daemon thread."""
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fake-bilibili", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the server and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    def __enter__(self) -> "FakeBilibili":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL for api_url, passport_url and www_url alike."""
        assert self._server is not None, "FakeBilibili is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # ------------------------------------------------------------- control
    def add_account(self, mid: int, uname: str, *, history: Iterable[Video] = (),
                    favourites: Iterable[Video] | Mapping[str, Iterable[Video]] = (),
                    coins: Iterable[Video] = (), likes: Iterable[Video] = (),
                    feed: Iterable[Video] = (), invalid_favourites: int = 1) -> FakeAccount:
        """A user with one live session (see cookies_for). favourites: a list (one default
        folder) or {folder title: videos}; invalid_favourites "已失效视频" entries are added to the
        first folder, as Bilibili lists deleted videos."""
        if isinstance(favourites, Mapping):
            folders = {title: list(videos) for title, videos in favourites.items()}
        else:
            videos = list(favourites)
            folders = {"默认收藏夹": videos} if videos else {}
        account = FakeAccount(mid=mid, uname=uname, history=list(history), favourites=folders,
                              coins=list(coins), likes=list(likes), feed=list(feed),
                              invalid_favourites=invalid_favourites)
        with self._lock:
            self._accounts[mid] = account
            self._new_session(account)
        return account

    def cookies_for(self, mid: int) -> dict[str, str]:
        """The cookies of the account's newest live session."""
        return dict(self._current_session(mid).cookies)

    def credentials_for(self, mid: int) -> Credentials:
        """Cookies plus refresh_token of the account's newest live session."""
        session = self._current_session(mid)
        return Credentials(cookies=dict(session.cookies), refresh_token=session.refresh_token)

    def is_alive(self, cookies: Mapping[str, str]) -> bool:
        """Whether these cookies still name a live session."""
        with self._lock:
            session = self._sessions.get(cookies.get("SESSDATA", ""))
            return bool(session and session.alive)

    def scan(self, qrcode_key: str) -> None:
        with self._lock:
            self._qrs[qrcode_key].state = 86090

    def confirm(self, qrcode_key: str, mid: int) -> None:
        with self._lock:
            if mid not in self._accounts:
                raise KeyError(f"no fake account {mid}")
            qr = self._qrs[qrcode_key]
            qr.state, qr.mid = 0, mid

    def expire(self, qrcode_key: str) -> None:
        with self._lock:
            self._qrs[qrcode_key].state = 86038

    def fail(self, path_substring: str, kind: str, times: int = 1) -> None:
        """The next `times` requests whose path contains path_substring fail with kind: a
        Bilibili code ("-101", "-352", "-412", "-799", "-404", "62002", …), "412"/"500" (HTTP
        status), "slow" (answer after slow_seconds), "badjson" or "voucher" (code 0 + v_voucher)."""
        if kind not in FAULT_KINDS:
            int(kind)  # anything else must be a Bilibili code
        with self._lock:
            self._faults.append(_Fault(path_substring, kind, times))

    def hold(self, path_substring: str) -> Hold:
        """From now on, requests whose path contains path_substring wait in the server (their
        client sees a slow Bilibili) until the returned Hold is released."""
        hold = Hold(path_substring)
        with self._lock:
            self._holds.append(hold)
        return hold

    def refresh_due(self, mid: int, due: bool = True) -> None:
        with self._lock:
            self._accounts[mid].refresh_due = due

    def expire_session(self, mid: int) -> None:
        """Every session of the account now answers -101."""
        with self._lock:
            for session in self._accounts[mid].sessions:
                session.alive = False

    def rotate_wbi_keys(self) -> None:
        """New WBI keys, as Bilibili does daily: old signatures fail until nav is re-read."""
        with self._lock:
            self.img_key, self.sub_key = secrets.token_hex(16), secrets.token_hex(16)

    def hide_video(self, bvid: str, code: int = 62002) -> None:
        """The view endpoint answers code for this video (62002/62004/62012/-404); resource
        infos list it as gone (attr 1)."""
        with self._lock:
            self._hidden[bvid] = code

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        """(method, path, query params) of every request, oldest first."""
        with self._lock:
            return [(r.method, r.path, dict(r.params)) for r in self._log]

    @property
    def request_log(self) -> list[FakeRequest]:
        with self._lock:
            return list(self._log)

    def count(self, path_substring: str) -> int:
        """How many requests had a path containing path_substring."""
        with self._lock:
            return sum(path_substring in r.path for r in self._log)

    # ------------------------------------------------------------- internals
    def _new_session(self, account: FakeAccount) -> FakeSession:
        expiry = int(time.time()) + 180 * 86400
        cookies = {
            "SESSDATA": f"{secrets.token_hex(4)}%2C{expiry}%2C{secrets.token_hex(3)[:5]}%2A"
                        f"{secrets.randbelow(90) + 10}",
            "bili_jct": secrets.token_hex(16),
            "DedeUserID": str(account.mid),
            "DedeUserID__ckMd5": secrets.token_hex(8),
            "sid": secrets.token_hex(4),
        }
        session = FakeSession(mid=account.mid, cookies=cookies,
                              refresh_token=secrets.token_hex(16))
        account.sessions.append(session)
        self._sessions[cookies["SESSDATA"]] = session
        return session

    def _current_session(self, mid: int) -> FakeSession:
        with self._lock:
            live = [s for s in self._accounts[mid].sessions if s.alive]
            if not live:
                raise KeyError(f"fake account {mid} has no live session")
            return live[-1]

    def _take_fault(self, path: str) -> str | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.path_substring in path:
                    fault.remaining -= 1
                    return fault.kind
        return None

    def _known_videos(self) -> Iterable[Video]:
        """Every video the fake knows, with its full record (counts, tags), first seen first."""
        with self._lock:
            pools: list[Iterable[Video]] = [self.popular, self.videos.values()]
            for account in self._accounts.values():
                pools += [account.history, account.coins, account.likes, account.feed,
                          *account.favourites.values()]
            return [video for pool in pools for video in pool]

    def _known_video(self, bvid: str) -> Video | None:
        return next((video for video in self._known_videos() if video.bvid == bvid), None)

    def handle(self, request: "_Handler") -> None:
        """Serve one request (called on the server's handler threads)."""
        split = urlsplit(request.path)
        path = split.path
        params = {k: v[0] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        form: dict[str, str] = {}
        if request.command == "POST":
            length = int(request.headers.get("Content-Length") or 0)
            body = request.rfile.read(length).decode("utf-8", "replace") if length else ""
            form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        cookies = _parse_cookie_header(request.headers.get("Cookie", ""))
        with self._lock:
            session = self._sessions.get(cookies.get("SESSDATA", ""))
            live = session if session is not None and session.alive else None
            self._log.append(FakeRequest(
                method=request.command, path=path, params=params,
                cookie_names=tuple(sorted(cookies)), mid=live.mid if live else None,
                user_agent=request.headers.get("User-Agent", ""),
                referer=request.headers.get("Referer", "")))
        ua = request.headers.get("User-Agent", "").lower()
        if not ua.startswith("mozilla/") or any(bad in ua for bad in ("python", "curl")):
            return request.send_json(_envelope(-412))
        with self._lock:
            holds = [h for h in self._holds if h.path_substring in path]
        for hold in holds:
            hold.block(live.mid if live else None)
        fault = self._take_fault(path)
        if fault == "slow":
            time.sleep(self.slow_seconds)
        elif fault == "412":
            return request.send_raw(412, b"<html><body>412 Precondition Failed</body></html>",
                                    "text/html")
        elif fault == "500":
            return request.send_raw(500, b"<html><body>500 Internal Server Error</body></html>",
                                    "text/html")
        elif fault == "badjson":
            return request.send_raw(200, b'{"code":0,"message":"0","ttl":1,"data":{"list":[',
                                    "application/json")
        elif fault == "voucher":
            return request.send_json(_voucher(0))
        elif fault is not None:
            code = int(fault)
            return request.send_json(_voucher(code) if code == -352 else _envelope(code))

        route = _ROUTES.get(path)
        if route is None and path.startswith("/correspond/1/"):
            route = ("GET", FakeBilibili._correspond)
        if route is None:
            return request.send_raw(404, b"<html><body>404 Not Found</body></html>", "text/html")
        method, func = route
        if request.command != method:
            return request.send_raw(405, b"Method Not Allowed", "text/plain")
        with self._lock:
            answer = func(self, path=path, params=params, form=form, cookies=cookies,
                          session=live)
        status, body, headers = answer if isinstance(answer, tuple) else (200, answer, [])
        if isinstance(body, str):
            request.send_raw(status, body.encode(), "text/html; charset=utf-8", headers)
        else:
            request.send_json(body, status, headers)

    # ----------------------------------------------------------------- routes
    def _qr_generate(self, **_: Any) -> dict:
        key = secrets.token_hex(16)
        self._qrs[key] = _Qr(created=time.monotonic())
        self.last_qrcode_key = key
        url = ("https://account.bilibili.com/h5/account-h5/auth/scan-web?navhide=1&callback=close"
               f"&qrcode_key={key}&from=")
        return _envelope(0, {"url": url, "qrcode_key": key})

    def _qr_poll(self, params: dict, **_: Any):
        qr = self._qrs.get(params.get("qrcode_key", ""))
        if qr is None or time.monotonic() - qr.created > self.qr_lifetime:
            return _envelope(0, _poll_data(86038))
        if qr.state != 0:
            return _envelope(0, _poll_data(qr.state))
        account = self._accounts[qr.mid]
        session = self._new_session(account)
        del self._qrs[params["qrcode_key"]]  # a key logs in once; later polls say expired
        c = session.cookies
        url = ("https://passport.biligame.com/x/passport-login/web/crossDomain?"
               f"DedeUserID={c['DedeUserID']}&DedeUserID__ckMd5={c['DedeUserID__ckMd5']}"
               f"&Expires=15551000&SESSDATA={c['SESSDATA']}&bili_jct={c['bili_jct']}"
               "&gourl=https%3A%2F%2Fwww.bilibili.com")
        data = _poll_data(0)
        data.update(url=url, refresh_token=session.refresh_token,
                    timestamp=int(time.time() * 1000))
        return 200, _envelope(0, data), _set_cookie_headers(c)

    def _nav(self, session: FakeSession | None, **_: Any) -> dict:
        wbi_img = {"img_url": f"https://i0.hdslb.com/bfs/wbi/{self.img_key}.png",
                   "sub_url": f"https://i0.hdslb.com/bfs/wbi/{self.sub_key}.png"}
        if session is None:
            return _envelope(-101, {"isLogin": False, "wbi_img": wbi_img})
        account = self._accounts[session.mid]
        return _envelope(0, {
            "isLogin": True, "mid": account.mid, "uname": account.uname,
            "face": "https://i0.hdslb.com/bfs/face/member/noface.jpg",
            "level_info": {"current_level": 5, "current_min": 10800, "current_exp": 14270,
                           "next_exp": 28800},
            "money": 12.5, "vipStatus": 0, "vipType": 0, "wbi_img": wbi_img})

    def _spi(self, **_: Any) -> dict:
        def buvid() -> str:
            h = uuid.uuid4().hex.upper()
            tail = f"{secrets.randbelow(99999):05d}infoc"
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}{tail}"
        return {"code": 0, "message": "ok", "data": {"b_3": buvid(), "b_4": buvid()}}

    def _cookie_info(self, session: FakeSession | None, **_: Any) -> dict:
        if session is None:
            return _envelope(-101)
        due = self._accounts[session.mid].refresh_due
        return _envelope(0, {"refresh": due, "timestamp": int(time.time() * 1000)})

    def _correspond(self, path: str, session: FakeSession | None, **_: Any):
        try:
            plain = self._private_key.decrypt(bytes.fromhex(path.rsplit("/", 1)[-1]),
                                              _OAEP_SHA256).decode()
        except ValueError:
            plain = ""
        if not (plain.startswith("refresh_") and plain[len("refresh_"):].isdigit()):
            return 404, "<html><body>404 Not Found</body></html>", []
        if session is None:
            return "<html><head><title>bilibili</title></head><body></body></html>"
        session.refresh_csrf = secrets.token_hex(16)
        return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>bilibili</title>"
                f"</head><body><div id=\"1-name\">{session.refresh_csrf}</div>"
                "<div id=\"1-link\"></div></body></html>")

    def _cookie_refresh(self, form: dict, session: FakeSession | None, **_: Any):
        if session is None:
            return _envelope(-101)
        if form.get("csrf") != session.cookies["bili_jct"]:
            return _envelope(-111)
        if (not session.refresh_csrf or form.get("refresh_csrf") != session.refresh_csrf
                or form.get("refresh_token") != session.refresh_token or session.token_used):
            return _envelope(86095)
        session.token_used = True
        session.refresh_csrf = ""
        account = self._accounts[session.mid]
        new = self._new_session(account)
        new.previous = session
        account.refresh_due = False
        data = {"status": 0, "message": "", "refresh_token": new.refresh_token}
        return 200, _envelope(0, data), _set_cookie_headers(new.cookies)

    def _confirm_refresh(self, form: dict, session: FakeSession | None, **_: Any) -> dict:
        if session is None:
            return _envelope(-101)
        if form.get("csrf") != session.cookies["bili_jct"]:
            return _envelope(-111)
        if session.previous is None or form.get("refresh_token") != session.previous.refresh_token:
            return _envelope(-400)
        session.previous.alive = False
        session.previous = None
        return {"code": 0, "message": "0", "ttl": 1}

    def _logout(self, form: dict, cookies: dict, session: FakeSession | None, **_: Any):
        """login/exit/v2: dead cookies get the login page (as Bilibili serves it), a biliCSRF
        that is not the session's bili_jct 2202, a good one retires the session and clears the
        cookies (later requests with them answer -101)."""
        if session is None:
            return LOGIN_PAGE_HTML
        if cookies.get("DedeUserID") != str(session.mid) or not cookies.get("bili_jct"):
            return _passport_answer(-101, "账号未登录")  # the required cookies are missing
        if form.get("biliCSRF") != session.cookies["bili_jct"]:
            return _passport_answer(2202, "csrf 校验失败")
        session.alive = False
        redirect = ("https://passport.biligame.com/crossDomain?DedeUserID=&DedeUserID__ckMd5="
                    "&SESSDATA=&bili_jct=&gourl=" + quote(form.get("gourl")
                                                          or "javascript:history.go(-1)", safe=""))
        cleared = [("Set-Cookie", f"{name}=; Path=/; Domain=bilibili.com; "
                                  "Expires=Thu, 01 Jan 1970 00:00:00 GMT")
                   for name in ("DedeUserID", "DedeUserID__ckMd5", "SESSDATA", "bili_jct")]
        return 200, _passport_answer(0, data={"redirectUrl": redirect}), cleared

    def _history(self, params: dict, session: FakeSession | None, **_: Any) -> dict:
        if session is None:
            return _envelope(-101)
        items = sorted(self._accounts[session.mid].history, key=lambda v: -v.view_at)
        ps = max(1, min(_int(params.get("ps"), 20), 30))
        cur_max, cur_at = _int(params.get("max")), _int(params.get("view_at"))
        start = 0
        if cur_max or cur_at:
            start = next((i + 1 for i, v in enumerate(items)
                          if v.aid == cur_max and v.view_at == cur_at), None)
            if start is None:
                start = next((i for i, v in enumerate(items) if v.view_at < cur_at), len(items))
        page = items[start:start + ps]
        last = page[-1] if page else None
        cursor = ({"max": last.aid, "view_at": last.view_at, "business": "archive", "ps": ps}
                  if last else {"max": 0, "view_at": 0, "business": "", "ps": ps})
        tabs = [{"type": "archive", "name": "视频"}, {"type": "live", "name": "直播"},
                {"type": "article", "name": "专栏"}]
        return _envelope(0, {"cursor": cursor, "tab": tabs,
                             "list": [_history_json(v) for v in page]})

    def _fav_folders(self, params: dict, **_: Any) -> dict:
        account = self._accounts.get(_int(params.get("up_mid")))
        if account is None:
            return _envelope(-400)
        if not account.favourites:
            return _envelope(0, {"count": 0, "list": None, "season": None})
        folders = []
        for index, (title, videos) in enumerate(account.favourites.items()):
            fid = account.mid % 100000 * 10 + index + 1
            extra = account.invalid_favourites if index == 0 else 0
            folders.append({"id": _media_id(fid, account.mid), "fid": fid, "mid": account.mid,
                            "attr": 0 if index == 0 else 2, "title": title, "fav_state": 0,
                            "media_count": len(videos) + extra})
        return _envelope(0, {"count": len(folders), "list": folders, "season": None})

    def _fav_resource(self, params: dict, **_: Any) -> dict:
        ps, pn = _int(params.get("ps")), max(1, _int(params.get("pn"), 1))
        if not 1 <= ps <= 20:
            return _envelope(-400)
        media_id = _int(params.get("media_id"))
        for account in self._accounts.values():
            for index, (title, videos) in enumerate(account.favourites.items()):
                fid = account.mid % 100000 * 10 + index + 1
                if _media_id(fid, account.mid) != media_id:
                    continue
                medias = [_fav_json(v) for v in videos]
                if index == 0:
                    medias += [_invalid_fav_json(900000 + n)
                               for n in range(account.invalid_favourites)]
                page = medias[(pn - 1) * ps: pn * ps]
                info = {"id": media_id, "fid": fid, "mid": account.mid, "title": title,
                        "cover": "", "media_count": len(medias),
                        "upper": {"mid": account.mid, "name": account.uname, "face": ""},
                        "cnt_info": {"collect": 0, "play": 0, "thumb_up": 0, "share": 0},
                        "intro": "", "ctime": 1598884758, "mtime": 1598884758, "attr": 0}
                return _envelope(0, {"info": info, "medias": page or None,
                                     "has_more": pn * ps < len(medias),
                                     "ttl": int(time.time())})
        return _envelope(-404)

    def _coins(self, params: dict, **_: Any) -> dict:
        account = self._accounts.get(_int(params.get("vmid")))
        if account is None:
            return _envelope(-400)
        items = [dict(_archive_json(v), coins=1, time=v.pubdate + 3600, ip="",
                      inter_video=False) for v in account.coins]
        return _envelope(0, items or None)

    def _likes(self, params: dict, **_: Any) -> dict:
        account = self._accounts.get(_int(params.get("vmid")))
        if account is None:
            return _envelope(-400)
        return _envelope(0, {"list": [_archive_json(v) for v in account.likes]})

    def _popular(self, params: dict, **_: Any) -> dict:
        if not self._signature_ok(params):
            return self._bad_signature()
        pn = max(1, _int(params.get("pn"), 1))
        ps = max(1, min(_int(params.get("ps"), 20), 50))
        page = self.popular[(pn - 1) * ps: pn * ps]
        return _envelope(0, {"list": [_archive_json(v) for v in page],
                             "no_more": pn * ps >= len(self.popular)})

    def _feed(self, params: dict, cookies: dict, session: FakeSession | None, **_: Any) -> dict:
        if not self._signature_ok(params):
            return self._bad_signature()
        if session is None and cookies.get("SESSDATA"):
            return _envelope(-101)
        ps = _int(params.get("ps"), 12)
        if not 1 <= ps <= 30:
            return _envelope(-400)
        idx = max(1, _int(params.get("fresh_idx"), 1))
        source = self._accounts[session.mid].feed if session else self.popular
        page = [_feed_json(v) for v in source[(idx - 1) * ps: idx * ps]]
        if page:  # like the real feed: an ad card and a live room among the videos
            page.insert(min(2, len(page)), _ad_card(idx))
            page.insert(min(5, len(page)), _live_card(idx))
        return _envelope(0, {"item": page, "business_card": None, "floor_info": None,
                             "user_feature": None, "preload_expose_pct": 0.5,
                             "preload_floor_expose_pct": 0.5,
                             "mid": session.mid if session else 0})

    def _visible_video(self, params: dict) -> tuple[Video | None, dict | None]:
        """The requested video, or the error envelope a hidden or unknown one gets."""
        bvid = params.get("bvid", "")
        if bvid in self._hidden:
            return None, _envelope(self._hidden[bvid])
        video = self._known_video(bvid)
        return (video, None) if video is not None else (None, _envelope(-404))

    def _view(self, params: dict, **_: Any) -> dict:
        video, error = self._visible_video(params)
        if video is None:
            return error
        return _envelope(0, dict(_archive_json(video), videos=1, copyright=1, ctime=video.pubdate,
                                 desc="简介", state=0, cid=video.aid + 1))

    def _tags(self, params: dict, **_: Any) -> dict:
        video, error = self._visible_video(params)
        if video is None:
            return error
        return _envelope(0, [{"tag_id": 1000 + i, "tag_name": t, "music_id": "",
                              "tag_type": "old_channel", "jump_url": ""}
                             for i, t in enumerate(video.tags)])

    def _resource_infos(self, params: dict, **_: Any) -> dict:
        """fav/resource/infos: one entry per known video asked (type 2), shuffled; attr 1 for
        hidden ones; unknown aids left out; -400 for a malformed or too long ``resources``."""
        parts = params.get("resources", "").split(",")
        if not 1 <= len(parts) <= RESOURCE_INFOS_MAX:
            return _envelope(-400)
        aids = []
        for part in parts:
            aid, sep, kind = part.partition(":")
            if not (sep and aid.isdigit() and kind.isdigit()):
                return _envelope(-400)
            if int(kind) == 2:
                aids.append(int(aid))
        by_aid: dict[int, Video] = {}
        for video in self._known_videos():
            by_aid.setdefault(video.aid, video)
        data = [_resource_json(by_aid[aid], gone=by_aid[aid].bvid in self._hidden)
                for aid in dict.fromkeys(aids) if aid in by_aid]
        self._shuffle.shuffle(data)
        return _envelope(0, data or None)

    def _signature_ok(self, params: dict) -> bool:
        """Check w_rid the way Bilibili does: md5(sorted encoded query + mixin key)."""
        received, wts = params.get("w_rid"), params.get("wts")
        if not received or not wts or not wts.isdigit():
            return False
        raw = self.img_key + self.sub_key
        mixin = "".join(raw[i] for i in _MIXIN_TAB)
        query = "&".join(
            f"{quote(k, safe='-_.~')}={quote(v.translate(_DROP), safe='-_.~')}"
            for k, v in sorted(params.items()) if k != "w_rid")
        return hashlib.md5((query + mixin).encode()).hexdigest() == received

    def _bad_signature(self) -> dict:
        return _voucher(0 if self.bad_signature_answer == "voucher" else -352)


_ROUTES = {
    "/x/passport-login/web/qrcode/generate": ("GET", FakeBilibili._qr_generate),
    "/x/passport-login/web/qrcode/poll": ("GET", FakeBilibili._qr_poll),
    "/x/web-interface/nav": ("GET", FakeBilibili._nav),
    "/x/frontend/finger/spi": ("GET", FakeBilibili._spi),
    "/x/passport-login/web/cookie/info": ("GET", FakeBilibili._cookie_info),
    "/x/passport-login/web/cookie/refresh": ("POST", FakeBilibili._cookie_refresh),
    "/x/passport-login/web/confirm/refresh": ("POST", FakeBilibili._confirm_refresh),
    "/login/exit/v2": ("POST", FakeBilibili._logout),
    "/x/web-interface/history/cursor": ("GET", FakeBilibili._history),
    "/x/v3/fav/folder/created/list-all": ("GET", FakeBilibili._fav_folders),
    "/x/v3/fav/resource/list": ("GET", FakeBilibili._fav_resource),
    "/x/space/coin/video": ("GET", FakeBilibili._coins),
    "/x/space/like/video": ("GET", FakeBilibili._likes),
    "/x/web-interface/popular": ("GET", FakeBilibili._popular),
    "/x/web-interface/wbi/index/top/feed/rcmd": ("GET", FakeBilibili._feed),
    "/x/web-interface/view": ("GET", FakeBilibili._view),
    "/x/web-interface/view/detail/tag": ("GET", FakeBilibili._tags),
    "/x/v3/fav/resource/infos": ("GET", FakeBilibili._resource_infos),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = -1  # buffered: headers and body leave in one write (no delayed-ACK stalls)
    owner: FakeBilibili

    def setup(self) -> None:
        super().setup()
        # large answers leave at once: no Nagle/delayed-ACK stall of ~40 ms a request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a "slow" fault outlived its timeout)

    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        self.owner.handle(self)

    def do_POST(self) -> None:  # noqa: N802
        self.owner.handle(self)

    def send_json(self, payload: Any, status: int = 200,
                  headers: Iterable[tuple[str, str]] = ()) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_raw(status, body, "application/json; charset=utf-8", headers)

    def send_raw(self, status: int, body: bytes, content_type: str,
                 headers: Iterable[tuple[str, str]] = ()) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return


# --------------------------------------------------------------------- payloads
def _envelope(code: int, data: Any = None) -> dict:
    payload = {"code": code, "message": "0" if code == 0 else MESSAGES.get(code, "错误"),
               "ttl": 1}
    if data is not None or code == 0:
        payload["data"] = data
    return payload


def _passport_answer(code: int, message: str = "", data: Any = None) -> dict:
    """The older passport envelope (login/exit/v2): code, status, ts, message or data."""
    payload: dict[str, Any] = {"code": code, "status": code == 0, "ts": int(time.time())}
    if code == 0:
        payload["data"] = data
    else:
        payload["message"] = message
    return payload


def _voucher(code: int) -> dict:
    return _envelope(code, {"v_voucher": f"voucher_{uuid.uuid4()}"})


def _poll_data(state: int) -> dict:
    messages = {86101: "未扫码", 86090: "二维码已扫码未确认", 86038: "二维码已失效", 0: ""}
    return {"url": "", "refresh_token": "", "timestamp": 0, "code": state,
            "message": messages[state]}


def _set_cookie_headers(cookies: Mapping[str, str]) -> list[tuple[str, str]]:
    expires = time.strftime("%a, %d %b %Y %H:%M:%S GMT",
                            time.gmtime(time.time() + 180 * 86400))
    out = []
    for name in ("SESSDATA", "bili_jct", "DedeUserID", "DedeUserID__ckMd5", "sid"):
        flags = "; HttpOnly; Secure" if name == "SESSDATA" else ""
        out.append(("Set-Cookie", f"{name}={cookies[name]}; Path=/; Domain=bilibili.com; "
                                  f"Expires={expires}{flags}"))
    return out


def _parse_cookie_header(header: str) -> dict[str, str]:
    cookies = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep and name:
            cookies[name] = value
    return cookies


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _media_id(fid: int, mid: int) -> int:
    return int(f"{fid}{mid % 100:02d}")


def _n(value: int | None) -> int:
    return value or 0


def _archive_json(v: Video) -> dict:
    return {
        "aid": v.aid, "bvid": v.bvid, "cid": v.aid + 1, "videos": 1, "tid": v.tid,
        "tname": v.tname, "copyright": 1, "pic": v.cover, "title": v.title, "desc": "-",
        "pubdate": v.pubdate, "ctime": v.pubdate, "duration": v.duration,
        "owner": {"mid": v.owner_mid, "name": v.owner_name,
                  "face": "https://i0.hdslb.com/bfs/face/member/noface.jpg"},
        "stat": {"aid": v.aid, "view": _n(v.view), "danmaku": _n(v.danmaku),
                 "reply": _n(v.reply), "favorite": _n(v.favorite), "coin": _n(v.coin),
                 "share": _n(v.share), "now_rank": 0, "his_rank": 0, "like": _n(v.like),
                 "dislike": 0, "vt": 0, "vv": _n(v.view)},
        "dynamic": "", "short_link_v2": f"https://b23.tv/{v.bvid}", "pub_location": "",
        "rcmd_reason": {"content": v.rcmd_reason, "corner_mark": 0},
    }


def _history_json(v: Video) -> dict:
    return {
        "title": v.title, "long_title": "", "cover": v.cover, "covers": None, "uri": "",
        "history": {"oid": v.aid, "epid": 0, "bvid": v.bvid, "page": 1, "cid": v.aid + 1,
                    "part": "P1", "business": "archive", "dt": 2},
        "videos": 1, "author_name": v.owner_name,
        "author_face": "http://i2.hdslb.com/bfs/face/member/noface.jpg",
        "author_mid": v.owner_mid, "view_at": v.view_at, "progress": v.progress, "badge": "",
        "show_title": "", "duration": v.duration, "current": "", "total": 0, "new_desc": "",
        "is_finish": int(v.progress == -1), "is_fav": int(v.faved), "kid": v.aid,
        "tag_name": v.tname, "live_status": 0,
    }


def _fav_json(v: Video) -> dict:
    return {
        "id": v.aid, "type": 2, "title": v.title, "cover": v.cover, "intro": "简介", "page": 1,
        "duration": v.duration,
        "upper": {"mid": v.owner_mid, "name": v.owner_name, "face": ""}, "attr": 0,
        "cnt_info": {"collect": _n(v.favorite), "play": _n(v.view), "danmaku": _n(v.danmaku)},
        "link": f"bilibili://video/{v.aid}", "ctime": v.pubdate, "pubtime": v.pubdate,
        "fav_time": v.pubdate + 86400, "bv_id": v.bvid, "bvid": v.bvid, "season": None,
    }


def _resource_json(v: Video, gone: bool) -> dict:
    """A fav/resource/infos entry: a favourite-folder media with attr 1 when the video is gone."""
    if gone:
        return dict(_invalid_fav_json(v.aid), attr=1, fav_time=0)
    return dict(_fav_json(v), fav_time=0)


def _invalid_fav_json(aid: int) -> dict:
    bvid = "BV1" + _encode_base58(aid)
    return {"id": aid, "type": 2, "title": INVALID_FAV_TITLE,
            "cover": "http://i0.hdslb.com/bfs/archive/be27fd62c99036dce67efface486fb0a88ffed06.jpg",
            "intro": "", "page": 0, "duration": 0, "upper": {"mid": 0, "name": "", "face": ""},
            "attr": 9, "cnt_info": {"collect": 0, "play": 0, "danmaku": 0},
            "link": f"bilibili://video/{aid}", "ctime": 0, "pubtime": 0, "fav_time": 1600000000,
            "bv_id": bvid, "bvid": bvid, "season": None}


def _feed_json(v: Video) -> dict:
    return {
        "id": v.aid, "bvid": v.bvid, "cid": v.aid + 1, "goto": "av",
        "uri": f"https://www.bilibili.com/video/{v.bvid}", "pic": v.cover, "pic_4_3": v.cover,
        "title": v.title, "duration": v.duration, "pubdate": v.pubdate,
        "owner": {"mid": v.owner_mid, "name": v.owner_name, "face": ""},
        "stat": {"view": _n(v.view), "like": _n(v.like), "danmaku": _n(v.danmaku), "vt": 0},
        "av_feature": None, "is_followed": 0,
        "rcmd_reason": {"content": v.rcmd_reason, "reason_type": 3} if v.rcmd_reason else None,
        "show_info": 1, "track_id": "web_pegasus_0.fake.1", "pos": 0, "room_info": None,
        "ogv_info": None, "business_info": None, "is_stock": 0, "enable_vt": 0,
        "vt_display": "", "dislike_switch": 1, "dislike_switch_pc": 0,
    }


def _ad_card(idx: int) -> dict:
    return {"id": 0, "bvid": "", "cid": 0, "goto": "av", "uri": "", "pic": "", "pic_4_3": "",
            "title": "", "duration": 0, "pubdate": 0, "owner": None, "stat": None,
            "is_followed": 0, "rcmd_reason": None, "show_info": 1, "track_id": "", "pos": 0,
            "room_info": None, "ogv_info": None,
            "business_info": {"id": idx, "archive": {"aid": 1111 + idx,
                                                     "bvid": "BV1ad411x7zz",
                                                     "title": "推广视频"}}}


def _live_card(idx: int) -> dict:
    return {"id": 22603245 + idx, "bvid": "", "cid": 0, "goto": "live",
            "uri": f"https://live.bilibili.com/{22603245 + idx}", "pic": "", "pic_4_3": "",
            "title": "直播中：深夜电台", "duration": 0, "pubdate": 0,
            "owner": {"mid": 50329118, "name": "主播", "face": ""}, "stat": None,
            "is_followed": 0, "rcmd_reason": None, "show_info": 0, "track_id": "", "pos": 0,
            "room_info": {"room_id": 22603245 + idx, "live_status": 1}, "ogv_info": None,
            "business_info": None}


# ------------------------------------------------------------------ test data
_BASE58 = "fZodR9XQDSUm21yCkr6zBqiveYah8bt4xsWpHnJE7jL5VG3guMTKNPAwcF"
_TITLES = ("【4K】川西自驾七日游，雪山与草原", "十分钟学会红烧肉，米其林大厨的秘诀",
           "原神新版本全角色强度排行", "用Python写一个推荐系统", "深夜食堂：一碗热汤面",
           "猫咪第一次见到雪的反应", "考研数学高数冲刺串讲", "钢琴演奏《千与千寻》",
           "手机摄影进阶：夜景怎么拍", "我在故宫修文物的一天", "全网最细RTX显卡评测",
           "街头篮球1v1挑战赛", "AI绘画从入门到精通", "日本京都赏枫攻略",
           "老北京胡同里的早餐", "健身小白的第一个月")
_ZONES = ((76, "美食制作", ("美食", "做饭", "家常菜")), (250, "出行", ("旅行", "自驾", "风景")),
          (17, "单机游戏", ("游戏", "原神", "攻略")), (231, "计算机技术", ("编程", "Python", "AI")),
          (221, "野生动物", ("猫", "萌宠", "动物")), (201, "科学科普", ("知识", "学习", "考研")),
          (59, "演奏", ("音乐", "钢琴", "久石让")), (95, "数码", ("数码", "评测", "摄影")))
_UPLOADERS = ("老番茄", "何同学", "影视飓风", "罗翔说刑法", "李子柒", "半佛仙人", "小约翰可汗",
              "手工耿", "敬汉卿", "木鱼水心", "papi酱")


def _encode_base58(number: int, width: int = 9) -> str:
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 58)
        chars.append(_BASE58[rem])
    return "".join(reversed(chars))


def make_video(i: int, **overrides: Any) -> Video:
    """A plausible, deterministic video record number i (Chinese title, zone, tags, counts);
    any field can be overridden, e.g. make_video(3, view_at=1700000000, progress=-1)."""
    tid, tname, tags = _ZONES[i % len(_ZONES)]
    owner = i % len(_UPLOADERS)
    view = 1000 + (i * 7919) % 2_000_000
    video = Video(
        bvid="BV1" + _encode_base58(100_000 + i * 7),
        aid=1_000_000 + i,
        title=f"{_TITLES[i % len(_TITLES)]} #{i}",
        owner_mid=3_000_000 + owner,
        owner_name=_UPLOADERS[owner],
        tname=tname,
        tid=tid,
        tags=tags,
        duration=60 + (i * 37) % 1800,
        pubdate=1_700_000_000 + i * 3600,
        cover=f"http://i0.hdslb.com/bfs/archive/{i:040x}.jpg",
        view=view,
        like=view // 20,
        coin=view // 80,
        favorite=view // 50,
        reply=view // 200,
        danmaku=view // 100,
        share=view // 300,
        rcmd_reason="百万播放" if view >= 1_000_000 else "",
    )
    return replace(video, **overrides)
