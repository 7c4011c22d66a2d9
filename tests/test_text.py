"""Text front-end: normalisation, lexicon G2P, tokenizer, chunker (fast, no model needed)."""

import random
import subprocess
import sys
import warnings

import pytest

from kokoro_litert.errors import TextError
from kokoro_litert.runtime.chunker import Chunk, split_text
from kokoro_litert.runtime.g2p import G2P
from kokoro_litert.runtime.normalize import normalize
from kokoro_litert.runtime.tokenizer import Tokenizer


DR_SMITH = "Dr. Smith paid $42.50 on March 3rd, 2024."
DR_SMITH_REF = "dˈɑktəɹ smˈɪθ pˈAd fˈɔɹTi tˈu dˈɑləɹz ænd fˈɪfti sˈɛnts ˌɔn mˈɑɹʧ θˈɜɹd, twˈɛnti twˈɛnti fˈɔɹ."


@pytest.mark.parametrize("text, expected", [
    (DR_SMITH, "Doctor Smith paid forty two dollars and fifty cents on March third, twenty twenty four."),
    ("I have 3 cats and 1,234 dogs.", "I have three cats and one thousand two hundred thirty four dogs."),
    ("Pi is 3.14.", "Pi is three point one four."),
    ("the 21st and 2nd and 100th", "the twenty first and second and one hundredth"),
    ("In 1905 and 2000, the 1990s and 2000s.",
     "In nineteen oh five and two thousand, the nineteen nineties and two thousands."),
    ("It costs $1 or $0.99 or £3.05 or €20.", "It costs one dollar or ninety nine cents or three pounds and five pence or twenty euros."),
    ("$1.5 million", "one point five million dollars"),
    ("Up 12.5% today.", "Up twelve point five percent today."),
    ("Meet at 3:30 pm or 10:00.", "Meet at three thirty P.M or ten o'clock."),
    ("Leave at 7:05 a.m. Then go.", "Leave at seven oh five A.M. Then go."),
    ("Mr. and Mrs. Jones met Dr. Who on Main St. in St. Louis.",
     "Mister and Mrs Jones met Doctor Who on Main Street in Saint Louis."),
    ("fruit, e.g. apples, i.e. food, cats vs. dogs, etc. The end.",
     "fruit, for example apples, that is food, cats versus dogs, etc. The end."),
    ("Tom & Jerry: 2+2=4 @home", "Tom and Jerry: two plus two equals four at home"),
    ("\u201cHi\u201d \u2018there\u2019 \u2013 it\u2019s -5 degrees...", '"Hi" \'there\' — it\'s minus five degrees…'),
])
def test_normalize(text, expected):
    assert normalize(text) == expected


def test_normalize_keeps_kokoro_punctuation():
    assert normalize("Wait; what? Yes! No: maybe — fine…") == "Wait; what? Yes! No: maybe — fine…"


def test_dr_smith_matches_misaki_reference(g2p):
    assert g2p.phonemize(DR_SMITH) == DR_SMITH_REF


VARIED = [
    DR_SMITH,
    "The quick brown fox jumps over the lazy dog!",
    'Alice said, "I don\'t know where he went." (Really?)',
    "Kubernetes, TensorFlow and Zyxwvutsr are odd words; so is naïve café.",
    "The children's toys and the dogs' bowls were used to play at 3:30 pm.",
    "The U.S. FBI and NASA met on the 21st — 50% agreed… \u00bfQu\u00e9? \u4f60\u597d \u03b1\u03b2\u03b3",
    "It was the best of times, it was the worst of times; 1,024 ways in the 1990s.",
]


@pytest.mark.parametrize("text", VARIED)
def test_g2p_vocab_only(g2p, vocab, text):
    ps = g2p.phonemize(text)
    assert ps and ps == ps.strip() and "  " not in ps
    assert set(ps) <= set(vocab), set(ps) - set(vocab)


