"""The Bilibili web API client: QR login, cookie refresh, behaviour lists and candidate lists.

One ``BilibiliClient`` serves all users and threads. It holds only user-independent state (the
WBI keys and its own buvid3/buvid4); each user's cookies are passed per call, sent as a
``Cookie`` header and never stored: the session's cookie jar refuses every cookie.

Every request carries a browser User-Agent, a bilibili.com Referer and a timeout. Faults of the
``BilibiliUnavailable`` kind are retried a bounded number of times with exponential backoff and
jitter; risk control, expired sessions and other answers are raised at once. Log lines and
exception texts name the endpoint path and Bilibili's code, never a cookie, token or URL query.
"""
from __future__ import annotations

import logging
import math
import random
import threading
import time
from http.cookiejar import DefaultCookiePolicy
from typing import Any, Callable, Iterable, Mapping

import requests

from bilibili import parse, wbi
from bilibili.cookies import cookie_header, from_set_cookie, from_url_query
from bilibili.errors import (BilibiliError, BilibiliUnavailable, NotLoggedIn, RiskControl,
                             VideoUnavailable)
from bilibili.records import FavFolder, NavInfo, QrCode, QrPoll, QrState, VideoStats
from bilibili.refresh import (BILIBILI_REFRESH_PUBLIC_KEY_PEM, correspond_path,
                              load_public_key, parse_refresh_csrf)
from domain import Credentials, Video

logger = logging.getLogger(__name__)

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
REFERER = "https://www.bilibili.com/"

RISK_CODES = {-352, -412, -799}
VIDEO_GONE_CODES = {62002, 62004, 62012}
SERVER_CODES = {-500, -503, -504, -509}
NO_DATA_CODES = (-403, -404, 53013)

HISTORY_PAGE_SIZE = 30
FAV_PAGE_SIZE = 20
POPULAR_MAX_PAGE_SIZE = 50
FEED_MAX_PAGE_SIZE = 30
RESOURCE_INFOS_MAX = 50  # aids per fav/resource/infos request (the batch limit is undocumented)
DEVICE_ID_RETRY_S = 300.0


