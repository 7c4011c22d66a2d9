"""Audio fidelity metrics (numpy only): magnitude-spectrogram correlation and log-mel distance."""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 24000


def magnitude_spectrogram(audio: np.ndarray, n_fft: int = 1024, hop: int = 256) -> np.ndarray:
    x = np.asarray(audio, np.float64).reshape(-1)
    if len(x) < n_fft:
        x = np.pad(x, (0, n_fft - len(x)))
    frames = np.lib.stride_tricks.sliding_window_view(x, n_fft)[::hop]
    return np.abs(np.fft.rfft(frames * np.hanning(n_fft), axis=-1))  # [frames, bins]


def _mel_filterbank(n_mels: int, n_fft: int, sr: int) -> np.ndarray:
    def hz_to_mel(f):
        return 2595.0 * np.log10(1.0 + f / 700.0)

    mels = np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2), n_mels + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    bins = np.fft.rfftfreq(n_fft, 1.0 / sr)
    fb = np.zeros((n_mels, len(bins)))
    for m in range(n_mels):
        lo, mid, hi = hz[m], hz[m + 1], hz[m + 2]
        fb[m] = np.clip(np.minimum((bins - lo) / (mid - lo), (hi - bins) / (hi - mid)), 0, None)
    return fb


def compare(test: np.ndarray, ref: np.ndarray, sr: int = SAMPLE_RATE) -> dict[str, float]:
    """magspec_corr: Pearson correlation of the two magnitude spectrograms (1.0 = identical);
    logmel_db / logmel_db_p99: mean / 99th percentile |difference| of 80-band log-mel, in dB."""
    n = min(len(test), len(ref))
    a, b = magnitude_spectrogram(test[:n]), magnitude_spectrogram(ref[:n])
    corr = float(np.corrcoef(a.ravel(), b.ravel())[0, 1])
    fb = _mel_filterbank(80, 1024, sr)
    la = 20 * np.log10(np.maximum(a @ fb.T, 1e-5))
    lb = 20 * np.log10(np.maximum(b @ fb.T, 1e-5))
    diff = np.abs(la - lb)
    return {"magspec_corr": corr, "logmel_db": float(diff.mean()), "logmel_db_p99": float(np.percentile(diff, 99))}
