"""Keras model definitions: the per-user Wide&Deep+GRU recommender model (TensorFlow is imported lazily)."""
from models.wide_deep import (INPUT_NAMES, MAX_SEQ, MAX_TAGS, MAX_TITLE, MODEL_FORMAT, N_AFFINITY,
                              N_QUALITY, PAD_ID, UNKNOWN_ID, ModelSpec, Scorer, build_wide_deep,
                              load_model, read_weights, weights_to_bytes)
from models.trainer import FitOutcome, ModelTrainer, TrainerPool

__all__ = ["INPUT_NAMES", "MAX_SEQ", "MAX_TAGS", "MAX_TITLE", "MODEL_FORMAT", "N_AFFINITY",
           "N_QUALITY", "PAD_ID", "UNKNOWN_ID", "ModelSpec", "Scorer", "build_wide_deep",
           "load_model", "read_weights", "weights_to_bytes", "FitOutcome", "ModelTrainer",
           "TrainerPool"]