class BilibiliClient:
    """Client for api.bilibili.com, passport.bilibili.com and www.bilibili.com (see module doc)."""

    def __init__(
        self,
        api_url: str = "https://api.bilibili.com",
        passport_url: str = "https://passport.bilibili.com",
        www_url: str = "https://www.bilibili.com",
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        user_agent: str = DEFAULT_USER_AGENT,
        wbi_ttl: float = 6 * 3600.0,
        refresh_public_key_pem: str = BILIBILI_REFRESH_PUBLIC_KEY_PEM,
    ) -> None:
        if max_retries < 0 or timeout <= 0 or backoff < 0:
            raise ValueError("timeout must be > 0, max_retries and backoff >= 0")
        self.api_url = api_url.rstrip("/")
        self.passport_url = passport_url.rstrip("/")
        self.www_url = www_url.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.wbi_ttl = wbi_ttl
        self._refresh_key = load_public_key(refresh_public_key_pem)
        self._session = requests.Session()
        # the shared session must never keep one user's cookies for the next request
        self._session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self._session.headers.update({
            "User-Agent": user_agent,
            "Referer": REFERER,
            "Origin": REFERER.rstrip("/"),
            "Accept": "application/json, text/plain, */*",
            "Accept-Language": "zh-CN,zh;q=0.9",
        })
        self._random = random.Random()
        self._wbi_lock = threading.Lock()
        self._wbi_keys_cached: tuple[str, str] | None = None
        self._wbi_read_at = 0.0
        self._device_lock = threading.Lock()
        self._device_cookies: dict[str, str] | None = None
        self._device_retry_at = 0.0

    def close(self) -> None:
        """Close the HTTP connections."""
        self._session.close()

    def __enter__(self) -> "BilibiliClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ login
    def qr_generate(self) -> QrCode:
        """A new login QR code (valid 180 s)."""
        path = "/x/passport-login/web/qrcode/generate"
        data = _data_dict(self._call("GET", self.passport_url, path), path)
        url, key = data.get("url"), data.get("qrcode_key")
        if not (isinstance(url, str) and url and isinstance(key, str) and key):
            raise BilibiliUnavailable(path, "answer without url/qrcode_key")
        return QrCode(url=url, qrcode_key=key)

    def qr_poll(self, qrcode_key: str) -> QrPoll:
        """The state of a QR login; on CONFIRMED the cookies and the refresh_token."""
        path = "/x/passport-login/web/qrcode/poll"
        payload, response = self._exchange("GET", self.passport_url, path,
                                           params={"qrcode_key": qrcode_key})
        data = _data_dict(payload, path)
        try:
            state = QrState(int(data.get("code")))
        except (TypeError, ValueError):
            raise BilibiliError(path, "unknown QR state", _as_int(data.get("code"))) from None
        if state is not QrState.CONFIRMED:
            return QrPoll(state=state)
        cookies = from_url_query(str(data.get("url") or ""))
        cookies.update(from_set_cookie(_set_cookie_headers(response)))
        if not all(cookies.get(name) for name in ("SESSDATA", "bili_jct", "DedeUserID")):
            raise BilibiliUnavailable(path, "login confirmed without session cookies")
        refresh_token = str(data.get("refresh_token") or "")
        if not refresh_token:
            logger.warning("%s: login confirmed without refresh_token; it cannot be refreshed",
                           path)
        creds = Credentials(cookies=cookies, refresh_token=refresh_token)
        logger.info("%s: QR login confirmed for mid %s", path, creds.mid)
        return QrPoll(state=state, credentials=creds)

    def nav(self, creds: Credentials | None = None) -> NavInfo:
        """Login state of creds (anonymous when None); also refreshes the cached WBI keys."""
        path = "/x/web-interface/nav"
        payload = self._call("GET", self.api_url, path, creds=creds, accept=(-101,))
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        self._store_wbi_keys(data, path)
        if payload["code"] != 0 or not data.get("isLogin"):
            return NavInfo(is_login=False)
        return NavInfo(is_login=True, mid=_as_int(data.get("mid")) or 0,
                       uname=str(data.get("uname") or ""))

    def logout(self, creds: Credentials) -> None:
        """Sign the session out on Bilibili (passport ``login/exit/v2``): its cookies stop working.

        A session that is already gone (-101, or the login page Bilibili serves instead of JSON
        for dead cookies) counts as done. A wrong csrf answers 2202 (a ``BilibiliError``)."""
        path = "/login/exit/v2"
        if not (creds.csrf and creds.cookies.get("SESSDATA") and creds.cookies.get("DedeUserID")):
            raise BilibiliError(path, "credentials without SESSDATA, bili_jct or DedeUserID")

        def attempt() -> bool:
            response = self._send("POST", self.passport_url, path, creds=creds,
                                  form={"biliCSRF": creds.csrf})
            if _is_login_page(response):
                return False
            payload = _json_envelope(response, path)
            _check(payload, path, (-101,), False)
            return payload["code"] == 0

        # signing out twice is harmless (the second answer says "already gone"), so the usual
        # bounded retries apply
        if self._with_retries(attempt, "POST", path, True):
            logger.info("%s: session of mid %s signed out", path, creds.mid)
        else:
            logger.info("%s: session of mid %s was already signed out", path, creds.mid)

    # ---------------------------------------------------------- cookie refresh
    def refresh_due(self, creds: Credentials) -> bool:
        """Whether Bilibili asks for a cookie refresh; NotLoggedIn when the session is gone."""
        path = "/x/passport-login/web/cookie/info"
        data = _data_dict(self._call("GET", self.passport_url, path, creds=creds), path)
        return bool(data.get("refresh"))

    def refresh_cookies(self, creds: Credentials) -> Credentials:
        """Run Bilibili's refresh flow; returns the new cookies and refresh_token.

        The old session is retired by the final confirm step. Should only that step fail, the
        new credentials (already valid) are still returned and a warning is logged."""
        if not creds.refresh_token or not creds.csrf:
            raise BilibiliError("/x/passport-login/web/cookie/refresh",
                                "credentials without refresh_token or bili_jct")
        info_path = "/x/passport-login/web/cookie/info"
        info = _data_dict(self._call("GET", self.passport_url, info_path, creds=creds), info_path)
        timestamp_ms = _as_int(info.get("timestamp")) or int(time.time() * 1000)
        refresh_csrf = self._refresh_csrf(creds, timestamp_ms)

        refresh_path = "/x/passport-login/web/cookie/refresh"
        form = {"csrf": creds.csrf, "refresh_csrf": refresh_csrf, "source": "main_web",
                "refresh_token": creds.refresh_token}
        # not idempotent: a lost answer cannot be replayed, so no automatic retry here
        payload, response = self._exchange("POST", self.passport_url, refresh_path, form=form,
                                           creds=creds, retry=False)
        data = _data_dict(payload, refresh_path)
        fresh = from_set_cookie(_set_cookie_headers(response))
        new_token = str(data.get("refresh_token") or "")
        if not (fresh.get("SESSDATA") and fresh.get("bili_jct") and new_token):
            raise BilibiliUnavailable(refresh_path, "refresh answer without new session")
        new_creds = Credentials(cookies={**dict(creds.cookies), **fresh}, refresh_token=new_token)

        confirm_path = "/x/passport-login/web/confirm/refresh"
        try:
            self._call("POST", self.passport_url, confirm_path, creds=new_creds,
                       form={"csrf": new_creds.csrf, "refresh_token": creds.refresh_token})
        except BilibiliError as exc:
            logger.warning("%s failed (%s); keeping the new cookies", confirm_path, exc)
        logger.info("cookie refresh done for mid %s", new_creds.mid)
        return new_creds

    def _refresh_csrf(self, creds: Credentials, timestamp_ms: int) -> str:
        label = "/correspond/1/<path>"
        path = "/correspond/1/" + correspond_path(self._refresh_key, timestamp_ms)

        def fetch() -> str:
            response = self._send("GET", self.www_url, path, creds=creds, label=label)
            if response.status_code != 200:
                raise BilibiliError(label, f"HTTP {response.status_code}", response.status_code)
            return response.text

        csrf = parse_refresh_csrf(self._with_retries(fetch, "GET", label, retry=True))
        if not csrf:
            raise BilibiliError(label, "page without refresh_csrf")
        return csrf

    # -------------------------------------------------------------- behaviour
    def history(self, creds: Credentials, cap: int = 1000, *,
                progress: Callable[[int], None] | None = None) -> list[Video]:
        """Watch history, newest first, videos only, at most cap items; progress(n) hears the
        number of records read so far after each page."""
        path = "/x/web-interface/history/cursor"
        videos: list[Video] = []
        seen: set[str] = set()
        cursor = {"max": 0, "view_at": 0, "business": ""}
        max_pages = 2 * math.ceil(max(cap, 0) / HISTORY_PAGE_SIZE) + 2
        for _ in range(max_pages):
            if len(videos) >= cap:
                break
            params = {"ps": HISTORY_PAGE_SIZE, "type": "archive", **cursor}
            data = _data_dict(self._call("GET", self.api_url, path, params=params, creds=creds),
                              path)
            items = data.get("list") or []
            if not items:
                break
            _collect(videos, seen, map(parse.history_video, items), cap)
            if progress is not None:
                progress(len(videos))
            nxt = data.get("cursor") if isinstance(data.get("cursor"), dict) else {}
            new_cursor = {"max": _as_int(nxt.get("max")) or 0,
                          "view_at": _as_int(nxt.get("view_at")) or 0,
                          "business": str(nxt.get("business") or "")}
            if not new_cursor["max"] or new_cursor == cursor:
                break
            cursor = new_cursor
        return videos

    def fav_folders(self, creds: Credentials | None, mid: int) -> list[FavFolder]:
        """The favourite folders created by mid (private ones only with that user's cookies)."""
        path = "/x/v3/fav/folder/created/list-all"
        payload = self._call("GET", self.api_url, path, params={"up_mid": mid}, creds=creds)
        data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
        folders = []
        for item in data.get("list") or []:
            if isinstance(item, dict) and _as_int(item.get("id")):
                folders.append(FavFolder(media_id=_as_int(item["id"]) or 0,
                                         title=str(item.get("title") or ""),
                                         media_count=_as_int(item.get("media_count")) or 0))
        return folders

    def favourites(self, creds: Credentials | None, mid: int, cap: int = 500) -> list[Video]:
        """Videos in all of mid's folders (faved=True), deleted ones skipped, at most cap."""
        path = "/x/v3/fav/resource/list"
        videos: list[Video] = []
        seen: set[str] = set()
        for folder in self.fav_folders(creds, mid):
            pages = math.ceil(folder.media_count / FAV_PAGE_SIZE) + 1
            for pn in range(1, pages + 1):
                if len(videos) >= cap:
                    return videos
                params = {"media_id": folder.media_id, "pn": pn, "ps": FAV_PAGE_SIZE,
                          "order": "mtime", "type": 0, "tid": 0, "platform": "web"}
                payload = self._call("GET", self.api_url, path, params=params, creds=creds,
                                     accept=NO_DATA_CODES)
                if payload["code"] != 0:
                    logger.info("%s: folder %s skipped (code %s)", path, folder.media_id,
                                payload["code"])
                    break
                data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
                _collect(videos, seen, map(parse.favourite_video, data.get("medias") or []), cap)
                if not data.get("has_more"):
                    break
        return videos

    def coined(self, creds: Credentials | None, mid: int) -> list[Video]:
        """Videos mid recently gave coins to (coined=True); hidden or empty lists give []."""
        return self._space_list("/x/space/coin/video", creds, mid, coined=True)

    def liked(self, creds: Credentials | None, mid: int) -> list[Video]:
        """Videos mid recently liked (liked=True); hidden or empty lists give []."""
        return self._space_list("/x/space/like/video", creds, mid, liked=True)

    def _space_list(self, path: str, creds: Credentials | None, mid: int,
                    **flag: bool) -> list[Video]:
        payload = self._call("GET", self.api_url, path, params={"vmid": mid}, creds=creds,
                             accept=NO_DATA_CODES)
        if payload["code"] != 0:
            logger.info("%s: no data for mid %s (code %s)", path, mid, payload["code"])
            return []
        data = payload.get("data")
        items = data.get("list") if isinstance(data, dict) else data
        videos: list[Video] = []
        _collect(videos, set(), (parse.archive_video(i, **flag) for i in items or []), None)
        return videos

    # ------------------------------------------------------------- candidates
    def popular(self, pages: int = 2, page_size: int = 50) -> list[Video]:
        """The site-wide popular list (the same for every user), WBI-signed, several pages."""
        path = "/x/web-interface/popular"
        page_size = max(1, min(page_size, POPULAR_MAX_PAGE_SIZE))
        videos: list[Video] = []
        seen: set[str] = set()
        for pn in range(1, pages + 1):
            params = {"pn": pn, "ps": page_size, "web_location": "333.934"}
            data = _data_dict(self._call("GET", self.api_url, path, params=params, signed=True),
                              path)
            _collect(videos, seen, map(parse.archive_video, data.get("list") or []), None)
            if data.get("no_more"):
                break
        return videos

    def feed(self, creds: Credentials | None, pages: int = 2, page_size: int = 30) -> list[Video]:
        """The user's homepage recommendations, WBI-signed; ads, live and non-videos dropped."""
        path = "/x/web-interface/wbi/index/top/feed/rcmd"
        page_size = max(1, min(page_size, FEED_MAX_PAGE_SIZE))
        rows_per_page = math.ceil(page_size / 4)
        videos: list[Video] = []
        seen: set[str] = set()
        for idx in range(1, pages + 1):
            params = {"web_location": "1430650", "y_num": 4, "fresh_type": 4,
                      "feed_version": "V8", "fresh_idx_1h": idx, "fetch_row": 1 + (idx - 1) *
                      rows_per_page, "fresh_idx": idx, "brush": idx, "homepage_ver": 1,
                      "ps": page_size, "last_y_num": 5}
            data = _data_dict(self._call("GET", self.api_url, path, params=params, creds=creds,
                                         signed=True), path)
            items = data.get("item") or []
            if not items:
                break
            _collect(videos, seen, map(parse.feed_video, items), None)
        return videos

    def video(self, bvid: str, creds: Credentials | None = None, *, tags: bool = True) -> Video:
        """One video's details (and its tags); VideoUnavailable when gone or hidden."""
        path = "/x/web-interface/view"
        data = _data_dict(self._call("GET", self.api_url, path, params={"bvid": bvid},
                                     creds=creds, video=True), path)
        video = parse.archive_video(data)
        if video is None:
            raise BilibiliUnavailable(path, "answer without a video")
        if not tags:
            return video
        tag_path = "/x/web-interface/view/detail/tag"
        payload = self._call("GET", self.api_url, tag_path, params={"bvid": bvid}, creds=creds,
                             video=True)
        names = tuple(str(t["tag_name"]) for t in payload.get("data") or []
                      if isinstance(t, dict) and t.get("tag_name"))
        return video.with_user_side(tags=names)

    def resource_infos(self, aids: Iterable[int]) -> dict[int, VideoStats]:
        """Counts (views, favourites, danmaku), duration and UP主 of up to RESOURCE_INFOS_MAX
        videos in one request, no login needed; one entry per distinct aid asked.

        Deleted or invalid videos (attr 1) and videos Bilibili does not return come back as
        ``VideoStats(aid, gone=True)``, not as errors."""
        wanted = list(dict.fromkeys(int(aid) for aid in aids))
        if not wanted:
            return {}
        if len(wanted) > RESOURCE_INFOS_MAX or min(wanted) <= 0:
            raise ValueError(f"1 to {RESOURCE_INFOS_MAX} positive aids per request")
        path = "/x/v3/fav/resource/infos"
        params = {"resources": ",".join(f"{aid}:{parse.VIDEO_RESOURCE_TYPE}" for aid in wanted),
                  "platform": "web"}
        data = self._call("GET", self.api_url, path, params=params).get("data")
        if data is not None and not isinstance(data, list):
            raise BilibiliUnavailable(path, "answer without a data list")
        found = {stats.aid: stats for stats in map(parse.resource_stats, data or [])
                 if stats is not None}
        return {aid: found.get(aid) or VideoStats(aid=aid, gone=True) for aid in wanted}

    # ------------------------------------------------------------- WBI, buvid
    def _wbi_keys(self, force: bool = False) -> tuple[str, str]:
        with self._wbi_lock:
            fresh = time.monotonic() - self._wbi_read_at < self.wbi_ttl
            if self._wbi_keys_cached and fresh and not force:
                return self._wbi_keys_cached
        logger.info("reading WBI keys from nav%s", " (forced)" if force else "")
        self.nav(None)
        with self._wbi_lock:
            if not self._wbi_keys_cached:
                raise BilibiliUnavailable("/x/web-interface/nav", "no WBI keys in answer")
            return self._wbi_keys_cached

    def _store_wbi_keys(self, data: Mapping[str, Any], path: str) -> None:
        img = data.get("wbi_img") if isinstance(data.get("wbi_img"), dict) else {}
        img_key = wbi.key_from_url(str(img.get("img_url") or ""))
        sub_key = wbi.key_from_url(str(img.get("sub_url") or ""))
        if len(img_key) != 32 or len(sub_key) != 32:
            logger.warning("%s: answer without usable wbi_img keys", path)
            return
        with self._wbi_lock:
            self._wbi_keys_cached = (img_key, sub_key)
            self._wbi_read_at = time.monotonic()

    def _signed(self, params: Mapping[str, Any]) -> dict[str, str]:
        img_key, sub_key = self._wbi_keys()
        return wbi.sign(params, img_key, sub_key, int(time.time()))

    def _device_ids(self) -> dict[str, str]:
        """This client's buvid3/buvid4 from finger/spi, read once (retried after a pause)."""
        with self._device_lock:
            if self._device_cookies is not None:
                return self._device_cookies
            if time.monotonic() < self._device_retry_at:
                return {}
            path = "/x/frontend/finger/spi"
            try:
                payload = self._call("GET", self.api_url, path, retry=False, device=False)
                data = _data_dict(payload, path)
                ids = {"buvid3": str(data.get("b_3") or ""), "buvid4": str(data.get("b_4") or "")}
                self._device_cookies = {k: v for k, v in ids.items() if v}
            except BilibiliError as exc:
                logger.warning("no buvid3/buvid4 for now: %s", exc)
                self._device_retry_at = time.monotonic() + DEVICE_ID_RETRY_S
                return {}
            return self._device_cookies

    # ---------------------------------------------------------------- HTTP
    def _call(self, method: str, base: str, path: str, **kwargs: Any) -> dict:
        return self._exchange(method, base, path, **kwargs)[0]

    def _exchange(self, method: str, base: str, path: str, *,
                  params: Mapping[str, Any] | None = None, form: Mapping[str, str] | None = None,
                  creds: Credentials | None = None, signed: bool = False, retry: bool = True,
                  accept: Iterable[int] = (), video: bool = False,
                  device: bool = True) -> tuple[dict, requests.Response]:
        """One JSON request with error mapping, retries and (if signed) one WBI key re-read."""
        accept = tuple(accept)
        rekeyed = False
        while True:
            def attempt() -> tuple[dict, requests.Response]:
                sent = self._signed(params or {}) if signed else params
                response = self._send(method, base, path, params=sent, form=form, creds=creds,
                                      device=device)
                payload = _json_envelope(response, path)
                _check(payload, path, accept, video)
                return payload, response

            try:
                return self._with_retries(attempt, method, path, retry)
            except RiskControl as exc:
                if not (signed and exc.wbi_suspect and not rekeyed):
                    raise
                rekeyed = True
                logger.warning("%s %s: %s; re-reading WBI keys once", method, path, exc.detail)
                self._wbi_keys(force=True)

    def _with_retries(self, attempt: Callable[[], Any], method: str, label: str,
                      retry: bool) -> Any:
        tries = self.max_retries + 1 if retry else 1
        for number in range(1, tries + 1):
            try:
                return attempt()
            except BilibiliUnavailable as exc:
                if number >= tries:
                    logger.warning("%s %s: %s; giving up after %d attempt(s)", method, label,
                                   exc.detail, number)
                    raise
                base = min(self.max_backoff, self.backoff * 2 ** (number - 1))
                delay = base + self._random.uniform(0, base)
                logger.warning("%s %s: %s; retry %d/%d in %.2fs", method, label, exc.detail,
                               number, tries - 1, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _send(self, method: str, base: str, path: str, *,
              params: Mapping[str, Any] | None = None, form: Mapping[str, str] | None = None,
              creds: Credentials | None = None, device: bool = True,
              label: str | None = None) -> requests.Response:
        label = label or path
        cookies = dict(self._device_ids()) if device else {}
        if creds is not None:
            cookies.update(creds.cookies)
        headers = {"Cookie": cookie_header(cookies)} if cookies else {}
        try:
            response = self._session.request(method, base + path, params=params, data=form,
                                             headers=headers, timeout=self.timeout,
                                             allow_redirects=False)
        except requests.Timeout:
            raise BilibiliUnavailable(label, f"timed out after {self.timeout}s") from None
        except requests.RequestException as exc:
            raise BilibiliUnavailable(label, f"connection failed ({type(exc).__name__})") from None
        logger.debug("%s %s -> HTTP %s", method, label, response.status_code)
        if response.status_code in (412, 429):
            raise RiskControl(label, f"HTTP {response.status_code}, request blocked",
                              response.status_code)
        if response.status_code >= 500:
            raise BilibiliUnavailable(label, f"HTTP {response.status_code}",
                                      response.status_code)
        return response


def _json_envelope(response: requests.Response, path: str) -> dict:
    if response.status_code != 200:
        raise BilibiliError(path, f"HTTP {response.status_code}", response.status_code)
    try:
        payload = response.json()
    except ValueError:
        raise BilibiliUnavailable(path, "malformed JSON") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), int):
        raise BilibiliUnavailable(path, "JSON without the code/message/data envelope")
    return payload


