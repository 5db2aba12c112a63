"""The personal recommender: features, training (in a worker process), ranking with ratings.

``Recommender`` (recommender/service.py) is the entry point; the model itself is in models/.
No HTTP and no Telegram here.
"""
from recommender.results import Reason, RankedList, Recommendation, TrainingReport
from recommender.service import Recommender

__all__ = ["Recommender", "Recommendation", "Reason", "RankedList", "TrainingReport"]
