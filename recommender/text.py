"""Title tokenization with jieba (initialised once, quietly) for features and baselines."""
from __future__ import annotations

import logging
import re
import threading
from functools import lru_cache

_init_lock = threading.Lock()
_initialised = []  # becomes [True] once jieba's dictionary is loaded (not user data)

STOPWORDS = frozenset(
    "的 了 是 我 你 他 她 它 们 在 和 与 就 都 也 又 还 吗 吧 啊 呢 哦 么 这 那 一个 什么 怎么 为什么 "
    "没有 不是 就是 可以 自己 我们 你们 他们 这个 那个 一下 一起 真的 如何 到底 竟然 居然 终于 "
    "the a an of to and in on for is are with".split())
# a token worth keeping: CJK text, or a latin/digit word with at least one letter
_KEEP = re.compile(r"[\u4e00-\u9fff]|[A-Za-z]")
_MAX_TITLE_CHARS = 200


def warm_up() -> threading.Thread | None:
    """Load jieba's dictionary (seconds) now, in a daemon thread, so that no user's first
    request pays for it: call at start-up. None when it is loaded already; a tokenization that
    comes first simply waits for the same load."""
    if _initialised:
        return None
    thread = threading.Thread(target=_warm, name="jieba-warm-up", daemon=True)
    thread.start()
    return thread


def _warm() -> None:
    try:
        _jieba()
    except Exception:  # noqa: BLE001 - the first tokenization will retry and report
        logging.getLogger(__name__).exception("loading jieba's dictionary failed")


def _jieba():
    import jieba

    if not _initialised:
        with _init_lock:
            if not _initialised:
                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _initialised.append(True)
    return jieba


@lru_cache(maxsize=65536)
def title_tokens(title: str) -> tuple[str, ...]:
    """The meaningful jieba tokens of a title, lower-cased, in order, duplicates removed.

    Punctuation, single characters and stop words are dropped; an empty title gives ().
    """
    if not title:
        return ()
    seen: dict[str, None] = {}
    for token in _jieba().cut(title[:_MAX_TITLE_CHARS]):
        token = token.strip().lower()
        if len(token) < 2 or token in STOPWORDS or not _KEEP.search(token):
            continue
        seen.setdefault(token, None)
    return tuple(seen)
