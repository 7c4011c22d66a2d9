"""English grapheme-to-phoneme conversion into Kokoro's misaki phoneme symbols, without spaCy.

Pipeline: ``normalize`` (numbers, currency, abbreviations...) -> split into words and punctuation
-> misaki's US lexicons (``misaki/data/us_gold.json`` then ``us_silver.json``, read as package data
through importlib.resources; ``misaki.en`` is never imported because it imports spaCy) -> words the
lexicons cannot spell go to espeak-ng through ``misaki.espeak.EspeakFallback`` (phonemizer on the
libespeak-ng shipped by ``espeakng_loader``; misaki's own IPA -> Kokoro symbol mapping).

The word lookup mirrors ``misaki.en.Lexicon`` (case handling, capital-letter stress, possessive and
plural ``-s``/``'s``, ``-ed``, ``-ing`` stems, spelled-out initialisms), minus part-of-speech tags:

* POS choice: lexicon entries that are a dict of POS -> phonemes are read at ``'DEFAULT'``, except the
  ``'None'`` entry (stressed function words such as "by", "have", "this") when the word ends a phrase
  (followed by punctuation or the end), exactly as misaki does when no word follows. "used" before
  "to" reads as the past tense (``jˈust``). Common heteronyms ("read", "live", "lead", "record",
  "close", ...) get the key ``heteronyms.tag`` guesses from the neighbouring words; misaki's full
  G2P picks them by spaCy tag.
* Context words as in misaki: "the" -> ðə / ði (before a vowel), "to" -> tə / tʊ, "a" -> ɐ
  (ˈA when it ends a phrase), "an" -> ɐn, "I" -> ˌI, "in" -> ɪn (ˈɪn phrase-finally), "am".
* Kokoro v1.0 (misaki version None) replaces the flap ɾ by ``T`` and the glottal stop ʔ by ``t``.

Output follows misaki/Kokoro joining: words separated by single spaces, punctuation attached to the
preceding word (``"twˈɛnti fˈɔɹ."``), ASCII double quotes become “ ”, brackets become ( ).
Symbols outside Kokoro's vocab are not filtered here; ``Tokenizer.encode`` drops and reports them.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Callable, Optional, Union

from .memory import trim_heap
from .heteronyms import HETERONYMS, LEAD_METAL, LEAD_METAL_KEY
from .heteronyms import tag as heteronym_tag
from .normalize import normalize

__all__ = ["G2P", "PUNCTUATION"]

PUNCTUATION = frozenset(';:,.!?—…"“”()')
_NON_QUOTE_PUNCTS = frozenset(';:,.!?—…')
_STRESSES = "ˌˈ"
_PRIMARY, _SECONDARY = "ˈ", "ˌ"
_VOWELS = frozenset("AIOQWYaiuæɑɒɔəɛɜɪʊʌᵻ")
_CONSONANTS = frozenset("bdfhjklmnpstvwzðŋɡɹɾʃʒʤʧθ")
_US_TAUS = frozenset("AIOWYiuæɑəɛɪɹʊʌ")
_LEXICON_ORDS = frozenset([39, 45, *range(65, 91), *range(97, 123)])

# words, dotted initialisms (U.S., A.M), punctuation, whitespace, anything else
_SPACE_BEFORE_PUNCT_RE = re.compile(r" +([.,!?;:…])")
_TOKEN_RE = re.compile(
    r"(?P<init>(?:[A-Za-z]\.){2,}(?=\s+[a-z0-9])|[A-Za-z](?:\.[A-Za-z])+)"
    r"|(?P<word>[^\W_]+(?:['-][^\W_]+)*'?)"
    r"|(?P<punct>[;:,.!?—…\"“”()\[\]{}])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)",
    re.S,
)


def _apply_stress(ps: Optional[str], stress) -> Optional[str]:
    """misaki.en.apply_stress."""
    def restress(ps):
        ips = list(enumerate(ps))
        stresses = {i: next(j for j, v in ips[i:] if v in _VOWELS) for i, p in ips if p in _STRESSES}
        for i, j in stresses.items():
            ips[i] = (j - 0.5, ips[i][1])
        return "".join(p for _, p in sorted(ips))

    if stress is None or ps is None:
        return ps
    if stress < -1:
        return ps.replace(_PRIMARY, "").replace(_SECONDARY, "")
    if stress == -1 or (stress in (0, -0.5) and _PRIMARY in ps):
        return ps.replace(_SECONDARY, "").replace(_PRIMARY, _SECONDARY)
    if stress in (0, 0.5, 1) and all(s not in ps for s in _STRESSES):
        return ps if all(v not in ps for v in _VOWELS) else restress(_SECONDARY + ps)
    if stress >= 1 and _PRIMARY not in ps and _SECONDARY in ps:
        return ps.replace(_SECONDARY, _PRIMARY)
    if stress > 1 and all(s not in ps for s in _STRESSES):
        return ps if all(v not in ps for v in _VOWELS) else restress(_PRIMARY + ps)
    return ps


def _grow(d: dict) -> dict:
    """misaki.en.Lexicon.grow_dictionary: add Capitalised / lower-case twins."""
    e = {}
    for k, v in d.items():
        if len(k) < 2:
            continue
        if k == k.lower():
            if k != k.capitalize():
                e[k.capitalize()] = v
        elif k == k.lower().capitalize():
            e[k.lower()] = v
    return {**e, **d}


class PackedLexicon:
    """A read-only word -> phonemes mapping (a value is a string, or a dict POS -> phonemes) packed
    into one bytes blob and two numpy arrays: ~10 MB for misaki's 365 k US entries, where the same
    entries as Python dicts hold ~55 MB for the life of the process. Entries are found by the word's
    ``hash`` (this process's), checked against the stored word."""

    def __init__(self, entries: dict):
        import numpy as np

        words = list(entries)
        hashes = np.fromiter((hash(w) for w in words), np.int64, len(words))
        order = np.argsort(hashes, kind="stable")
        records = [f"{words[i]}\0{v if isinstance(v, str) else json.dumps(v)}".encode("utf-8")
                   for i in order for v in (entries[words[i]],)]
        self._hashes = hashes[order]
        self._ends = np.cumsum(np.fromiter(map(len, records), np.int64, len(records)), dtype=np.int64)
        self._blob = b"".join(records)

    def __len__(self) -> int:
        return len(self._hashes)

    def _record(self, i: int) -> tuple[str, str]:
        start = int(self._ends[i - 1]) if i else 0
        word, _, value = self._blob[start:int(self._ends[i])].decode("utf-8").partition("\0")
        return word, value

    @staticmethod
    def _value(value: str):
        return json.loads(value) if value.startswith("{") else value

    def get(self, word: str, default=None):
        h = hash(word)
        i = int(self._hashes.searchsorted(h))
        while i < len(self._hashes) and self._hashes[i] == h:  # equal hashes: check the word
            w, value = self._record(i)
            if w == word:
                return self._value(value)
            i += 1
        return default

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word: str):
        value = self.get(word)
        if value is None:
            raise KeyError(word)
        return value

    def items(self):
        for i in range(len(self._hashes)):
            word, value = self._record(i)
            yield word, self._value(value)


