"""``kokoro-litert eval``: scoring plumbing on small inputs, and the real suite on the CI bundle."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from kokoro_litert import cli, evaluate
from kokoro_litert.runtime.engine import Utterance


# ------------------------------------------------------------------------------- text scoring


@pytest.mark.parametrize("written, spoken", [
    ("Meet me at 6:30.", "meet me at six thirty"),
    ("It leaves at 7:45 pm.", "It leaves at 7.45pm."),
    ("It leaves at 7:45 pm.", "It leaves at 7:45 p.m."),
    ("I paid $7 for 2 coffees.", "I paid seven dollars for two coffees"),
    ("She left on May 5th.", "She left on May fifth!"),
    ("Emma turned twenty-one.", "Emma turned 21."),
    ("Dr. Patel arrived.", "Doctor Patel arrived"),
    ("It's easy, isn't it?", "its easy isnt it"),
    ("A ticket costs £120.", "A ticket costs one hundred twenty pounds."),
    ("The   BOX was thrown.", "the box was thrown"),
])
def test_normalisation_makes_equivalent_text_equal(written, spoken):
    assert evaluate.normalize_for_scoring(written) == evaluate.normalize_for_scoring(spoken)
    score = evaluate.score_transcript(written, spoken)
    assert score["wer"] == 0 and score["cer"] == 0 and score["word_errors"] == 0


def test_score_counts_word_and_character_edits():
    score = evaluate.score_transcript("Tom bought 3 red apples.", "Tom bought three green apples")
    assert score["reference"] == "tom bought three red apples"
    assert score["words"] == 5 and score["word_errors"] == 1 and score["wer"] == pytest.approx(0.2)
    assert 0 < score["cer"] < 0.2 and score["chars"] == len("tom bought three red apples")
    silent = evaluate.score_transcript("Call Anna at noon.", "")
    assert silent["wer"] == 1 and silent["word_errors"] == 4


def _row(corr, logmel, same, word_errors, words, sim):
    fid = {"magspec_corr": corr, "logmel_db": logmel, "logmel_db_p99": 2 * logmel, "durations_same": same}
    asr = {"words": words, "word_errors": word_errors, "chars": 5 * words, "char_errors": word_errors,
           "wer": word_errors / words, "cer": word_errors / (5 * words)}
    return {"vs_reference": fid, "vs_pytorch": fid, "asr": asr, "similarity": {"vs_reference": sim, "vs_pytorch": sim}}


def test_summary_pools_errors_and_reports_mean_and_worst():
    rows = [_row(1.0, 0.0, 1.0, 0, 10, 0.99), _row(0.999, 0.2, 0.9, 1, 2, 0.97)]
    s = evaluate.summarize(rows)
    assert s["asr"]["wer"] == pytest.approx(1 / 12)  # pooled over words, not the mean of 0 and 0.5
    assert s["asr"]["wer_worst"] == pytest.approx(0.5)
    for side in ("vs_reference", "vs_pytorch"):
        assert s[side]["magspec_corr"] == {"mean": pytest.approx(0.9995), "worst": pytest.approx(0.999)}
        assert s[side]["logmel_db"]["worst"] == pytest.approx(0.2)  # worst = largest distance
        assert s[side]["durations_same"]["worst"] == pytest.approx(0.9)
    assert s["similarity"]["vs_pytorch"] == {"mean": pytest.approx(0.98), "worst": pytest.approx(0.97)}
    no_pt = [{**r, "vs_pytorch": None} for r in rows]
    assert "vs_pytorch" not in evaluate.summarize(no_pt)


# ------------------------------------------------------------------------------- speech plumbing


def _utt(n_ids, frames_each=3, seed=0):
    rng = np.random.default_rng(seed)
    return Utterance(audio=rng.standard_normal(600 * frames_each * (n_ids + 2)).astype(np.float32),
                     durations=np.full(n_ids + 2, frames_each))


def test_parts_follow_the_runtime_split_at_a_dropped_space():
    ids = [5, 6, 16, 7, 8, 9, 16, 10]  # 16 is the space token the runtime splits at
    assert evaluate._parts(ids, [_utt(8)]) == [ids]
    assert evaluate._parts(ids, [_utt(2), _utt(5)]) == [[5, 6], [7, 8, 9, 16, 10]]
    assert evaluate._parts(ids, [_utt(2), _utt(3), _utt(1)]) == [[5, 6], [7, 8, 9], [10]]


def test_compare_and_joined_audio():
    a = evaluate.Speech([[[1, 2]], [[3]]], [[_utt(2)], [_utt(1, seed=1)]], seconds=0.5, pauses=[0.3])
    same = evaluate.compare(a, a)
    assert same["magspec_corr"] == pytest.approx(1.0, abs=1e-12) and same["logmel_db"] == 0
    assert same["durations_same"] == 1.0
    assert len(a.audio) == len(a.raw) + round(0.3 * a.sample_rate)
    assert a.speech_s == pytest.approx(len(a.raw) / 24000)
    other = evaluate.Speech([[[1, 2, 3]]], [[_utt(3, seed=2)]], seconds=0.5, pauses=[])
    assert evaluate.compare(other, a)["durations_same"] == 0.0  # split differently: all counted as differing


# ------------------------------------------------------------------------------- sentence set


def test_sentence_set():
    from kokoro_litert.runtime.g2p import G2P
    from kokoro_litert.runtime.tokenizer import Tokenizer

    full, quick = evaluate.load_sentences(), evaluate.load_sentences(quick=True)
    assert len(full) >= 60 + 10 and quick == full[: evaluate.QUICK] and len(set(full)) == len(full)
    assert sum(any(c.isdigit() for c in s) for s in full) >= 10
    parity = resources.files("kokoro_litert.converter").joinpath("parity_sentences.txt").read_text()
    assert not set(full) & {line.strip() for line in parity.splitlines()}
    vocab = json.loads(resources.files("kokoro_litert.converter").joinpath("kokoro_config.json").read_text())["vocab"]
    g2p, tokenizer = G2P(), Tokenizer(vocab)
    assert max(len(tokenizer.encode(g2p.phonemize(s))) for s in quick) <= 28  # unsplit in the CI bundle (T=32)


def test_whisper_pins_cover_the_model_dir():
    assert set(evaluate.WHISPER_FILES) == {"model.bin", "config.json", "tokenizer.json", "vocabulary.json"}
    assert all(len(p.sha256) == 64 for p in evaluate.WHISPER_PARTS)


def test_missing_bundle_is_one_line_error(tmp_path, capsys):
    assert cli.main(["eval", "--quick", "--bundle", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no manifest.json" in err[0]


# ------------------------------------------------------------------------------- the real suite


@pytest.mark.real
def test_eval_quick_on_the_ci_bundle(real_bundle, tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert cli.main(["eval", "--quick", "--bundle", str(real_bundle), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["suite"] == "quick" and report["sentences"] == evaluate.QUICK
    assert report["reference"] == str(real_bundle.resolve())
    assert report["machine"]["cpu_model"] and "flags" in report["machine"]
    ci, pt = report["results"]
    assert (ci["name"], pt["name"]) == (real_bundle.name, "pytorch")
    assert ci["name"] in table and "pytorch" in table
    assert len(ci["sentences"]) == evaluate.QUICK and all(s["segments"] == 1 for s in ci["sentences"])
    assert ci["size_bytes"]["total"] == sum(v for k, v in ci["size_bytes"].items() if k != "total") > 1e8
    assert 0 < ci["speed"]["rtf"] < 10 and ci["speed"]["audio_s"] > 8

    assert ci["vs_reference"]["magspec_corr"]["worst"] == pytest.approx(1.0, abs=1e-12)
    assert ci["vs_pytorch"]["magspec_corr"]["worst"] >= 0.9995
    assert ci["vs_pytorch"]["durations_same"]["worst"] == 1.0
    assert ci["asr"]["wer"] <= 0.1, [(s["asr"]["reference"], s["asr"]["transcript"]) for s in ci["sentences"]]
    assert ci["similarity"]["vs_pytorch"]["worst"] >= 0.95
    assert ci["similarity"]["vs_reference"]["worst"] == pytest.approx(1.0, abs=1e-6)
    assert pt["asr"]["wer"] <= 0.1 and "vs_pytorch" not in pt and "size_bytes" not in pt
