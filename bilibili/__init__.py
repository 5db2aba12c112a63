"""Bilibili web API client (requests only; no Telegram, no database).

``BilibiliClient`` is shared by all users and threads; per-user cookies travel in
``domain.Credentials`` on each call. Errors are in ``bilibili.errors``.
"""
from bilibili.client import BilibiliClient
from bilibili.records import FavFolder, NavInfo, QrCode, QrPoll, QrState, VideoStats

__all__ = ["BilibiliClient", "FavFolder", "NavInfo", "QrCode", "QrPoll", "QrState", "VideoStats"]
