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

from kokoro_litert.errors import BundleError, FramesOverflow

from . import dsp
from .bundle import Bundle
from .chunker import Chunk, split_text
from .engine import Engine, Prepared, Utterance
from .g2p import G2P
from .g2p_graph import GraphFallback
from .timestamps import Word, refine, word_frames
from .tokenizer import Tokenizer
from .voices import VoiceBank, load_npz, style_for

SPEED_RANGE = (0.5, 2.0)
SPACE = " "

# Fast first audio without cutting a sentence. The stream's first sentence goes through the
# predictor and prosody graphs whole (its durations and F0 are the whole sentence's); only its
# vocoding is split: a first piece of FIRST_PIECE_FRAMES frames (25 ms each) in the smallest vocoder
# bucket, then pieces that grow with the audio already delivered. Each piece is vocoded with
# CONTEXT_FRAMES frames of the sentence on either side (the vocoder's receptive field is about
# +-20 frames) and crossfaded with its neighbour over CROSSFADE_FRAMES frames. The vocoder
# normalises (70 InstanceNorm/AdaIN) over the frames it is given, so a piece alone has its own
# statistics: the bucket's padding is therefore filled with DONOR_FRAMES-long ranges from the rest
# of the sentence, masked apart by DONOR_GAP frames, which join the statistics and are then dropped.
# Measured on the CI bundle, first piece in a 64-frame budget vs the sentence vocoded whole (log-mel
# over frames within 40 dB of the peak): 40 + 12 context, no donors 3.3 dB; 40 + 24: 2.9 dB;
# 24 + 20 + 2 donors of 8: 2.0 dB (mean log-mel 1.35 dB, corr 0.987); 32 + 20 + 1 donor: 2.0 dB
# (corr 0.991); every frame of the sentence as donor: 1.15 dB; whole context: 0. A different noise
# seed alone moves it by 0.4-0.5 dB. 32 frames (0.8 s) also lets most short sentences end in the
# second piece.
FIRST_PIECE_FRAMES = 32
CONTEXT_FRAMES = 20
CROSSFADE_FRAMES = 4
DONOR_FRAMES = 8
DONOR_GAP = 2  # one masked frame lets ~5e-3 through; two, ~7e-4 (audio peak ~0.5)
PIECE_GROWTH = 3.0  # a later piece vocodes at most this many times the frames already delivered
FAST_START_TOKENS = None  # the old text-level fast start (words cut mid-sentence) is gone


@dataclass
class AudioChunk:
    samples: np.ndarray  # float32, this chunk's speech, followed by its pause when ``final``
    text: str
    phonemes: str
    seconds: float  # wall time spent producing it
    timings: dict[str, float] = field(default_factory=dict)
    final: bool = True  # False: more audio of the same text follows (a stream's first sentence)
    dropped: tuple[str, ...] = ()  # what the text held that could not be spoken (on the final piece)
    # Word(text, start_s, end_s) of the words that END in this piece, in seconds from the start of
    # the stream (its pauses and earlier pieces included); a word may have started in the piece before
    # (the first sentence of a stream comes in pieces). ``text`` is the original text ("$42.50",
    # "Dr."), see runtime/timestamps.py.
    words: list[Word] = field(default_factory=list)
    word_keys: tuple[int, ...] = field(default=(), repr=False)  # Chunk.word_keys of ``words``


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
        return " ".join(c.phonemes for c in self.chunks if c.final)

    @property
    def dropped(self) -> tuple[str, ...]:
        """Everything the text held that could not be spoken, in reading order."""
        return tuple(d for c in self.chunks for d in c.dropped)

    @property
    def words(self) -> list[Word]:
        """``Word(text, start_s, end_s)`` for every word spoken, in order, on ``samples``' time axis:
        ``samples[int(start_s * sample_rate):int(end_s * sample_rate)]`` is that word. An original
        span read as several words ("$42.50") is one entry, even when split between chunks."""
        return merge_words((w, k) for c in self.chunks for w, k in zip(c.words, c.word_keys or [None] * len(c.words)))


