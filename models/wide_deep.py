"""The per-user Wide&Deep+GRU model: Keras functional model, compiled scorer, save and load.

Inputs (all built by recommender.features, identically for training and serving):

- ``tags``        int32 [B, MAX_TAGS]   zone name + listing tags; 0 = padding, 1 = unknown tag
- ``author``      int32 [B]             UP主 id; 0 = none, 1 = unknown UP主
- ``title``       int32 [B, MAX_TITLE]  jieba title tokens; 0 = padding, 1 = unknown token
- ``seq_author``  int32 [B, MAX_SEQ]    UP主 ids of the user's recent watches (oldest first)
- ``seq_zone``    int32 [B, MAX_SEQ]    zone ids of the same watches; 0 = padding
- ``affinity``    float32 [B, N_AFFINITY]  how familiar the candidate is to the user (both parts)
- ``quality``     float32 [B, N_QUALITY]   standardized quality log-ratios (wide part only)
- ``prior``       float32 [B, 1]        logit of the content-affinity score (the fallback ranker)

The prior enters the output logit through one weight initialised to 1, and the deep and wide
output layers start at zero: an untrained model ranks exactly like the content ranker, and
training learns a correction to it rather than everything from scratch.

Padding id 0 is masked everywhere: it never collides with a real id and a row that is all
padding pools to a zero vector (never NaN). Output: sigmoid probability of engagement.

The model file is one ``.npz`` holding the weights plus the ``ModelSpec`` as JSON
(``weights_to_bytes``; the recommender writes it atomically through storage); loading rebuilds the graph from the spec and sets
the weights, so a loaded model scores bit-identically. Serving does not use this module's
Keras side: ``models.numpy_scorer`` runs the same forward pass in numpy from the same file.
"""
from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

MAX_TAGS = 6
MAX_TITLE = 12
MAX_SEQ = 16
N_AFFINITY = 9
N_QUALITY = 6
INPUT_NAMES = ("tags", "author", "title", "seq_author", "seq_zone", "affinity", "quality",
               "prior")
