"""Spoken audio as images: the Free Spoken Digit Dataset (FSDD) index and log spectrograms.

Lesson 10 explains why a spectrogram is an image that ImageNet features were not made for;
lessons 13 and 15 reuse it for multi-task learning and speaker adaptation.
"""
from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from helpers.data import to_image


def log_spectrogram(wave: np.ndarray, rate: int = 8000, seconds: float = 1.0,
                    nperseg: int = 256, noverlap: int = 192, floor_db: float = 80.0
                    ) -> np.ndarray:
    """Log-power STFT of a clip padded/cropped to ``seconds``, scaled to [0, 1].

    Rows are frequencies (low at the bottom row), columns are time frames. The loudest bin maps
    to 1 and everything ``floor_db`` below it (or quieter) to 0."""
    from scipy import signal

    wave = np.asarray(wave, dtype=np.float64)
    if wave.ndim > 1:
        wave = wave.mean(axis=1)
    length = int(rate * seconds)
    wave = np.pad(wave[:length], (0, max(0, length - len(wave))))
    _, _, z = signal.stft(wave, fs=rate, nperseg=nperseg, noverlap=noverlap)
    power_db = 10 * np.log10(np.abs(z) ** 2 + 1e-12)
    scaled = (power_db - (power_db.max() - floor_db)) / floor_db
    return np.clip(scaled, 0.0, 1.0)[::-1].astype(np.float32)


def fsdd_index(root: str | Path) -> tuple[list[Path], np.ndarray, np.ndarray]:
    """Free Spoken Digit Dataset files ``{digit}_{speaker}_{i}.wav``: (paths, digits, speakers)."""
    folder = Path(root) / "recordings" if (Path(root) / "recordings").is_dir() else Path(root)
    paths = sorted(folder.glob("*.wav"))
    if not paths:
        raise FileNotFoundError(f"No .wav files in {folder}. Pass the FSDD folder "
                                "(assets.dataset_dir('fsdd')).")
    parts = [p.stem.split("_") for p in paths]
    bad = [p.name for p, q in zip(paths, parts) if len(q) != 3 or not q[0].isdigit()]
    if bad:
        raise ValueError(f"{folder}: {bad[0]} is not named '<digit>_<speaker>_<index>.wav' "
                         f"({len(bad)} such files). Remove files that are not FSDD clips.")
    return paths, np.array([int(d) for d, _, _ in parts]), np.array([s for _, s, _ in parts])


def read_spectrograms(paths: list[Path]) -> np.ndarray:
    """Log spectrograms (see :func:`log_spectrogram`) of wav files, stacked: (n, freq, time)."""
    from scipy.io import wavfile

    specs = []
    for path in paths:
        rate, wave = wavfile.read(path)
        specs.append(log_spectrogram(wave, rate))
    return np.stack(specs) if specs else np.empty((0, *log_spectrogram(np.zeros(1)).shape))


def spectrogram_images(paths: list[Path], sizes: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Read wav files and return their spectrogram images at each size: {size: uint8 array}."""
    specs = read_spectrograms(paths)
    return {s: np.stack([to_image(x, s) for x in specs]) if len(specs)
            else np.empty((0, s, s, 3), np.uint8) for s in sizes}


def resize_spectrograms(specs: np.ndarray, size: int, batch_size: int = 500) -> np.ndarray:
    """(n, freq, time) spectrograms in [0, 1] -> float32 (n, size, size, 1), antialiased.

    The array itself (one channel) for a small CNN of your own (lessons 13, 15); batched, so
    thousands of clips take about a second."""
    specs = np.asarray(specs, dtype="float32")
    if specs.ndim != 3:
        raise ValueError(f"Expected spectrograms of shape (n, freq, time), got {specs.shape}; "
                         "pass the output of audio.read_spectrograms.")
    out = [keras.ops.convert_to_numpy(keras.ops.image.resize(
        specs[i:i + batch_size, ..., None], (size, size), antialias=True))
        for i in range(0, len(specs), batch_size)]
    if not out:
        return np.empty((0, size, size, 1), "float32")
    return np.clip(np.concatenate(out), 0.0, 1.0).astype("float32")


def spectrogram_pixels(specs: np.ndarray, size: int = 224) -> np.ndarray:
    """(n, freq, time) spectrograms in [0, 1] -> uint8 (n, size, size, 3) images, grey repeated
    over the channels: what :func:`spectrogram_images` makes, from spectrograms already read
    and in batches (lesson 10 explains why an ImageNet backbone needs this input)."""
    grey = np.round(resize_spectrograms(specs, size) * 255.0).astype(np.uint8)
    return np.repeat(grey, 3, axis=-1)
