"""Voice packs: formats, shape checks, blending, style rows and the bundle's voices.npz."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from kokoro_litert.errors import ChecksumError, VoiceError
from kokoro_litert.runtime.voices import VoiceBank, load_npz, load_voice_file, save_npz, style_for


def _pack(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((510, 256)).astype(np.float32)


@pytest.fixture
def bank():
    return VoiceBank({"af_heart": _pack(0), "am_michael": _pack(1), "bf_emma": _pack(2)})


def test_runtime_voices_does_not_import_torch():
    code = "import sys, kokoro_litert.runtime.voices; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_raw_bin_roundtrip(tmp_path):
    pack = _pack(3)
    pack.astype("<f4").tofile(tmp_path / "v.bin")
    np.testing.assert_array_equal(load_voice_file(tmp_path / "v.bin"), pack)


def test_pt_pack(tmp_path):
    import torch
    pack = _pack(4)
    torch.save(torch.from_numpy(pack).unsqueeze(1), tmp_path / "v.pt")  # official [510, 1, 256]
    np.testing.assert_array_equal(load_voice_file(tmp_path / "v.pt"), pack)


def test_npz_archive_picks_by_name(tmp_path):
    path = tmp_path / "voices-v1.0.bin"  # kokoro-onnx's voices file: an .npz with a .bin suffix
    with open(path, "wb") as f:
        np.savez(f, af_heart=_pack(0), am_michael=_pack(1))
    np.testing.assert_array_equal(load_voice_file(path, "am_michael"), _pack(1))
    with pytest.raises(VoiceError, match="pick one of"):
        load_voice_file(path)
    with pytest.raises(VoiceError, match="am_michael"):
        load_voice_file(path, "am_micheal")


@pytest.mark.parametrize("shape", [(512, 256), (510, 128), (256,), (510, 2, 256)])
def test_wrong_shape_raises(tmp_path, shape):
    np.save(tmp_path / "bad.npy", np.zeros(shape, np.float32))
    with pytest.raises(VoiceError, match=r"\[510, 256\]"):
        load_voice_file(tmp_path / "bad.npy")
    with pytest.raises(VoiceError, match=r"\[510, 256\]"):
        VoiceBank({"bad": np.zeros(shape, np.float32)})


def test_wrong_size_raw_bin(tmp_path):
    np.zeros((512, 256), np.float32).tofile(tmp_path / "v019.bin")  # old v0.19 voices
    with pytest.raises(VoiceError, match=r"\[510, 256\]"):
        load_voice_file(tmp_path / "v019.bin")


def test_wrong_shape_pt(tmp_path):
    import torch
    torch.save(torch.zeros(511, 1, 256), tmp_path / "v.pt")
    with pytest.raises(VoiceError, match=r"\[510, 256\]"):
        load_voice_file(tmp_path / "v.pt")


def test_missing_file():
    with pytest.raises(VoiceError, match="no such voice file"):
        load_voice_file("/nonexistent/v.bin")


def test_blend_weights_normalised(bank):
    mix = bank.get("af_heart:0.7,am_michael:0.3")
    np.testing.assert_allclose(mix, 0.7 * _pack(0) + 0.3 * _pack(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bank.get("af_heart:7, am_michael:3"), mix, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bank.get("af_heart,bf_emma"), (_pack(0) + _pack(2)) / 2, rtol=1e-5, atol=1e-6)
    assert mix.dtype == np.float32 and mix.shape == (510, 256)


def test_blend_errors(bank):
    with pytest.raises(VoiceError, match="not a number"):
        bank.get("af_heart:x,am_michael:1")
    with pytest.raises(VoiceError, match="sum to zero"):
        bank.get("af_heart:0,am_michael:0")
    with pytest.raises(VoiceError, match=">= 0"):
        bank.get("af_heart:-1,am_michael:2")


def test_unknown_name_suggests_close_matches(bank):
    with pytest.raises(VoiceError, match="did you mean af_heart"):
        bank.get("af_hart")
    with pytest.raises(VoiceError, match="did you mean am_michael"):
        bank.get("af_heart:0.5,am_micheal:0.5")


def test_get_by_path(bank, tmp_path):
    _pack(9).tofile(tmp_path / "mine.bin")
    np.testing.assert_array_equal(bank.get(str(tmp_path / "mine.bin")), _pack(9))


def test_style_for_picks_row_and_clamps(bank):
    pack = bank.get("af_heart")
    np.testing.assert_array_equal(style_for(pack, 1), pack[0:1])
    np.testing.assert_array_equal(style_for(pack, 48), pack[47:48])
    np.testing.assert_array_equal(style_for(pack, 10_000), pack[509:510])
    np.testing.assert_array_equal(style_for(pack, 0), pack[0:1])
    assert style_for(pack, 5).shape == (1, 256) and style_for(pack, 5).dtype == np.float32


def test_npz_roundtrip_and_dir(bank, tmp_path):
    save_npz(bank, tmp_path / "voices.npz")
    again = load_npz(tmp_path / "voices.npz")
    assert again.names() == bank.names() == ["af_heart", "am_michael", "bf_emma"]
    for n in bank.names():
        np.testing.assert_array_equal(again.get(n), bank.get(n))
    _pack(5).tofile(tmp_path / "zz_extra.bin")
    from_dir = VoiceBank.from_dir(tmp_path)
    assert from_dir.names() == ["af_heart", "am_michael", "bf_emma", "zz_extra"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_corrupt_voices_tgz(tmp_path, monkeypatch):
    from kokoro_litert.converter import sources

    monkeypatch.setenv("KOKORO_LITERT_CACHE", str(tmp_path / "cache"))
    bad = tmp_path / "kokoro-js-1.2.1.tgz"
    bad.write_bytes(b"not a tarball")
    monkeypatch.setenv("KOKORO_LITERT_VOICES_TGZ", str(bad))
    with pytest.raises(ChecksumError):
        sources.fetch_voices(["af_heart"])
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []


@pytest.mark.real
def test_real_english_voices():
    from kokoro_litert.converter import sources

    paths = sources.fetch_voices()
    assert len(paths) == 28
    bank = VoiceBank({n: load_voice_file(p) for n, p in paths.items()})
    heart = bank.get("af_heart")
    assert heart.shape == (510, 256) and np.isfinite(heart).all()
    assert 0.01 < float(np.abs(heart).mean()) < 1.0
    mix = bank.get("af_heart:0.7,am_michael:0.3")
    np.testing.assert_allclose(mix, 0.7 * heart + 0.3 * bank.get("am_michael"), rtol=1e-5, atol=1e-6)