_LEXICON_LOCK = threading.Lock()
_LEXICON: Optional[tuple] = None


def _load_lexicon() -> tuple:
    """misaki's US gold and silver lexicons (``_grow``n), each a ``PackedLexicon``."""
    global _LEXICON
    with _LEXICON_LOCK:
        if _LEXICON is None:
            root = importlib.resources.files("misaki") / "data"
            _LEXICON = tuple(PackedLexicon(_grow(json.loads((root / f"us_{name}.json").read_text(encoding="utf-8"))))
                             for name in ("gold", "silver"))
            trim_heap()  # the JSON's objects are gone: give their pages back
    return _LEXICON


@dataclass
class _Ctx:
    future_vowel: Optional[bool] = None  # None: phrase end (punctuation or end of text)
    future_to: bool = False
    tag: Optional[str] = None  # a heteronym's lexicon key (see heteronyms.tag)


class G2P:
    """Lexicon-first English G2P producing Kokoro (misaki, US) phonemes.

    ``fallback`` spells the words missing from the lexicons: ``True`` espeak-ng, or any callable
    word -> phonemes or None (the bundle's neural G2P graph, ``g2p_graph.GraphFallback``, which the
    Android app uses too); with ``False`` they are dropped (``unk`` is emitted instead, default empty).
    """

    def __init__(self, fallback: Union[bool, Callable[[str], Optional[str]]] = True, unk: str = ""):
        self.golds, self.silvers = _load_lexicon()
        self.fallback = _espeak_word if fallback is True else (fallback or None)
        self.unk = unk

    # ---- public --------------------------------------------------------------------------------
    def phonemize(self, text: str, *, normalized: bool = False, dropped: Optional[list] = None) -> str:
        """Text -> phoneme string. ``normalized=True`` skips ``normalize`` (already applied).

        ``dropped``: a list to which the words and symbols that give no phonemes are appended
        (emoji, symbols, words neither the lexicons nor espeak-ng can spell), in reading order;
        punctuation, marks and invisible characters are not reported."""
        return self.phonemize_aligned(text, normalized=normalized, dropped=dropped)[0]

    __call__ = phonemize

    def phonemize_aligned(self, text: str, *, normalized: bool = False,
                          dropped: Optional[list] = None) -> tuple[str, list]:
        """``phonemize`` and, for each character of its result, the ``(start, end)`` span in ``text``
        (in ``normalize(text)`` unless ``normalized``) of the word that character spells, or ``None``
        (spaces between words, punctuation). This is the token -> word map word timestamps use:
        built from the words G2P read, so multi-word readings, dropped words and punctuation need no
        re-splitting of the phoneme string."""
        if not normalized:
            text = normalize(text)
        tokens = []  # [kind, text, phonemes, whitespace_after, start, end]
        for m in _TOKEN_RE.finditer(text):
            kind = m.lastgroup
            if kind == "space":
                if tokens:
                    tokens[-1][3] = " "
                continue
            tokens.append([kind, m.group(), None, "", m.start(), m.end()])
        # quotes: open when at the start or after whitespace/open bracket, else close
        for i, tk in enumerate(tokens):
            if tk[0] == "punct":
                c = {"[": "(", "{": "(", "]": ")", "}": ")"}.get(tk[1], tk[1])
                if c == '"':
                    opening = i == 0 or bool(tokens[i - 1][3]) or tokens[i - 1][1] in "(["
                    c = "“" if opening else "”"
                tk[2] = c
            elif tk[0] == "other":
                tk[2] = ""
        tags = _heteronym_tags(tokens)
        # words right to left, as misaki does, so each word sees what follows
        ctx = _Ctx()
        for i in range(len(tokens) - 1, -1, -1):
            tk = tokens[i]
            if tk[0] in ("word", "init"):
                wctx = _Ctx(ctx.future_vowel, ctx.future_to, tags.get(i)) if i in tags else ctx
                ps = self._word(tk[1], wctx, initialism=tk[0] == "init")
                tk[2] = self.unk if ps is None else ps
                ctx = self._context(ctx, tk[2], tk[1])
            elif tk[0] == "punct":
                ctx = self._context(ctx, tk[2], tk[1])
        if dropped is not None:
            dropped.extend(_dropped(tokens))
        out = "".join(tk[2] + tk[3] for tk in tokens)
        out = out.replace("ɾ", "T").replace("ʔ", "t")
        out = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", out)  # where a dropped symbol stood: "fˈɔɹ ." -> "fˈɔɹ."
        out = re.sub(r" {2,}", " ", out).strip()
        return out, _aligned_spans(tokens, out)

    # ---- context -------------------------------------------------------------------------------
    @staticmethod
    def _context(ctx: _Ctx, ps: str, word: str) -> _Ctx:
        vowel = ctx.future_vowel
        if ps:
            for c in ps:
                if c in _NON_QUOTE_PUNCTS:
                    vowel = None
                    break
                if c in _VOWELS or c in _CONSONANTS:
                    vowel = c in _VOWELS
                    break
        return _Ctx(future_vowel=vowel, future_to=word in ("to", "To", "TO"))

    # ---- one word ------------------------------------------------------------------------------
    def _word(self, word: str, ctx: _Ctx, initialism: bool = False) -> Optional[str]:
        word = unicodedata.normalize("NFKC", word.replace("\u2019", "'"))
        if initialism:
            return self._nnp(word.replace(".", "")) or self._fallback(word)
        ps = self._lexicon_word(word, ctx)
        if ps is None and "-" in word.strip("-"):
            parts = [p for p in word.split("-") if p]
            pss = [self._lexicon_word(p, _Ctx(future_vowel=True)) for p in parts]
            if all(p is not None for p in pss):
                ps = "".join(pss)
        if ps is None:
            ps = self._fallback(word)
        return ps

    def _lexicon_word(self, word: str, ctx: _Ctx) -> Optional[str]:
        stress = None if word == word.lower() else (2 if word == word.upper() else 0.5)
        return self._get_word(word, stress, ctx)

    def _special(self, word: str, ctx: _Ctx) -> Optional[str]:
        g = self.golds
        if word in ("a", "A"):
            return "ɐ" if (word == "a" or ctx.future_vowel is not None) else "ˈA"
        if word in ("am", "Am", "AM"):
            return g["am"] if (ctx.future_vowel is None or word != "am") else "ɐm"
        if word in ("an", "An", "AN"):
            return "ɐn"
        if word == "I":
            return "ˌI"
        if word in ("to", "To", "TO"):
            return {None: g["to"], False: "tə", True: "tʊ"}[ctx.future_vowel]
        if word in ("in", "In", "IN"):
            return ("ˈ" if ctx.future_vowel is None else "") + "ɪn"
        if word in ("the", "The", "THE"):
            return "ði" if ctx.future_vowel is True else "ðə"
        if word in ("used", "Used", "USED"):
            return g["used"]["VBD" if ctx.future_to else "DEFAULT"]
        if ctx.tag == LEAD_METAL_KEY:
            return LEAD_METAL
        if re.fullmatch(r"(?i)vs\.?", word):
            return self._lookup("versus", None, ctx)
        return None

    def _nnp(self, word: str) -> Optional[str]:
        """Spell a word letter by letter (misaki get_NNP)."""
        ps = [self.golds.get(c.upper()) for c in word if c.isalpha()]
        if not ps or None in ps:
            return None
        ps = _apply_stress("".join(ps), 0).rsplit(_SECONDARY, 1)
        return _PRIMARY.join(ps)

    def _is_known(self, word: str) -> bool:
        if word in self.golds or word in self.silvers:
            return True
        if not word.isalpha() or not all(ord(c) in _LEXICON_ORDS for c in word):
            return False
        if len(word) == 1:
            return True
        if word == word.upper() and word.lower() in self.golds:
            return True
        return word[1:] == word[1:].upper()

    def _lookup(self, word: str, stress, ctx: Optional[_Ctx]) -> Optional[str]:
        if word == word.upper() and word not in self.golds:
            word = word.lower()
        ps = self.golds.get(word)
        if ps is None:
            ps = self.silvers.get(word)
        if isinstance(ps, dict):
            if ctx is not None and ctx.tag in ps:
                ps = ps[ctx.tag]
            elif ctx is not None and ctx.future_vowel is None and "None" in ps:
                ps = ps["None"]
            else:
                ps = ps["DEFAULT"]
        if ps is None:
            return self._nnp(word)
        return _apply_stress(ps, stress)

    @staticmethod
    def _s(stem):
        if not stem:
            return None
        if stem[-1] in "ptkfθ":
            return stem + "s"
        if stem[-1] in "szʃʒʧʤ":
            return stem + "ᵻz"
        return stem + "z"

    def _stem_s(self, word, stress, ctx):
        if len(word) < 3 or not word.endswith("s"):
            return None
        if not word.endswith("ss") and self._is_known(word[:-1]):
            stem = word[:-1]
        elif (word.endswith("'s") or (len(word) > 4 and word.endswith("es") and not word.endswith("ies"))) \
                and self._is_known(word[:-2]):
            stem = word[:-2]
        elif len(word) > 4 and word.endswith("ies") and self._is_known(word[:-3] + "y"):
            stem = word[:-3] + "y"
        else:
            return None
        return self._s(self._lookup(stem, stress, ctx))

    @staticmethod
    def _ed(stem):
        if not stem:
            return None
        if stem[-1] in "pkfθʃsʧ":
            return stem + "t"
        if stem[-1] == "d":
            return stem + "ᵻd"
        if stem[-1] != "t":
            return stem + "d"
        if len(stem) < 2:
            return stem + "ɪd"
        if stem[-2] in _US_TAUS:
            return stem[:-1] + "ɾᵻd"
        return stem + "ᵻd"

    def _stem_ed(self, word, stress, ctx):
        if len(word) < 4 or not word.endswith("d"):
            return None
        if not word.endswith("dd") and self._is_known(word[:-1]):
            stem = word[:-1]
        elif len(word) > 4 and word.endswith("ed") and not word.endswith("eed") and self._is_known(word[:-2]):
            stem = word[:-2]
        else:
            return None
        return self._ed(self._lookup(stem, stress, ctx))

    @staticmethod
    def _ing(stem):
        if not stem:
            return None
        if len(stem) > 1 and stem[-1] == "t" and stem[-2] in _US_TAUS:
            return stem[:-1] + "ɾɪŋ"
        return stem + "ɪŋ"

    def _stem_ing(self, word, stress, ctx):
        if len(word) < 5 or not word.endswith("ing"):
            return None
        if len(word) > 5 and self._is_known(word[:-3]):
            stem = word[:-3]
        elif self._is_known(word[:-3] + "e"):
            stem = word[:-3] + "e"
        elif len(word) > 5 and re.search(r"([bcdgklmnprstvxz])\1ing$|cking$", word) and self._is_known(word[:-4]):
            stem = word[:-4]
        else:
            return None
        return self._ing(self._lookup(stem, stress, ctx))

    def _get_word(self, word: str, stress, ctx: _Ctx) -> Optional[str]:
        """misaki.en.Lexicon.get_word without POS tags."""
        ps = self._special(word, ctx)
        if ps is not None:
            return ps
        wl = word.lower()
        if (len(word) > 1 and word.replace("'", "").isalpha() and word != wl
                and word not in self.golds and word not in self.silvers
                and (word == word.upper() or word[1:] == word[1:].lower())
                and (wl in self.golds or wl in self.silvers
                     or any(fn(wl, stress, ctx) for fn in (self._stem_s, self._stem_ed, self._stem_ing)))):
            word = wl
        if self._is_known(word):
            return self._lookup(word, stress, ctx)
        if word.endswith("s'") and self._is_known(word[:-2] + "'s"):
            return self._lookup(word[:-2] + "'s", stress, ctx)
        if word.endswith("'") and self._is_known(word[:-1]):
            return self._lookup(word[:-1], stress, ctx)
        for fn, st in ((self._stem_s, stress), (self._stem_ed, stress),
                       (self._stem_ing, 0.5 if stress is None else stress)):
            ps = fn(word, st, ctx)
            if ps is not None:
                return ps
        return None

    # ---- fallback ----------------------------------------------------------------------
    def _fallback(self, word: str) -> Optional[str]:
        return self.fallback(word) if self.fallback else None


