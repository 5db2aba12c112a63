"""The per-user Wide&Deep+GRU recommender model: Keras definition and training (TensorFlow is
imported lazily, in the worker) and its numpy forward pass for serving (``numpy_scorer``)."""
from models.wide_deep import (INPUT_NAMES, MAX_SEQ, MAX_TAGS, MAX_TITLE, MODEL_FORMAT, N_AFFINITY,
                              N_QUALITY, PAD_ID, UNKNOWN_ID, ModelSpec, Scorer, build_wide_deep,
                              load_model, read_weights, weights_to_bytes)
from models.numpy_scorer import NumpyScorer, weight_layout
from models.trainer import FitOutcome, ModelTrainer, TrainerPool

__all__ = ["INPUT_NAMES", "MAX_SEQ", "MAX_TAGS", "MAX_TITLE", "MODEL_FORMAT", "N_AFFINITY",
           "N_QUALITY", "PAD_ID", "UNKNOWN_ID", "ModelSpec", "NumpyScorer", "Scorer",
           "build_wide_deep", "load_model", "read_weights", "weight_layout", "weights_to_bytes",
           "FitOutcome", "ModelTrainer", "TrainerPool"]
