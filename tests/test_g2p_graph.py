"""The neural G2P fallback graph (converter/g2p_graph.py, runtime/g2p_graph.py).

Builds g2p.tflite (pip downloads the pinned g2p-en wheel once; conversion ~15 s, then cached by
content hash) and checks that LiteRT reproduces g2p-en's own numpy inference, and that the phoneme
error rate on the held-out lexicon words stays at the documented figure.
"""

from __future__ import annotations

import random

import pytest

from kokoro_litert.runtime.g2p_graph import RULES, refine

# converter/g2p_fallback_eval.py on converter/g2p_heldout_words.txt (1,000 us_gold + 500 us_silver
# words CMUdict lacks), graph through LiteRT, Kokoro tokens, stress marks counted / removed.
HELDOUT_PER = 0.2628
HELDOUT_PER_NOSTRESS = 0.2308
MARGIN = 0.003


@pytest.mark.parametrize("tokens, want", [
    (["b", "ˈʌ", "t", "ə", "n"], "bˈʌtn"),  # glottal ʔn, written tn for Kokoro v1.0
    (["w", "ˈɔ", "t", "əɹ"], "wˈɔTəɹ"),  # flap
    (["p", "ˈɑɹ", "t", "i"], "pˈɑɹTi"),  # flap after ɹ
    (["s", "ˈɪ", "t", "i"], "sˈɪTi"),
    (["ə", "t", "ˈæ", "k"], "ətˈæk"),  # stressed vowel next: no flap
    (["h", "ˈæ", "n", "d", "ə", "l"], "hˈændᵊl"),  # syllabic l
    (["w", "ˈɑ", "n", "t", "ɪ", "d"], "wˈɑntᵻd"),  # -ed
    (["w", "ˈeɪ", "t", "ɪ", "d"], "wˈeɪTᵻd"),  # flap, then -ed
    (["b", "ˈɑ", "k", "s", "ɪ", "z"], "bˈɑksᵻz"),  # -es
    (["d", "ɪ", "v", "ˈI", "z", "əɹ"], "dəvˈIzəɹ"),  # reduced i
    (["ɹ", "ˈʌ", "n", "ɪ", "ŋ"], "ɹˈʌnɪŋ"),  # -ing keeps ɪ
])
def test_refine(tokens, want):
    assert "".join(refine(tokens)) == want


def test_refine_rules_are_separable():
    assert "".join(refine(["w", "ˈɔ", "t", "əɹ"], rules=())) == "wˈɔtəɹ"
    assert "".join(refine(["w", "ˈɔ", "t", "əɹ"], rules=[r for r in RULES if r != "flap"])) == "wˈɔtəɹ"


def test_mapping_covers_the_vocabulary():
    import json
    from pathlib import Path

    from kokoro_litert.converter.g2p_graph import ARPABET, PHONEMES, arpabet_to_misaki

    vocab = json.loads((Path(__file__).resolve().parents[1] / "converter" / "kokoro_config.json").read_text())["vocab"]
    assert len(PHONEMES) == len(ARPABET)
    assert arpabet_to_misaki("AH1") == "ˈʌ" and arpabet_to_misaki("AH0") == "ə"
    assert arpabet_to_misaki("ER2") == "ˌɜɹ" and arpabet_to_misaki("ER0") == "əɹ"
    assert arpabet_to_misaki("EY1") == "ˈA" and arpabet_to_misaki("UW") == "u" and arpabet_to_misaki("<s>") == ""
    assert {c for p in PHONEMES for c in p} | set("Tᵊᵻ") <= set(vocab)


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("litert_torch")
    from kokoro_litert.converter.g2p_graph import export_g2p_graph
    from kokoro_litert.runtime.g2p_graph import GraphFallback

    out = tmp_path_factory.mktemp("g2p")
    entry = export_g2p_graph(out)
    assert entry["file"] == "g2p.tflite" and (out / "g2p.tflite").stat().st_size == entry["bytes"]
    assert 1_000_000 < entry["bytes"] < 3_000_000
    return GraphFallback(out / entry["file"], entry), entry


def test_graph_reproduces_g2p_en(graph):
    """LiteRT's greedy decoding == g2p-en's own numpy code (taken from the wheel) token for token."""
    from kokoro_litert.converter.g2p_fallback_eval import cmu_words, heldout_words
    from kokoro_litert.converter.g2p_graph import decode_ids, wheel_reference

    fb, _ = graph
    ref = wheel_reference()
    words = random.Random(0).sample([w.lower() for w in heldout_words() + cmu_words()], 300)
    for word in words:
        tokens, finished = decode_ids(fb.run_ids(word))
        want = ref.predict(word)  # stops at 20 tokens; the graph at 32
        assert tokens[:20] == want and (finished or len(want) == 20), word


def test_words_outside_the_alphabet(graph):
    fb, _ = graph
    assert fb("R2D2") is None and fb("Ωmega") is None and fb("") is None and fb("---") is None
    assert fb("café") == fb("cafe")
    assert fb("well-being") == fb("well") + fb("being")
    assert fb("O'Neill") == fb("o’neill") != fb("oneill")  # inner apostrophe: the model's <unk>, as trained
    long = "pneumonoultramicroscopicsilicovolcanoconiosis"  # 45 letters: spelled in halves
    assert len(long) > graph[1]["max_letters"] and fb(long)


def test_heldout_per(graph):
    """The documented phoneme error rate on the held-out words (fails if it gets worse)."""
    from kokoro_litert.converter.g2p_fallback_eval import heldout_words, kokoro_spelling, lexicon, score

    fb, _ = graph
    lex = lexicon()
    row = score([(fb(w), kokoro_spelling(lex[w][1])) for w in heldout_words()])
    assert row["words"] == 1500 and row["no_output"] == 0
    assert row["per"] <= HELDOUT_PER + MARGIN, row
    assert row["per_nostress"] <= HELDOUT_PER_NOSTRESS + MARGIN, row
