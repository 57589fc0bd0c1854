"""Unit tests for helpers.audio: spectrograms of generated tones and the FSDD index."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.io import wavfile

from helpers import audio


def tone(freq: float, seconds: float = 0.5, rate: int = 8000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t) * 32767).astype(np.int16)


def test_log_spectrogram_finds_the_tone_and_pads():
    spec = audio.log_spectrogram(tone(1000.0), rate=8000, seconds=1.0)
    assert spec.shape[0] == 129  # nperseg 256 -> 129 frequency bins
    assert spec.min() >= 0.0 and spec.max() == pytest.approx(1.0)
    # rows run from high to low frequency; 1000 Hz of 4000 Hz -> bin 32 from the bottom
    loudest_row = int(np.argmax(spec[:, : spec.shape[1] // 4].mean(axis=1)))
    assert abs((spec.shape[0] - 1 - loudest_row) - 32) <= 1
    # the second half of the 1-s window is padding (silence) -> near 0
    assert spec[:, -spec.shape[1] // 4:].mean() < 0.05


def test_log_spectrogram_separates_two_tones():
    low = audio.log_spectrogram(tone(300.0))
    high = audio.log_spectrogram(tone(3000.0))
    assert np.abs(low - high).mean() > 0.05


def test_fsdd_index_and_images(tmp_path):
    rec = tmp_path / "recordings"
    rec.mkdir()
    for digit, speaker, i in [(3, "jackson", 0), (7, "theo", 1), (3, "theo", 2)]:
        wavfile.write(rec / f"{digit}_{speaker}_{i}.wav", 8000, tone(200.0 * (digit + 1)))
    paths, digits, speakers = audio.fsdd_index(tmp_path)
    assert sorted(digits.tolist()) == [3, 3, 7]
    assert set(speakers) == {"jackson", "theo"}
    images = audio.spectrogram_images(paths, (16, 8))
    assert images[16].shape == (3, 16, 16, 3) and images[8].shape == (3, 8, 8, 3)
    with pytest.raises(FileNotFoundError):
        audio.fsdd_index(tmp_path / "nothing")


def test_fsdd_index_names_a_foreign_file(tmp_path):
    wavfile.write(tmp_path / "3_theo_0.wav", 8000, tone(300.0))
    wavfile.write(tmp_path / "my recording.wav", 8000, tone(300.0))
    with pytest.raises(ValueError, match="my recording.wav"):
        audio.fsdd_index(tmp_path)


def test_resize_spectrograms_keeps_layout_and_range():
    rng = np.random.default_rng(0)
    specs = rng.uniform(0, 1, (3, 129, 126)).astype("float32")
    specs[1] = 0.0
    specs[1, :64] = 1.0  # top half bright (high frequencies, rows run high -> low)
    out = audio.resize_spectrograms(specs, 16, batch_size=2)  # two batches
    assert out.shape == (3, 16, 16, 1) and out.dtype == np.float32
    assert out.min() >= 0.0 and out.max() <= 1.0
    assert out[1, :7].mean() > 0.95 and out[1, 9:].mean() < 0.05
    assert audio.resize_spectrograms(specs[:0], 16).shape == (0, 16, 16, 1)
    with pytest.raises(ValueError, match=r"\(n, freq, time\)"):
        audio.resize_spectrograms(specs[0], 16)


def test_spectrogram_pixels_matches_audio_images():
    from helpers import data

    specs = np.random.default_rng(2).uniform(0, 1, (2, 129, 126)).astype("float32")
    pixels = audio.spectrogram_pixels(specs, 32)
    assert pixels.shape == (2, 32, 32, 3) and pixels.dtype == np.uint8
    assert np.array_equal(pixels[..., 0], pixels[..., 2])
    reference = data.to_image(specs[0], 32)  # what audio.spectrogram_images does per clip
    assert np.abs(pixels[0].astype(int) - reference.astype(int)).max() <= 1


def test_resize_spectrograms_shape_range_and_bad_input():
    specs = np.random.default_rng(0).random((2, 20, 18)).astype(np.float32)
    out = audio.resize_spectrograms(specs, 12)
    assert out.shape == (2, 12, 12, 1) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    assert abs(out.mean() - specs.mean()) < 0.05  # resizing keeps the average level
    with pytest.raises(ValueError, match=r"\(n, freq, time\)"):
        audio.resize_spectrograms(specs[0], 12)
