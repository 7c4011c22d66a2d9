"""Word timestamps (``runtime/timestamps.py``): original words through normalisation and G2P to the
ids, durations to times on the output axis, the writers, the CLI and the server; and, on real speech
from the CI bundle, agreement with faster-whisper's word timestamps.

The mapping and the stream's offsets are tested without any model: the chunker on real text, and
``Kokoro.stream`` on a fake engine whose "audio" carries, in every sample, the index of the id
(token) whose frame it is, so that ``samples[int(start * sr):int(end * sr)]`` can be checked to hold
exactly a word's ids.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from kokoro_litert.runtime.chunker import split_text
from kokoro_litert.errors import FramesOverflow
from kokoro_litert.runtime.engine import Prepared
from kokoro_litert.runtime.g2p import G2P
from kokoro_litert.runtime.normalize import normalize_segment, segments
from kokoro_litert.runtime.pipeline import Kokoro, merge_words
from kokoro_litert.runtime.timestamps import Word, align_segment, format_timestamps, refine, word_frames
from kokoro_litert.runtime.tokenizer import Tokenizer

_CONFIG = Path(__file__).resolve().parents[1] / "converter" / "kokoro_config.json"
SR, SPF = 24000, 600


@pytest.fixture(scope="module")
def tok():
    return Tokenizer(json.loads(_CONFIG.read_text(encoding="utf-8"))["vocab"])


@pytest.fixture(scope="module")
def g2p():
    return G2P()


def spoken(text, g2p, tok, max_tokens=128):
    chunks = list(split_text(text, g2p, tok, max_tokens))
    return chunks, merge_words((Word(w, 0, 0), k) for c in chunks for w, k in zip(c.words, c.word_keys))


# ---- original text <- normalised text <- ids --------------------------------------------------------


@pytest.mark.parametrize("text, words", [
    ("Dr. Smith paid $42.50 on March 3rd, 2024.", ["Dr.", "Smith", "paid", "$42.50", "on", "March", "3rd", "2024"]),
    ("It's 25°C on 3/15/2024.", ["It's", "25°C", "on", "3/15/2024"]),
    ("Mr. and Mrs. Jones met Dr. Who on Main St. in St. Louis.",
     ["Mr.", "and", "Mrs.", "Jones", "met", "Dr.", "Who", "on", "Main", "St.", "in", "St.", "Louis"]),
    ("It costs $1.5 million, e.g. more than 10 km of road.",
     ["It", "costs", "$1.5 million", "e.g.", "more", "than", "10", "km", "of", "road"]),
    ("Tom & Jerry: 2+2=4", ["Tom", "&", "Jerry", "2+2=4"]),
    ("\u201cHi\u201d \u2018there\u2019 \u2013 it\u2019s -5 degrees...", ["Hi", "there", "it\u2019s", "-5", "degrees"]),
    ("Henry VIII met me at 3:30 pm in the U.S.", ["Henry", "VIII", "met", "me", "at", "3:30", "pm", "in", "the", "U.S."]),
    ("Call 555-123-4567 or visit www.example.com/docs today!",
     ["Call", "555-123-4567", "or", "visit", "www.example.com/docs", "today"]),
    ("The 1990s were fun\u2014really fun. I said no.", ["The", "1990s", "were", "fun", "really", "fun", "I", "said", "no"]),
    ("No. 5 is 50% off (approx.) since 1984, i.e. cheap.",
     ["No.", "5", "is", "50%", "off", "approx.", "since", "1984", "i.e.", "cheap"]),
    ("I love \U0001F355 so much.", ["I", "love", "so", "much"]),  # dropped: no word, no time
    ("10-15 to 20 people.", ["10-15 to 20", "people"]),  # coarse rather than wrong: "to" is read inside both
])
def test_words_are_the_original_text(text, words, g2p, tok):
    chunks, merged = spoken(text, g2p, tok)
    assert [w.text for w in merged] == words
    for c in chunks:
        assert len(c.id_words) == len(c.ids) and len(c.word_keys) == len(c.words)
        assert set(c.id_words) - {-1} == set(range(len(c.words)))


def test_each_word_owns_a_contiguous_run_of_ids(g2p, tok):
    """Between the first and the last id of a word there are only its ids, spaces and punctuation
    (an entry read as several words), never another word's; words come in reading order."""
    space = tok.vocab[" "]
    text = ("Dr. Smith paid $1,234,567.89 on 3/15/2024 at 10:30 am; the U.S. team won 3-1 (again!) "
            "and we said \u201cwow\u201d \u2014 twice. Henry VIII ate 2.5 kg of \u00a35 pies & 1/2 a cake.")
    for c in split_text(text, g2p, tok, 32):
        owners = [w for w in c.id_words if w >= 0]
        assert owners == sorted(owners)
        for w in range(len(c.words)):
            pos = [i for i, x in enumerate(c.id_words) if x == w]
            inner = c.id_words[pos[0]:pos[-1] + 1]
            assert all(x in (w, -1) for x in inner)
            # what is not the word inside its run: spaces and punctuation only
            assert all(c.ids[i] == space or c.phonemes for i in range(pos[0], pos[-1] + 1) if c.id_words[i] == -1)


