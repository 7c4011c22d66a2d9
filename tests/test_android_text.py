"""The Java front-end and the desktop CLI (android_demo) against the Python runtime, on the real CI bundle.

* Text: normalisation, chunking (text, pause) and phonemes of the Java core (``TextDump`` over
  ``Kokoro.chunks``) must equal the Python runtime's (``Kokoro(g2p_fallback="graph").phonemize``,
  the same neural fallback the app uses for words the lexicons lack) on every text of the repo's
  sentence sets (evaluation, parity, calibration and heteronym sentences, the normalisation table)
  plus multi-paragraph and over-long texts.
* Audio: ``android_demo/speak`` on text, with the Python runtime's source noise replayed, must give
  the same chunks, identical durations and audio with corr >= 0.999.

Needs a JDK and JNA (``make test`` installs them as root); missing tools fail, they do not skip.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from kokoro_litert.errors import TextError
from kokoro_litert.runtime import dsp
from kokoro_litert.runtime.engine import Engine
from kokoro_litert.runtime.normalize import normalize
from kokoro_litert.runtime.pipeline import Kokoro

from test_android_core import DEMO, _compile, _lib_litert, _tools

ROOT = Path(__file__).resolve().parents[1]

EXTRA_TEXTS = [
    "First paragraph, with a clause; and another one.\n\nSecond paragraph: it has a date, 2024-03-15, and $3.50.",
    "An extraordinarily long sentence that keeps going with many plain words and no punctuation at all so that "
    "the chunker has to split it between words because no clause boundary exists anywhere in it whatsoever",
    "Pneumonoultramicroscopicsilicovolcanoconiosis is a word, and so is floccinaucinihilipilification.",
    "Zyxwv quibbles with the Qwertyuiop of Blorfland at 3:30 pm.",
    "He said \"hello\" (quietly) — then left... Did she? Yes!",
    "😀 emoji, ünïcödé, and ＦＵＬＬＷＩＤＴＨ text; tabs\tand\u200bzero width.",
    "   ",
    "",
]


def _texts() -> list[str]:
    import test_heteronyms
    import test_normalize

    texts = []
    for name in ("kokoro_litert/eval_sentences.txt", "converter/parity_sentences.txt", "converter/calibration_sentences.txt"):
        texts += [ln.strip() for ln in (ROOT / name).read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    texts += [c[0] for c in test_normalize.CASES]
    texts += [c[0] for c in test_heteronyms.CASES + test_heteronyms.HELD_OUT]
    return list(dict.fromkeys(texts + EXTRA_TEXTS))


def _python_view(kokoro: Kokoro, text: str) -> dict:
    row = {"normalized": normalize(text)}
    try:
        row["chunks"] = [{"text": c.text, "phonemes": c.phonemes, "ids": list(c.ids), "pause": c.pause_s,
                          "dropped": list(c.dropped)} for c in kokoro.phonemize(text)]
    except TextError:
        row["error"] = "TextError"
    return row


@pytest.fixture(scope="module")
def java_classes(tmp_path_factory):
    javac, java, jna = _tools()
    classes = tmp_path_factory.mktemp("classes")
    _compile(javac, jna, classes)
    return java, os.pathsep.join([str(classes), jna])


def test_java_front_end_matches_python(real_bundle, java_classes, tmp_path):
    java, cp = java_classes
    texts = _texts()
    assert len(texts) >= 200
    (tmp_path / "texts.jsonl").write_text("".join(json.dumps(t) + "\n" for t in texts), encoding="utf-8")
    env = {**os.environ, "KOKORO_LITERT_LIB": str(_lib_litert())}
    r = subprocess.run([java, "-cp", cp, "dev.kokorolitert.desktop.TextDump", str(real_bundle),
                        str(tmp_path / "texts.jsonl"), str(tmp_path / "java.jsonl")],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-4000:]
    got = [json.loads(ln) for ln in (tmp_path / "java.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(got) == len(texts)

    kokoro = Kokoro(real_bundle, g2p_fallback="graph")
    mismatches = {"normalized": [], "chunks": [], "phonemes": []}
    for text, j in zip(texts, got):
        p = _python_view(kokoro, text)
        if j["normalized"] != p["normalized"]:
            mismatches["normalized"].append((text, j["normalized"], p["normalized"]))
        if ("error" in j) != ("error" in p):
            mismatches["chunks"].append((text, j.get("error", j.get("chunks")), p.get("error", p.get("chunks"))))
            continue
        if "error" in p:
            continue
        jc, pc = j["chunks"], p["chunks"]
        if [(c["text"], c["pause"]) for c in jc] != [(c["text"], round(c["pause"], 6)) for c in pc]:
            mismatches["chunks"].append((text, jc, pc))
        elif [(c["phonemes"], c["ids"], c["dropped"]) for c in jc] != [(c["phonemes"], c["ids"], c["dropped"]) for c in pc]:
            mismatches["phonemes"].append((text, [c["phonemes"] for c in jc], [c["phonemes"] for c in pc]))
    rates = {k: f"{len(v)}/{len(texts)}" for k, v in mismatches.items()}
    print(f"Java vs Python front-end mismatches on {len(texts)} texts: {rates}")
    for kind, rows in mismatches.items():
        assert not rows, f"{kind} differ on {len(rows)} of {len(texts)} texts, e.g. {rows[:3]}"


SPEAK_CASES = [  # text, voice, speed: sentences not used anywhere else in the tests
    ("The lighthouse keeper counted 27 ships before midnight. None of them stopped.", "af_heart", 1.0),
    ("Would you pass the salt, please? Thanks; that is plenty.", "am_michael", 1.25),
]


@pytest.mark.parametrize("text,voice,speed", SPEAK_CASES)
def test_speak_cli_matches_python(real_bundle, java_classes, tmp_path, monkeypatch, text, voice, speed):
    _tools()
    noises, durations = [], []
    draw, prepare = dsp.SourceNoise.draw, Engine.prepare

    def recording_draw(rng, n):
        noises.append(draw(rng, n))
        return noises[-1]

    def recording_prepare(self, *a, **k):
        p = prepare(self, *a, **k)
        durations.append(p.durations.tolist())
        return p

    monkeypatch.setattr(dsp.SourceNoise, "draw", staticmethod(recording_draw))
    monkeypatch.setattr(Engine, "prepare", recording_prepare)
    kokoro = Kokoro(real_bundle, g2p_fallback="graph")
    want = kokoro.synthesize(text, voice=voice, speed=speed, seed=0)
    np.savez(tmp_path / "noise.npz", **{f"noise_{i}": n.noise[0] for i, n in enumerate(noises)})

    out, report = tmp_path / "java.wav", tmp_path / "report.json"
    env = {**os.environ, "KOKORO_LITERT_LIB": str(_lib_litert())}
    r = subprocess.run([str(DEMO / "speak"), "--bundle", str(real_bundle), "-o", str(out), "--voice", voice,
                        "--speed", str(speed), "--noise-npz", str(tmp_path / "noise.npz"), "--report", str(report), text],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    print(r.stderr.strip().splitlines()[-1])
    chunks = json.loads(report.read_text(encoding="utf-8"))["chunks"]
    assert [c["phonemes"] for c in chunks] == [c.phonemes for c in want.chunks]
    assert [d for c in chunks for d in c["durations"]] == [d for ds in durations for d in ds]
    got, sr = sf.read(out, dtype="float32")
    assert sr == 24000 and got.shape == want.samples.shape
    corr = np.corrcoef(got, want.samples)[0, 1]
    print(f"{voice} x{speed}: {len(chunks)} chunks, {got.size / sr:.2f} s, corr {corr:.6f}")
    assert corr >= 0.999


def test_speak_cli_reads_stdin_and_fails_cleanly(real_bundle, tmp_path):
    _tools()
    env = {**os.environ, "KOKORO_LITERT_LIB": str(_lib_litert())}
    out = tmp_path / "stdin.wav"
    r = subprocess.run([str(DEMO / "speak"), "--bundle", str(real_bundle), "-o", str(out), "--seed", "1"],
                       input="Read from standard input.", capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    audio, sr = sf.read(out)
    assert sr == 24000 and audio.size > sr * 0.5 and np.abs(audio).max() > 0.05

    for args, stdin, what in [((), "   ", "empty"), (("--voice", "nobody"), "Hello.", "voice"),
                              (("--speed", "9"), "Hello.", "speed"), (("--bundle", str(tmp_path / "none")), "Hello.", "manifest")]:
        bad = tmp_path / f"bad-{what}.wav"
        r = subprocess.run([str(DEMO / "speak"), "--bundle", str(real_bundle), "-o", str(bad), *args],
                           input=stdin, capture_output=True, text=True, env=env, timeout=300)
        lines = r.stderr.strip().splitlines()
        assert r.returncode != 0 and len(lines) == 1 and lines[0].startswith("error:"), (what, r.stderr)
        assert not bad.exists() and not list(tmp_path.glob(".speak-*"))


@pytest.mark.real
def test_speak_cli_is_intelligible(real_bundle, tmp_path):
    """What the desktop CLI (the app's code path) says, as Whisper-base hears it."""
    from faster_whisper import WhisperModel
    from scipy.signal import resample_poly

    from kokoro_litert.evaluate import WHISPER_COMPUTE, score_transcript, whisper_model

    _tools()
    text = ("The museum opens at nine on Saturdays. Tickets cost twelve dollars, "
            "and children under five get in for free.")
    out = tmp_path / "heard.wav"
    env = {**os.environ, "KOKORO_LITERT_LIB": str(_lib_litert())}
    r = subprocess.run([str(DEMO / "speak"), "--bundle", str(real_bundle), "-o", str(out), "--seed", "3", text],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    audio, sr = sf.read(out, dtype="float32")
    model = WhisperModel(whisper_model(), device="cpu", compute_type=WHISPER_COMPUTE, cpu_threads=2)
    segs, _ = model.transcribe(resample_poly(audio, 2, 3).astype(np.float32), language="en", beam_size=5,
                               temperature=0.0, condition_on_previous_text=False)
    heard = " ".join(s.text for s in segs)
    score = score_transcript(text, heard)
    print(f"\nWhisper heard: {heard!r}: WER {score['wer']:.3f}")
    assert score["wer"] <= 0.1, heard


def test_export_android_copies_a_complete_checked_bundle(real_bundle, tmp_path):
    import sys

    from kokoro_litert.runtime.bundle import Bundle

    out = tmp_path / "android"
    r = subprocess.run([sys.executable, "-m", "kokoro_litert.cli", "export-android", "--bundle", str(real_bundle),
                        "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "adb push" in r.stdout
    m = json.loads((out / "manifest.json").read_text())
    listed = {e["file"] for e in (*m["graphs"].values(), m["voices"], *m["text"].values())}
    assert {p.name for p in out.iterdir()} == listed | {"manifest.json"}
    Bundle(out, verify=True)  # every file matches its sha256
