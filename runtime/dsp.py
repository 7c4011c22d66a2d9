"""Host-side DSP for the Kokoro-82M pipeline (numpy only; never import torch here).

What lives here is everything KModel computes between the neural graphs that does
not convert to LiteRT (or is cheaper on the host):

* :func:`durations_to_frames` / :func:`alignment_index` -- duration rounding and the
  token->frame alignment (``torch.repeat_interleave`` in KModel).
* :func:`sine_source` -- the hn-NSF harmonic source (``SourceModuleHnNSF`` + ``SineGen``)
  with its randomness passed in explicitly (:class:`SourceNoise`).
* :func:`stft` / :func:`istft` -- ``TorchSTFT.transform`` / ``TorchSTFT.inverse``
  (n_fft 20, hop 5, periodic Hann, center=True, reflect padding).
* :func:`join` / :func:`fade_edges` -- assembling chunk audio.

Numerics: every function computes in float64 and returns float32.

The sine source's phase is an unbounded running sum (~1e5 rad after 10 s for the
top overtone).  torch's float32 SineGen rounds it at every step (cumsum output,
x2, xpi, x300, interpolation), so the float32 reference itself is off from the exact
value of its own formula by ~1.3e-4 (1 s) to ~1.5e-3 (10 s) in the merged source.
``sine_source`` therefore offers two semantics:

* ``"float64"`` (default, the runtime's choice): the same formula evaluated in float64
  == kokoro's SourceModuleHnNSF run in float64 (matches to ~3e-8: float32 output
  rounding and a float32 sin of the reduced, |arg| <= pi, phase).  Differs from the float32 torch module by that module's own rounding.
* ``"torch32"``: bit-faithful emulation of the float32 torch CPU module (double-accumulated
  cumsum rounded to float32, float32 scalar products, F.interpolate's float32 index
  arithmetic ``fma(1/300f, j+0.5f, -0.5f)`` and ``fma(w0, x0, w1*x1)``); matches it to
  ~3e-8.  For parity tests against KModel, not for production audio.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

import numpy as np

__all__ = [
    "SAMPLE_RATE",
    "UPSAMPLE_SCALE",
    "N_FFT",
    "HOP",
    "HARMONIC_NUM",
    "durations_to_frames",
    "alignment_index",
    "SourceNoise",
    "sine_source",
    "hann_window",
    "stft",
    "istft",
    "fade_edges",
    "join",
]

SAMPLE_RATE = 24000
UPSAMPLE_SCALE = 300  # prod(upsample_rates [10, 6]) * gen_istft_hop_size 5
N_FFT = 20
HOP = 5
WIN = 20
HARMONIC_NUM = 8
N_HARMONICS = HARMONIC_NUM + 1
SINE_AMP = 0.1
NOISE_STD = 0.003
VOICED_THRESHOLD = 10.0


# --------------------------------------------------------------------------- durations
def durations_to_frames(durations_float, speed: float = 1.0) -> np.ndarray:
    """KModel: ``torch.round(duration / speed).clamp(min=1).long()``.

    ``durations_float`` is the float32 ``sigmoid(duration_proj).sum(-1)`` per token.
    The division is done in float32 like torch (float32 tensor / Python scalar);
    ``np.round`` rounds half to even like ``torch.round``.  Returns int64 [T].
    """
    d = np.asarray(durations_float, dtype=np.float32)
    q = d / np.float32(speed)
    r = np.round(q)
    r = np.maximum(r, np.float32(1.0))
    return r.astype(np.int64).reshape(d.shape)


def alignment_index(frame_durations) -> np.ndarray:
    """Token index of every frame: ``repeat_interleave(arange(T), frame_durations)``.

    ``x[..., alignment_index(dur)]`` equals KModel's ``x @ pred_aln_trg`` for a
    channel-first ``x`` of shape [..., T]."""
    dur = np.asarray(frame_durations, dtype=np.int64).reshape(-1)
    if np.any(dur < 0):
        raise ValueError("negative frame duration")
    return np.repeat(np.arange(dur.shape[0], dtype=np.int64), dur)


# --------------------------------------------------------------------------- sine source
@dataclass
class SourceNoise:
    """The randomness SineGen draws, made explicit.

    rand_ini: [1, 9] float32, what ``torch.rand(1, 9)`` returns inside ``SineGen._f02sine``
        (column 0 is then zeroed by SineGen itself; here too).
    noise:    [1, samples, 9] float32, what ``torch.randn_like(sine_waves)`` returns.
    """

    rand_ini: np.ndarray
    noise: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, n_samples: int) -> "SourceNoise":
        rand_ini = rng.random((1, N_HARMONICS), dtype=np.float32)
        noise = rng.standard_normal((1, int(n_samples), N_HARMONICS), dtype=np.float32)
        return cls(rand_ini=rand_ini, noise=noise)

    @classmethod
    def zeros(cls, n_samples: int) -> "SourceNoise":
        """Deterministic source (no random phase, no noise)."""
        return cls(np.zeros((1, N_HARMONICS), np.float32),
                   np.zeros((1, int(n_samples), N_HARMONICS), np.float32))

    @property
    def n_samples(self) -> int:
        return int(self.noise.shape[1])


_SEMANTICS = ("float64", "torch32")


@functools.lru_cache(maxsize=16)
def _interp_weights(n_in: int, n_out: int, scale: int, semantics: str):
    """``F.interpolate(mode='linear', align_corners=False, scale_factor=scale)`` indices.

    Returns (i0, i1, w0, w1) for out[j] = w0*x[i0] + w1*x[i1].  With
    ``semantics="torch32"`` the source index is computed exactly as torch's float32
    CPU kernel does (``fma(1/scale as float32, j + 0.5f, -0.5f)`` rounded to float32),
    whose weights are quantised by up to ~|j/scale| * 2^-24."""
    j = np.arange(n_out, dtype=np.int64)
    if semantics == "torch32":
        s = np.float64(np.float32(1.0 / scale))
        jf = (j.astype(np.float32) + np.float32(0.5)).astype(np.float64)
        src = (s * jf - 0.5).astype(np.float32)  # exact product + one rounding = fma
        src = np.maximum(src, np.float32(0.0))
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        lam = np.clip(src - i0.astype(np.float32), np.float32(0), np.float32(1))
        lam = lam.astype(np.float64)
        w0 = (np.float32(1.0) - lam.astype(np.float32)).astype(np.float64)
    elif semantics == "float64":
        src = np.maximum((1.0 / scale) * (j + 0.5) - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        lam = np.clip(src - i0, 0.0, 1.0)
        w0 = 1.0 - lam
    else:
        raise ValueError(f"semantics must be one of {_SEMANTICS}, not {semantics!r}")
    i1 = np.minimum(i0 + 1, n_in - 1)
    out = (i0, i1, w0, lam)
    for a in out:
        a.setflags(write=False)
    return out  # cached: read-only


def sine_source(
    f0_frames,
    l_weight,
    l_bias,
    noise: SourceNoise | None,
    *,
    semantics: str = "float64",
    return_uv: bool = False,
    sine_amp: float = SINE_AMP,
    noise_std: float = NOISE_STD,
    voiced_threshold: float = VOICED_THRESHOLD,
):
    """Kokoro's harmonic excitation ``tanh(l_linear(SineGen(f0_upsamp(F0))))``.

    f0_frames: the decoder's F0 curve, [N] or [1, N] (N = 2L frames, 80 Hz), Hz.
    l_weight: [1, 9] (``decoder.generator.m_source.l_linear.weight``), l_bias: [1].
    noise: :class:`SourceNoise` for N*300 samples (``None`` = no noise, no random phase).
    Returns float32 [N*300] (and the per-sample uv mask if ``return_uv``).

    semantics: ``"float64"`` (default) or ``"torch32"`` -- see the module docstring.

    The computation, following ``SineGen._f02sine`` step by step:
      1. f0 nearest-upsampled x300; fn = f0 * k (k = 1..9); rad = (fn / 24000) % 1.
      2. rand_ini is added to sample 0 only.  The linear x1/300 downsample reads samples
         300d+149 and 300d+150 (weights 0.5/0.5), both from frame d, so it returns
         rad of frame d exactly and the random initial phase never reaches the output.
         It is still drawn (and accepted here) to keep torch's RNG usage identical.
      3. phase_frame = cumsum(rad) * 2*pi * 300 (frame rate).
      4. linear x300 upsample (align_corners=False, edge-clamped), sin.
      5. sine = 0.1*sin(phase)*uv + noise_amp*randn; uv = f0 > 10;
         noise_amp = 0.003 (voiced) or 0.1/3 (unvoiced).
      6. tanh(sine @ W.T + b).
    """
    if semantics not in _SEMANTICS:
        raise ValueError(f"semantics must be one of {_SEMANTICS}, not {semantics!r}")
    f0 = np.asarray(f0_frames).reshape(-1)
    n = f0.shape[0]
    if n == 0:
        out = np.zeros(0, np.float32)
        return (out, out.copy()) if return_uv else out
    scale = UPSAMPLE_SCALE
    n_samples = n * scale
    w = np.asarray(l_weight, dtype=np.float64).reshape(N_HARMONICS)
    b = float(np.asarray(l_bias, dtype=np.float64).reshape(-1)[0])
    k = np.arange(1, N_HARMONICS + 1)

    # 1. per-frame phase increments (cycles per sample), [N, 9]
    if semantics == "torch32":
        fn = f0.astype(np.float32)[:, None] * k.astype(np.float32)[None, :]
        rad = np.mod(fn / np.float32(SAMPLE_RATE), np.float32(1.0)).astype(np.float64)
    else:
        fn = f0.astype(np.float64)[:, None] * k[None, :]
        rad = np.mod(fn / SAMPLE_RATE, 1.0)
    # 2. downsample x1/300 == rad per frame (see docstring); rand_ini lands on sample 0,
    #    which only frame 0's read would see if scale were < 2.
    i0, i1, w0, w1 = _interp_weights(n, n_samples, scale, semantics)
    if semantics == "torch32":
        # 3./4. bit-faithful float32: torch's CPU cumsum accumulates in double and
        # rounds each output; scalar products round to float32 after each step;
        # the interpolation is fma(w0, x0, w1 * x1) rounded to float32.
        c = np.cumsum(rad, axis=0).astype(np.float32)
        phase_f = (c * np.float32(2.0)) * np.float32(np.pi) * np.float32(scale)
        w1_32 = w1.astype(np.float32)
        t1 = (w1_32[:, None] * phase_f[i1]).astype(np.float64)
        phase = (w0[:, None] * phase_f[i0].astype(np.float64) + t1).astype(np.float32)
        sines = np.sin(phase.astype(np.float64)).astype(np.float32).astype(np.float64)
    else:
        # 3. float64 phase at frame rate, in cycles (phase / 2pi): cumsum(rad) * 300
        cyc = np.cumsum(rad, axis=0) * scale  # [N, 9]
        # 4. linear upsample x300.  Both interpolation ends are taken relative to the
        #    whole cycles of the left frame, so sin sees arguments < ~4pi: exact in
        #    float64 (whole cycles do not change sin) and much faster than reducing
        #    1e5-rad arguments.
        whole = np.floor(cyc)
        left = cyc - whole
        right = cyc[np.minimum(np.arange(n) + 1, n - 1)] - whole
        phase = w0[:, None] * left[i0]
        phase += w1[:, None] * right[i0]
        phase -= np.round(phase)  # now in [-0.5, 0.5] cycles
        # The float64-accurate reduced phase is rounded to float32 (|arg| <= pi, so
        # <= 1.2e-7 rad) for a ~4x faster sin: <= 1.2e-8 on the 0.1-amplitude sines.
        arg = phase.astype(np.float32)
        arg *= np.float32(2.0 * np.pi)
        sines = np.sin(arg).astype(np.float64)
    # 5. uv and noise (per frame, broadcast over the frame's 300 samples)
    uv_f = f0 > voiced_threshold
    sines = sines.reshape(n, scale, N_HARMONICS)
    sines *= (sine_amp * uv_f)[:, None, None]
    if noise is not None:
        nz = np.asarray(noise.noise)
        if nz.size != n_samples * N_HARMONICS:
            raise ValueError(f"noise has shape {nz.shape}, need (1, {n_samples}, {N_HARMONICS})")
        amp_f = np.where(uv_f, noise_std, sine_amp / 3.0)
        if semantics == "torch32":
            amp_f = amp_f.astype(np.float32).astype(np.float64)
        sines += amp_f[:, None, None] * nz.reshape(n, scale, N_HARMONICS)
    # 6. merge
    out = np.tanh(sines.reshape(n_samples, N_HARMONICS) @ w + b).astype(np.float32)
    if return_uv:
        return out, np.repeat(uv_f.astype(np.float32), scale)
    return out


# --------------------------------------------------------------------------- STFT
_WINDOWS: dict[int, np.ndarray] = {}


def hann_window(n: int = WIN) -> np.ndarray:
    """``torch.hann_window(n, periodic=True)`` in float64 (cached, read-only)."""
    w = _WINDOWS.get(n)
    if w is None:
        w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
        w.setflags(write=False)
        _WINDOWS[n] = w
    return w


def stft(x, n_fft: int = N_FFT, hop: int = HOP):
    """``TorchSTFT.transform``: |STFT| and angle, center=True with reflect padding.

    x: [samples] (or [1, samples]).  Returns (magnitude, phase), float32
    [n_fft//2+1, 1 + samples//hop] each (add a batch axis for the graphs)."""
    x = np.asarray(x, dtype=np.float64).reshape(-1)
    pad = n_fft // 2
    if x.shape[0] <= pad:
        raise ValueError(f"reflect padding needs more than {pad} samples")
    xp = np.pad(x, (pad, pad), mode="reflect")
    n_frames = 1 + (xp.shape[0] - n_fft) // hop
    frames = np.lib.stride_tricks.sliding_window_view(xp, n_fft)[::hop][:n_frames]
    spec = np.fft.rfft(frames * hann_window(n_fft), axis=-1).T  # [bins, frames]
    return np.abs(spec).astype(np.float32), np.angle(spec).astype(np.float32)


_ENVELOPES: dict[tuple[int, int, int], np.ndarray] = {}


def _overlap_add(frames: np.ndarray, hop: int) -> np.ndarray:
    """Overlap-add [F, n_fft] frames with hop ``hop``; n_fft must be a multiple of hop."""
    n_frames, n_fft = frames.shape
    r = n_fft // hop
    blocks = frames.reshape(n_frames, r, hop)
    out = np.zeros((n_frames + r - 1, hop), dtype=frames.dtype)
    for q in range(r):  # r = 4 shifted adds, independent of the number of frames
        out[q:q + n_frames] += blocks[:, q, :]
    return out.reshape(-1)


def istft(magnitude, phase, n_fft: int = N_FFT, hop: int = HOP) -> np.ndarray:
    """``TorchSTFT.inverse`` = ``torch.istft(mag * exp(1j*phase), n_fft, hop, win, hann)``.

    magnitude, phase: [n_fft//2+1, F] (a leading batch axis of 1 is accepted).
    Returns float32 [hop * (F - 1)] -- torch.istft's length with center=True: the
    overlap-added frames divided by the overlap-added squared window, with n_fft//2
    samples trimmed at each end.  Like c2r FFTs, the imaginary parts of the DC and
    Nyquist bins are ignored."""
    mag = np.asarray(magnitude, dtype=np.float32)
    ph = np.asarray(phase, dtype=np.float32)
    if mag.ndim == 3:
        mag, ph = mag[0], ph[0]
    n_bins, n_frames = mag.shape
    if n_bins != n_fft // 2 + 1 or ph.shape != mag.shape:
        raise ValueError(f"expected [{n_fft // 2 + 1}, F] magnitude and phase")
    if n_fft % hop:
        raise ValueError("n_fft must be a multiple of hop")
    # complex64 like torch (float32 trig is ~10x faster than complex128 exp here and
    # keeps the error at float32 rounding, ~2e-7 relative)
    spec = np.empty((n_frames, n_bins), np.complex64)
    spec.real = (mag * np.cos(ph)).T
    spec.imag = (mag * np.sin(ph)).T
    frames = np.fft.irfft(spec, n=n_fft, axis=-1)  # [F, n_fft] float32
    frames *= hann_window(n_fft).astype(np.float32)
    y = _overlap_add(frames, hop)
    key = (n_frames, n_fft, hop)
    env = _ENVELOPES.get(key)
    if env is None:
        w = hann_window(n_fft)
        env = _overlap_add(np.broadcast_to(w * w, (n_frames, n_fft)), hop)
        start = n_fft // 2
        env = env[start:start + hop * (n_frames - 1)]
        if env.size and env.min() < 1e-11:
            raise ValueError("window overlap-add envelope is zero (torch.istft would fail)")
        env = (1.0 / env).astype(np.float32)
        env.setflags(write=False)
        if len(_ENVELOPES) > 64:
            _ENVELOPES.clear()
        _ENVELOPES[key] = env
    start = n_fft // 2
    return y[start:start + hop * (n_frames - 1)] * env


# --------------------------------------------------------------------------- joining
def fade_edges(audio, fade_s: float = 0.005, sr: int = SAMPLE_RATE,
               fade_in: bool = True, fade_out: bool = True) -> np.ndarray:
    """Raised-cosine fade-in/out of ``fade_s`` seconds (float32 copy)."""
    a = np.array(audio, dtype=np.float32).reshape(-1)
    n = min(int(round(fade_s * sr)), a.shape[0] // 2)
    if n > 0:
        ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(n) + 0.5) / n)).astype(np.float32)
        if fade_in:
            a[:n] *= ramp
        if fade_out:
            a[-n:] *= ramp[::-1]
    return a