def test_a_span_split_between_chunks_is_one_word(g2p, tok):
    """A long amount is split between its words when a chunk cannot hold it: one entry."""
    text = "He paid $1,234,567,891.25 for it."
    chunks, merged = spoken(text, g2p, tok, 24)
    assert len(chunks) > 1
    assert [w.text for w in merged] == ["He", "paid", "$1,234,567,891.25", "for", "it"]


def test_aligned_phonemes_match_phonemize(g2p):
    """phonemize_aligned gives the very string phonemize gives, and each phoneme of a word comes
    from that word's span; spaces between words and punctuation have no word."""
    texts = ["Hello, world!", 'He said "hi".', "I love \U0001F355 so much .", "U.S. A.M e.g. don't well-known",
             "Snow \u2603 falls ~ quietly (really) \u2014 ok\u2026", "twenty four seven, five."]
    for text in texts:
        ps, spans = g2p.phonemize_aligned(text, normalized=True)
        assert ps == g2p.phonemize(text, normalized=True)
        assert len(spans) == len(ps) and any(s is not None for s in spans)
        for c, s in zip(ps, spans):
            if c == " " or c in ",.!?;:\u2014\u2026\u201c\u201d()":
                continue
            assert s is not None, (text, ps)
            assert re.fullmatch(r"[\w.'-]+", text[s[0]:s[1]]), text[s[0]:s[1]]


def test_alignment_is_linear_ish():
    """A segment as long as the normaliser makes (1,500 characters, ~250 words) aligns fast."""
    raw = "; ".join(f"on {m}/{d}/2024 we paid ${d}.{m:02d} for {d} km" for m in range(1, 13) for d in range(1, 4))
    seg = next(segments(raw))
    norm = normalize_segment(seg)
    t = time.perf_counter()
    align = align_segment(seg, norm)
    assert time.perf_counter() - t < 0.5
    assert len(align) > 50
    # repetitive text, where difflib's matcher takes over a second per segment: bounded look-ahead
    seg = next(segments("a 1 " * 400))
    t = time.perf_counter()
    align = align_segment(seg, normalize_segment(seg))
    assert time.perf_counter() - t < 0.5 and align.texts[:4] == ["a", "1", "a", "1"]


# ---- ids -> times: a fake engine ------------------------------------------------------------------


class FakeEngine:
    """Durations from the ids; audio whose every sample holds ``1000 + index`` of its frame's
    token (in the model input: boundary token 0, then the ids), so a time span can be read back as
    the tokens it holds; spaces, punctuation and boundary tokens are that times 1e-4 (silence)."""

    def __init__(self, quiet_ids, limit=None):
        self.quiet = set(quiet_ids)
        self.limit = limit
        self.serial = 0  # predictor passes so far: pass s marks its frames 1000 + 200 s + token index

    def prepare(self, ids, style, speed=1.0, rng=None, max_frames=None, **kw):
        durations = np.array([3] + [1 + (i * 7 + k) % 4 for k, i in enumerate(ids)] + [5], np.int64)
        durations = np.maximum(1, np.round(durations / speed)).astype(np.int64)
        frames = int(durations.sum())
        if self.limit is not None and frames > self.limit:
            raise FramesOverflow(f"{frames} frames")
        level = np.array([1e-4] + [1e-4 if i in self.quiet else 1.0 for i in ids] + [1e-4])
        marks = np.repeat((1000.0 + 200 * self.serial + np.arange(len(durations))) * level, durations)
        self.serial += 1
        return Prepared(durations, np.zeros((1, frames), np.float32), np.zeros(2 * frames), np.zeros(2 * frames),
                        np.zeros((22, 1)), np.zeros((1, 256)), {}, {"marks": marks.astype(np.float32)})

    def render(self, p, start=0, stop=None, timings=None, donors=(), gap=2):
        stop = p.frames if stop is None else stop
        return np.repeat(p.stages["marks"][start:stop], SPF).astype(np.float32), None, None


