"""Fixtures shared by the unit tests."""
from __future__ import annotations

import pytest

from helpers import assets


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """Empty Keras cache and local-copy folder, and no network (downloads fail at once)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    monkeypatch.setenv(assets.ASSETS_ENV, str(tmp_path / "local"))
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "tfhub"))

    def no_network(*args, **kwargs):
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr("urllib.request.urlretrieve", no_network)
    monkeypatch.setattr("keras.src.utils.file_utils.urlretrieve", no_network)
    return tmp_path