def _is_login_page(response: requests.Response) -> bool:
    """Whether Bilibili answered with (or redirected to) its login page: dead cookies."""
    if 300 <= response.status_code < 400:
        return "login" in response.headers.get("Location", "")
    content_type = response.headers.get("Content-Type", "")
    return response.status_code == 200 and content_type.startswith("text/html")


def _check(payload: dict, path: str, accept: tuple[int, ...], video: bool) -> None:
    """Raise the exception for an envelope's code (codes in accept are returned to the caller)."""
    code = payload["code"]
    data = payload.get("data")
    message = str(payload.get("message") or "")[:80]
    if isinstance(data, dict) and data.get("v_voucher"):
        raise RiskControl(path, "v_voucher risk-control challenge", code, wbi_suspect=True)
    if code == 0 or code in accept:
        return
    if code == -101:
        raise NotLoggedIn(path, message or "not logged in", code)
    if code in RISK_CODES:
        raise RiskControl(path, message or "risk control", code, wbi_suspect=code == -352)
    if code in VIDEO_GONE_CODES or (video and code == -404):
        raise VideoUnavailable(path, message or "video unavailable", code)
    if code in SERVER_CODES:
        raise BilibiliUnavailable(path, message or "server error", code)
    raise BilibiliError(path, message or "error", code)


def _data_dict(payload: dict, path: str) -> dict:
    data = payload.get("data")
    if not isinstance(data, dict):
        raise BilibiliUnavailable(path, "answer without a data object")
    return data


def _collect(videos: list[Video], seen: set[str], parsed: Iterable[Video | None],
             cap: int | None) -> None:
    """Append the parsed videos not seen yet, stopping at cap."""
    for video in parsed:
        if cap is not None and len(videos) >= cap:
            return
        if video is not None and video.bvid not in seen:
            seen.add(video.bvid)
            videos.append(video)


def _set_cookie_headers(response: requests.Response) -> list[str]:
    raw_headers = getattr(response.raw, "headers", None)
    if raw_headers is not None and hasattr(raw_headers, "getlist"):
        return list(raw_headers.getlist("Set-Cookie"))
    single = response.headers.get("Set-Cookie")
    return [single] if single else []


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
