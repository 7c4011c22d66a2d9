"""The neural G2P fallback graph (converter/g2p_graph.py, runtime/g2p_graph.py).

Builds g2p.tflite from converter/g2p_model.npz (conversion ~25 s, then cached by content hash) and
checks that LiteRT reproduces the training-time model (converter/g2p_train.py) token for token, and
that the phoneme error rate on the held-out lexicon words stays at the documented figure.
"""

from __future__ import annotations

import random

import pytest

from kokoro_litert.runtime.g2p_graph import RULES, refine
from kokoro_litert.runtime.manifest import FORMAT_VERSION

# converter/g2p_fallback_eval.py on converter/g2p_heldout_words.txt (1,000 us_gold + 500 us_silver
# words CMUdict lacks, none of them in the training data), graph through LiteRT, Kokoro tokens,
# stress marks counted / removed.
HELDOUT_PER = 0.1300  # 1,000 us_gold alone: 15.60 % (espeak-ng 17.81 %)
HELDOUT_PER_NOSTRESS = 0.0938  # us_gold alone: 11.33 % (espeak-ng 13.74 %)
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

    import numpy as np

    from kokoro_litert.converter.g2p_fallback_eval import arpabet_to_misaki
    from kokoro_litert.converter.g2p_graph import MODEL_FILE

    vocab = json.loads((Path(__file__).resolve().parents[1] / "converter" / "kokoro_config.json").read_text())["vocab"]
    assert arpabet_to_misaki("AH1") == "ˈʌ" and arpabet_to_misaki("AH0") == "ə"
    assert arpabet_to_misaki("ER2") == "ˌɜɹ" and arpabet_to_misaki("ER0") == "əɹ"
    assert arpabet_to_misaki("EY1") == "ˈA" and arpabet_to_misaki("UW") == "u" and arpabet_to_misaki("<s>") == ""
    with np.load(MODEL_FILE) as z:
        symbols = [str(p) for p in z["phonemes"]]
    assert symbols[:3] == ["<pad>", "<s>", "</s>"] and all(len(p) == 1 for p in symbols[3:])
    assert set(symbols[3:]) <= set(vocab)


def test_model_file_is_pinned():
    from kokoro_litert.cache import sha256_file
    from kokoro_litert.converter.g2p_graph import MODEL_FILE, MODEL_SHA256

    assert sha256_file(MODEL_FILE) == MODEL_SHA256
    assert MODEL_FILE.stat().st_size < 3_200_000


@pytest.fixture(scope="module")
def graph(tmp_path_factory):
    from kokoro_litert.converter.g2p_graph import export_g2p_graph
    from kokoro_litert.runtime.g2p_graph import GraphFallback

    out = tmp_path_factory.mktemp("g2p")
    entry = export_g2p_graph(out)
    assert entry["file"] == "g2p.tflite" and (out / "g2p.tflite").stat().st_size == entry["bytes"]
    assert 2_000_000 < entry["bytes"] < 4_000_000
    assert entry["rules"] == []
    return GraphFallback(out / entry["file"], entry), entry


def test_graph_reproduces_the_trained_model(graph):
    """LiteRT's greedy decoding == the training-time model's (g2p_train.Model.greedy) id for id."""
    import torch

    from kokoro_litert.converter.g2p_fallback_eval import cmu_words, heldout_words
    from kokoro_litert.converter.g2p_graph import END_ID, MAX_PHONEMES, PAD_ID, START_ID, load_model

    fb, entry = graph
    model, letters, phonemes = load_model()
    assert entry["letters"] == letters and len(entry["phonemes"]) == len(phonemes)
    index = {c: i for i, c in enumerate(letters)}
    words = random.Random(0).sample([w.lower() for w in heldout_words() + cmu_words()], 300)
    words = [w for w in words if all(c in index for c in w)]
    for word in words:
        ref = model.greedy(torch.tensor([[index[c] for c in word]]), torch.tensor([len(word)]), n=MAX_PHONEMES)[0]
        want = []
        for i in ref.tolist():
            if i == END_ID:
                break
            want.append(START_ID if i == PAD_ID else i)
        assert fb.run_ids(word) == want + [0] * (MAX_PHONEMES - len(want)), word


def test_graph_metadata(graph):
    from kokoro_litert.converter.g2p_graph import MODEL_SHA256
    from kokoro_litert.runtime.bundle import graph_info

    fb, _ = graph
    signatures, meta = graph_info(fb.path)
    assert signatures == ["g2p"]
    assert meta == {"format": FORMAT_VERSION, "graph": "g2p", "signatures": ["g2p"], "weights_sha256": MODEL_SHA256}


def test_words_outside_the_alphabet(graph):
    fb, _ = graph
    assert fb("R2D2") is None and fb("Ωmega") is None and fb("") is None and fb("---") is None
    assert fb("café") == fb("cafe")
    assert fb("well-being") == fb("well") + fb("being")
    assert fb("O'Neill") == fb("o’neill") and fb("'tis'") == fb("tis")  # inner apostrophes: a letter; outer: dropped
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