def decode(samples):
    """Fake audio -> the token index (in the model input) of each sample."""
    x = np.asarray(samples, np.float64)
    return np.where(x > 500, np.round(x), np.round(x * 1e4)).astype(int) - 1000


def fake_kokoro(g2p, tok, max_tokens=32, limit=None, vocoder=(64, 128)):
    tts = Kokoro.__new__(Kokoro)
    tts.bundle = SimpleNamespace(samples_per_frame=SPF, frames=list(vocoder), prosody_frames=[256],
                                 tokens=[max_tokens], sample_rate=SR)
    quiet = [i for c, i in tok.vocab.items() if c == " " or c in ',.!?;:\u2014\u2026"\u201c\u201d()']
    tts.engine = FakeEngine(quiet, limit)
    tts.tokenizer, tts.g2p, tts.sample_rate = tok, g2p, SR
    tts.voices = SimpleNamespace(get=lambda v: np.zeros((510, 1, 256), np.float32))
    return tts


TEXT = ("Dr. Smith paid $42.50 on March 3rd, 2024. It was 25\u00b0C on 3/15/2024, and the crowd cheered!\n\n"
        "A new paragraph starts here; then it ends.")


def check_words(tts, audio_samples, chunks, words):
    """``words`` (every piece's, in order, unmerged) against the chunks: each word's samples hold
    exactly its own ids (and spaces/punctuation inside it), from its first id's first sample to its
    last id's last; words are in order and do not overlap."""
    assert words == sorted(words, key=lambda w: w.start_s)
    for a, b in zip(words, words[1:]):
        assert a.end_s <= b.start_s + 1e-9
    flat = [(c, k) for c in chunks for k in range(len(c.words))]
    assert len(flat) == len(words)
    tokens = decode(audio_samples)
    replay = fake_kokoro(tts.g2p, tts.tokenizer, tts.bundle.tokens[-1], tts.engine.limit, tts.bundle.frames)
    marks, parts = {}, {}  # (chunk, id index) -> the mark of its frames; chunk -> (first, n_ids, serial)
    for n, c in enumerate(chunks):
        base = replay.engine.serial
        for k, (first, p) in enumerate(replay._prepare_parts(c.ids, np.zeros((510, 256), np.float32), 1.0, None)):
            serial, n_ids = base + k, len(p.durations) - 2
            parts.setdefault(n, []).append((first, n_ids, serial))
            for j in range(n_ids):
                marks[n, first + j] = 200 * serial + 1 + j
    index = {id(c): n for n, c in enumerate(chunks)}
    for (c, k), w in zip(flat, words):
        assert w.text == c.words[k]
        a, b = int(w.start_s * SR), int(w.end_s * SR)
        assert b > a
        n = index[id(c)]
        own = [i for i, x in enumerate(c.id_words) if x == k]
        mine = {marks[n, i] for i in own}
        inside = {marks[n, i] for i, x in enumerate(c.id_words) if x == -1 and own[0] < i < own[-1] and (n, i) in marks}
        for first, n_ids, serial in parts[n]:  # a word across a predictor split: the boundary tokens there
            if own[0] < first <= own[-1]:
                inside.add(200 * serial)
            if own[0] <= first + n_ids - 1 < own[-1]:
                inside.add(200 * serial + n_ids + 1)
        loud = np.asarray(audio_samples[a:b]) > 500  # faded joins scramble the quiet marks: loud ones only
        got = set(np.unique(tokens[a:b][loud]).tolist())
        assert got <= mine | inside, (w, sorted(got), sorted(mine))
        assert tokens[a] == marks[n, own[0]] and tokens[b - 1] == marks[n, own[-1]]  # whole ids, no more
        assert tokens[a - 1] != tokens[a] and tokens[b] != tokens[b - 1]


