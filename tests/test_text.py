"""Unit tests for helpers.text: sentence files, GloVe formats, vocabulary -> GloVe rows, model."""
from __future__ import annotations

import gzip

import keras
import numpy as np
import pytest

from helpers import assets, text

VECTORS = {"the": [0.1, 0.2, 0.3], "good": [1.0, 0.0, -1.0], "bad": [-1.0, 0.0, 1.0],
           "n't": [0.0, 0.5, 0.5]}


def write_glove(path, header: bool = False, compress: bool = False) -> None:
    lines = [f"{w} " + " ".join(str(v) for v in vec) for w, vec in VECTORS.items()]
    if header:
        lines.insert(0, f"{len(VECTORS)} 3")
    content = "\n".join(lines) + "\n"
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            handle.write(content)
    else:
        path.write_text(content, encoding="utf-8")


@pytest.mark.parametrize("name, header, compress", [
    ("glove.6B.3d.txt", False, False), ("glove-wiki-gigaword-3.gz", True, True),
    ("glove-header.txt", True, False)])
def test_load_glove_reads_text_and_word2vec_formats(tmp_path, name, header, compress):
    write_glove(tmp_path / name, header, compress)
    vectors = text.load_glove(tmp_path / name)
    assert vectors.words == list(VECTORS) and vectors.dim == 3
    assert np.allclose(vectors.vectors[vectors.index["good"]], VECTORS["good"])


def test_load_glove_keeps_the_most_frequent_words_and_names_a_bad_line(tmp_path):
    write_glove(tmp_path / "glove.txt")
    assert text.load_glove(tmp_path / "glove.txt", max_words=2).words == ["the", "good"]
    (tmp_path / "broken.txt").write_text("the 0.1 0.2 0.3\ngood 1.0 0.0\n")
    with pytest.raises(text.TextDataError, match="line 2"):
        text.load_glove(tmp_path / "broken.txt")


def test_glove_file_comes_through_the_asset_resolver(tmp_path, monkeypatch):
    monkeypatch.setenv(assets.ASSETS_ENV, str(tmp_path))
    (tmp_path / "glove_6B_50d").mkdir()
    write_glove(tmp_path / "glove_6B_50d" / "glove-wiki-gigaword-50.gz", header=True,
                compress=True)
    assert len(text.load_glove()) == len(VECTORS)
    write_glove(tmp_path / "glove_6B_50d" / "glove.second.txt")
    with pytest.raises(text.TextDataError, match="exactly one"):
        text.load_glove()


def test_read_labelled_sentences_and_a_clear_error(tmp_path):
    good = tmp_path / "amazon_cells_labelled.txt"
    good.write_text("Great phone!\t1\nWorst case ever.  \t0\n\n")
    sentences, labels = text.read_labelled_sentences(good)
    assert sentences.tolist() == ["Great phone!", "Worst case ever."]
    assert labels.tolist() == [1, 0] and labels.dtype == np.int64
    bad = tmp_path / "yelp_labelled.txt"
    bad.write_text("Nice\t1\nno label here\n")
    with pytest.raises(text.TextDataError, match="yelp_labelled.txt, line 2"):
        text.read_labelled_sentences(bad)


def test_standardize_splits_contractions_like_glove():
    out = text.glove_standardize(np.array(["I didn't like it. It's 'OK'!"])).numpy()[0]
    assert out.decode().split() == ["i", "did", "n't", "like", "it", "it", "'s", "ok"]


def test_embedding_matrix_rows_follow_the_vocabulary():
    vectors = text.WordVectors(list(VECTORS), np.array(list(VECTORS.values()), "float32"))
    vectorizer = text.make_vectorizer(["good good bad", "jabra good"], sequence_length=4)
    vocabulary = vectorizer.get_vocabulary()
    matrix, coverage = text.embedding_matrix(vocabulary, vectors, seed=0)
    assert matrix.shape == (len(vocabulary), 3)
    assert np.allclose(matrix[vocabulary.index("good")], VECTORS["good"])
    assert not matrix[:2].any()  # padding and OOV rows are zero
    assert coverage.found == 2 and coverage.vocabulary == 3 and coverage.missing == ("jabra",)
    assert "66.7%" in str(coverage)
    with pytest.raises(ValueError, match="get_vocabulary"):
        text.embedding_matrix(["good", "bad"], vectors)


def test_token_coverage_and_mean_vectors_ignore_padding():
    ids = np.array([[2, 3, 0, 0], [1, 2, 0, 0]])
    assert text.token_coverage(ids, np.array([False, False, True, False])) == pytest.approx(0.5)
    matrix = np.array([[9, 9], [9, 9], [1, 0], [0, 1]], dtype="float32")
    assert np.allclose(text.mean_vectors(ids, matrix), [[0.5, 0.5], [1.0, 0.0]])


def test_classifier_freezes_the_embedding_and_ignores_padding():
    keras.utils.set_random_seed(0)
    matrix = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    frozen = text.build_classifier(6, 4, matrix, trainable=False)
    assert np.allclose(frozen.get_layer("embedding").get_weights()[0], matrix)
    assert not frozen.get_layer("embedding").trainable_weights
    ids = np.array([[2, 3, 0, 0, 0], [2, 3, 0, 0, 0]])
    padded_more = np.array([[2, 3, 0, 0, 0, 0, 0, 0], [2, 3, 4, 0, 0, 0, 0, 0]])
    out = frozen.predict(ids, verbose=0)
    assert out.shape == (2, 2) and np.allclose(out[0], frozen.predict(padded_more, verbose=0)[0])
    assert not np.allclose(out[1], frozen.predict(padded_more, verbose=0)[1])
    assert text.build_classifier(6, 4).get_layer("embedding").trainable_weights
    with pytest.raises(ValueError, match="expected \\(7, 4\\)"):
        text.build_classifier(7, 4, matrix)


def test_classifier_saves_and_loads_with_its_custom_layer(tmp_path):
    keras.utils.set_random_seed(1)
    model = text.build_classifier(6, 4)
    ids = np.array([[2, 3, 4, 0], [5, 0, 0, 0]])
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert np.allclose(loaded.predict(ids, verbose=0), model.predict(ids, verbose=0))
