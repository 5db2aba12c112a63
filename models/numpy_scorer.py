"""The Wide&Deep+GRU model's forward pass in numpy alone: serving without TensorFlow.

Exactly the graph of ``models.wide_deep.build_wide_deep`` at inference (dropout off), in
float32 like Keras:

- embeddings (padding id 0 is a row like any other; the pooling masks it);
- ``MaskedAttentionPooling`` over the tags: masked positions get exactly zero weight, an
  all-padding row pools to a zero vector;
- ``MaskedMeanPooling`` over the title tokens (all padding -> zeros);
- the masked GRU over the watch sequence with Keras' defaults (``reset_after=True``, gate order
  z, r, h, sigmoid recurrent activation, tanh activation, zero initial state); a masked step keeps
  the previous state, and the output is the state after the last step;
- the dense layers, the prior weight and the sigmoid.

The weights come from the model file (``models.wide_deep.read_weights``), a list in Keras
``get_weights()`` order for the graph the stored ``ModelSpec`` fixes. ``weight_layout(spec)``
names that order; the loader checks every array's shape against it, and a test checks the names
against the Keras model's own weight paths.

The sequence part (GRU + state projection) depends on the user's history only: rows that share
their sequence (every row of a serving call) compute it once.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from models.wide_deep import (INPUT_NAMES, N_AFFINITY, N_QUALITY, PAD_ID, ModelSpec,
                              read_weights)

_F = np.float32
EMBEDDINGS = ("tag_embedding/embeddings", "author_embedding/embeddings",
              "token_embedding/embeddings")


def weight_layout(spec: ModelSpec) -> list[tuple[str, tuple[int, ...]]]:
    """(name, shape) of every weight, in the order Keras' ``model.get_weights()`` lists them."""
    e, g, h = spec.embed_dim, spec.gru_units, spec.hidden_units
    deep_in = 5 * e + N_AFFINITY     # tag, author, title, state, match vectors + affinity
    return [
        ("tag_embedding/embeddings", (spec.n_tags, e)),
        ("author_embedding/embeddings", (spec.n_authors, e)),
        ("token_embedding/embeddings", (spec.n_tokens, e)),
        ("tag_attention/key", (e, e)),
        ("tag_attention/query", (e,)),
        ("watch_gru/gru_cell/kernel", (2 * e, 3 * g)),
        ("watch_gru/gru_cell/recurrent_kernel", (g, 3 * g)),
        ("watch_gru/gru_cell/bias", (2, 3 * g)),
        ("state_projection/kernel", (g, e)),
        ("state_projection/bias", (e,)),
        ("deep_hidden/kernel", (deep_in, h)),
        ("deep_hidden/bias", (h,)),
        ("deep_logit/kernel", (h, 1)),
        ("deep_logit/bias", (1,)),
        ("wide_logit/kernel", (N_QUALITY + N_AFFINITY, 1)),
        ("wide_logit/bias", (1,)),
        ("prior_weight/kernel", (1, 1)),
    ]