def test_synthesize_words_on_the_output_axis(g2p, tok):
    tts = fake_kokoro(g2p, tok)
    audio = tts.synthesize(TEXT)
    chunks = tts.phonemize(TEXT)
    assert len(chunks) >= 4 and any(c.pause_s == 0.6 for c in chunks)  # sentences, a paragraph break
    # sound starts and ends with the ids here, so refinement leaves the durations' times
    check_words(tts, audio.samples, chunks, [w for c in audio.chunks for w in c.words])
    assert [w.text for w in audio.words][:8] == ["Dr.", "Smith", "paid", "$42.50", "on", "March", "3rd", "2024"]
    assert "3/15/2024" in [w.text for w in audio.words]
    # chunk offsets: the n-th chunk's words lie within its samples (pauses included before it)
    pos = 0
    for c in audio.chunks:
        for w in c.words:
            assert pos <= int(w.start_s * SR) < int(w.end_s * SR) <= pos + len(c.samples)
        pos += len(c.samples)


def test_stream_pieces_and_split_parts(g2p, tok):
    """The first sentence in pieces (final=False) and a chunk split into predictor parts: the
    words of each piece end in it, and all words sit on the concatenated output."""
    text = ("Dr. Smith paid $5. It was 25\u00b0C on 3/15/2024, and the whole crowd cheered loudly!\n\n"
            "A new paragraph starts here; then it ends.")
    tts = fake_kokoro(g2p, tok, max_tokens=64, limit=150)
    chunks = tts.phonemize(text)
    pack = np.zeros((510, 256), np.float32)
    assert [len(tts._prepare_parts(c.ids, pack, 1.0, None)) for c in chunks] == [1, 2, 1, 1]
    tts.engine.serial = 0
    pieces = list(tts.stream(text, first_piece_frames=24))
    assert [p.final for p in pieces[:3]] == [False, False, True] and len(pieces) == len(chunks) + 2
    samples = np.concatenate([p.samples for p in pieces])
    words = merge_words((w, k) for p in pieces for w, k in zip(p.words, p.word_keys))
    check_words(tts, samples, chunks, [w for p in pieces for w in p.words])
    pos = 0
    for p in pieces:
        for w in p.words:
            assert int(w.end_s * SR) <= pos + len(p.samples)
        pos += len(p.samples)
    # the same words, at the same times, as synthesize's (pieces change no sample position)
    tts.engine.serial = 0
    assert words == tts.synthesize(text).words


def test_speed_scales_times(g2p, tok):
    tts = fake_kokoro(g2p, tok)
    slow, fast = tts.synthesize("Hello there, my friend.", speed=0.5), tts.synthesize("Hello there, my friend.", speed=2.0)
    assert [w.text for w in slow.words] == [w.text for w in fast.words] == ["Hello", "there", "my", "friend"]
    assert slow.words[-1].end_s > 2 * fast.words[-1].end_s


def test_word_frames_and_refine():
    # ids: a b _ c ; durations incl. boundary tokens
    frames = word_frames([0, 0, -1, 1], np.array([2, 1, 3, 1, 2, 4]))
    assert frames == {0: [2, 6], 1: [7, 9]}
    # refine: a start moves back by LEAD_FRAMES (1.6 frames) from the end of the word before (2 frames
    # from its own first token for the first word) unless the sound there is silent; an end moves back
    # out of silence
    F = SPF
    x = np.zeros(20 * F, np.float32)
    x[4 * F - 300: 9 * F] = 0.5
    assert refine([(0, 5 * F, 15 * F)], x, F) == [(0, 4 * F - 360, 9 * F)]  # the 5-ms step holding the onset
    assert refine([(0, 5 * F, 15 * F)], x, F, prev_end=5 * F - 120) == [(0, 5 * F - 120, 9 * F)]
    # running speech: the second word starts 1.6 frames before the first one's last token ends,
    # where the first ends; the first starts where its sound does
    x[:] = 0
    x[F: 12 * F] = 0.5
    assert refine([(0, 2 * F, 5 * F), (1, 7 * F, 10 * F)], x, F) == [(0, F, 5 * F - 960), (1, 5 * F - 960, 10 * F)]
    # a pause between them: the first ends and the second starts with the sound
    x[:] = 0
    x[F: 4 * F] = x[11 * F: 16 * F] = 0.5
    assert refine([(0, 2 * F, 5 * F), (1, 12 * F, 15 * F)], x, F) == [(0, F, 4 * F), (1, 11 * F, 15 * F)]