_SENTENCE_END = frozenset(".!?…")


def _heteronym_tags(tokens: list) -> dict:
    """{token index: lexicon key} for the heteronyms among ``tokens`` (see ``heteronyms.tag``)."""
    seq = [i for i, tk in enumerate(tokens) if tk[0] in ("word", "init", "punct")]
    tags = {}
    for pos, i in enumerate(seq):
        if tokens[i][0] != "word" or tokens[i][1].lower() not in HETERONYMS:
            continue
        before, j = [], pos - 1
        while j >= 0 and len(before) < 3 and tokens[seq[j]][0] != "punct":
            before.insert(0, tokens[seq[j]][1].lower())
            j -= 1
        after, rest, j, phrase = [], [], pos + 1, True
        while j < len(seq) and len(rest) < 12 and tokens[seq[j]][1] not in _SENTENCE_END:
            if tokens[seq[j]][0] == "punct":
                phrase = False
            else:
                w = tokens[seq[j]][1].lower()
                rest.append(w)
                if phrase and len(after) < 3:
                    after.append(w)
            j += 1
        t = heteronym_tag(tokens[i][1].lower(), before, after, rest)
        if t is not None:
            tags[i] = t
    return tags


_PUNCT_AFTER_SPACE = frozenset(".,!?;:…")


