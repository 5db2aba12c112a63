"""The plain records every layer shares: videos, credentials, impressions (domain/records.py).

They import nothing of BiliRec, so bilibili/, recommender/, storage/ and bot/ can all use them
without depending on each other.
"""
from domain.records import Credentials, Impression, Video, merge_videos

__all__ = ["Video", "Credentials", "Impression", "merge_videos"]
