"""The plain records every layer shares: videos, watch records, credentials, impressions
(domain/records.py).

They import nothing of BiliRec, so bilibili/, recommender/, storage/ and bot/ can all use them
without depending on each other.
"""
from domain.records import Credentials, Impression, Video, WatchRecord, merge_videos

__all__ = ["Video", "WatchRecord", "Credentials", "Impression", "merge_videos"]