def _aligned_spans(tokens: list, out: str) -> list:
    """The word span behind each character of ``out`` (see ``G2P.phonemize_aligned``): the same
    joining as ``phonemize`` (spaces before punctuation dropped, runs of spaces collapsed, ends
    stripped), done on (character, owner) pairs. All ``None`` if it does not give ``out`` back."""
    pairs = []
    for tk in tokens:
        owner = (tk[4], tk[5]) if tk[0] in ("word", "init") and tk[2] else None
        pairs += [(c, owner) for c in tk[2]]
        pairs += [(c, None) for c in tk[3]]
    kept = []
    for i, (c, o) in enumerate(pairs):
        if c == " ":
            j = i + 1
            while j < len(pairs) and pairs[j][0] == " ":
                j += 1
            if j < len(pairs) and pairs[j][0] in _PUNCT_AFTER_SPACE:
                continue  # " +([.,!?;:…])" -> the punctuation alone
            if kept and kept[-1][0] == " ":
                continue  # " {2,}" -> " "
        kept.append((c, o))
    while kept and kept[0][0].isspace():
        kept.pop(0)
    while kept and kept[-1][0].isspace():
        kept.pop()
    if "".join(c for c, _ in kept).replace("ɾ", "T").replace("ʔ", "t") != out:
        return [None] * len(out)
    return [o for _, o in kept]


def _reportable(text: str) -> bool:
    """Content a reader would miss (letters, digits, symbols, emoji), not punctuation or marks."""
    return any(unicodedata.category(c)[0] in "LNS" for c in text)


def _dropped(tokens: list) -> list[str]:
    """The words and runs of other characters (no space between) that gave no phonemes."""
    out: list[str] = []
    run = ""
    for tk in tokens:
        if tk[0] == "other" or (tk[0] in ("word", "init") and not tk[2]):
            run += tk[1]
            if not tk[3]:
                continue
        if run and _reportable(run):
            out.append(run)
        run = ""
    if run and _reportable(run):
        out.append(run)
    return out


_ESPEAK_LOCK = threading.Lock()
_ESPEAK = None


@lru_cache(maxsize=8192)
def _espeak_word(word: str) -> Optional[str]:
    """One word through misaki's espeak-ng fallback (already mapped to Kokoro symbols)."""
    global _ESPEAK
    with _ESPEAK_LOCK:
        if _ESPEAK is None:
            from misaki.espeak import EspeakFallback  # phonemizer + espeakng_loader; no spaCy, no torch
            _ESPEAK = EspeakFallback(british=False)
        ps, _ = _ESPEAK(SimpleNamespace(text=word))
    return ps or None