# ---- writers -------------------------------------------------------------------------------------


WORDS = [Word("Dr.", 0.3, 0.7), Word("Smith", 0.75, 1.1), Word("paid", 1.15, 1.4), Word("$42.50", 1.45, 3.2),
         Word("on", 3.25, 3.4), Word("March", 3.45, 3.8), Word("3rd", 3.85, 4.2), Word("2024", 4.4, 5.3),
         Word("Then", 6.5, 6.8), Word("more", 6.85, 7.1)]


def test_json_srt_vtt():
    rows = json.loads(format_timestamps(WORDS, "json"))
    assert rows[3] == {"word": "$42.50", "start": 1.45, "end": 3.2} and len(rows) == 10
    srt = format_timestamps(WORDS, "srt")
    cues = srt.strip().split("\n\n")
    assert cues[0].splitlines()[0] == "1" and cues[0].splitlines()[1] == "00:00:00,300 --> 00:00:04,200"
    assert cues[0].splitlines()[2] == "Dr. Smith paid $42.50 on March 3rd"  # a few words per cue
    assert cues[1].splitlines()[1:] == ["00:00:04,400 --> 00:00:05,300", "2024"]
    assert cues[-1].splitlines()[2] == "Then more"  # a pause starts a cue
    vtt = format_timestamps(WORDS, "vtt")
    assert vtt.startswith("WEBVTT\n\n00:00:00.300 --> 00:00:04.200\nDr. Smith")
    with pytest.raises(ValueError):
        format_timestamps(WORDS, "txt")


# ---- real speech: the CI bundle vs faster-whisper --------------------------------------------------

REAL_TEXT = ("The sun rose early. Birds sang in the trees. We walked to the river. A cold wind blew from "
             "the north. Children laughed in the park. My sister baked fresh bread.")