def test_g2p_spacing_and_punctuation(g2p):
    assert g2p.phonemize("Hello, world!") == "həlˈO, wˈɜɹld!"
    assert g2p.phonemize('He said "hi".') == "hˌi sˈɛd “hˈI”."


def test_tokenizer_warns_once_on_unknown(tok, vocab):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        ids = tok.encode("hˈɛ\u263alO\u263a\u2603")
    assert len(w) == 1
    msg = str(w[0].message)
    assert "\u263a" in msg and "\u2603" in msg
    assert ids == [vocab[c] for c in "hˈɛlO"]
    assert Tokenizer.model_input(ids) == [0, *ids, 0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert tok.encode("hˈɛlO") == ids


def _long_text(seed=0, n_words=700):
    rng = random.Random(seed)
    words = ("the cat sat on a mat while Dr. Smith paid $42.50 for 3 apples in 1999 and "
             "extraordinarily incomprehensible photosynthesis happened near St. Louis at 3:30 pm").split()
    out = []
    for i in range(n_words):
        w = rng.choice(words)
        r = rng.random()
        if r < 0.06:
            w += ","
        elif r < 0.08:
            w += ";"
        elif r < 0.12:
            w += "."
        elif r < 0.13:
            w += "!"
        elif r < 0.14:
            w += ".\n\n"
        out.append(w)
    return " ".join(out).replace("\n\n ", "\n\n")


@pytest.mark.parametrize("max_tokens", [30, 64, 510])
def test_chunk_invariants(g2p, tok, vocab, max_tokens):
    text = _long_text()
    chunks = list(split_text(text, g2p, tok, max_tokens))
    assert chunks and all(isinstance(c, Chunk) for c in chunks)
    for c in chunks:
        assert len(c.ids) + 2 <= max_tokens
        assert c.ids == tok.encode(c.phonemes)
        assert set(c.phonemes) <= set(vocab)
        assert c.text == c.text.strip() and c.text
        assert c.pause_s >= 0
    normalised = [w for para in text.split("\n\n") for w in normalize(para).split()]
    assert [w for c in chunks for w in c.text.split()] == normalised
    assert chunks[-1].pause_s == 0.0
    if max_tokens == 510:
        assert any(c.pause_s >= 0.5 for c in chunks)  # paragraph breaks


LIGHTHOUSE = ("The lighthouse keeper wrote a careful note about the storm, then climbed the narrow stairs "
              "to check the lamp once more before dawn. Seventeen small boats drifted past the harbour wall.")


def _ends_clause_or_sentence(text: str) -> bool:
    return text.rstrip("\"'”’)]").endswith((",", ";", ":", "—", ".", "!", "?", "…"))


def test_sentences_that_fit_are_never_split(g2p, tok):
    chunks = list(split_text(LIGHTHOUSE, g2p, tok, 128))  # what Kokoro.stream and synthesize use
    assert [c.text for c in chunks] == [
        "The lighthouse keeper wrote a careful note about the storm, then climbed the narrow stairs "
        "to check the lamp once more before dawn.",
        "Seventeen small boats drifted past the harbour wall."]


def test_first_chunk_budget_splits_only_at_clauses(g2p, tok):
    whole = list(split_text(LIGHTHOUSE, g2p, tok, 128))
    for budget in (8, 16, 40):
        fast = list(split_text(LIGHTHOUSE, g2p, tok, 128, first_max_tokens=budget))
        # the first clause is longer than every budget here: it stays whole, never cut between words
        assert fast[0].text == "The lighthouse keeper wrote a careful note about the storm,", budget
        assert len(fast[0].ids) + 2 > budget
        assert all(_ends_clause_or_sentence(c.text) for c in fast), [c.text for c in fast]
        assert " ".join(c.text for c in fast).split() == " ".join(c.text for c in whole).split()
    short = "Yes, of course, we will; the rest of this sentence is long enough to need its own chunk. Then more."
    fast = list(split_text(short, g2p, tok, 128, first_max_tokens=18))
    assert fast[0].text == "Yes, of course,"  # clauses packed while they fit the budget
    assert len(fast[0].ids) + 2 <= 18
    assert [c.text for c in fast[1:]] == ["we will; the rest of this sentence is long enough to need its own chunk.",
                                          "Then more."]  # back to full size after the first chunk


def test_too_long_sentence_splits_at_clauses_first(g2p, tok):
    text = ("On the first morning, before the ferry left, the children counted gulls; "
            "by noon, forty more.")
    chunks = list(split_text(text, g2p, tok, 32))
    assert len(chunks) > 1
    assert all(len(c.ids) + 2 <= 32 for c in chunks)
    assert all(_ends_clause_or_sentence(c.text) for c in chunks), [c.text for c in chunks]
    assert " ".join(c.text for c in chunks) == text


def test_chunker_streams_lazily(tok):
    calls = []

    class Spy(G2P):
        def phonemize_aligned(self, text, **kw):  # what the chunker calls (phonemize calls it too)
            calls.append(text)
            return super().phonemize_aligned(text, **kw)

    gen = split_text("One sentence here. " * 2000, Spy(), tok, 510)
    first = next(gen)
    assert first.text == "One sentence here."
    assert 0 < len(calls) < 5


def test_sentence_pauses(g2p, tok):
    chunks = list(split_text("Hello there, friend. How are you?\n\nFine.", g2p, tok, 510))
    assert [c.text for c in chunks] == ["Hello there, friend.", "How are you?", "Fine."]
    assert chunks[0].pause_s < chunks[1].pause_s
    assert chunks[2].pause_s == 0.0


def test_too_long_word_raises(g2p, tok):
    with pytest.raises(TextError, match="incomprehensibilities"):
        list(split_text("A short start. Then incomprehensibilities everywhere.", g2p, tok, 12))


@pytest.mark.parametrize("text", ["", "   \n\t ", "... !!! —", "\u263a \u2603"])
def test_empty_or_unpronounceable_raises(g2p, tok, text):
    with pytest.raises(TextError):
        list(split_text(text, g2p, tok, 510))


def test_g2p_import_is_lean():
    code = ("import sys, kokoro_litert.runtime.g2p as m, kokoro_litert.runtime.chunker, "
            "kokoro_litert.runtime.tokenizer; m.G2P().phonemize('Zyxwv quibbles.'); "
            "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('torch', 'spacy', 'thinc', 'misaki.en')"
            " or k == 'misaki.en'); print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


def test_packed_lexicon_is_the_json_lexicon():
    """Every entry of misaki's (grown) gold and silver lexicons reads back identical from its
    PackedLexicon, and words it does not hold are absent."""
    import importlib.resources
    import json

    from kokoro_litert.runtime.g2p import PackedLexicon, _grow, _load_lexicon

    root = importlib.resources.files("misaki") / "data"
    for name, packed in zip(("gold", "silver"), _load_lexicon()):
        d = _grow(json.loads((root / f"us_{name}.json").read_text(encoding="utf-8")))
        assert len(packed) == len(d)
        assert all(packed.get(k) == v for k, v in d.items())
        assert dict(packed.items()) == d
    small = PackedLexicon({"read": {"DEFAULT": "ɹˈid", "VBD": "ɹˈɛd"}, "cat": "kˈæt"})
    assert small["read"]["VBD"] == "ɹˈɛd" and small.get("cat") == "kˈæt" and "dog" not in small
    with pytest.raises(KeyError):
        small["dog"]


def test_g2p_resident_memory():
    """The lexicons cost ~15 MB resident in a fresh process (as dicts they held ~55 MB)."""
    code = ("import re, numpy, kokoro_litert.runtime.g2p as m\n"
            "rss = lambda: int(re.search(r'RssAnon:\\s+(\\d+)', open('/proc/self/status').read()).group(1)) // 1024\n"
            "before = rss(); m.G2P().phonemize('Hello there.'); print(rss() - before)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    grown = int(r.stdout.split()[-1])
    print(f"\nG2P resident growth: {grown} MB")
    assert grown <= 30