def merge_words(pairs) -> list[Word]:
    """(Word, key) pairs -> Words, consecutive ones with the same key (one original span spoken
    in two chunks) merged into one from the first's start to the last's end."""
    out: list[Word] = []
    last = object()
    for w, key in pairs:
        if key is not None and key == last:
            out[-1] = Word(out[-1].text, out[-1].start_s, max(out[-1].end_s, w.end_s))
        else:
            out.append(w)
        last = key
    return out


def plan_pieces(frames: int, buckets: list[int], first: int | None = None, context: int | None = None,
                growth: float | None = None) -> list[int]:
    """Boundaries ``[0, b1, ..., frames]`` of the pieces a ``frames``-long utterance is vocoded in.

    Piece i delivers frames [b_i, b_i+1) and is vocoded over that range widened by ``context``
    frames on each side (clipped to the utterance); every vocoded range fits a bucket.

    ``first=None``: one piece if the utterance fits the largest bucket, else pieces filling it.
    ``first=K``: a fast start. One piece if the utterance fits the smallest bucket (that is as fast);
    else the first piece delivers K frames (fewer if the smallest bucket cannot hold them with their
    context) and each later piece vocodes at most ``growth`` times the frames delivered before it,
    so that it is ready before they have been played."""
    context = CONTEXT_FRAMES if context is None else context
    growth = PIECE_GROWTH if growth is None else growth
    small, large = buckets[0], buckets[-1]
    if first is None:
        if frames <= large:
            return [0, frames]
        first, growth = large - context, float("inf")
    elif frames <= small:
        return [0, frames]
    else:
        first = max(1, min(first, small - context))
    min_last = max(1, min(context, small // 4))
    usable = [b for b in buckets if b > 2 * context]  # later pieces carry context on both sides
    bounds = [0, first]
    while True:
        done = bounds[-1]
        limit = max(small, min(large, int(growth * done))) if growth != float("inf") else large
        if frames - done + context <= limit:
            break  # the rest fits one piece with its left context
        if not usable:
            raise ValueError(f"every bucket is too small for {context} context frames on each side")
        size = max([b for b in usable if b <= limit] or usable[:1])  # vocoded frames: a whole bucket
        step = size - 2 * context
        left = frames - done - step
        if left < min_last:  # do not leave a sliver for the last piece
            step -= min_last - left
        bounds.append(done + step)
    bounds.append(frames)
    return bounds


def donor_ranges(frames: int, lo: int, hi: int, room: int, length: int | None = None, gap: int | None = None) -> list[tuple[int, int]]:
    """Frame ranges of the utterance outside [lo, hi), ``length`` frames each, spread evenly over
    it, as many as fit in ``room`` frames with a ``gap`` before each. Vocoded after a piece (in
    the bucket's padding, so at no extra cost), they make the vocoder's per-channel statistics,
    taken over all real frames of its input, closer to the whole utterance's."""
    length = DONOR_FRAMES if length is None else length
    gap = DONOR_GAP if gap is None else gap
    if length <= 0:
        return []
    n = room // (length + gap)
    sides = [(a, b) for a, b in ((0, lo), (hi, frames)) if b - a >= length]
    total = sum(b - a for a, b in sides)
    n = min(n, total // length) if sides else 0
    if n <= 0:
        return []
    out = []
    for a, b in sides:  # shared out by length; each side's segments evenly spaced over it
        k = int(round(n * (b - a) / total))
        if sides[-1] == (a, b):
            k = n - len(out)
        k = min(k, (b - a) // length)
        if k > 0:
            i = np.arange(k)
            starts = a + i * length + np.floor((b - a - k * length) * (i + 0.5) / k).astype(int)
            out += [(int(x), int(x) + length) for x in starts]
    return out


def _crossfade(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Equal-gain raised-cosine weights (fade-out, fade-in) that sum to 1 sample by sample."""
    fade_in = (np.sin(0.5 * np.pi * (np.arange(n) + 0.5) / n) ** 2).astype(np.float32)
    return (1.0 - fade_in).astype(np.float32), fade_in


def g2p_fallback_for(bundle: Bundle, name: str):
    """The ``G2P(fallback=...)`` for ``--g2p-fallback NAME``."""
    if name == "espeak":
        return True
    if name != "graph":
        raise ValueError(f"g2p fallback must be 'espeak' or 'graph', not {name!r}")
    entry = bundle.manifest.get("text", {}).get("g2p")
    if entry is None:
        raise BundleError(f"{bundle.dir}: no G2P graph in this bundle (built before it existed): rebuild it")
    return GraphFallback(bundle.dir / entry["file"], entry).phonemes


class Kokoro:
    def __init__(self, bundle_dir: str | os.PathLike | None = None, threads: int = 2, verify: bool = True,
                 g2p_fallback: str = "espeak"):
        """``g2p_fallback`` spells words the lexicons lack: ``"espeak"`` (espeak-ng) or ``"graph"``
        (the bundle's neural G2P graph, what the Android app uses, so both speak alike)."""
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive integer, got {threads!r}")
        self.bundle = Bundle(bundle_dir, verify=verify)
        self.engine = Engine(self.bundle, threads=threads)
        self.tokenizer = Tokenizer(self.bundle.vocab)
        self.g2p = G2P(fallback=g2p_fallback_for(self.bundle, g2p_fallback))
        self.voices: VoiceBank = load_npz(self.bundle.voices_path)
        self.sample_rate = self.bundle.sample_rate

    def _check(self, voice: str, speed: float) -> np.ndarray:
        if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
            raise ValueError(f"speed {speed} is outside {SPEED_RANGE[0]}-{SPEED_RANGE[1]}")
        return self.voices.get(voice)

    def chunks(self, text: str, first_chunk_tokens: int | None = None) -> Iterator[Chunk]:
        return split_text(text, self.g2p, self.tokenizer, self.bundle.tokens[-1], first_chunk_tokens)

    def phonemize(self, text: str) -> list[Chunk]:
        """The front-end alone, no synthesis: the chunks ``stream`` and ``synthesize`` would speak,
        each with its normalised ``text``, ``phonemes``, ``ids`` (``tokens`` = ``len(ids) + 2``),
        ``pause_s`` and ``dropped`` (what could not be spoken). Raises ``TextError`` as they do."""
        return list(self.chunks(text))

    def prepare_ids(self, ids: list[int], pack: np.ndarray, speed: float, rng: np.random.Generator | None) -> list[Prepared]:
        """Predictor and prosody for one chunk's ids, whole: one ``Prepared`` in all but one case.
        A chunk with more frames than the largest vocoder bucket is still prepared whole (and
        vocoded in pieces) while it fits the prosody graph; past that it is split at the word
        boundary nearest its middle and each half is predicted on its own."""
        return [p for _, p in self._prepare_parts(ids, pack, speed, rng)]

    def _prepare_parts(self, ids: list[int], pack: np.ndarray, speed: float, rng: np.random.Generator | None,
                       offset: int = 0) -> list[tuple[int, Prepared]]:
        """``prepare_ids`` with the index in ``ids`` of each part's first id (the space a split
        drops belongs to no part)."""
        limit = max(self.bundle.frames[-1], self.bundle.prosody_frames[-1])
        try:
            return [(offset, self.engine.prepare(ids, style_for(pack, len(ids)), speed, rng=rng, max_frames=limit))]
        except FramesOverflow:
            spaces = [i for i, t in enumerate(ids) if t == self.tokenizer.vocab[SPACE]]
            if not spaces:
                raise
            cut = min(spaces, key=lambda i: abs(i - len(ids) / 2))
            return (self._prepare_parts(ids[:cut], pack, speed, rng, offset)
                    + self._prepare_parts(ids[cut + 1 :], pack, speed, rng, offset + cut + 1))

    def _word_samples(self, chunk: Chunk, parts: list[tuple[int, Prepared]]) -> list[tuple[int, int, int]]:
        """(word index in ``chunk.words``, first sample, end sample) of each word of a chunk spoken
        as ``parts`` (concatenated, as ``stream`` joins them), samples from the chunk's start."""
        if not chunk.id_words:
            return []
        spf = self.bundle.samples_per_frame
        spans: dict[int, list[int]] = {}
        base = 0
        for first, p in parts:
            for w, (a, b) in word_frames(chunk.id_words, p.durations, first, len(p.durations) - 2).items():
                if w in spans:
                    spans[w][1] = base + b
                else:
                    spans[w] = [base + a, base + b]
            base += p.frames
        return [(w, a * spf, b * spf) for w, (a, b) in sorted(spans.items(), key=lambda kv: kv[1][0])]

    def render_pieces(self, p: Prepared, bounds: list[int], timings: dict[str, float] | None = None,
                      buckets: list[int] | None = None) -> Iterator[np.ndarray]:
        """A prepared utterance vocoded in the pieces ``bounds`` (see ``plan_pieces``): yields
        consecutive segments whose concatenation is the utterance's audio (``samples_per_frame *
        frames`` samples), each as soon as its piece is vocoded; the crossfade into the next piece
        (``CROSSFADE_FRAMES`` centred on the boundary) is held back until that piece exists. Each
        piece's bucket padding is filled with donor frames (``donor_ranges``); ``buckets`` (default: the
        bundle's) are the sizes that padding is counted against (to measure other buckets' pieces)."""
        spf, frames = self.bundle.samples_per_frame, p.frames
        if len(bounds) == 2:
            yield self.engine.render(p, timings=timings)[0]
            return
        half = CROSSFADE_FRAMES * spf // 2
        fade_out, fade_in = _crossfade(2 * half)
        held = None
        for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
            lo, hi = max(0, a - CONTEXT_FRAMES), min(frames, b + CONTEXT_FRAMES)
            room = next(f for f in (buckets or self.bundle.frames) if f >= hi - lo) - (hi - lo)
            donors = donor_ranges(frames, lo, hi, room)
            audio = self.engine.render(p, lo, hi, timings, donors=donors, gap=DONOR_GAP)[0]
            origin = lo * spf  # audio[j] is the utterance's sample origin + j
            last = b == frames
            start = 0 if i == 0 else a * spf - half
            end = frames * spf if last else b * spf - half
            seg = audio[start - origin : end - origin].copy()
            if held is not None:
                seg[: len(held)] = held * fade_out + seg[: len(held)] * fade_in
            if not last:
                held = audio[end - origin : end - origin + 2 * half]
            yield seg

    def speak_ids(self, ids: list[int], pack: np.ndarray, speed: float, rng: np.random.Generator | None) -> list[Utterance]:
        """Audio for one chunk's ids: one ``Utterance`` per predictor pass (see ``prepare_ids``)."""
        out = []
        for p in self.prepare_ids(ids, pack, speed, rng):
            timings = dict(p.timings)
            audio = np.concatenate(list(self.render_pieces(p, plan_pieces(p.frames, self.bundle.frames), timings)))
            out.append(Utterance(audio=audio, durations=p.durations, timings=timings))
        return out

    def stream(
        self,
        text: str,
        voice: str = "af_heart",
        speed: float = 1.0,
        seed: int | None = 0,
        first_chunk_tokens: int | None = None,
        first_piece_frames: int | None = FIRST_PIECE_FRAMES,
    ) -> Iterator[AudioChunk]:
        """Yield audio as soon as it is ready: one ``AudioChunk`` per sentence (or per clause of a
        sentence too long for the largest token bucket), in pieces for the first one.

        Each chunk ends with the pause its punctuation asks for (none after the last one); chunk
        edges are faded so joins do not click. Text is split only between sentences (and a sentence
        too long for the model at its clauses), never for speed. Instead, the first sentence is
        predicted whole and its audio comes in pieces, ``final=False`` on all but the last: its first
        ``first_piece_frames`` frames (25 ms each) are vocoded alone (with context) and yielded
        while the rest is vocoded. ``first_piece_frames=None`` yields every sentence whole.
        ``first_chunk_tokens`` is passed to the chunker (a clause-only first-chunk budget, see
        ``split_text``); it is off by default and kept for compatibility."""
        pack = self._check(voice, speed)
        rng = np.random.default_rng(seed)
        sr, spf = self.sample_rate, self.bundle.samples_per_frame
        pos = 0  # samples yielded so far: the output's time axis

        def seconds(n: int) -> float:  # n / sr, nudged up so that int(seconds(n) * sr) == n
            return (n + 1e-6) / sr

        def words_of(chunk: Chunk, spans: list[tuple[int, int, int]], origin: int) -> tuple[list[Word], tuple[int, ...]]:
            words = [Word(chunk.words[w], seconds(origin + a), seconds(origin + b)) for w, a, b in spans]
            keys = tuple(chunk.word_keys[w] for w, _, _ in spans) if chunk.word_keys else ()
            return words, keys

        for n, chunk in enumerate(self.chunks(text, first_chunk_tokens)):
            start = time.perf_counter()
            pause = np.zeros(int(round(chunk.pause_s * self.sample_rate)), np.float32)
            parts = self._prepare_parts(chunk.ids, pack, speed, rng)
            prepared = [p for _, p in parts]
            spans = self._word_samples(chunk, parts)
            timings: dict[str, float] = {}
            for p in prepared:
                for k, v in p.timings.items():
                    timings[k] = timings.get(k, 0.0) + v
            if n == 0 and first_piece_frames and len(prepared) == 1:
                p = prepared[0]
                bounds = plan_pieces(p.frames, self.bundle.frames, first_piece_frames)
                count = len(bounds) - 1
                origin, said, prev_end = pos, [], 0  # the sentence's first sample; its audio so far; last word end
                # The generator adds every piece's stages to ``spent``; each chunk reports what was
                # added since the previous one.
                spent, reported = dict(timings), {}
                for i, seg in enumerate(self.render_pieces(p, bounds, spent)):
                    timings = {k: v - reported.get(k, 0.0) for k, v in spent.items()}
                    reported = dict(spent)
                    last = i == count - 1
                    audio = dsp.fade_edges(seg, fade_in=i == 0, fade_out=last)
                    said.append(audio)
                    done = sum(len(a) for a in said)
                    mine = spans if last else [s for s in spans if s[2] <= done]  # words ending in this piece
                    spans = spans[len(mine):]
                    if mine:
                        mine = refine(mine, np.concatenate(said), spf, prev_end=prev_end)
                        prev_end = mine[-1][2]
                    words, keys = words_of(chunk, mine, origin)
                    if last:
                        audio = np.concatenate([audio, pause])
                    pos += len(audio)
                    yield AudioChunk(audio, chunk.text, chunk.phonemes, time.perf_counter() - start, timings, final=last,
                                     dropped=chunk.dropped if last else (), words=words, word_keys=keys)
                    start = time.perf_counter()
                continue
            parts_audio = [np.concatenate(list(self.render_pieces(p, plan_pieces(p.frames, self.bundle.frames), timings)))
                           for p in prepared]
            speech = dsp.fade_edges(dsp.join(parts_audio))
            audio = np.concatenate([speech, pause])
            words, keys = words_of(chunk, refine(spans, speech, spf), pos)
            pos += len(audio)
            yield AudioChunk(audio, chunk.text, chunk.phonemes, time.perf_counter() - start, timings,
                             dropped=chunk.dropped, words=words, word_keys=keys)

    def synthesize(self, text: str, voice: str = "af_heart", speed: float = 1.0, seed: int | None = 0) -> Audio:
        """The whole text at once (for a file): every sentence spoken whole, no fast start."""
        chunks = list(self.stream(text, voice, speed, seed, first_piece_frames=None))
        samples = np.concatenate([c.samples for c in chunks])
        return Audio(samples, self.sample_rate, chunks)


__all__ = ["Kokoro", "Audio", "AudioChunk", "Word", "plan_pieces"]
