"""Split long text into model-sized chunks, lazily (usable for streaming).

``split_text(text, g2p, tokenizer, max_tokens)`` yields ``Chunk``s in reading order. Text is split
into paragraphs (blank lines), then sentences; a sentence whose ``model_input`` would exceed
``max_tokens`` (``len(ids) + 2``, the two boundary tokens) is split at clause punctuation
(``, ; : —``) and, if a clause is still too long, between words; neighbouring pieces are packed
greedily back together while they fit. A sentence is only ever split because it cannot fit
``max_tokens``, and then at clauses first; words are only separated for a clause that cannot fit
on its own. Words are never cut: a single word that cannot fit raises
``TextError`` naming it. Only the paragraph being read is scanned and only the current sentence is
phonemized, so a whole book is never phonemized up front.

Normalisation is lazy too: each paragraph is cut into raw segments (``normalize.segments``:
sentences, never after an abbreviation, and pieces of at most ``normalize.SEGMENT_CHARS`` characters
of a run without sentence ends) and each is normalised just before it is chunked, so the first chunk
of a 100,000-character paragraph does not wait for the rest. Every step is linear in the text.

``Chunk.text`` is the chunk's normalised text (numbers and symbols spelled out, so that a long
amount like "$1,234,567.89" splits between its words); joining the chunks' words gives back the
normalised paragraph's words. ``Chunk.ids`` are without boundary tokens (see
``Tokenizer.model_input``). ``Chunk.pause_s`` is the silence to insert after the chunk: paragraph
break ``PAUSE_PARAGRAPH``, sentence end ``PAUSE_SENTENCE``, clause break ``PAUSE_CLAUSE``, a split
between words ``PAUSE_WORD``; the last chunk of the text gets 0. ``Chunk.dropped`` lists what the
chunk's text held that cannot be spoken and was left out (emoji, symbols, words neither the lexicons
nor espeak-ng can read), so callers can report it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterator, List, Optional, Tuple

from kokoro_litert.errors import TextError

from .g2p import PUNCTUATION
from .normalize import NON_TERMINAL_ABBREVIATIONS, normalize_segment, paragraphs, segments
from .timestamps import SegmentWords, align_segment

__all__ = ["Chunk", "split_text", "PAUSE_PARAGRAPH", "PAUSE_SENTENCE", "PAUSE_CLAUSE", "PAUSE_WORD"]

PAUSE_PARAGRAPH = 0.6
PAUSE_SENTENCE = 0.3
PAUSE_CLAUSE = 0.12
PAUSE_WORD = 0.0


@dataclass(frozen=True)
class Chunk:
    text: str
    phonemes: str
    ids: List[int]
    pause_s: float
    dropped: Tuple[str, ...] = ()  # words/symbols of ``text`` that could not be spoken
    # word timestamps (``runtime/timestamps.py``): the ORIGINAL text of each word (or span, such as
    # "$42.50") this chunk speaks, in order; for each of ``ids`` the index in ``words`` of the word
    # it speaks (-1: a space or punctuation); and a key per word, unique in the text and shared by the
    # parts of one original span split between chunks
    words: Tuple[str, ...] = ()
    id_words: Tuple[int, ...] = ()
    word_keys: Tuple[int, ...] = ()

    @property
    def tokens(self) -> int:
        """The model input length of this chunk: ``len(ids) + 2`` boundary tokens."""
        return len(self.ids) + 2


# anchored at the start of a run of terminators (a long run is tried once, not at every position)
_SENT_END_RE = re.compile(r"(?<![.!?…])[.!?…]+[\"'”’)\]]*(?=\s)")
_CLAUSE_RE = re.compile(r"(?:[,;:]|—)[\"'”’)\]]*(?=\s)|—(?=\S)")
_WORD_RE = re.compile(r"\S+")
_NEXT_CHAR_RE = re.compile(r"\s*(\S)")
_PREV_WORD_RE = re.compile(r"(\S+)$")

Span = Tuple[int, int]
# span, phonemes, ids, dropped, and for each id the span (in the normalised segment) of the word it speaks
Piece = Tuple[Span, str, List[int], Tuple[str, ...], List[Optional[Span]]]

# A piece with more letters and digits than this many per token cannot fit (English needs about one
# token per letter): it is split (or, a single word, refused) without being phonemized first.
MAX_CHARS_PER_TOKEN = 8


def _is_sentence_end(para: str, m: re.Match) -> bool:
    nxt = _NEXT_CHAR_RE.match(para, m.end())
    if nxt is None:
        return True
    if nxt.group(1).islower():
        return False
    if m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1:
        prev = _PREV_WORD_RE.search(para, max(0, m.start() - 40), m.start())
        w = prev.group(1).lstrip("\"'“‘([") if prev else ""
        if w.lower().rstrip(".") in NON_TERMINAL_ABBREVIATIONS or re.fullmatch(r"[A-Z]", w):
            return False
    return True


def _letters(text: str) -> int:
    return sum(c.isalnum() for c in text)


def _sentences(para: str) -> Iterator[Span]:
    start = 0
    for m in _SENT_END_RE.finditer(para):
        if _is_sentence_end(para, m):
            yield start, m.end()
            start = m.end()
    if para[start:].strip():
        yield start, len(para)


def _strip(para: str, span: Span) -> Span:
    s, e = span
    while s < e and para[s].isspace():
        s += 1
    while e > s and para[e - 1].isspace():
        e -= 1
    return s, e


def _pause_for(piece: str) -> float:
    tail = piece.rstrip().rstrip("\"'”’)]")
    if tail.endswith((".", "!", "?", "…")):
        return PAUSE_SENTENCE
    if tail.endswith((",", ";", ":", "—")):
        return PAUSE_CLAUSE
    return PAUSE_WORD


def _pronounceable(phonemes: str) -> bool:
    return any(not c.isspace() and c not in PUNCTUATION for c in phonemes)


class _Splitter:
    def __init__(self, g2p, tokenizer, max_tokens: int):
        self.g2p = g2p
        self.tok = tokenizer
        self.max_tokens = max_tokens  # hard limit: the largest bucket
        self.budget = max_tokens  # what chunks aim for (smaller for a fast first chunk)
        self.space = tokenizer.vocab.get(" ")

    def fits(self, ids: List[int]) -> bool:
        return len(ids) + 2 <= self.budget

    def too_long(self, text: str) -> bool:
        """Certainly longer than ``max_tokens``, without phonemizing it."""
        return len(text) > MAX_CHARS_PER_TOKEN * self.max_tokens and \
            _letters(text) > MAX_CHARS_PER_TOKEN * self.max_tokens

    def encode(self, para: str, span: Span) -> Tuple[str, List[int], Tuple[str, ...], List[Optional[Span]]]:
        dropped: List[str] = []
        text = para[span[0]:span[1]]
        aligned = getattr(self.g2p, "phonemize_aligned", None)
        if aligned is not None:
            ps, spans = aligned(text, normalized=True, dropped=dropped)
        else:  # a G2P without alignment: no word timestamps
            ps = self.g2p.phonemize(text, normalized=True, dropped=dropped)
            spans = [None] * len(ps)
        ids = self.tok.encode(ps)
        vocab = self.tok.vocab
        o = span[0]
        id_spans = [None if w is None else (w[0] + o, w[1] + o) for c, w in zip(ps, spans) if c in vocab]
        return ps, ids, tuple(dropped), id_spans

    def join(self, a: Tuple[str, List[int], list], b: Tuple[str, List[int], list]) -> Tuple[str, List[int], list]:
        if not a[0]:
            return b
        if not b[0]:
            return a
        sep = [self.space] if self.space is not None else []
        return a[0] + " " + b[0], a[1] + sep + b[1], a[2] + [None] * len(sep) + b[2]

    def pack(self, para: str, spans: List[Span], level: str) -> Iterator[Piece]:
        """Greedily pack consecutive spans while they fit; split too-long spans one level down."""
        cur: Optional[Piece] = None
        for span in spans:
            piece = para[span[0]:span[1]]
            if self.too_long(piece):
                if level == "word":
                    raise TextError(f"word {piece[:40]!r}{'...' if len(piece) > 40 else ''} ({len(piece)} characters) "
                                    f"needs more than max_tokens={self.max_tokens} tokens")
                ps, ids, dropped, spans = "", [0] * self.max_tokens, (), []  # not phonemized: split below
            else:
                ps, ids, dropped, spans = self.encode(para, span)
            if not self.fits(ids):
                if cur is not None:
                    yield self.finish(para, cur)
                    cur = None
                if level == "word" or len(ids) + 2 <= self.max_tokens:
                    # over the budget but within the limit: a chunk of its own (a clause is never
                    # cut between words to meet the smaller first-chunk budget)
                    if len(ids) + 2 > self.max_tokens:
                        raise TextError(
                            f"word {piece!r} needs {len(ids) + 2} tokens, more than max_tokens={self.max_tokens}")
                    yield span, ps, ids, dropped, spans
                    continue
                yield from self.pack(para, [_strip(para, (m.start() + span[0], m.end() + span[0]))
                                            for m in _WORD_RE.finditer(piece)], "word")
                continue
            if cur is None:
                cur = (span, ps, ids, dropped, spans)
                continue
            jps, jids, jspans = self.join((cur[1], cur[2], cur[4]), (ps, ids, spans))
            if self.fits(jids):
                cur = ((cur[0][0], span[1]), jps, jids, cur[3] + dropped, jspans)
            else:
                yield self.finish(para, cur)
                cur = (span, ps, ids, dropped, spans)
        if cur is not None:
            yield self.finish(para, cur)

    def finish(self, para: str, cur: Piece) -> Piece:
        """Re-phonemize a packed group as one text (context across pieces) if it still fits."""
        span, ps, ids, dropped, spans = cur
        ps2, ids2, dropped2, spans2 = self.encode(para, span)
        if ps2 != ps and self.fits(ids2):
            return span, ps2, ids2, dropped2, spans2
        return cur

    def sentence(self, para: str, span: Span) -> Iterator[Piece]:
        text = para[span[0]:span[1]]
        if len(text) <= MAX_CHARS_PER_TOKEN * self.max_tokens:  # otherwise it cannot fit: skip the whole-sentence try
            ps, ids, dropped, spans = self.encode(para, span)
            if self.fits(ids):
                yield span, ps, ids, dropped, spans
                return
        clauses, start = [], 0
        for m in _CLAUSE_RE.finditer(text):
            clauses.append(_strip(para, (span[0] + start, span[0] + m.end())))
            start = m.end()
        if text[start:].strip():
            clauses.append(_strip(para, (span[0] + start, span[1])))
        yield from self.pack(para, [c for c in clauses if c[1] > c[0]], "clause")


def _chunk_words(align: SegmentWords, id_spans: List[Optional[Span]], base: int):
    """(words, id_words, word_keys) of a chunk from the word span of each of its ids."""
    words: List[str] = []
    keys: List[int] = []
    index: dict = {}
    id_words: List[int] = []
    for w in id_spans:
        entry = None if w is None else align.entry_at(w[0])
        if entry is None:
            id_words.append(-1)
            continue
        if entry not in index:
            index[entry] = len(words)
            words.append(align.texts[entry])
            keys.append(base + entry)
        id_words.append(index[entry])
    return tuple(words), tuple(id_words), tuple(keys)


def split_text(text: str, g2p, tokenizer, max_tokens: int, first_max_tokens: int | None = None) -> Iterator[Chunk]:
    """Yield ``Chunk``s of ``text`` whose ``len(ids) + 2 <= max_tokens`` (see module docstring).

    ``first_max_tokens`` makes the first chunk aim for fewer tokens by ending it at a clause
    boundary of the first sentence (never between the words of a clause: a first clause over the
    budget stays whole); later chunks go back to ``max_tokens``. ``Kokoro.stream`` does not use it
    (it splits the first sentence's audio after the predictor instead, without a pause)."""
    if max_tokens < 3:
        raise ValueError(f"max_tokens must be at least 3, got {max_tokens}")
    if not isinstance(text, str) or not text.strip():
        raise TextError("text is empty")
    splitter = _Splitter(g2p, tokenizer, max_tokens)
    if first_max_tokens:
        splitter.budget = min(max(3, first_max_tokens), max_tokens)
    pending: Optional[Chunk] = None
    lost: List[str] = []  # dropped words of unpronounceable pieces, carried to the next chunk
    word_base = 0  # word keys of the segments before this one
    for para in paragraphs(text):
        para_chunks = []
        for segment in segments(para):
            # Normalise first (one segment at a time), so numbers and symbols become the words that
            # are counted and split.
            norm = normalize_segment(segment)
            align = align_segment(segment, norm)
            for sent in _sentences(norm):
                sent = _strip(norm, sent)
                if sent[1] <= sent[0]:
                    continue
                for span, ps, ids, dropped, id_spans in splitter.sentence(norm, sent):
                    if not _pronounceable(ps):
                        lost.extend(dropped)
                        continue
                    piece = norm[span[0]:span[1]]
                    words, id_words, keys = _chunk_words(align, id_spans, word_base)
                    chunk = Chunk(piece, ps, ids, _pause_for(piece), tuple(lost) + dropped, words, id_words, keys)
                    lost = []
                    splitter.budget = max_tokens
                    if pending is not None:
                        yield pending
                    pending = chunk
                    para_chunks.append(chunk)
            word_base += len(align)
        if para_chunks and pending is para_chunks[-1]:
            pending = replace(pending, pause_s=PAUSE_PARAGRAPH)
    if pending is None:
        raise TextError(f"nothing pronounceable in text: {text[:60]!r}")
    yield replace(pending, pause_s=0.0, dropped=pending.dropped + tuple(lost))
