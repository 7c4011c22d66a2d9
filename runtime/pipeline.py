"""Text in, audio out: the user-facing ``Kokoro`` class (in the spirit of hexgrad's KPipeline).

    tts = Kokoro()                                  # the default bundle, 2 threads
    audio = tts.synthesize("Hello there!", voice="af_heart")
    for chunk in tts.stream(long_text, voice="af_heart:0.7,am_michael:0.3", speed=1.1): ...

One instance may be shared across threads: each graph runs under its own lock, so concurrent
calls are safe (they queue at the graphs rather than run in parallel).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from . import dsp
from .bundle import Bundle
from .chunker import Chunk, split_text
from .engine import Engine, FramesOverflow
from .g2p import G2P
from .tokenizer import Tokenizer
from .voices import VoiceBank, load_npz, style_for

SPEED_RANGE = (0.5, 2.0)
FAST_START_TOKENS = 20  # ~1.5 s of speech: the first streamed chunk fits the smallest frame bucket
SPACE = " "


@dataclass
class AudioChunk:
    samples: np.ndarray  # float32, this chunk's speech followed by its pause
    text: str
    phonemes: str
    seconds: float  # wall time spent producing it
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Audio:
    samples: np.ndarray
    sample_rate: int
    chunks: list[AudioChunk]

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate

    @property
    def phonemes(self) -> str:
        return " ".join(c.phonemes for c in self.chunks)


class Kokoro:
    def __init__(self, bundle_dir: str | os.PathLike | None = None, threads: int = 2, verify: bool = True):
        self.bundle = Bundle(bundle_dir, verify=verify)
        self.engine = Engine(self.bundle, threads=threads)
        self.tokenizer = Tokenizer(self.bundle.vocab)
        self.g2p = G2P()
        self.voices: VoiceBank = load_npz(self.bundle.voices_path)
        self.sample_rate = self.bundle.sample_rate

    def _check(self, voice: str, speed: float) -> np.ndarray:
        if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
            raise ValueError(f"speed {speed} is outside {SPEED_RANGE[0]}-{SPEED_RANGE[1]}")
        return self.voices.get(voice)

    def chunks(self, text: str, first_chunk_tokens: int | None = None) -> Iterator[Chunk]:
        return split_text(text, self.g2p, self.tokenizer, self.bundle.tokens[-1], first_chunk_tokens)

    def speak_ids(self, ids: list[int], pack: np.ndarray, speed: float, rng: np.random.Generator):
        """Audio for one chunk's ids. If its durations overflow the largest frame bucket, it is
        split at the word boundary nearest its middle and each half is spoken separately."""
        try:
            return [self.engine.speak(ids, style_for(pack, len(ids)), speed, rng=rng)]
        except FramesOverflow:
            spaces = [i for i, t in enumerate(ids) if t == self.tokenizer.vocab[SPACE]]
            if not spaces:
                raise
            cut = min(spaces, key=lambda i: abs(i - len(ids) / 2))
            return self.speak_ids(ids[:cut], pack, speed, rng) + self.speak_ids(ids[cut + 1 :], pack, speed, rng)

    def stream(
        self,
        text: str,
        voice: str = "af_heart",
        speed: float = 1.0,
        seed: int | None = 0,
        first_chunk_tokens: int | None = FAST_START_TOKENS,
    ) -> Iterator[AudioChunk]:
        """Yield audio chunk by chunk (a sentence or clause each) as soon as each is ready.

        Each chunk ends with the pause its punctuation asks for (none after the last one); chunk
        edges are faded so joins do not click. The first chunk aims for ``first_chunk_tokens``
        (a clause or a few words) so that playback can start sooner; ``None`` keeps whole
        sentences."""
        pack = self._check(voice, speed)
        rng = np.random.default_rng(seed)
        for chunk in self.chunks(text, first_chunk_tokens):
            start = time.perf_counter()
            parts = self.speak_ids(chunk.ids, pack, speed, rng)
            audio = dsp.fade_edges(dsp.join([p.audio for p in parts]))
            pause = np.zeros(int(round(chunk.pause_s * self.sample_rate)), np.float32)
            timings: dict[str, float] = {}
            for p in parts:
                for k, v in p.timings.items():
                    timings[k] = timings.get(k, 0.0) + v
            yield AudioChunk(np.concatenate([audio, pause]), chunk.text, chunk.phonemes, time.perf_counter() - start, timings)

    def synthesize(self, text: str, voice: str = "af_heart", speed: float = 1.0, seed: int | None = 0) -> Audio:
        chunks = list(self.stream(text, voice, speed, seed, first_chunk_tokens=None))
        samples = np.concatenate([c.samples for c in chunks])
        return Audio(samples, self.sample_rate, chunks)


__all__ = ["Kokoro", "Audio", "AudioChunk"]
