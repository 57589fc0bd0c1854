"""Text for transfer learning: labelled sentences, GloVe word vectors, a ``TextVectorization``
vocabulary mapped onto GloVe rows, and a small embedding classifier.

Lesson 14 explains every piece. Data comes through the course's asset resolver
(``sentiment_labelled_sentences``, ``glove_6B_50d``); GloVe files may be Stanford's text format
(``word v1 ... vd``) or gensim-data's word2vec format (a ``count dim`` header line), plain or
gzip-compressed.
"""
from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from helpers import assets

SENTIMENT_FILES = {"amazon": "amazon_cells_labelled.txt", "yelp": "yelp_labelled.txt",
                   "imdb": "imdb_labelled.txt"}
PAD, OOV = "", "[UNK]"  # the first two entries of every TextVectorization vocabulary


class TextDataError(ValueError):
    """A text or word-vector file is malformed; the message names the file and line."""


def read_labelled_sentences(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read ``sentence<TAB>label`` lines (label 0 or 1) into (sentences, int64 labels)."""
    path = Path(path)
    sentences, labels = [], []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            sentence, tab, label = line.rstrip("\n").rpartition("\t")
            if not tab or label.strip() not in {"0", "1"}:
                raise TextDataError(f"{path}, line {number}: expected 'sentence<TAB>0 or 1', got "
                                    f"{line[:60]!r}. Re-download the dataset.")
            sentences.append(sentence.strip())
            labels.append(int(label))
    if not sentences:
        raise TextDataError(f"{path} holds no sentences. Re-download the dataset.")
    return np.array(sentences, dtype=object), np.array(labels, dtype="int64")


def load_sentiment(root: str | Path | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The UCI sentiment sentences as {domain: (sentences, labels)} for amazon, yelp and imdb."""
    root = Path(root) if root else assets.dataset_dir("sentiment_labelled_sentences")
    return {domain: read_labelled_sentences(root / name)
            for domain, name in SENTIMENT_FILES.items()}


@dataclass
class WordVectors:
    """Pretrained word vectors: ``vectors[i]`` belongs to ``words[i]`` (most frequent first)."""

    words: list[str]
    vectors: np.ndarray
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {word: i for i, word in enumerate(self.words)}

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    def __contains__(self, word: str) -> bool:
        return word in self.index

    def __len__(self) -> int:
        return len(self.words)


def find_glove_file(folder: str | Path) -> Path:
    """The one ``glove*`` file inside ``folder`` (plain or .gz)."""
    found = sorted(p for p in Path(folder).glob("glove*") if p.is_file())
    if len(found) != 1:
        raise TextDataError(f"Expected one glove* file in {folder}, found {[p.name for p in found]}."
                            " Keep exactly one (e.g. glove-wiki-gigaword-50.gz).")
    return found[0]


def load_glove(path: str | Path | None = None, max_words: int | None = None) -> WordVectors:
    """Read GloVe vectors (text or word2vec format, plain or .gz); keep the first ``max_words``.

    Without ``path`` the file comes from the asset resolver (``glove_6B_50d``)."""
    path = Path(path) if path else find_glove_file(assets.dataset_dir("glove_6B_50d"))
    opener = gzip.open if path.suffix == ".gz" else open
    words, rows, dim = [], [], None
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.rstrip().split(" ")
            if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header: "<count> <dim>"
            if dim is None:
                dim = len(parts) - 1
            if len(parts) - 1 != dim or dim < 1:
                raise TextDataError(f"{path}, line {number}: {len(parts) - 1} values, expected "
                                    f"{dim}. The file is truncated or not a GloVe file.")
            words.append(parts[0])
            rows.append(parts[1:])
            if max_words and len(words) >= max_words:
                break
    if not words:
        raise TextDataError(f"{path} holds no word vectors.")
    return WordVectors(words, np.asarray(rows, dtype="float32"))


@keras.saving.register_keras_serializable(package="tl_course")
def glove_standardize(texts):
    """Lower-case and split text the way GloVe 6B was tokenized: "didn't" -> "did n't",
    "it's" -> "it 's"; other punctuation becomes spaces. Works on a tf string tensor."""
    import tensorflow as tf

    texts = tf.strings.lower(texts)
    texts = tf.strings.regex_replace(texts, r"[^a-z0-9']+", " ")
    texts = tf.strings.regex_replace(texts, r"(^| )'+|'+( |$)", " ")  # quotes, not apostrophes
    texts = tf.strings.regex_replace(texts, r"n't\b", " n't")
    return tf.strings.regex_replace(texts, r"'(s|re|ve|ll|d|m)\b", " '\\1")


def make_vectorizer(texts, max_tokens: int | None = None, sequence_length: int = 40,
                    vocabulary: list[str] | None = None):
    """A ``TextVectorization`` layer (:func:`glove_standardize`, integer ids, padded to
    ``sequence_length``): adapted on ``texts``, or with a fixed ``vocabulary``."""
    vectorizer = keras.layers.TextVectorization(
        max_tokens=max_tokens, output_sequence_length=sequence_length,
        standardize=glove_standardize, vocabulary=vocabulary if vocabulary else None)
    if not vocabulary:
        vectorizer.adapt(np.asarray(list(texts), dtype=str))
    return vectorizer


@dataclass(frozen=True)
class Coverage:
    """How much of a vocabulary the pretrained vectors know."""

    vocabulary: int
    found: int
    missing: tuple[str, ...]  # the most frequent words without a vector

    @property
    def fraction(self) -> float:
        return self.found / self.vocabulary if self.vocabulary else 0.0

    def __str__(self) -> str:
        return (f"{self.found:,} of {self.vocabulary:,} vocabulary words have a vector "
                f"({self.fraction:.1%}); most frequent without one: {', '.join(self.missing[:8])}")


def embedding_matrix(vocabulary: list[str], vectors: WordVectors, seed: int = 0
                     ) -> tuple[np.ndarray, Coverage]:
    """Rows for an ``Embedding`` layer: row i is the vector of ``vocabulary[i]``.

    The padding and OOV entries get zeros; a word without a vector gets a small random row (the
    vectors' own scale / 10), so it starts near "no meaning" but can still be learned."""
    if len(vocabulary) < 2 or vocabulary[0] != PAD or vocabulary[1] != OOV:
        raise ValueError("Pass vectorizer.get_vocabulary(): it starts with '' (padding) and "
                         f"'[UNK]'; got {vocabulary[:2]}.")
    rng = np.random.default_rng(seed)
    scale = float(vectors.vectors.std()) / 10
    matrix = np.zeros((len(vocabulary), vectors.dim), dtype="float32")
    missing = []
    for row, word in enumerate(vocabulary[2:], start=2):
        if word in vectors:
            matrix[row] = vectors.vectors[vectors.index[word]]
        else:
            matrix[row] = rng.normal(0.0, scale, vectors.dim)
            missing.append(word)
    words = len(vocabulary) - 2
    return matrix, Coverage(words, words - len(missing), tuple(missing[:20]))


def token_coverage(token_ids: np.ndarray, known: np.ndarray) -> float:
    """Fraction of the non-padding tokens in ``token_ids`` whose id is marked True in ``known``."""
    ids = np.asarray(token_ids)
    tokens = ids[ids != 0]
    return float(np.asarray(known)[tokens].mean()) if tokens.size else 0.0


def mean_vectors(token_ids: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Average embedding row per sentence, ignoring padding (id 0) and OOV (id 1)."""
    ids = np.asarray(token_ids)
    used = ids > 1
    sums = (matrix[ids] * used[..., None]).sum(axis=1)
    return (sums / np.maximum(used.sum(axis=1, keepdims=True), 1)).astype("float32")


@keras.saving.register_keras_serializable(package="tl_course")
class MaskedMax(keras.layers.Layer):
    """Max over the words of each sentence, ignoring padding (GlobalMaxPooling1D does not)."""

    def call(self, inputs, mask=None):
        if mask is None:
            return keras.ops.max(inputs, axis=1)
        hide = keras.ops.cast(keras.ops.logical_not(mask), inputs.dtype)
        return keras.ops.max(inputs - keras.ops.expand_dims(hide, -1) * 1e9, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None


def build_classifier(vocabulary_size: int, dim: int = 50, matrix: np.ndarray | None = None,
                     trainable: bool = True, num_classes: int = 2, dropout: float = 0.3,
                     hidden_units: int = 0, name: str = "text_classifier"):
    """Token ids -> Embedding (GloVe rows if ``matrix``) -> mean and max over words ->
    [Dense(hidden)] -> Dropout -> softmax. ``trainable=False`` freezes the embedding."""
    if matrix is not None and matrix.shape != (vocabulary_size, dim):
        raise ValueError(f"matrix has shape {matrix.shape}, expected ({vocabulary_size}, {dim}): "
                         "build it from the same vectorizer's vocabulary.")
    init = keras.initializers.Constant(matrix) if matrix is not None else "uniform"
    inputs = keras.Input((None,), dtype="int64", name="token_ids")
    embed = keras.layers.Embedding(vocabulary_size, dim, embeddings_initializer=init,
                                   mask_zero=True, trainable=trainable, name="embedding")(inputs)
    pooled = keras.layers.Concatenate(name="mean_and_max")([
        keras.layers.GlobalAveragePooling1D(name="mean")(embed),
        MaskedMax(name="max")(embed)])
    x = pooled
    if hidden_units:
        x = keras.layers.Dense(hidden_units, activation="relu", name="hidden")(x)
    x = keras.layers.Dropout(dropout, name="dropout")(x)
    outputs = keras.layers.Dense(num_classes, activation="softmax", name="sentiment")(x)
    return keras.Model(inputs, outputs, name=name)
