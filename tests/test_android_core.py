"""The Android app's Java core (android_demo/core) against the Python runtime, on the JVM.

javac compiles the core, the desktop LiteRT graphs (JNA over libLiteRt.so from the ai-edge-litert
wheel) and a harness; this test writes the Python runtime's inputs and results for the real bundle
into a fixture directory, the harness recomputes them in Java and compares (DSP unit checks, the
tokenizer, manifest and voices readers, and whole utterances through the same three graphs).

Needs a JDK (javac/java >= 11) and JNA: `apt-get install -y default-jdk-headless libjna-java`.
Missing tools FAIL this test (they do not skip it): CI must install them.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "android_demo"
JNA_CANDIDATES = ("/usr/share/java/jna.jar",)
APT_HINT = "install them with: apt-get install -y default-jdk-headless libjna-java"

# Limits per case: with source noise (what the app does) the Java and Python pipelines agree to
# ~2e-4; the noise-free source is ill-conditioned: its unvoiced stretches are constant, so most
# STFT bins there have |X| ~ 1e-17 and an arbitrary angle that depends on the FFT's rounding, and
# the vocoder reads that angle. Inside Python alone, numpy's rfft vs a direct DFT moves the
# noise-free audio by corr 0.9990 / max abs 0.077, so that case gets a looser limit.
LIMITS = {"clean": (0.995, 0.25), "noisy": (0.999, 2e-3), "fast": (0.999, 2e-3)}  # (min corr, max abs err)

CASES = {
    # name: (phonemes, voice, speed, noise)
    "clean": ("həlˈO wˈɜɹld, ðɪs ɪz ə tˈɛst.", "af_heart", 1.0, "none"),
    "noisy": ("həlˈO wˈɜɹld, ðɪs ɪz ə tˈɛst.", "af_heart", 1.0, "seeded"),
    "fast": ("ðə kwˈɪk bɹˈWn fˈɑks.", "am_michael", 1.3, "seeded"),
}


def _tools() -> tuple[str, str, str]:
    javac, java = shutil.which("javac"), shutil.which("java")
    jna = next((p for p in JNA_CANDIDATES if os.path.isfile(p)), None)
    missing = [n for n, v in (("javac", javac), ("java", java), ("jna.jar", jna)) if v is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: {APT_HINT}")
    return javac, java, jna


def _lib_litert() -> Path:
    import ai_edge_litert

    lib = Path(ai_edge_litert.__file__).parent / "libLiteRt.so"
    assert lib.is_file(), f"{lib} not found (ai-edge-litert 2.3.0 ships it)"
    return lib


def _compile(javac: str, jna: str, out: Path) -> None:
    sources = sorted(str(p) for p in (DEMO / "core" / "src" / "main").rglob("*.java"))
    sources += sorted(str(p) for p in (DEMO / "desktop" / "src").rglob("*.java"))
    r = subprocess.run([javac, "--release", "11", "-encoding", "UTF-8", "-cp", jna, "-d", str(out), *sources],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"javac failed:\n{r.stdout}\n{r.stderr}"
    shutil.copy(ROOT / "runtime" / "bundle_format.json", out)  # the core's resource, as Gradle packages it


def _save(d: Path, name: str, a) -> None:
    np.save(d / f"{name}.npy", np.ascontiguousarray(a))  # C order: the Java reader rejects Fortran order


def _f0_curve(n: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(n) / 80.0
    f = 190 + 60 * np.sin(2 * np.pi * 0.4 * t) + 20 * np.sin(2 * np.pi * 3.3 * t) + rng.normal(0, 3, n)
    f[:6] = 0.0
    f[40:55] = rng.uniform(0, 9.9, 15)  # unvoiced, below the 10 Hz threshold
    f[90:100] = -2.0  # the predictor can emit small negative F0
    return f.astype(np.float32)


def _write_fixtures(fx: Path, bundle_dir: Path) -> dict[str, str]:
    from kokoro_litert.runtime import dsp
    from kokoro_litert.runtime.bundle import Bundle
    from kokoro_litert.runtime.engine import Engine
    from kokoro_litert.runtime.tokenizer import Tokenizer
    from kokoro_litert.runtime.voices import load_npz, style_for

    bundle = Bundle(bundle_dir, verify=False)
    m = bundle.manifest
    tok = Tokenizer(bundle.vocab)
    bank = load_npz(bundle.voices_path)
    rng = np.random.default_rng(1234)
    props = {
        "tokens": str(bundle.tokens),
        "frames": str(bundle.frames),
        "vocab_size": str(len(bundle.vocab)),
        "voice_count": str(len(m["voices"]["names"])),
        "l_bias": repr(float(m["source"]["l_linear_bias"][0])),
        "predictor_signatures": ",".join(f"T{t}" for t in bundle.tokens),
        "frame_signatures": ",".join(f"L{f}" for f in bundle.frames),
        "prosody_frames": str(bundle.prosody_frames),
        "prosody_signatures": ",".join(f"L{f}" for f in bundle.prosody_frames),
    }

    # tokenizer: known symbols plus ones outside the vocab (dropped)
    phon = "ðɪs ɪz ə tˈɛst 123 ☃ wɪð ʤʌŋk."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _save(fx, "tokenizer_ids", np.array(tok.encode(phon), np.int64))
    props["phonemes"] = phon

    # voices
    props["voice"], props["style_tokens"] = "af_heart", "17"
    _save(fx, "style", style_for(bank.get("af_heart"), 17)[0])

    # durations (half-way cases round to even; below 0.5 clamps to 1) and the alignment index
    d_in = np.array([0.2, 0.5, 1.5, 2.5, 3.4999, 3.5, 4.5, 7.25, 12.5, 0.0, 1.3, 2.6], np.float32)
    _save(fx, "durations_in", d_in)
    speeds = ["1.0", "1.3", "0.8"]
    props["speeds"] = ",".join(speeds)
    for s in speeds:
        _save(fx, f"durations_out_{s}", dsp.durations_to_frames(d_in, float(s)))
    _save(fx, "alignment_index", dsp.alignment_index(dsp.durations_to_frames(d_in, 1.0)))

    # sine source (noise-free and seeded noise), its STFT
    w = np.asarray(m["source"]["l_linear_weight"], np.float32)
    b = np.asarray(m["source"]["l_linear_bias"], np.float32)
    f0 = _f0_curve(160, rng)
    noise = dsp.SourceNoise.draw(rng, f0.size * dsp.UPSAMPLE_SCALE)
    _save(fx, "f0", f0)
    _save(fx, "noise", noise.noise[0])
    _save(fx, "rand_ini", noise.rand_ini[0])
    _save(fx, "source_clean", dsp.sine_source(f0, w, b, None))
    noisy = dsp.sine_source(f0, w, b, noise)
    _save(fx, "source_noisy", noisy)
    mag, ph = dsp.stft(noisy)
    _save(fx, "stft_mag", mag)
    _save(fx, "stft_phase", ph)

    # iSTFT of a random spectrum
    im = rng.gamma(1.0, 0.3, (11, 401)).astype(np.float32)
    ip = rng.uniform(-np.pi, np.pi, (11, 401)).astype(np.float32)
    _save(fx, "istft_mag", im)
    _save(fx, "istft_phase", ip)
    _save(fx, "istft_out", dsp.istft(im, ip))

    # join with a pause and fades
    ja, jb = rng.normal(0, 0.3, 2000).astype(np.float32), rng.normal(0, 0.3, 1500).astype(np.float32)
    _save(fx, "join_a", ja)
    _save(fx, "join_b", jb)
    props["join_pause"] = "0.1"
    _save(fx, "join_out", dsp.join([ja, jb], 0.1))

    # whole utterances through the Python runtime
    engine = Engine(bundle, threads=2)
    for name, (phonemes, voice, speed, kind) in CASES.items():
        ids = tok.encode(phonemes)
        style = style_for(bank.get(voice), len(ids))
        frames = int(dsp.durations_to_frames(engine.predict([0, *ids, 0], style)["durations"], speed).sum())
        nz = None
        if kind == "seeded":
            nz = dsp.SourceNoise.draw(rng, 2 * frames * dsp.UPSAMPLE_SCALE)
            _save(fx, f"{name}_noise", nz.noise[0])
        utt = engine.speak(ids, style, speed, noise=nz)
        _save(fx, f"{name}_ids", np.array(ids, np.int64))
        _save(fx, f"{name}_durations", utt.durations)
        _save(fx, f"{name}_audio", utt.audio)
        props.update({f"{name}.phonemes": phonemes, f"{name}.voice": voice, f"{name}.speed": repr(speed),
                      f"{name}.noise": "none" if kind == "none" else f"{name}_noise"})
        props[f"{name}.min_corr"], props[f"{name}.max_abs_err"] = map(repr, LIMITS[name])
    props["cases"] = ",".join(CASES)

    def esc(v: str) -> str:  # java.util.Properties escaping (read with a UTF-8 Reader)
        return v.replace("\\", "\\\\").replace("\n", "\\n").replace(":", "\\:").replace("=", "\\=").replace("#", "\\#")

    (fx / "expect.properties").write_text("".join(f"{k}={esc(v)}\n" for k, v in props.items()), encoding="utf-8")
    return props


def test_android_core_matches_python_runtime(real_bundle, tmp_path):
    javac, java, jna = _tools()
    lib = _lib_litert()
    classes, fx, out = tmp_path / "classes", tmp_path / "fixtures", tmp_path / "out"
    for d in (classes, fx, out):
        d.mkdir()
    _compile(javac, jna, classes)
    _write_fixtures(fx, Path(real_bundle))

    env = {**os.environ, "KOKORO_LITERT_LIB": str(lib)}
    cmd = [java, "-cp", os.pathsep.join([str(classes), jna]), "dev.kokorolitert.desktop.JvmParityHarness",
           str(real_bundle), str(fx), str(out)]
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(("PASS", "FAIL")) or re.match(r"\d+ passed, \d+ failed", ln)]
    print("\n".join(lines))
    summary = re.search(r"^(\d+) passed, (\d+) failed$", r.stdout, re.M)
    assert summary, f"no summary from the JVM harness (rc {r.returncode}):\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    assert r.returncode == 0 and int(summary.group(2)) == 0, "\n".join(ln for ln in lines if ln.startswith("FAIL")) + "\n" + r.stdout[-3000:]

    # independent re-check in Python of what the JVM wrote
    for name in CASES:
        got = np.load(out / f"{name}_audio.npy")
        want = np.load(fx / f"{name}_audio.npy")
        np.testing.assert_array_equal(np.load(out / f"{name}_durations.npy"), np.load(fx / f"{name}_durations.npy"))
        assert got.shape == want.shape
        assert np.corrcoef(got, want)[0, 1] >= LIMITS[name][0]
        assert np.abs(got - want).max() <= LIMITS[name][1]
