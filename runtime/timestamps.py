"""Word timestamps: which original words the phoneme ids speak, and when.

Three maps, kept from the text to the audio:

* original segment -> normalised segment (``align_segment``): the raw segment (as ``normalize.segments``
  cut it) and its normalisation are split into words (whitespace; dashes and ellipses also separate
  raw words) and the two word sequences are aligned on a key (lower
  case letters and digits only, so "it's"/"it’s", "Smith,"/"Smith" match; ``_opcodes``: equal words
  in reading order, each difference closed at the nearest anchor of two equal words). Equal words map one to
  one; a changed run ("$42.50" -> "forty two dollars and fifty cents", "3/15/2024" -> "March
  fifteenth, twenty twenty four") becomes one *entry* spanning the original words, paired one to one
  where both sides have as many words ("Dr." -> "Doctor", "No. 5" -> "number five", "10 km" -> "ten
  kilometers") and split where both sides have the same clause punctuation ("3rd, 2024" -> "third,"
  / "twenty twenty four"). Words the normaliser inserted without an original word of their own
  ("R & D" -> "R and D") take the original text between their neighbours ("&"), else join the entry
  before them. Word lists, not characters, are aligned, with a bounded look-ahead: linear time.
* normalised text -> phoneme ids: ``G2P.phonemize_aligned`` gives, for each phoneme character, the
  span of the word it spells (``None`` for spaces and punctuation); the chunker keeps it per id
  (``Chunk.id_words``: the index in ``Chunk.words`` of the word each id speaks, -1 for none).
* ids -> time: the predicted durations (frames per input token, after speed; the two boundary
  tokens included) give each id's frames; a word runs from the first frame of its first id to the
  last frame of its last id (spaces and punctuation between words are gaps). ``refine`` then moves
  these spans to the sound, which runs ahead of the frames (a space in running speech has no sound
  of its own; a sentence's last token runs into the silence). ``Kokoro.stream`` adds each chunk's
  offset on the output (pauses and the first sentence's pieces included; fades do not move samples).

``Word(text, start_s, end_s)`` is a named tuple: ``text`` is the original text's span (punctuation
around it stripped, an abbreviation's period kept: "Dr.", "U.S."), so that
``samples[int(start_s * sr):int(end_s * sr)]`` is that word. ``write_timestamps`` writes a list of
them as JSON, SRT or WebVTT.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from pathlib import Path
from typing import Iterable, List, NamedTuple, Optional, Sequence, Tuple

__all__ = ["Word", "SegmentWords", "align_segment", "word_frames", "write_timestamps", "format_timestamps",
           "TIMESTAMP_FORMATS"]


class Word(NamedTuple):
    text: str
    start_s: float
    end_s: float

    def as_dict(self, digits: int = 3) -> dict:
        return {"word": self.text, "start": round(self.start_s, digits), "end": round(self.end_s, digits)}


# raw words: split at whitespace, dashes and ellipses (the normaliser makes those separate tokens)
_RAW_WORD_RE = re.compile(r"(?:(?!--|\.\.\.)[^\s\u2012\u2013\u2014\u2015\u2e3a…])+")
_NORM_WORD_RE = re.compile(r"\S+")
_CLAUSE_END = frozenset(",;:.!?")
_PUNCT = frozenset(",;:.!?\"'“”‘’()[]{}«»—–-…")
_SCALE_WORDS = frozenset(["hundred", "thousand", "million", "billion", "trillion"])
_CLOSERS = "\"'”’)]}»"
_OPENERS = "\"“‘([{«"
_TRAILING = ",;:!?…" + "\"”)]}»"  # and a closing single quote when the word opened with one
_INITIALISM_RE = re.compile(r"(?:[A-Za-z]\.){2,}|[A-Za-z](?:\.[A-Za-z])+\.?")


def _key(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKC", word).lower() if c.isalnum())


def _clause_end(word: str) -> bool:
    w = word.rstrip(_CLOSERS)
    return bool(w) and w[-1] in _CLAUSE_END


_STRONG_ABBREVIATIONS = frozenset(["dr", "st", "mr", "mrs", "ms", "prof", "jr", "sr", "etc", "inc", "ltd", "corp",
                                   "vs", "approx", "mt", "gen", "capt", "sgt", "rev", "gov", "sen", "rep"])


def _abbreviation(word: str, last: bool) -> bool:
    """Is the final period of ``word`` an abbreviation's? ("Dr.", "U.S.", "e.g."; "no." or "co."
    only inside the segment: at its end they are more likely words ending a sentence)."""
    from .normalize import _RAW_ABBREVIATIONS

    if _INITIALISM_RE.fullmatch(word):
        return True
    core = word[:-1].lower()
    return core in _STRONG_ABBREVIATIONS or (not last and core in _RAW_ABBREVIATIONS)


def display_span(raw: str, start: int, end: int, last: bool = False) -> Tuple[int, int]:
    """``raw[start:end]`` without the punctuation around the word(s) it holds: quotes, brackets,
    clause punctuation, a final period unless it is an abbreviation's ("Dr.", "U.S.", "etc.";
    ``last``: the span ends the segment). Only punctuation: the span as it is."""
    s, e = start, end
    while s < e and (raw[s] in _OPENERS or raw[s] in "'’" and not (s + 1 < e and raw[s + 1].isdigit())):
        s += 1
    quoted = s > start and raw[s - 1] in "'‘’"
    while e > s:
        c = raw[e - 1]
        if c in _TRAILING or (c in "'’" and quoted):
            e -= 1
        elif c == "." and e - 1 > s and raw[e - 2] != ".":
            if _abbreviation(raw[s:e].split()[-1].lstrip(_OPENERS), last):
                break
            e -= 1
        elif c == ".":
            e -= 1
        else:
            break
    if e <= s:
        return start, end
    return s, e


class SegmentWords:
    """The entries (original words or spans) of one segment and, for any position in its
    normalised text, the entry the normalised word there belongs to (``entry_at``)."""

    def __init__(self, texts: List[str], starts: List[int], entries: List[int]):
        self.texts = texts  # entry -> original text
        self._starts = starts  # start of each normalised word (sorted)
        self._entries = entries  # entry of each normalised word

    def __len__(self) -> int:
        return len(self.texts)

    def entry_at(self, pos: int) -> Optional[int]:
        i = bisect.bisect_right(self._starts, pos) - 1
        return self._entries[i] if i >= 0 and self._entries else None


def _split_groups(words: Sequence[str]) -> List[List[int]]:
    """Indices of ``words`` cut after each word that ends with clause punctuation."""
    groups, cur = [], []
    for i, w in enumerate(words):
        cur.append(i)
        if _clause_end(w):
            groups.append(cur)
            cur = []
    if cur:
        groups.append(cur)
    return groups


def _pair(raw_words: Sequence[str], norm_words: Sequence[str]) -> List[Tuple[List[int], List[int]]]:
    """A changed run: (raw indices, norm indices) groups, finest that can be justified."""
    rg, ng = _split_groups(raw_words), _split_groups(norm_words)
    if len(rg) != len(ng):
        rg, ng = [list(range(len(raw_words)))], [list(range(len(norm_words)))]
    out = []
    for r, n in zip(rg, ng):
        if len(r) == len(n):
            out += [([a], [b]) for a, b in zip(r, n)]
        else:
            out.append((r, n))
    return out


WINDOWS = ((16, 64), (64, 512))  # (original, normalised) words looked ahead for the next anchor
# words the normaliser puts inside a number's reading: not an anchor after digits unless confirmed
_NUMBER_GLUE = frozenset(["to", "and", "point", "oh", "minus", "plus", "over", "of", "the", "a", "hundred",
                          "thousand", "million", "billion", "trillion", "o", "clock", "oclock"])
CONFIRMED_SLACK = 3  # a confirmed anchor is preferred to a nearer unconfirmed one this much farther


def _anchor(a: Sequence[str], b: Sequence[str], i: int, j: int) -> Optional[Tuple[int, int]]:
    """The nearest (smallest ``di + dj``) position with ``a[i + di] == b[j + dj]``, or one at most
    ``CONFIRMED_SLACK`` farther that the next word confirms (or where both sequences end); looked
    for in a small window first, then (if it holds no equal word at all) a larger one."""
    for wa, wb in WINDOWS:
        first: dict = {}
        for di in range(min(wa, len(a) - i)):
            first.setdefault(a[i + di], []).append(di)
        confirmed = nearest = None
        for dj in range(min(wb, len(b) - j)):
            if confirmed is not None and dj >= sum(confirmed):
                break
            for di in first.get(b[j + dj], ()):
                glue = b[j + dj] in _NUMBER_GLUE and any(c.isdigit() for w in a[i:i + di] for c in w)
                if (nearest is None or di + dj < sum(nearest)) and not glue:
                    nearest = (di, dj)  # (unconfirmed: not a word numbers are read with, "10-15 to 20")
                if confirmed is not None and di + dj >= sum(confirmed):
                    break
                ni, nj = i + di + 1, j + dj + 1
                if (ni == len(a) and nj == len(b)) or (ni < len(a) and nj < len(b) and a[ni] == b[nj]):
                    confirmed = (di, dj)
                    break
        if confirmed is not None and (nearest is None or sum(confirmed) <= sum(nearest) + CONFIRMED_SLACK):
            return confirmed
        if nearest is not None:
            return nearest
    return None


def _opcodes(a: Sequence[str], b: Sequence[str]) -> list:
    """Opcodes (as ``difflib``'s: equal, replace, insert, delete) turning word keys ``a`` into ``b``,
    found greedily in reading order: equal words are matched, and after a difference the nearest
    anchor (two words in a row equal, or both ends) closes it. Normalisation only rewrites words in
    place, so this finds its edits in time linear in the words (bounded look-ahead), where difflib
    can take seconds on a repetitive segment ("a 1 a 1 ...")."""
    ops: list = []
    i = j = 0
    while i < len(a) or j < len(b):
        if i < len(a) and j < len(b) and a[i] == b[j]:
            i0, j0 = i, j
            while i < len(a) and j < len(b) and a[i] == b[j]:
                i += 1
                j += 1
            ops.append(("equal", i0, i, j0, j))
            continue
        found = _anchor(a, b, i, j) if i < len(a) and j < len(b) else None
        di, dj = found if found is not None else (len(a) - i, len(b) - j)
        tag = "replace" if di and dj else ("delete" if di else "insert")
        ops.append((tag, i, i + di, j, j + dj))
        i, j = i + di, j + dj
    return ops


def align_segment(raw: str, norm: str) -> SegmentWords:
    """Map the words of ``norm`` (``normalize_segment(raw)``) to spans of ``raw`` (module docstring)."""
    rw = [(m.start(), m.end()) for m in _RAW_WORD_RE.finditer(raw) if _key(m.group())]
    nw_all = [(m.start(), m.end()) for m in _NORM_WORD_RE.finditer(norm)]
    seq = [i for i, (a, b) in enumerate(nw_all) if _key(norm[a:b])]
    rk = [_key(raw[a:b]) for a, b in rw]
    nk = [_key(norm[nw_all[i][0]:nw_all[i][1]]) for i in seq]
    groups: List[Tuple[Optional[Tuple[int, int]], List[int]]] = []  # (raw span or None, norm seq indices)
    ops = _opcodes(rk, nk)
    def norm_text(j: int) -> str:
        return norm[nw_all[seq[j]][0]:nw_all[seq[j]][1]]

    pull = False  # the last equal word ends a clause in the original but not normalised ("million," -> "million")
    for tag, i1, i2, j1, j2 in ops:
        if pull and tag in ("replace", "insert"):
            k = next((j for j in range(j1, j2) if _clause_end(norm_text(j))), None)
            if k is not None:  # "... million dollars,": the words up to that clause end belong to it
                groups[-1][1].extend(range(j1, k + 1))
                j1 = k + 1
        pull = False
        if tag == "equal":
            for k in range(i2 - i1):
                span, j = rw[i1 + k], j1 + k
                prev = groups[-1][0] if groups else None
                if (nk[j] in _SCALE_WORDS and prev is not None and any(c.isdigit() for c in raw[prev[0]:prev[1]])
                        and not raw[prev[1]:span[0]].strip()):  # "$1.5 million": one entry
                    groups[-1] = ((prev[0], span[1]), groups[-1][1] + [j])
                else:
                    groups.append((span, [j]))
            pull = _clause_end(raw[rw[i2 - 1][0]:rw[i2 - 1][1]]) and not _clause_end(norm_text(j2 - 1))
        elif tag == "replace" and j1 < j2:
            rtexts = [raw[a:b] for a, b in rw[i1:i2]]
            ntexts = [norm_text(j) for j in range(j1, j2)]
            for r, n in _pair(rtexts, ntexts):
                groups.append(((rw[i1 + r[0]][0], rw[i1 + r[-1]][1]), [j1 + k for k in n]))
        elif tag in ("insert", "replace") and j1 < j2:
            groups.append((None, list(range(j1, j2))))
    # inserted words: the original text between their neighbours, else the entry before (or after)
    spans: List[Tuple[int, int]] = []
    members: List[List[int]] = []
    carry: List[int] = []  # inserted words before any entry, given to the first one
    for g, (span, js) in enumerate(groups):
        if span is None:
            a = spans[-1][1] if spans else 0
            nxt = next((s for s, _ in groups[g + 1:] if s is not None), None)
            b = nxt[0] if nxt else len(raw)
            while a < b and raw[a].isspace():
                a += 1
            while b > a and raw[b - 1].isspace():
                b -= 1
            if any(not c.isspace() and c not in _PUNCT for c in raw[a:b]):  # "&", "+", "@"
                span = (a, b)
            elif members:
                members[-1] += js
                continue
            elif nxt is not None:
                carry += js
                continue
            else:
                span = (0, len(raw))
        spans.append(span)
        members.append(carry + js)
        carry = []
    texts = []
    for k, (a, b) in enumerate(spans):
        s, e = display_span(raw, a, b, last=k == len(spans) - 1)
        texts.append(raw[s:e])
    entry_of_seq = {}
    for k, js in enumerate(members):
        for j in js:
            entry_of_seq[j] = k
    starts, entries = [], []
    last = 0 if members else None
    seq_pos = {n: j for j, n in enumerate(seq)}
    for i, (a, b) in enumerate(nw_all):
        j = seq_pos.get(i)
        e = entry_of_seq.get(j, last) if j is not None else last
        if e is None:  # a punctuation-only word before any entry: the first entry
            e = 0
        starts.append(a)
        entries.append(e)
        last = e
    if not texts:
        starts, entries = [], []
    return SegmentWords(texts, starts, entries)


def word_frames(id_words: Sequence[int], durations: Sequence[int], first_id: int = 0,
                n_ids: Optional[int] = None) -> dict:
    """{word index: [first frame, end frame)} for ids ``first_id .. first_id + n_ids`` of a chunk
    spoken by one predictor pass whose ``durations`` (frames per input token) include the two
    boundary tokens (``len(durations) == n_ids + 2``); frames are counted from that pass's start."""
    n_ids = len(durations) - 2 if n_ids is None else n_ids
    out: dict = {}
    pos = int(durations[0])
    for k in range(n_ids):
        d = int(durations[1 + k])
        w = id_words[first_id + k]
        if w >= 0:
            if w in out:
                out[w][1] = pos + d
            else:
                out[w] = [pos, pos + d]
        pos += d
    return out


# ---- refinement on the audio ---------------------------------------------------------------------

LEAD_FRAMES = 1.6  # Kokoro's sound runs this far (40 ms) ahead of the frames its durations give a token
FLOOR_DB = -40.0  # "silent": this far below the chunk's loud level (its 99th percentile 5-ms RMS)
HOP = 120  # samples per step of the envelope (5 ms at 24 kHz)


def refine(spans: Sequence[Tuple[int, int, int]], audio, spf: int, lead_frames: float = LEAD_FRAMES,
           floor_db: float = FLOOR_DB, prev_end: int = 0) -> List[Tuple[int, int, int]]:
    """Word spans ``(word, first sample, end sample)`` (from the durations, sorted, samples of
    ``audio``) moved to the sound.

    Measured on the CI bundle (40 held-out sentences, two voices; a word-initial /s/ after a vowel,
    whose onset the 3.5 kHz high-pass energy shows): the sound starts 117 ms before the word's first
    token (median), that is 40 ms (10-90 %: 35-70 ms) before the space token in front of it; in
    running speech a space between words has no sound of its own. And a sentence's last token runs
    ~250 ms into the silence after it. So a word starts ``lead_frames`` before the end of the word
    before it (the start of the gap between them; for the first word, which follows silence, 2 frames
    before its first token: its sound starts up to ~45 ms before it), never
    before that word's start; if the sound falls below the floor between there and its first token
    (a pause), it starts where the sound comes back, at most at its first token. It ends where the next word starts, at most at its
    last token's end, moved back while the sound before it is below the floor (at most to one frame
    after its start). ``prev_end``: the end of the word before the first span."""
    import numpy as np

    x = np.asarray(audio, np.float32)
    if not len(spans) or len(x) < 2 * HOP:
        return list(spans)
    n = len(x) // HOP
    env = np.sqrt(np.mean(x[: n * HOP].astype(np.float64).reshape(n, HOP) ** 2, axis=1))  # step k: [k*HOP, (k+1)*HOP)
    loud = float(np.percentile(env, 99))
    if loud <= 0:
        return list(spans)
    quiet = env < loud * 10 ** (floor_db / 20)
    lead = int(round(lead_frames * spf))
    starts, before = [], None  # before: the previous span's last token end
    for _, a, b in spans:
        start = max(prev_end, a - 2 * spf if before is None else min(a, before) - lead, 0)
        silent = [k for k in range(start // HOP, min(a // HOP, n)) if quiet[k]]
        if silent:  # a pause before the word: it starts where the sound comes back
            start = (silent[-1] + 1) * HOP
        starts.append(min(start, a))
        prev_end, before = starts[-1], b
    out: List[Tuple[int, int, int]] = []
    for i, (w, a, b) in enumerate(spans):
        start = starts[i]
        floor = min(b, start + spf)
        end = min(b, starts[i + 1] if i + 1 < len(spans) else b, n * HOP)
        while end - HOP >= floor and quiet[(end - HOP) // HOP]:
            end -= HOP
        out.append((w, start, max(end, floor)))
    return out


# ---- writers ---------------------------------------------------------------------------------------

TIMESTAMP_FORMATS = ("json", "srt", "vtt")
CUE_WORDS = 7  # at most this many words per subtitle cue
CUE_CHARS = 42  # ... and this many characters (a subtitle line)
CUE_GAP_S = 0.6  # a silence this long starts a new cue


def _cues(words: Sequence[Word]) -> List[Tuple[float, float, str]]:
    cues, cur = [], []
    for w in words:
        if cur:
            text = " ".join(x.text for x in cur + [w])
            if len(cur) >= CUE_WORDS or len(text) > CUE_CHARS or w.start_s - cur[-1].end_s >= CUE_GAP_S:
                cues.append(cur)
                cur = []
        cur.append(w)
    if cur:
        cues.append(cur)
    return [(c[0].start_s, c[-1].end_s, " ".join(x.text for x in c)) for c in cues]


def _clock(t: float, sep: str) -> str:
    ms = int(round(max(0.0, t) * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def format_timestamps(words: Iterable[Word], fmt: str) -> str:
    """``words`` as ``json`` (a list of {word, start, end}, seconds), ``srt`` or ``vtt`` (cues of a
    few words, at most ``CUE_WORDS`` words / ``CUE_CHARS`` characters, cut at pauses)."""
    words = list(words)
    if fmt == "json":
        return json.dumps([w.as_dict() for w in words], ensure_ascii=False, indent=1) + "\n"
    if fmt == "srt":
        return "".join(f"{i}\n{_clock(a, ',')} --> {_clock(b, ',')}\n{t}\n\n"
                       for i, (a, b, t) in enumerate(_cues(words), 1))
    if fmt == "vtt":
        return "WEBVTT\n\n" + "".join(f"{_clock(a, '.')} --> {_clock(b, '.')}\n{t}\n\n" for a, b, t in _cues(words))
    raise ValueError(f"unknown timestamps format {fmt!r}; use one of {', '.join(TIMESTAMP_FORMATS)}")


def timestamps_format(path: str | Path) -> str:
    """The format a timestamps file's extension asks for (ValueError for any other)."""
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in TIMESTAMP_FORMATS:
        raise ValueError(f"--timestamps {path}: the extension must be .json, .srt or .vtt")
    return ext


def write_timestamps(path: str | Path, words: Iterable[Word]) -> None:
    """Write ``words`` to ``path`` in the format its extension names, atomically."""
    from kokoro_litert.cache import atomic_path

    text = format_timestamps(words, timestamps_format(path))
    with atomic_path(Path(path)) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
