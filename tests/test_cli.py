"""The ``kokoro-litert`` CLI as a user runs it: a subprocess on the real bundle.

Good input gives a valid 24 kHz WAV (file or stdout); every bad input gives a non-zero exit code,
exactly one readable error line on stderr (no traceback) and no output file.
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

pytestmark = pytest.mark.real

SR = 24000
TEXT = "The museum opens at nine, and the guided tour starts right after."


def cli(*args: str, bundle=None, timeout: int = 300, text: bool = True, **kw) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if bundle is not None:
        env["KOKORO_LITERT_BUNDLE"] = str(bundle)
    return subprocess.run([sys.executable, "-m", "kokoro_litert.cli", *args], capture_output=True,
                          text=text, env=env, timeout=timeout, **kw)


@pytest.fixture(scope="module")
def said(real_bundle, tmp_path_factory):
    """``say TEXT -o out.wav`` once, shared by the tests that compare against it."""
    out = tmp_path_factory.mktemp("say") / "out.wav"
    r = cli("say", TEXT, "-o", str(out), bundle=real_bundle)
    assert r.returncode == 0, r.stderr[-3000:]
    return out, r


def test_say_writes_a_24khz_wav(said):
    out, r = said
    info = sf.info(str(out))
    assert (info.samplerate, info.channels, info.format, info.subtype) == (SR, 1, "WAV", "PCM_16")
    audio, sr = sf.read(str(out), dtype="float32")
    words = len(TEXT.split())
    assert 0.15 * words <= len(audio) / sr <= 1.0 * words
    assert np.abs(audio).max() > 0.05 and np.isfinite(audio).all()
    assert "wrote" in r.stdout and "RTF" in r.stdout
    assert not [p for p in out.parent.iterdir() if p.name != out.name]  # no temporary files left


def test_say_from_file_matches_argument(said, real_bundle, tmp_path):
    src = tmp_path / "text.txt"
    src.write_text(TEXT + "\n", encoding="utf-8")
    out = tmp_path / "file.wav"
    r = cli("say", "--file", str(src), "-o", str(out), bundle=real_bundle)
    assert r.returncode == 0, r.stderr[-3000:]
    a, _ = sf.read(str(out), dtype="int16")
    b, _ = sf.read(str(said[0]), dtype="int16")
    np.testing.assert_array_equal(a, b)  # same text, same default seed


def test_stream_pcm_to_stdout(said, real_bundle):
    r = cli("say", TEXT, "--stream", "pcm", bundle=real_bundle, text=False)
    assert r.returncode == 0, r.stderr[-3000:]
    ref, _ = sf.read(str(said[0]), dtype="int16")
    assert len(r.stdout) == 2 * len(ref)  # raw little-endian int16, one sample per 2 bytes
    pcm = np.frombuffer(r.stdout, "<i2")
    assert np.abs(pcm.astype(np.int32) - ref).max() <= 2  # same audio (int16 rounding may differ by 1)


def test_stream_wav_to_stdout(said, real_bundle):
    r = cli("say", TEXT, "--stream", "wav", bundle=real_bundle, text=False)
    assert r.returncode == 0, r.stderr[-3000:]
    data = r.stdout
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt "
    fmt_size, fmt, channels, sr, byte_rate, align, bits = struct.unpack("<IHHIIHH", data[16:36])
    assert (fmt_size, fmt, channels, sr, byte_rate, align, bits) == (16, 1, 1, SR, 2 * SR, 2, 16)
    assert data[36:40] == b"data"
    ref, _ = sf.read(str(said[0]), dtype="int16")
    assert len(data) - 44 == 2 * len(ref)
    # an ordinary WAV reader accepts the open-ended header as it would from a pipe
    audio, rate = sf.read(io.BytesIO(data), dtype="int16")
    assert rate == SR and len(audio) == len(ref)


def test_voices_lists_the_bundle_voices(real_bundle):
    r = cli("voices", bundle=real_bundle)
    assert r.returncode == 0, r.stderr[-3000:]
    names = r.stdout.split()
    assert "af_heart" in names and "am_michael" in names
    assert len(names) == 28 and names == sorted(names)


# --------------------------------------------------------------------------------------------
# Bad input: exit code != 0, one readable line on stderr, no traceback, no output left behind
# --------------------------------------------------------------------------------------------


def _bundle_copy(src, dst, omit=(), copy=()):
    """A copy of the bundle made of hard links, except files in ``copy`` (real copies, safe to
    modify) and ``omit`` (left out). The real bundle and the cache are never written to."""
    dst.mkdir()
    for f in src.iterdir():
        if f.name in omit:
            continue
        (shutil.copyfile if f.name in copy else os.link)(f, dst / f.name)
    return dst


def _missing_file_bundle(real_bundle, tmp):
    return ["--bundle", str(_bundle_copy(real_bundle, tmp / "bundle", omit={"vocoder.tflite"}))]


def _corrupt_bundle(real_bundle, tmp):
    b = _bundle_copy(real_bundle, tmp / "bundle", copy={"prosody.tflite"})
    with open(b / "prosody.tflite", "r+b") as f:  # a real copy: flip one byte, keep the size
        f.seek(os.path.getsize(b / "prosody.tflite") // 2)
        byte = f.read(1)
        f.seek(-1, os.SEEK_CUR)
        f.write(bytes([byte[0] ^ 0xFF]))
    return ["--bundle", str(b)]


def _bad_voice_file(real_bundle, tmp):
    bad = tmp / "bad_voice.bin"
    np.zeros((100, 256), "<f4").tofile(bad)  # raw float32, but 100 rows instead of 510
    return ["--voice", str(bad)]


BAD_INPUTS = {
    # name: (extra args or a function(real_bundle, tmp) -> args, text, substring of the error)
    "empty text": ([], "", "text is empty"),
    "whitespace text": ([], "   \n\t ", "text is empty"),
    "nothing pronounceable": ([], "... !!! ???", "nothing pronounceable"),
    "word longer than the largest bucket": ([], "Zorblaxifentrumoquativelinsporphagondrixe", "needs"),
    "unknown voice": (["--voice", "zz_nobody"], TEXT, "unknown voice 'zz_nobody'"),
    "voice file of the wrong shape": (_bad_voice_file, TEXT, "not a raw voice pack"),
    "speed too high": (["--speed", "3"], TEXT, "speed"),
    "speed too low": (["--speed", "0.1"], TEXT, "speed"),
    "bundle missing a file": (_missing_file_bundle, TEXT, "missing vocoder.tflite"),
    "bundle failing its checksum": (_corrupt_bundle, TEXT, "sha256"),
    "missing --file": (["--file", "/nonexistent/text.txt"], None, "No such file"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=lambda c: c.replace(" ", "-"))
def test_bad_input_gives_one_error_line_and_no_file(case, real_bundle, tmp_path):
    extra, text, message = BAD_INPUTS[case]
    if callable(extra):
        extra = extra(real_bundle, tmp_path)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "x.wav"
    args = ["say", *([text] if text is not None else []), *extra, "-o", str(out)]
    r = cli(*args, bundle=real_bundle)
    _assert_one_error_line(r, message)
    assert not out.exists() and not list(out_dir.iterdir())  # nothing, not even a temporary file


def test_output_in_a_missing_directory(real_bundle, tmp_path):
    out = tmp_path / "no" / "such" / "dir" / "x.wav"
    r = cli("say", TEXT, "-o", str(out), bundle=real_bundle)
    _assert_one_error_line(r, "does not exist")
    assert not (tmp_path / "no").exists()  # no directory created either


@pytest.mark.parametrize("mode", ["wav", "pcm"])
def test_bad_input_when_streaming_writes_nothing_to_stdout(mode, real_bundle):
    r = cli("say", "... !!!", "--stream", mode, bundle=real_bundle, text=False)
    assert r.stdout == b""  # not even a WAV header
    r.stderr = r.stderr.decode()
    _assert_one_error_line(r, "nothing pronounceable")


def _assert_one_error_line(r: subprocess.CompletedProcess, message: str) -> None:
    lines = r.stderr.strip().splitlines()
    assert r.returncode != 0, r
    assert "Traceback" not in r.stderr, r.stderr
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("kokoro-litert: error: "), lines[0]
    assert message in lines[0], lines[0]
    assert len(lines[0]) < 400 or "known voices" in lines[0]
