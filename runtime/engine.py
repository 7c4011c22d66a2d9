"""The network: token ids + a style row -> audio, through the bundle's three graphs and host DSP.

Like hexgrad's ``KModel`` this knows nothing about text. Each step pads to the smallest bucket
that fits and trims back to the real length, so the cost follows the audio, not the bucket.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from kokoro_litert.errors import FramesOverflow, TextError

from . import dsp
from .bundle import Bundle, GraphRunner, frame_signature, token_signature
from .memory import fixed_mmap_threshold
from .tokenizer import BOUNDARY_ID


@dataclass
class Utterance:
    audio: np.ndarray  # float32 samples
    durations: np.ndarray  # frames per input token (boundary tokens included)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    stages: dict[str, np.ndarray] = field(default_factory=dict)  # graph outputs, trimmed (keep_stages)


@dataclass
class Prepared:
    """One chunk up to the vocoder (``Engine.prepare``): every frame-rate input of the vocoder for
    the whole chunk, from one predictor and one prosody pass."""

    durations: np.ndarray  # frames per input token (boundary tokens included)
    asr: np.ndarray  # [512, frames]
    f0: np.ndarray  # [2*frames]
    n: np.ndarray  # [2*frames]
    source: np.ndarray  # [22, 120*frames + 1], the whole chunk's source STFT
    style: np.ndarray  # [1, 256]
    timings: dict[str, float] = field(default_factory=dict)
    stages: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return int(self.asr.shape[1])


class Engine:
    def __init__(self, bundle: Bundle, threads: int = 2):
        fixed_mmap_threshold()
        self.bundle = bundle
        self.predictor = GraphRunner(bundle, "predictor", threads)
        self.prosody = GraphRunner(bundle, "prosody", threads)
        self.vocoder = GraphRunner(bundle, "vocoder", threads)
        src = bundle.source  # the source and STFT constants come from the manifest
        self.l_weight = np.asarray(src["l_linear_weight"], np.float32)
        self.l_bias = np.asarray(src["l_linear_bias"], np.float32)
        self.source_params = {k: float(src[k]) for k in ("sine_amp", "noise_std", "voiced_threshold")}

    def predict(self, input_ids: list[int], style: np.ndarray) -> dict[str, np.ndarray]:
        """input_ids include the boundary tokens; returns durations [n], d [n, 640], t_en [512, n]."""
        n = len(input_ids)
        t = self.bundle.pick_tokens(n)
        if t is None:
            raise TextError(f"{n} tokens do not fit the largest token bucket ({self.bundle.tokens[-1]})")
        tokens = np.zeros((1, t), np.int32)
        tokens[0, :n] = input_ids
        mask = np.zeros((1, t), np.float32)
        mask[0, :n] = 1
        out = self.predictor(token_signature(t), tokens=tokens, token_mask=mask, style=style)
        return {"durations": out["durations"][0, :n], "d": out["d"][0, :n], "t_en": out["t_en"][0, :, :n]}

    def _frame_bucket(self, frames: int, graph: str = "vocoder") -> tuple[int, np.ndarray]:
        size = self.bundle.pick_frames(frames, graph)
        if size is None:
            raise FramesOverflow(f"{frames} frames do not fit the largest frame bucket ({self.bundle.frames[-1]})")
        mask = np.zeros((1, size), np.float32)
        mask[0, :frames] = 1
        return size, mask

    def prosody_f0n(self, d_frames: np.ndarray, style: np.ndarray) -> dict[str, np.ndarray]:
        """d_frames [frames, 640] -> f0, n [2*frames]."""
        frames = d_frames.shape[0]
        size, mask = self._frame_bucket(frames, "prosody")
        x = np.zeros((1, size, d_frames.shape[1]), np.float32)
        x[0, :frames] = d_frames
        out = self.prosody(frame_signature(size), d_frames=x, style=style, frame_mask=mask)
        return {"f0": out["f0"][0, : 2 * frames], "n": out["n"][0, : 2 * frames]}

    def source_stft(self, f0: np.ndarray, noise: dsp.SourceNoise | None) -> np.ndarray:
        """The hn-NSF excitation for f0 [2*frames] and its STFT as [22, 120*frames + 1]."""
        excitation = dsp.sine_source(f0, self.l_weight, self.l_bias, noise, **self.source_params)
        magnitude, phase = dsp.stft(excitation, self.bundle.n_fft, self.bundle.hop)
        return np.concatenate([magnitude, phase], axis=0)

    def vocode(self, asr: np.ndarray, f0: np.ndarray, n: np.ndarray, source: np.ndarray, style: np.ndarray,
               frame_mask: np.ndarray | None = None):
        """asr [512, frames], f0/n [2*frames], source [22, S] -> magnitude, phase [11, S].

        ``frame_mask`` [frames] (default all ones) marks the real frames; zeros inside it are gaps
        that the graph treats like padding (zero inputs, left out of every norm's statistics)."""
        frames = asr.shape[1]
        size, mask = self._frame_bucket(frames)
        if frame_mask is not None:
            mask[0, :frames] = frame_mask
        s_real, s_size = source.shape[1], self.bundle.source_frames_per_frame * size + 1

        def pad(x, length):
            out = np.zeros((1, *x.shape[:-1], length), np.float32)
            out[0, ..., : x.shape[-1]] = x
            return out

        out = self.vocoder(
            frame_signature(size),
            asr=pad(asr, size),
            f0=pad(f0, 2 * size),
            n=pad(n, 2 * size),
            source=pad(source, s_size),
            style=style,
            frame_mask=mask,
        )
        return out["magnitude"][0, :, :s_real], out["phase"][0, :, :s_real]

    def prepare(
        self,
        ids: list[int],
        style: np.ndarray,
        speed: float = 1.0,
        rng: np.random.Generator | None = None,
        noise: dsp.SourceNoise | None = None,
        max_frames: int | None = None,
        durations: np.ndarray | None = None,
    ) -> Prepared:
        """Everything before the vocoder, for the whole chunk at once: predictor, alignment, prosody
        and the source STFT. ``render`` then vocodes any frame range of it. ``max_frames`` (default:
        the largest vocoder bucket) is the most frames the caller can vocode; more raise
        ``FramesOverflow`` before the prosody graph runs. ``durations`` (frames per input token,
        boundary tokens included) replaces the predicted ones: a forced alignment, as the parity
        gate and the sensitivity scan use to compare bundles frame for frame."""
        timings: dict[str, float] = defaultdict(float)
        clock = time.perf_counter()

        def lap(stage: str) -> None:
            nonlocal clock
            now = time.perf_counter()
            timings[stage] += now - clock
            clock = now

        input_ids = [BOUNDARY_ID, *ids, BOUNDARY_ID]
        style = np.ascontiguousarray(style, np.float32).reshape(1, -1)
        pred = self.predict(input_ids, style)
        lap("predictor")
        if durations is None:
            durations = dsp.durations_to_frames(pred["durations"], speed)
        frames = int(durations.sum())
        limit = self.bundle.frames[-1] if max_frames is None else max_frames
        if frames > limit:  # fail before any more work if it cannot be vocoded
            raise FramesOverflow(f"{frames} frames do not fit the largest frame bucket ({limit})")
        if self.bundle.pick_frames(frames, "prosody") is None:
            raise FramesOverflow(f"{frames} frames do not fit the largest prosody bucket ({self.bundle.prosody_frames[-1]})")
        idx = dsp.alignment_index(durations)
        d_frames = pred["d"][idx]
        asr = pred["t_en"][:, idx]
        lap("alignment")
        pros = self.prosody_f0n(d_frames, style)
        lap("prosody")
        if noise is None and rng is not None:
            noise = dsp.SourceNoise.draw(rng, 2 * frames * dsp.UPSAMPLE_SCALE)
        source = self.source_stft(pros["f0"], noise)
        lap("source")
        return Prepared(durations, asr, pros["f0"], pros["n"], source, style, dict(timings), {**pred, **pros})

    def render(self, p: Prepared, start: int = 0, stop: int | None = None, timings: dict | None = None,
               donors: list[tuple[int, int]] = (), gap: int = 2):
        """Vocode frames [start, stop) of a prepared chunk -> (audio, magnitude, phase).

        The slice sees only its own frames: the vocoder's convolutions see zeros past its edges and
        its InstanceNorm/AdaIN statistics are the slice's, so a slice's audio equals the same
        frames of the whole chunk's audio only approximately (see ``Kokoro.stream``). ``donors``
        are further frame ranges of the chunk vocoded in the same call after ``gap`` masked frames
        each, so that they join the statistics; their audio is dropped."""
        stop = p.frames if stop is None else stop
        k = self.bundle.source_frames_per_frame
        clock = time.perf_counter()
        segments = [(start, stop), *donors]
        total = sum(b - a for a, b in segments) + gap * len(donors)
        asr = np.zeros((p.asr.shape[0], total), np.float32)
        f0 = np.zeros(2 * total, np.float32)
        nn = np.zeros(2 * total, np.float32)
        source = np.zeros((p.source.shape[0], k * total + 1), np.float32)
        mask = np.zeros(total, np.float32)
        o = 0
        for i, (a, b) in enumerate(segments):
            o += gap if i else 0
            m = b - a
            asr[:, o : o + m] = p.asr[:, a:b]
            f0[2 * o : 2 * (o + m)] = p.f0[2 * a : 2 * b]
            nn[2 * o : 2 * (o + m)] = p.n[2 * a : 2 * b]
            source[:, k * o : k * (o + m) + (i == 0)] = p.source[:, k * a : k * b + (i == 0)]
            mask[o : o + m] = 1
            o += m
        magnitude, phase = self.vocode(asr, f0, nn, source, p.style, mask)
        cols = k * (stop - start) + 1
        magnitude, phase = magnitude[:, :cols], phase[:, :cols]
        now = time.perf_counter()
        audio = dsp.istft(magnitude, phase)
        if timings is not None:
            timings["vocoder"] = timings.get("vocoder", 0.0) + now - clock
            timings["istft"] = timings.get("istft", 0.0) + time.perf_counter() - now
        return audio, magnitude, phase

    def speak(
        self,
        ids: list[int],
        style: np.ndarray,
        speed: float = 1.0,
        rng: np.random.Generator | None = None,
        noise: dsp.SourceNoise | None = None,
        keep_stages: bool = False,
        durations: np.ndarray | None = None,
    ) -> Utterance:
        """Phoneme ids (without boundary tokens) -> audio. ``style`` is the voice row [1, 256].

        Source randomness comes from ``noise`` if given, else is drawn from ``rng``
        (a seeded generator makes the output reproducible), else the source is noise-free.
        """
        p = self.prepare(ids, style, speed, rng, noise, durations=durations)
        timings = dict(p.timings)
        audio, magnitude, phase = self.render(p, timings=timings)
        stages = {}
        if keep_stages:
            stages = {**p.stages, "magnitude": magnitude, "phase": phase, "source": p.source}
        return Utterance(audio=audio, durations=p.durations, timings=timings, stages=stages)
