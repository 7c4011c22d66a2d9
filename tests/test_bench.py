"""``kokoro-litert bench``: the report's shape (fast, synthetic) and a real ``--quick`` run (marked real).

No timing thresholds anywhere: the machine is shared and timings are noisy; we check that every
engine produced positive, finite numbers.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from kokoro_litert import bench

NUMBERS = ("audio_s", "best_s", "median_s", "rtf", "first_audio_s", "peak_rss_mb")


def _positive_finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


def _raw(total: float, audio: float, stages: bool = False) -> dict:
    run = {"total_s": total, "synth_s": total, "first_audio_s": total / 2, "audio_s": audio, "cpu_s": total}
    if stages:
        run["stages"] = {s: total / len(bench.STAGES) for s in bench.STAGES}
        run["phonemes_match"] = True
    return {"load_s": 1.0, "load_peak_rss_mb": 100.0, "peak_rss_mb": 200.0, "runs": [run, {**run, "total_s": total * 2}],
            "loadavg_before": 0.5, "loadavg_after": 0.7}


def test_summary_ratios_and_table():
    results = [
        bench._summarize("litert-fp32", "short", 2, _raw(1.0, 2.0, stages=True)),
        bench._summarize("pytorch", "short", 2, _raw(2.0, 2.0)),
        bench._summarize("onnxruntime-int8", "short", 2, _raw(0.5, 2.0)),
    ]
    lite = results[0]
    assert lite["best_s"] == 1.0 and lite["median_s"] == 1.5 and lite["rtf"] == 0.5
    assert set(lite["stages"]) == set(bench.STAGES) and abs(sum(lite["stage_share"].values()) - 1) < 1e-9
    assert results[1]["stages"] == {}
    (ratios,) = bench.compute_ratios(results)
    assert ratios["litert/pytorch"]["rtf"] == pytest.approx(0.5)
    assert ratios["litert/onnxruntime"]["rtf"] == pytest.approx(2.0)
    report = {"machine": bench.describe_machine(), "bundle": {"tokens": [32], "frames": [128]}, "voice": "af_heart",
              "runs": 2, "results": results, "ratios": [ratios]}
    table = bench.format_tables(report)
    for engine in bench.ENGINES:
        assert engine in table
    assert "vocoder" in table
    json.dumps(report)  # serialisable


def test_errors_are_reported_not_summarized():
    row = bench._summarize("pytorch", "long", 1, {"error": "worker exited with 1", "log_tail": ["boom"]})
    assert row["error"] and "best_s" not in row
    assert bench.compute_ratios([row]) == []
    assert "ERROR" in bench.format_tables({"machine": {}, "bundle": {"tokens": [], "frames": []}, "voice": "x",
                                           "runs": 1, "results": [row], "ratios": []})


def test_machine_description():
    m = bench.describe_machine()
    assert m["logical_cpus"] >= 1 and m["python"]
    assert m["versions"]["kokoro-litert"]


def test_threads_parsing():
    assert bench._parse_threads("1,2") == [1, 2]
    with pytest.raises(ValueError):
        bench._parse_threads("0")
    with pytest.raises(ValueError):
        bench._parse_threads("two")


@pytest.mark.real
def test_bench_quick_real(real_bundle, tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "kokoro_litert.cli", "bench", "--quick", "--json", str(out), "--bundle", str(real_bundle)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())

    machine = report["machine"]
    assert machine["cpu_model"] and machine["logical_cpus"] >= 1 and machine["versions"]["ai-edge-litert"]

    results = report["results"]
    assert {r["engine"] for r in results} == set(bench.ENGINES) and len(results) == 3
    for r in results:
        assert "error" not in r, r
        assert r["text"] == "short" and r["threads"] == 2
        for key in NUMBERS:
            assert _positive_finite(r[key]), (r["engine"], key, r[key])
    # the same phonemes were spoken: audio lengths agree to within a few frames
    lengths = [r["audio_s"] for r in results]
    assert max(lengths) - min(lengths) < 0.2, lengths

    lite = next(r for r in results if r["engine"] == "litert-fp32")
    assert lite["phonemes_match"] is True
    assert set(bench.STAGES) <= set(lite["stages"])
    for stage, seconds in lite["stages"].items():
        assert math.isfinite(seconds) and seconds >= 0, (stage, seconds)
    for stage in ("predictor", "prosody", "vocoder"):
        assert lite["stages"][stage] > 0

    (ratios,) = report["ratios"]
    for key in ("litert/pytorch", "litert/onnxruntime"):
        for name, value in ratios[key].items():
            assert _positive_finite(value), (key, name, value)
    for engine in bench.ENGINES:
        assert engine in proc.stdout  # the table