def join(chunks: Sequence[np.ndarray], pauses_s=0.0, sr: int = SAMPLE_RATE,
         fade_s: float = 0.005) -> np.ndarray:
    """Concatenate chunk audio with silences between them.

    pauses_s: one pause (seconds) for every gap (``len(chunks) - 1`` values) or a
    scalar for all gaps.  Each pause is ``round(p * sr)`` zero samples.  Chunk edges
    that meet a join get a ``fade_s`` raised-cosine fade, so nothing clicks; the very
    start and end of the result are left as they are.  The output length is exactly
    ``sum(len(c)) + sum(round(p * sr))``."""
    chunks = [np.asarray(c, dtype=np.float32).reshape(-1) for c in chunks]
    if not chunks:
        return np.zeros(0, np.float32)
    n_gaps = len(chunks) - 1
    if np.ndim(pauses_s) == 0:
        pauses = [float(pauses_s)] * n_gaps
    else:
        pauses = [float(p) for p in pauses_s]
        if len(pauses) != n_gaps:
            raise ValueError(f"{len(chunks)} chunks need {n_gaps} pauses, got {len(pauses)}")
    if any(p < 0 for p in pauses):
        raise ValueError("negative pause")
    gaps = [int(round(p * sr)) for p in pauses]
    total = sum(c.shape[0] for c in chunks) + sum(gaps)
    out = np.zeros(total, np.float32)
    pos = 0
    for i, c in enumerate(chunks):
        c = fade_edges(c, fade_s, sr, fade_in=i > 0, fade_out=i < n_gaps)
        out[pos:pos + c.shape[0]] = c
        pos += c.shape[0]
        if i < n_gaps:
            pos += gaps[i]
    return out
