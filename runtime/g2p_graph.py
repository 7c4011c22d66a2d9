"""The neural G2P fallback: ``g2p.tflite`` (see ``converter/g2p_graph.py``) through LiteRT.

``GraphFallback(path, entry)(word)`` spells one word the lexicons lack as Kokoro (misaki, US)
phonemes, or returns None. ``entry`` is the graph's manifest entry (``export_g2p_graph``): it holds
the grapheme vocabulary, the output symbols per id, the size limits and the refinement rules the
output needs (``"rules"``), so nothing else is read.

Host steps around the graph:

* the word is NFKD-folded (accents dropped) and lower-cased; it must then be letters a-z, optionally
  in parts joined by ``-``, ``.`` or ``_`` (each part is spelled on its own and the results
  concatenated, as ``G2P`` joins hyphenated lexicon words). Anything else (digits, symbols, other
  scripts) gives None. Apostrophes inside a part go to the graph as its ``'`` letter, or as
  ``<unk>`` when it has none (g2p-en was trained so: o'neill -> OW0 N IY1 L); at the ends they are
  dropped;
* a part longer than ``max_letters``, or one whose greedy decoding does not reach </s> within
  ``max_phonemes`` steps, is split in two halves, recursively;
* ``refine`` applies the rules the entry lists (all of ``RULES`` when it has no ``"rules"`` key, as
  the earlier g2p-en graph, whose CMUdict-style output needs them): flap ``T`` (t between a vowel or
  ɹ and an unstressed vowel), the glottal ``ʔn`` of "button" (written ``tn``: Kokoro v1.0 reads ʔ as
  t), syllabic ``ᵊl`` at the end of a word, ``ᵻ`` in the ``-ed`` / ``-es`` endings, and unstressed
  ``ɪ`` before a consonant and a vowel reduced to ``ə``. The bundle's graph (trained on misaki's
  lexicon, ``converter/g2p_train.py``) speaks misaki directly and lists none.

Measured (``python -m kokoro_litert.converter.g2p_fallback_eval``): see ``converter/g2p_graph.py``.

``android_demo/.../text/GraphG2p.java`` is the same logic in Java; keep the two in step.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from kokoro_litert.cache import cache_dir
from kokoro_litert.errors import BundleError
from kokoro_litert.native import quiet_native_logs

from .bundle import XNNPACK_FLAGS, compile_graph

__all__ = ["GraphFallback", "RULES", "refine"]

_VOWEL_CHARS = frozenset("AIOWYaiuæɑɒɔəɛɜɪʊʌᵻᵊ")
_STRESS = frozenset("ˈˌ")
_SIBILANTS = frozenset(("s", "z", "ʃ", "ʒ", "ʧ", "ʤ"))
RULES = ("flap", "glottal", "syllabic_l", "ed", "es", "reduced_i")


def _vowel(tok: str) -> bool:
    return any(c in _VOWEL_CHARS for c in tok)


def _unstressed_vowel(tok: str) -> bool:
    return _vowel(tok) and tok[0] not in _STRESS


def refine(tokens: Sequence[str], rules: Sequence[str] = RULES) -> list[str]:
    """CMUdict-style symbols (one string per ARPAbet token, e.g. ``["b", "ˈʌ", "t", "ə", "n"]``) ->
    misaki's US spelling of the same sounds. ``rules`` (all by default; the evaluation measures each):

    * flap: ``t`` after a vowel or ɹ and before an unstressed vowel -> ``T`` (misaki's ɾ, which
      Kokoro v1.0 writes T): wˈɔTəɹ;
    * glottal: ``t ə n`` after a vowel or ɹ, at the end or before a consonant -> ``tn`` (misaki's ʔn,
      Kokoro's tn): bˈʌtn;
    * syllabic_l: ``ə l`` ending a word after a consonant -> ``ᵊl``: dˈændᵊl;
    * ed / es: ``ɪ`` (or ``ə``) in a final ``-t/d + ɪd`` -> ``ᵻd``; ``ɪ`` in a final sibilant ``+ ɪz`` -> ``ᵻz``;
    * reduced_i: unstressed ``ɪ`` before one consonant and a vowel (or before ``kl``) -> ``ə``:
      dəvˈIzəɹ, hɪstˈɔɹəkᵊli.
    """
    tok = list(tokens)
    n = len(tok)
    for i in range(n):
        prev = tok[i - 1] if i > 0 else ""
        nxt = tok[i + 1] if i + 1 < n else ""
        after = tok[i + 2] if i + 2 < n else ""
        last = i + 2 == n  # tok[i] is the next-to-last token
        if tok[i] == "t" and (_vowel(prev) or prev == "ɹ"):
            if "glottal" in rules and nxt == "ə" and after == "n" and (i + 3 == n or not _vowel(tok[i + 3])):
                tok[i + 1] = ""
            elif "flap" in rules and _unstressed_vowel(nxt):
                tok[i] = "T"
        elif tok[i] == "ə" and last and nxt == "l" and prev and not _vowel(prev) and "syllabic_l" in rules:
            tok[i] = "ᵊ"
        elif tok[i] in ("ɪ", "ə") and last and nxt == "d" and prev in ("t", "T", "d") and "ed" in rules:
            tok[i] = "ᵻ"
        elif tok[i] == "ɪ" and last and nxt == "z" and prev in _SIBILANTS and "es" in rules:
            tok[i] = "ᵻ"
        elif tok[i] == "ɪ" and nxt and not _vowel(nxt) and (_vowel(after) or (nxt, after) == ("k", "l")) \
                and "reduced_i" in rules:
            tok[i] = "ə"
    return [t for t in tok if t]


_SEPARATORS = re.compile(r"[-._]+")
_APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc]")


class GraphFallback:
    """``g2p.tflite`` on LiteRT's CompiledModel (CPU, XNNPACK with a weight cache file: the unrolled
    GRU's steps share their weights, which are then packed once). Thread-safe; results are cached
    per word."""

    CACHE_WORDS = 8192

    def __init__(self, path: str | os.PathLike, entry: dict, threads: int = 1, rules: Optional[Sequence[str]] = None):
        self.path = Path(path)
        try:
            self.letters: list[str] = list(entry["letters"])
            self.symbols: list[str] = list(entry["phonemes"])
            self.max_letters = int(entry["max_letters"])
            self.max_phonemes = int(entry["max_phonemes"])
            self.signature = str(entry.get("signature", "g2p"))
            # the refinements this graph's output needs; an entry without the key is g2p-en's (all)
            listed = tuple(str(r) for r in entry.get("rules", RULES))
        except (KeyError, TypeError, ValueError) as e:
            raise BundleError(f"g2p manifest entry: {type(e).__name__}: {e}") from None
        unknown = sorted(set(listed) - set(RULES))
        if unknown:
            raise BundleError(f"g2p manifest entry: unknown rules {unknown} (this runtime knows {list(RULES)})")
        self._index = {c: i for i, c in enumerate(self.letters) if len(c) == 1}
        if "'" not in self._index and "<unk>" in self.letters:  # g2p-en was trained with apostrophes as <unk>
            self._index["'"] = self.letters.index("<unk>")
        self.rules = listed if rules is None else tuple(rules)
        self._lock = threading.Lock()
        self._cache: dict[str, Optional[str]] = {}
        sha = str(entry.get("sha256", ""))[:20] or "nosha"
        if not self.path.is_file():
            raise BundleError(f"{self.path}: no such g2p graph")
        self._model = compile_graph(self.path, cache_dir("xnnpack") / f"g2p-{sha}-x{XNNPACK_FLAGS:x}.xnn", threads)
        self._sig = self._model.get_signature_index(self.signature)
        with quiet_native_logs():
            self._in = self._model.create_input_buffers(self._sig)
            self._out = self._model.create_output_buffers(self._sig)

    # ---- the graph --------------------------------------------------------------------------------
    def run_ids(self, letters: str) -> list[int]:
        """One run: ``letters`` (1..max_letters of the graph's alphabet) -> the raw output ids."""
        ids = np.zeros((1, self.max_letters), np.int32)
        ids[0, : len(letters)] = [self._index[c] for c in letters]
        with self._lock:
            self._in[0].write(ids)
            self._model.run_by_index(self._sig, self._in, self._out)
            return self._out[0].read(self.max_phonemes, np.int32).tolist()

    def tokens(self, letters: str) -> list[str]:
        """misaki symbols per output token (before ``refine``) for a run of letters of any length."""
        if len(letters) <= self.max_letters:
            out, finished = [], False
            for i in self.run_ids(letters):
                if i == 0:  # the graph writes 0 from </s> on
                    finished = True
                    break
                out.append(self.symbols[i])
            if finished or len(letters) < 2:
                return [t for t in out if t]
        half = (len(letters) + 1) // 2  # too long for the graph, or unfinished: halves
        return self.tokens(letters[:half]) + self.tokens(letters[half:])

    # ---- words ------------------------------------------------------------------------------------
    def parts(self, word: str) -> Optional[list[str]]:
        """The letter runs the graph will spell, or None when the word has other characters."""
        w = unicodedata.normalize("NFKD", word)
        w = "".join(c for c in w if not unicodedata.combining(c))
        w = _APOSTROPHES.sub("'", w).lower()
        parts = [p for p in (p.strip("'") for p in _SEPARATORS.split(w)) if p]
        if not parts or not all(c in self._index for p in parts for c in p):
            return None
        return parts

    def phonemes(self, word: str) -> Optional[str]:
        """Kokoro phonemes for ``word``, or None (empty, digits, symbols, non-Latin letters)."""
        if word in self._cache:
            return self._cache[word]
        parts = self.parts(word)
        ps = None
        if parts is not None:
            ps = "".join("".join(refine(self.tokens(p), self.rules)) for p in parts) or None
        if len(self._cache) >= self.CACHE_WORDS:
            self._cache.clear()
        self._cache[word] = ps
        return ps

    __call__ = phonemes