# the graph's version: a file of another version cannot be loaded into this graph
MODEL_FORMAT = 2
PAD_ID = 0
UNKNOWN_ID = 1


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to rebuild the graph: vocabulary sizes (ids 0..size-1) and widths."""

    n_tags: int
    n_authors: int
    n_tokens: int
    embed_dim: int = 16
    gru_units: int = 16
    hidden_units: int = 32
    l2: float = 1e-4
    dropout: float = 0.0
    format: int = MODEL_FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ModelSpec":
        data = json.loads(text)
        data.setdefault("format", 1)   # files written before the format was recorded
        return cls(**data)


def _keras():
    import keras  # lazy: importing TensorFlow costs seconds

    return keras


def _layers():
    keras = _keras()
    from keras import ops

    class MaskedAttentionPooling(keras.layers.Layer):
        """Attention pooling with a learned query; masked positions get exactly zero weight."""

        def build(self, input_shape):
            dim = input_shape[0][-1]
            self.key = self.add_weight(name="key", shape=(dim, dim), initializer="glorot_uniform")
            self.query = self.add_weight(name="query", shape=(dim,), initializer="glorot_uniform")

        def call(self, inputs):
            embedded, mask = inputs
            keys = ops.tanh(ops.matmul(embedded, self.key))
            logits = ops.sum(keys * self.query, axis=-1)
            logits = ops.where(mask > 0, logits, ops.full_like(logits, -1e9))
            weights = ops.softmax(logits, axis=-1) * mask
            weights = weights / (ops.sum(weights, axis=-1, keepdims=True) + 1e-9)
            return ops.sum(embedded * ops.expand_dims(weights, -1), axis=1)

    class MaskedMeanPooling(keras.layers.Layer):
        """Average over the unmasked positions; an all-padding row gives zeros."""

        def call(self, inputs):
            embedded, mask = inputs
            total = ops.sum(embedded * ops.expand_dims(mask, -1), axis=1)
            count = ops.maximum(ops.sum(mask, axis=-1, keepdims=True), 1.0)
            return total / count

    class PaddingMask(keras.layers.Layer):
        """1.0 where the id is a real id, 0.0 for padding."""

        def call(self, ids):
            return ops.cast(ops.not_equal(ids, PAD_ID), "float32")

    return MaskedAttentionPooling, MaskedMeanPooling, PaddingMask


def build_wide_deep(spec: ModelSpec):
    """The functional Keras model for one user (uncompiled)."""
    keras = _keras()
    from keras import layers, regularizers

    MaskedAttentionPooling, MaskedMeanPooling, PaddingMask = _layers()
    reg = regularizers.L2(spec.l2)
    tags = keras.Input((MAX_TAGS,), dtype="int32", name="tags")
    author = keras.Input((), dtype="int32", name="author")
    title = keras.Input((MAX_TITLE,), dtype="int32", name="title")
    seq_author = keras.Input((MAX_SEQ,), dtype="int32", name="seq_author")
    seq_zone = keras.Input((MAX_SEQ,), dtype="int32", name="seq_zone")
    affinity = keras.Input((N_AFFINITY,), dtype="float32", name="affinity")
    quality = keras.Input((N_QUALITY,), dtype="float32", name="quality")
    prior = keras.Input((1,), dtype="float32", name="prior")

    tag_embedding = layers.Embedding(spec.n_tags, spec.embed_dim, embeddings_regularizer=reg,
                                     name="tag_embedding")
    author_embedding = layers.Embedding(spec.n_authors, spec.embed_dim,
                                        embeddings_regularizer=reg, name="author_embedding")
    token_embedding = layers.Embedding(spec.n_tokens, spec.embed_dim, embeddings_regularizer=reg,
                                       name="token_embedding")

    tag_vector = MaskedAttentionPooling(name="tag_attention")(
        [tag_embedding(tags), PaddingMask(name="tag_mask")(tags)])
    author_vector = author_embedding(author)
    title_vector = MaskedMeanPooling(name="title_pooling")(
        [token_embedding(title), PaddingMask(name="title_mask")(title)])

    seq_items = layers.Concatenate(name="seq_items")(
        [author_embedding(seq_author), tag_embedding(seq_zone)])
    seq_mask = layers.Lambda(lambda ids: ids > PAD_ID, name="seq_mask")(seq_zone)
    state = layers.GRU(spec.gru_units, name="watch_gru")(seq_items, mask=seq_mask)
    state = layers.Dense(spec.embed_dim, activation="tanh", name="state_projection")(state)
    item_vector = layers.Add(name="item_vector")([tag_vector, author_vector, title_vector])
    match = layers.Multiply(name="state_item_match")([state, item_vector])

    deep_in = layers.Concatenate(name="deep_input")(
        [tag_vector, author_vector, title_vector, state, match, affinity])
    hidden = layers.Dense(spec.hidden_units, activation="relu", kernel_regularizer=reg,
                          name="deep_hidden")(deep_in)
    if spec.dropout:
        hidden = layers.Dropout(spec.dropout, name="deep_dropout")(hidden)
    deep_logit = layers.Dense(1, kernel_initializer="zeros", name="deep_logit")(hidden)
    wide_in = layers.Concatenate(name="wide_input")([quality, affinity])
    wide_logit = layers.Dense(1, kernel_initializer="zeros",
                              kernel_regularizer=regularizers.L2(1e-3), name="wide_logit")(wide_in)
    prior_logit = layers.Dense(1, use_bias=False,
                               kernel_initializer=keras.initializers.Constant(1.0),
                               name="prior_weight")(prior)
    logit = layers.Add(name="logit")([deep_logit, wide_logit, prior_logit])
    probability = layers.Activation("sigmoid", name="probability")(logit)
    probability = layers.Reshape((), name="score")(probability)
    return keras.Model(
        {"tags": tags, "author": author, "title": title, "seq_author": seq_author,
         "seq_zone": seq_zone, "affinity": affinity, "quality": quality, "prior": prior},
        probability, name="wide_deep")


def weights_to_bytes(weights: list[np.ndarray], spec: ModelSpec) -> bytes:
    """Weights + spec as the bytes of one uncompressed .npz (the caller writes them atomically).

    Uncompressed: float weights barely compress (~7 %), and reading them back then costs a few
    milliseconds instead of ~10 (a serving cache miss reads it); ``read_weights`` reads both."""
    buffer = io.BytesIO()
    arrays = {f"w{i:03d}": np.asarray(w) for i, w in enumerate(weights)}
    np.savez(buffer, spec=np.array(spec.to_json()), **arrays)
    return buffer.getvalue()


def read_weights(path: Path) -> tuple[ModelSpec, list[np.ndarray]]:
    """The spec and weight arrays stored in a model file (no TensorFlow needed).

    Raises ValueError for a file of another graph version (the user is then served by the
    content ranker until the next training writes a current file).
    """
    with np.load(Path(path), allow_pickle=False) as archive:
        spec = ModelSpec.from_json(str(archive["spec"]))
        if spec.format != MODEL_FORMAT:
            raise ValueError(f"model format {spec.format} is not the current {MODEL_FORMAT}")
        names = sorted(name for name in archive.files if name.startswith("w"))
        weights = [archive[name] for name in names]
    return spec, weights


def load_model(path: Path):
    """Rebuild the model saved at ``path``; returns (model, spec)."""
    spec, weights = read_weights(path)
    model = build_wide_deep(spec)
    model.set_weights(weights)
    return model, spec


class Scorer:
    """The model as one concrete TensorFlow function (fixed input signature): traced once at
    construction; a call skips tf.function's per-call argument matching, which costs about as
    much as scoring 200 candidates."""

    def __init__(self, model) -> None:
        import tensorflow as tf

        self.model = model
        self._signature = [
            tf.TensorSpec((None, MAX_TAGS), tf.int32, name="tags"),
            tf.TensorSpec((None,), tf.int32, name="author"),
            tf.TensorSpec((None, MAX_TITLE), tf.int32, name="title"),
            tf.TensorSpec((None, MAX_SEQ), tf.int32, name="seq_author"),
            tf.TensorSpec((None, MAX_SEQ), tf.int32, name="seq_zone"),
            tf.TensorSpec((None, N_AFFINITY), tf.float32, name="affinity"),
            tf.TensorSpec((None, N_QUALITY), tf.float32, name="quality"),
            tf.TensorSpec((None, 1), tf.float32, name="prior"),
        ]

        def score(*tensors):
            return model(dict(zip(INPUT_NAMES, tensors)), training=False)

        self._fn = tf.function(score, input_signature=self._signature).get_concrete_function()
        self._constant = tf.constant

    def __call__(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        """Probabilities for a batch of encoded candidates (float64 numpy array)."""
        if len(inputs["author"]) == 0:
            return np.zeros(0)
        tensors = [self._constant(np.asarray(inputs[name], dtype=spec.dtype.as_numpy_dtype))
                   for name, spec in zip(INPUT_NAMES, self._signature)]
        return np.asarray(self._fn(*tensors), dtype=np.float64).reshape(-1)