def named_weights(spec: ModelSpec, weights: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The weight list by name; ValueError when the count or any shape does not fit the spec."""
    layout = weight_layout(spec)
    if len(weights) != len(layout):
        raise ValueError(f"{len(weights)} weight arrays, the graph has {len(layout)}")
    named = {}
    for (name, shape), array in zip(layout, weights):
        array = np.asarray(array)
        if tuple(array.shape) != shape:
            raise ValueError(f"weight {name} has shape {array.shape}, expected {shape}")
        named[name] = np.ascontiguousarray(array, dtype=_F)
    return named


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # split by sign so neither branch overflows
    out = np.empty_like(x)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1.0 + e)
    return out


class NumpyScorer:
    """The model as a numpy function: ``scorer(inputs)`` -> probabilities (float64 array)."""

    def __init__(self, spec: ModelSpec, weights: list[np.ndarray], *,
                 embedding_rows: tuple[int, int, int] | None = None) -> None:
        """``embedding_rows`` (tags, authors, tokens): keep only that many first rows of each
        embedding table. A user's vocabularies fill a small part of the fixed capacities, so a
        served model then holds ~10x fewer bytes; ids below the counts score exactly as with
        the whole tables, a larger id raises IndexError."""
        self.spec = spec
        self.w = named_weights(spec, weights)
        if embedding_rows is not None:
            for name, rows in zip(EMBEDDINGS, embedding_rows):
                self.w[name] = self.w[name][:max(1, rows)].copy()
        w = self.w
        g = spec.gru_units
        bias = w["watch_gru/gru_cell/bias"]
        self._gru_kernel = w["watch_gru/gru_cell/kernel"]
        self._gru_recurrent = w["watch_gru/gru_cell/recurrent_kernel"]
        self._gru_input_bias, self._gru_recurrent_bias = bias[0], bias[1]
        self._units = g
        self.nbytes = sum(a.nbytes for a in w.values())

    @classmethod
    def load(cls, path: Path, *,
             embedding_rows: tuple[int, int, int] | None = None) -> "NumpyScorer":
        """The scorer of a model file (ValueError for another format or a mismatched file)."""
        spec, weights = read_weights(Path(path))
        return cls(spec, weights, embedding_rows=embedding_rows)

    # --- parts ----------------------------------------------------------------------------

    def _tag_vector(self, tags: np.ndarray) -> np.ndarray:
        w = self.w
        embedded = w["tag_embedding/embeddings"][tags]                 # [B, T, E]
        mask = (tags != PAD_ID).astype(_F)
        keys = np.tanh(embedded @ w["tag_attention/key"])
        logits = np.sum(keys * w["tag_attention/query"], axis=-1)      # [B, T]
        logits = np.where(mask > 0, logits, _F(-1e9))
        logits = logits - logits.max(axis=-1, keepdims=True)
        weights = np.exp(logits)
        weights = weights / weights.sum(axis=-1, keepdims=True) * mask
        weights = weights / (weights.sum(axis=-1, keepdims=True) + _F(1e-9))
        return np.sum(embedded * weights[..., None], axis=1)

    def _title_vector(self, title: np.ndarray) -> np.ndarray:
        embedded = self.w["token_embedding/embeddings"][title]
        mask = (title != PAD_ID).astype(_F)
        total = np.sum(embedded * mask[..., None], axis=1)
        count = np.maximum(mask.sum(axis=-1, keepdims=True), _F(1.0))
        return total / count

    def _state(self, seq_author: np.ndarray, seq_zone: np.ndarray) -> np.ndarray:
        """The projected GRU state of each row's watch sequence: [B, E]."""
        w = self.w
        items = np.concatenate([w["author_embedding/embeddings"][seq_author],
                                w["tag_embedding/embeddings"][seq_zone]], axis=-1)  # [B, S, 2E]
        mask = seq_zone > PAD_ID
        u = self._units
        x = items @ self._gru_kernel + self._gru_input_bias                 # [B, S, 3G]
        h = np.zeros((items.shape[0], u), dtype=_F)
        for t in range(items.shape[1]):
            step = mask[:, t]
            if not step.any():
                continue
            xt = x[:, t]
            inner = h @ self._gru_recurrent + self._gru_recurrent_bias
            z = _sigmoid(xt[:, :u] + inner[:, :u])
            r = _sigmoid(xt[:, u:2 * u] + inner[:, u:2 * u])
            candidate = np.tanh(xt[:, 2 * u:] + r * inner[:, 2 * u:])
            new = z * h + (1 - z) * candidate
            h = np.where(step[:, None], new, h)
        return np.tanh(h @ w["state_projection/kernel"] + w["state_projection/bias"])

    def _states(self, seq_author: np.ndarray, seq_zone: np.ndarray) -> np.ndarray:
        """``_state`` per row, computed once per distinct sequence."""
        if len(seq_zone) > 1 and (seq_author == seq_author[0]).all() \
                and (seq_zone == seq_zone[0]).all():
            one = self._state(seq_author[:1], seq_zone[:1])
            return np.broadcast_to(one, (len(seq_zone), one.shape[1]))
        both = np.concatenate([seq_author, seq_zone], axis=1)
        unique, inverse = np.unique(both, axis=0, return_inverse=True)
        if len(unique) == len(both):
            return self._state(seq_author, seq_zone)
        half = seq_author.shape[1]
        states = self._state(unique[:, :half], unique[:, half:])
        return states[inverse.reshape(-1)]

    # --- the whole graph ------------------------------------------------------------------

    def logits(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """The output logit per row (float32)."""
        w = self.w
        x = {name: np.asarray(inputs[name]) for name in INPUT_NAMES}
        tag_vector = self._tag_vector(x["tags"].astype(np.int64, copy=False))
        author_vector = w["author_embedding/embeddings"][x["author"].astype(np.int64,
                                                                            copy=False)]
        title_vector = self._title_vector(x["title"].astype(np.int64, copy=False))
        state = self._states(x["seq_author"].astype(np.int64, copy=False),
                             x["seq_zone"].astype(np.int64, copy=False))
        match = state * (tag_vector + author_vector + title_vector)
        affinity = x["affinity"].astype(_F, copy=False)
        quality = x["quality"].astype(_F, copy=False)
        prior = x["prior"].astype(_F, copy=False).reshape(-1, 1)
        deep_in = np.concatenate(
            [tag_vector, author_vector, title_vector, state, match, affinity], axis=1)
        hidden = np.maximum(deep_in @ w["deep_hidden/kernel"] + w["deep_hidden/bias"], _F(0.0))
        deep = hidden @ w["deep_logit/kernel"] + w["deep_logit/bias"]
        wide = (np.concatenate([quality, affinity], axis=1) @ w["wide_logit/kernel"]
                + w["wide_logit/bias"])
        return (deep + wide + prior @ w["prior_weight/kernel"]).reshape(-1)

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Probabilities for a batch of encoded candidates (float64 numpy array)."""
        if len(inputs["author"]) == 0:
            return np.zeros(0)
        return _sigmoid(self.logits(inputs)).astype(np.float64)