def _key(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", s).lower() if c.isalnum())


@pytest.fixture(scope="module")
def real_tts(real_bundle):
    return Kokoro(real_bundle, threads=2)


@pytest.mark.real
def test_word_starts_agree_with_whisper(real_tts):
    """Whisper-base (faster-whisper, word_timestamps=True), words matched by normalised text in
    order: the median |start difference| and its 90th percentile (printed; see README)."""
    import difflib

    from faster_whisper import WhisperModel
    from scipy.signal import resample_poly

    from kokoro_litert.evaluate import WHISPER_COMPUTE, whisper_model

    audio = real_tts.synthesize(REAL_TEXT)
    assert 10 <= audio.duration_s <= 20
    ours = audio.words
    model = WhisperModel(whisper_model(), device="cpu", compute_type=WHISPER_COMPUTE, cpu_threads=2)
    x = resample_poly(audio.samples, 2, 3).astype(np.float32)  # 24 kHz -> 16 kHz
    segs, _ = model.transcribe(x, language="en", beam_size=5, temperature=0.0, condition_on_previous_text=False,
                               word_timestamps=True)
    heard = [w for s in segs for w in s.words]
    a, b = [_key(w.text) for w in ours], [_key(w.word) for w in heard]
    pairs = [(m.a + k, m.b + k) for m in difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
             for k in range(m.size)]
    assert len(pairs) >= 0.9 * len(ours)
    d = np.array([ours[i].start_s - heard[j].start for i, j in pairs])
    median, p90, bias = np.median(np.abs(d)), np.percentile(np.abs(d), 90), np.median(d)
    spread = np.median(np.abs(d - bias))
    # Whisper starts a word after a pause where the word before it ends: those differences are the pause
    running = np.array([i > 0 and ours[i].start_s - ours[i - 1].end_s < 0.1 for i, _ in pairs])
    print(f"\nword starts vs whisper-base: {len(pairs)} words, median |diff| {1000 * median:.0f} ms, "
          f"p90 {1000 * p90:.0f} ms, median diff {1000 * bias:+.0f} ms, spread about it {1000 * spread:.0f} ms; "
          f"{running.sum()} words in running speech: median |diff| {1000 * np.median(np.abs(d[running])):.0f} ms")
    assert median <= 0.12 and p90 <= 0.40
    assert spread <= 0.08


@pytest.mark.real
def test_word_ends_of_sentences_are_the_sound(real_tts):
    """Before each pause, the last word ends where the sound does (the durations alone run ~250 ms
    into the silence) and the next starts where it comes back, within 50 ms."""
    audio = real_tts.synthesize(REAL_TEXT)
    x, words = audio.samples, audio.words
    env = np.sqrt(np.convolve(x.astype(np.float64) ** 2, np.ones(48) / 48, "same"))
    loud = np.percentile(env, 99.5)
    gaps = [(a, b) for a, b in zip(words, words[1:]) if b.start_s - a.end_s > 0.3]
    assert len(gaps) >= 4
    for a, b in gaps:
        pause = env[int(a.end_s * SR) + 1200:int(b.start_s * SR) - 1200]  # 50 ms in from each side
        assert pause.max() < loud * 10 ** (-30 / 20), (a, b)  # silence between the two words
        assert env[int(a.end_s * SR) - 480:int(a.end_s * SR)].max() > loud * 10 ** (-45 / 20)  # sound just before
        assert env[int(b.start_s * SR):int(b.start_s * SR) + 480].max() > loud * 10 ** (-45 / 20)  # and just after


# ---- CLI -------------------------------------------------------------------------------------------


def _say(real_bundle, *args):
    return subprocess.run([sys.executable, "-m", "kokoro_litert.cli", "say", "--bundle", str(real_bundle), *args],
                          capture_output=True)


@pytest.mark.real
def test_cli_timestamps_with_output(real_bundle, tmp_path):
    import soundfile as sf

    text = "Dr. Smith paid $42.50 today. Then he left."
    r = _say(real_bundle, text, "-o", str(tmp_path / "x.wav"), "--timestamps", str(tmp_path / "x.json"))
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    rows = json.loads((tmp_path / "x.json").read_text())
    assert [r["word"] for r in rows] == ["Dr.", "Smith", "paid", "$42.50", "today", "Then", "he", "left"]
    duration = sf.info(str(tmp_path / "x.wav")).duration
    assert all(0 <= r["start"] < r["end"] <= duration + 1e-3 for r in rows)
    for ext in ("srt", "vtt"):
        r = _say(real_bundle, text, "-o", str(tmp_path / "y.wav"), "--timestamps", str(tmp_path / f"y.{ext}"))
        assert r.returncode == 0
        body = (tmp_path / f"y.{ext}").read_text()
        assert "-->" in body and "$42.50" in body and body.startswith("WEBVTT" if ext == "vtt" else "1\n")


@pytest.mark.real
def test_cli_timestamps_with_stream(real_bundle, tmp_path):
    text = "Hello there. How are you today?"
    r = _say(real_bundle, text, "--stream", "pcm", "--timestamps", str(tmp_path / "s.json"))
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    rows = json.loads((tmp_path / "s.json").read_text())
    duration = len(r.stdout) / 2 / SR
    assert [r["word"] for r in rows] == ["Hello", "there", "How", "are", "you", "today"]
    assert rows[-1]["end"] <= duration + 1e-3 and rows == sorted(rows, key=lambda r: r["start"])
    # the same times as a file (streaming pieces move no sample)
    r2 = _say(real_bundle, text, "-o", str(tmp_path / "s.wav"), "--timestamps", str(tmp_path / "f.json"))
    assert r2.returncode == 0
    assert [r["word"] for r in json.loads((tmp_path / "f.json").read_text())] == [r["word"] for r in rows]


def test_cli_rejects_a_bad_timestamps_file(tmp_path):
    r = subprocess.run([sys.executable, "-m", "kokoro_litert.cli", "say", "Hi.", "-o", str(tmp_path / "x.wav"),
                        "--timestamps", str(tmp_path / "x.txt")], capture_output=True, text=True)
    assert r.returncode == 2 and "extension" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.wav").exists()


# ---- server ----------------------------------------------------------------------------------------


@pytest.mark.real
def test_server_timestamps_endpoint(real_tts):
    import base64
    import io

    import soundfile as sf
    from fastapi.testclient import TestClient

    from kokoro_litert.serve import ServeConfig, create_app

    with TestClient(create_app(ServeConfig(api_key="k"), [real_tts])) as client:
        headers = {"Authorization": "Bearer k"}
        body = {"model": "kokoro", "voice": "af_heart", "input": "Dr. Smith paid $42.50. Then he left."}
        r = client.post("/v1/audio/speech/timestamps", json=body, headers=headers)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["format"] == "wav" and out["sample_rate"] == SR
        audio, sr = sf.read(io.BytesIO(base64.b64decode(out["audio"])), dtype="float32")
        assert sr == SR and abs(len(audio) / SR - out["duration"]) < 1e-3
        assert [w["word"] for w in out["words"]] == ["Dr.", "Smith", "paid", "$42.50", "Then", "he", "left"]
        assert all(0 <= w["start"] < w["end"] <= out["duration"] + 1e-3 for w in out["words"])
        r = client.post("/v1/audio/speech/timestamps", json={**body, "response_format": "pcm"}, headers=headers)
        assert r.status_code == 200 and len(base64.b64decode(r.json()["audio"])) == 2 * round(out["duration"] * SR)
        assert client.post("/v1/audio/speech/timestamps", json=body).status_code == 401
        r = client.post("/v1/audio/speech/timestamps", json={**body, "voice": "nobody"}, headers=headers)
        assert r.status_code == 400 and r.json()["error"]["param"] == "voice"
        r = client.post("/v1/audio/speech/timestamps", json={**body, "input": "\U0001F355"}, headers=headers)
        assert r.status_code == 400


def test_phonemize_json_shows_the_words():
    r = subprocess.run([sys.executable, "-m", "kokoro_litert.cli", "phonemize", "--json", "It is 5 km away, Dr. Who."],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    chunk = json.loads(r.stdout)["chunks"][0]
    assert chunk["words"] == ["It", "is", "5", "km", "away", "Dr.", "Who"]
    assert len(chunk["id_words"]) == len(chunk["ids"])


# held out from the measurement behind LEAD_FRAMES (which used the eval sentences)
S_TEXT = ("Anna sold six silver spoons to a sailor. The house sat beside a silent sea. "
          "My uncle said so, and the sun set slowly. You see, the story seemed simple.")


@pytest.mark.real
def test_word_starts_are_the_sound_of_s(real_tts):
    """Acoustic truth without Whisper: a word that starts with /s/ after a word ending in a vowel
    starts where the /s/ does (the 3.5 kHz high-pass energy, from the previous word's start or 150 ms
    before ours, rises to within 10 dB of its peak), within 30 ms at the median and 60 ms for every
    such word."""
    from scipy.signal import butter, sosfiltfilt

    audio = real_tts.synthesize(S_TEXT)
    hb = sosfiltfilt(butter(6, 3500, "highpass", fs=SR, output="sos"), audio.samples)
    step = 120
    env = 10 * np.log10(np.mean(hb[: len(hb) // step * step].reshape(-1, step) ** 2, axis=1) + 1e-12)
    words = audio.words
    diffs = []
    for prev, w in zip(words, words[1:]):
        if _key(w.text)[:1] == "s" and _key(w.text)[:2] != "sh" and _key(prev.text)[-1:] in "aeiouy" \
                and w.start_s - prev.end_s < 0.05:
            lo, hi = int(max(w.start_s - 0.15, prev.start_s) * SR) // step, int((w.start_s + 0.1) * SR) // step
            win = env[lo:hi]
            onset = (lo + int(np.argmax(win > win.max() - 10))) * step / SR
            diffs.append(w.start_s - onset)
    print(f"\n/s/ onsets: {len(diffs)} words, median |start - onset| {1000 * np.median(np.abs(diffs)):.0f} ms, "
          f"max {1000 * np.max(np.abs(diffs)):.0f} ms, median {1000 * np.median(diffs):+.0f} ms")
    assert len(diffs) >= 5
    assert np.median(np.abs(diffs)) <= 0.03 and np.max(np.abs(diffs)) <= 0.06
