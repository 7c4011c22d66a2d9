"""The real-weights bundle: built by the CLI, parity gate passed, and refused when damaged."""

from __future__ import annotations

import json
import os
import shutil
import warnings

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


def test_manifest_records_the_gate_and_an_ungated_bundle_warns(real_bundle, tmp_path):
    from kokoro_litert.cache import sha256_file

    m = json.loads((real_bundle / MANIFEST).read_text())
    assert m["gate"] == {"status": "passed", "file": "parity.json", "sha256": sha256_file(real_bundle / "parity.json")}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Bundle(real_bundle)  # a gated bundle loads silently
    b = _copy_bundle(real_bundle, tmp_path / "b", copy={MANIFEST})
    m["gate"] = {"status": "skipped"}  # what `build --skip-gate` records
    (b / MANIFEST).write_text(json.dumps(m))
    with pytest.warns(UserWarning, match="parity gate skipped"):
        Bundle(b)


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
    # a quiet, honest log: no third-party import noise; one line per graph, also in build.log
    assert "Failed to load" not in result.stderr and "_pytree" not in result.stderr, result.stderr[-2000:]
    log = (out / "build.log").read_text()
    assert "vocoder [L128]" in log and "flags" in log and "parity gate passed" in log
    fp32 = json.loads((real_bundle / MANIFEST).read_text())
    assert m["graphs"]["vocoder"]["bytes"] < 0.55 * fp32["graphs"]["vocoder"]["bytes"]
    assert m["graphs"]["predictor"]["sha256"] == fp32["graphs"]["predictor"]["sha256"]  # stays fp32
    report = json.loads((out / "parity.json").read_text())
    assert report["passed"]
    assert all(c["magspec_corr"] >= 0.9995 and c["durations_equal"] for b in report["buckets"] for c in b["cases"])


# ------------------------------------------------------------------ runtime state follows the work


def _graph_with_copies(src, dst, keys):
    """``src`` (one signature) with its subgraph copied once per extra key: same shapes, shared weights."""
    import copy

    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    data = src.read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAs(data, 0))
    (sig,) = model.signatureDefs
    for i, key in enumerate(keys, start=1):
        model.subgraphs.append(copy.deepcopy(model.subgraphs[0]))
        extra = copy.deepcopy(sig)
        extra.subgraphIndex, extra.signatureKey = i, key
        model.signatureDefs.append(extra)
    builder = flatbuffers.Builder(len(data) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    dst.write_bytes(builder.Output())
    return dst


def test_graph_runner_prepares_lazily_and_keeps_state_within_budget(real_bundle, tmp_path, monkeypatch):
    """Buckets are prepared on first use only, and a graph past its state budget is compiled afresh
    (releasing every prepared bucket) before the next one is prepared; results do not change."""
    import threading
    import types

    import numpy as np

    from kokoro_litert.runtime import bundle as bundle_mod

    monkeypatch.setenv("KOKORO_LITERT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(bundle_mod.STATE_BUDGET, "prosody", 1.0)  # at most 130 frames' worth at once
    real = Bundle(real_bundle, verify=False)
    entry = json.loads(json.dumps(real.manifest["graphs"]["prosody"]))
    path = _graph_with_copies(real.path("prosody"), tmp_path / "prosody.tflite", ["L129", "L130"])
    for key in ("L129", "L130"):
        entry["signatures"][key] = entry["signatures"]["L128"]
    entry["sha256"] = "synthetic" + "0" * 20
    fake = types.SimpleNamespace(manifest={"graphs": {"prosody": entry}}, path=lambda graph: path)

    runner = bundle_mod.GraphRunner(fake, "prosody", threads=1)
    assert runner.prepared == frozenset() and runner.reloads == 0  # compiling prepares nothing
    rng = np.random.default_rng(0)
    spec = entry["signatures"]["L128"]["inputs"]
    inputs = {k: rng.standard_normal(v["shape"]).astype(v["dtype"]) for k, v in spec.items()}
    inputs["frame_mask"] = np.ones_like(inputs["frame_mask"])
    first = runner("L128", **inputs)
    assert runner.prepared == {"L128"} and runner.reloads == 0
    again = runner("L128", **inputs)
    assert runner.prepared == {"L128"} and runner.reloads == 0
    other = runner("L129", **inputs)  # 128 + 129 > 130: compiled afresh, only L129 prepared
    assert runner.prepared == {"L129"} and runner.reloads == 1
    for key in first:
        np.testing.assert_array_equal(first[key], again[key])
        np.testing.assert_allclose(first[key], other[key], rtol=1e-5, atol=1e-5)

    errors = []

    def speak(key):
        try:
            for _ in range(2):
                out = runner(key, **inputs)
                np.testing.assert_allclose(out["f0"], first["f0"], rtol=1e-5, atol=1e-5)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=speak, args=(k,)) for k in ("L128", "L129", "L130")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(runner.prepared) == 1 and runner.reloads >= 2


def _bundles_to_check(real_bundle):
    from kokoro_litert.runtime.bundle import default_bundle_dir

    default = default_bundle_dir()
    return [real_bundle] + ([default] if (default / MANIFEST).is_file() and (default / "parity.json").is_file() else [])


def test_a_short_sentence_never_prepares_the_largest_bucket(real_bundle):
    from kokoro_litert.runtime import Kokoro

    for directory in _bundles_to_check(real_bundle):
        tts = Kokoro(directory, threads=2, verify=False)
        audio = tts.synthesize("Hello there, how are you?", voice="af_heart")
        assert audio.duration_s > 0.5
        b, engine = tts.bundle, tts.engine
        n = len(tts.tokenizer.encode(audio.chunks[0].phonemes)) + 2  # with the boundary tokens
        buckets = {"predictor": b.tokens, "prosody": b.prosody_frames, "vocoder": b.frames}
        for graph, sizes in buckets.items():
            prepared = getattr(engine, graph).prepared
            assert prepared and prepared <= {f"{'T' if graph == 'predictor' else 'L'}{x}" for x in sizes}, prepared
            if len(sizes) > 1:  # the bundle has a larger bucket than this sentence needs: never set up
                assert f"{'T' if graph == 'predictor' else 'L'}{max(sizes)}" not in prepared, (directory, graph, prepared)
            assert getattr(engine, graph).reloads == 0  # nothing was set up and then released either
        assert f"T{b.pick_tokens(n)}" in engine.predictor.prepared
