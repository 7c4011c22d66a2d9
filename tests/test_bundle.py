"""The real-weights bundle: built by the CLI, parity gate passed, and refused when damaged."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from kokoro_litert.errors import BundleError
from kokoro_litert.runtime.bundle import MANIFEST, Bundle

pytestmark = pytest.mark.real


def test_parity_gate_passed(real_bundle):
    report = json.loads((real_bundle / "parity.json").read_text())
    assert report["passed"]
    cases = [c for b in report["buckets"] for c in b["cases"]]
    assert len(cases) >= 3
    tokens = {c["tokens"] for c in cases}
    assert 3 in tokens and 32 in tokens  # the shortest and the longest that fit T=32
    for c in cases:
        assert c["durations_equal"]
        assert c["magspec_corr"] >= 0.9995
        assert c["logmel_db"] < 0.1
        assert set(c["max_abs"]) == {"predictor", "prosody", "vocoder"}


def test_manifest_describes_the_graphs(real_bundle):
    m = json.loads((real_bundle / MANIFEST).read_text())
    assert m["buckets"] == {"tokens": [32], "prosody_frames": [128], "frames": [128]}
    assert m["graphs"]["predictor"]["signatures"]["T32"]["inputs"]["tokens"] == {"shape": [1, 32], "dtype": "int32"}
    assert m["graphs"]["vocoder"]["signatures"]["L128"]["outputs"]["magnitude"]["shape"] == [1, 11, 120 * 128 + 1]
    assert m["model"]["parameters_matched"] > 81_100_000
    assert len(m["vocab"]) == 114 and m["audio"]["sample_rate"] == 24000
    assert "af_heart" in m["voices"]["names"]
    Bundle(real_bundle)  # verifies sizes, sha256 and signatures


def _copy_bundle(src, dst, copy=()):
    dst.mkdir()
    for f in src.iterdir():
        (shutil.copyfile if f.name in copy else os.link)(f, dst / f.name)
    return dst


def test_missing_file_is_refused(real_bundle, tmp_path):
    b = _copy_bundle(real_bundle, tmp_path / "b")
    (b / "prosody.tflite").unlink()
    with pytest.raises(BundleError, match="missing prosody.tflite"):
        Bundle(b)


def test_corrupt_file_is_refused(real_bundle, tmp_path):
    b = _copy_bundle(real_bundle, tmp_path / "b", copy={"voices.npz"})
    data = bytearray((b / "voices.npz").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (b / "voices.npz").write_bytes(bytes(data))
    with pytest.raises(BundleError, match="sha256"):
        Bundle(b)


def test_bucket_mismatch_is_refused(real_bundle, tmp_path):
    b = _copy_bundle(real_bundle, tmp_path / "b", copy={MANIFEST})
    m = json.loads((b / MANIFEST).read_text())
    m["buckets"]["frames"] = [128, 256]
    (b / MANIFEST).write_text(json.dumps(m))
    with pytest.raises(BundleError, match="do not match"):
        Bundle(b)


def test_no_manifest_is_refused(tmp_path):
    with pytest.raises(BundleError, match="no manifest.json"):
        Bundle(tmp_path)


def test_fp16_bundle_passes_the_same_end_to_end_gate(real_bundle, tmp_path):
    """--precision fp16: the vocoder's weights in half precision (half its bytes), same gate."""
    import subprocess
    import sys

    out = tmp_path / "fp16"
    cmd = [sys.executable, "-m", "kokoro_litert.cli", "build", "--buckets", "ci", "--precision", "fp16", "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    m = json.loads((out / MANIFEST).read_text())
    assert m["precision"] == "fp16"
    fp32 = json.loads((real_bundle / MANIFEST).read_text())
    assert m["graphs"]["vocoder"]["bytes"] < 0.55 * fp32["graphs"]["vocoder"]["bytes"]
    assert m["graphs"]["predictor"]["sha256"] == fp32["graphs"]["predictor"]["sha256"]  # stays fp32
    report = json.loads((out / "parity.json").read_text())
    assert report["passed"]
    assert all(c["magspec_corr"] >= 0.9995 and c["durations_equal"] for b in report["buckets"] for c in b["cases"])
