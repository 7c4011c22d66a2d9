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

``Chunk.text`` is the chunk's normalised text (numbers and symbols spelled out, so that a long
amount like "$1,234,567.89" splits between its words); joining the chunks' words gives back the
normalised paragraph's words. ``Chunk.ids`` are without boundary tokens (see
``Tokenizer.model_input``). ``Chunk.pause_s`` is the silence to insert after the chunk: paragraph
break ``PAUSE_PARAGRAPH``, sentence end ``PAUSE_SENTENCE``, clause break ``PAUSE_CLAUSE``, a split
between words ``PAUSE_WORD``; the last chunk of the text gets 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Tuple

from kokoro_litert.errors import TextError

from .g2p import PUNCTUATION
from .normalize import NON_TERMINAL_ABBREVIATIONS, normalize

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


_PARAGRAPH_RE = re.compile(r"\S(?:.*?\S)??(?=\s*\n\s*\n|\s*$)", re.S)
_SENT_END_RE = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
_CLAUSE_RE = re.compile(r"(?:[,;:]|—)[\"'”’)\]]*(?=\s)|—(?=\S)")
_WORD_RE = re.compile(r"\S+")

Span = Tuple[int, int]


def _paragraphs(text: str) -> Iterator[str]:
    for m in _PARAGRAPH_RE.finditer(text):
        yield m.group()


def _is_sentence_end(para: str, m: re.Match) -> bool:
    rest = para[m.end():].lstrip()
    if not rest:
        return True
    if rest[0].islower():
        return False
    if m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1:
        prev = re.search(r"(\S+)$", para[: m.start()])
        w = prev.group(1).lstrip("\"'“‘([") if prev else ""
        if w.lower().rstrip(".") in NON_TERMINAL_ABBREVIATIONS or re.fullmatch(r"[A-Z]", w):
            return False
    return True


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

    def encode(self, text: str) -> Tuple[str, List[int]]:
        ps = self.g2p.phonemize(text, normalized=True)
        return ps, self.tok.encode(ps)

    def join(self, a: Tuple[str, List[int]], b: Tuple[str, List[int]]) -> Tuple[str, List[int]]:
        if not a[0]:
            return b
        if not b[0]:
            return a
        sep = [self.space] if self.space is not None else []
        return a[0] + " " + b[0], a[1] + sep + b[1]

    def pack(self, para: str, spans: List[Span], level: str) -> Iterator[Tuple[Span, str, List[int]]]:
        """Greedily pack consecutive spans while they fit; split too-long spans one level down."""
        cur: Optional[Tuple[Span, str, List[int]]] = None
        for span in spans:
            piece = para[span[0]:span[1]]
            ps, ids = self.encode(piece)
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
                    yield span, ps, ids
                    continue
                yield from self.pack(para, [_strip(para, (m.start() + span[0], m.end() + span[0]))
                                            for m in _WORD_RE.finditer(piece)], "word")
                continue
            if cur is None:
                cur = (span, ps, ids)
                continue
            jps, jids = self.join((cur[1], cur[2]), (ps, ids))
            if self.fits(jids):
                cur = ((cur[0][0], span[1]), jps, jids)
            else:
                yield self.finish(para, cur)
                cur = (span, ps, ids)
        if cur is not None:
            yield self.finish(para, cur)

    def finish(self, para: str, cur: Tuple[Span, str, List[int]]) -> Tuple[Span, str, List[int]]:
        """Re-phonemize a packed group as one text (context across pieces) if it still fits."""
        span, ps, ids = cur
        ps2, ids2 = self.encode(para[span[0]:span[1]])
        if ps2 != ps and self.fits(ids2):
            return span, ps2, ids2
        return span, ps, ids

    def sentence(self, para: str, span: Span) -> Iterator[Tuple[Span, str, List[int]]]:
        text = para[span[0]:span[1]]
        if len(text) <= 8 * self.max_tokens:  # otherwise it cannot fit: skip the whole-sentence try
            ps, ids = self.encode(text)
            if self.fits(ids):
                yield span, ps, ids
                return
        clauses, start = [], 0
        for m in _CLAUSE_RE.finditer(text):
            clauses.append(_strip(para, (span[0] + start, span[0] + m.end())))
            start = m.end()
        if text[start:].strip():
            clauses.append(_strip(para, (span[0] + start, span[1])))
        yield from self.pack(para, [c for c in clauses if c[1] > c[0]], "clause")


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
    for para in _paragraphs(text):
        # Normalise first, so numbers and symbols become the words that are counted and split.
        para = normalize(para)
        para_chunks = []
        for sent in _sentences(para):
            sent = _strip(para, sent)
            if sent[1] <= sent[0]:
                continue
            for span, ps, ids in splitter.sentence(para, sent):
                if not _pronounceable(ps):
                    continue
                piece = para[span[0]:span[1]]
                chunk = Chunk(text=piece, phonemes=ps, ids=ids, pause_s=_pause_for(piece))
                splitter.budget = max_tokens
                if pending is not None:
                    yield pending
                pending = chunk
                para_chunks.append(chunk)
        if para_chunks and pending is para_chunks[-1]:
            pending = Chunk(pending.text, pending.phonemes, pending.ids, PAUSE_PARAGRAPH)
    if pending is None:
        raise TextError(f"nothing pronounceable in text: {text[:60]!r}")
    yield Chunk(pending.text, pending.phonemes, pending.ids, 0.0)
