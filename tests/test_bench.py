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
    raw_lite = {**_raw(1.0, 2.0, stages=True), "peak_anon_mb": 80.0, "peak_file_mb": 110.0, "end_anon_mb": 70.0}
    results = [
        bench._summarize("litert-fp32", "short", 2, raw_lite),
        bench._summarize("litert-fp16", "short", 2, raw_lite),
        bench._summarize("pytorch", "short", 2, _raw(2.0, 2.0)),
        bench._summarize("onnxruntime-int8", "short", 2, _raw(0.5, 2.0)),
    ]
    lite = results[0]
    assert lite["best_s"] == 1.0 and lite["median_s"] == 1.5 and lite["rtf"] == 0.5
    assert lite["peak_rss_mb"] == 200.0 and lite["peak_anon_mb"] == 80.0 and lite["peak_file_mb"] == 110.0
    assert set(lite["stages"]) == set(bench.STAGES) and abs(sum(lite["stage_share"].values()) - 1) < 1e-9
    assert results[2]["stages"] == {} and results[2]["peak_anon_mb"] is None
    ratios = bench.compute_ratios(results)
    assert [r["engine"] for r in ratios] == ["litert-fp32", "litert-fp16"]  # one row per LiteRT engine
    assert ratios[0]["litert/pytorch"]["rtf"] == pytest.approx(0.5)
    assert ratios[0]["litert/onnxruntime"]["rtf"] == pytest.approx(2.0)
    startup = [{"engine": "litert-fp32", "xnnpack": mode, "threads": 2, "import_s": 0.5, "construct_s": 1.0,
                "first_audio_s": 0.3, "first_short_s": 0.6, "peak_rss_mb": 300.0, "peak_anon_mb": 100.0,
                "peak_file_mb": 150.0, "xnnpack_cache_mb": 120.0} for mode in ("cold", "warm")]
    machine = bench.describe_machine()
    report = {"machine": machine, "bundles": [{"engine": "litert-fp32", "tokens": [32], "frames": [128]}],
              "voice": "af_heart", "runs": 2, "results": results, "ratios": ratios, "startup": startup}
    table = bench.format_tables(report)
    for engine in (*bench.ENGINES, "litert-fp16"):
        assert engine in table
    assert "vocoder" in table and "anon" in table and "cold" in table and "warm" in table
    assert machine["cpu_model"] in table and all(flag in table for flag in machine.get("flags", []))
    json.dumps(report)  # serialisable


def test_engine_names_follow_the_manifest_precision():
    assert bench.litert_engine_names([("/b/default", "fp32")]) == ["litert-fp32"]
    assert bench.litert_engine_names([("/b/default", None)]) == ["litert-fp32"]  # bundles before the key
    assert bench.litert_engine_names([("/b/a", "fp32"), ("/b/b", "fp16")]) == ["litert-fp32", "litert-fp16"]
    assert bench.litert_engine_names([("/b/ci", "fp32"), ("/b/default", "fp32"), ("/b/h", "fp16")]) == [
        "litert-fp32-ci", "litert-fp32-default", "litert-fp16"]
    names = bench.litert_engine_names([("/x/ci", "fp32"), ("/y/ci", "fp32")])
    assert len(set(names)) == 2 and all(n.startswith("litert-fp32-ci") for n in names)


def test_defaults_live_in_one_place():
    import argparse

    p = argparse.ArgumentParser()
    bench.add_arguments(p)
    assert bench.resolve_settings(p.parse_args([])) == bench.DEFAULTS
    assert bench.resolve_settings(p.parse_args(["--quick"])) == bench.QUICK
    s = bench.resolve_settings(p.parse_args(["--quick", "--runs", "2", "--threads", "1", "--no-startup"]))
    assert (s.runs, s.threads, s.texts, s.startup) == (2, (1,), bench.QUICK.texts, False)
    s = bench.resolve_settings(p.parse_args(["--texts", "short,long", "--voice", "am_michael"]))
    assert s.texts == ("short", "long") and s.voice == "am_michael" and s.runs == bench.DEFAULTS.runs
    args = p.parse_args(["--bundle", "a", "--bundle", "b"])
    assert [d.name for d in bench._bundle_dirs(args)] == ["a", "b"]
    from kokoro_litert.cli import build_parser

    cli_args = build_parser().parse_args(["bench", "--quick", "--bundle", "x"])  # the CLI uses the same options
    assert bench.resolve_settings(cli_args) == bench.QUICK and [d.name for d in bench._bundle_dirs(cli_args)] == ["x"]
    with pytest.raises(ValueError):
        bench.resolve_settings(p.parse_args(["--texts", "huge"]))


def test_status_memory_split():
    status = bench._status_mb()
    assert {"VmHWM", "VmRSS", "RssAnon", "RssFile"} <= set(status)
    assert status["RssAnon"] + status["RssFile"] <= status["VmRSS"] + 1 and status["VmRSS"] <= status["VmHWM"]
    assert bench._status_mb("/nonexistent/status") == {}


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
    assert report["engines"] == list(bench.ENGINES) and report["bundles"][0]["engine"] == "litert-fp32"
    for r in results:
        assert "error" not in r, r
        assert r["text"] == "short" and r["threads"] == 2
        for key in NUMBERS:
            assert _positive_finite(r[key]), (r["engine"], key, r[key])
    # the same phonemes were spoken: audio lengths agree to within a few frames
    lengths = [r["audio_s"] for r in results]
    assert max(lengths) - min(lengths) < 0.2, lengths

    for r in results:  # memory split at the sampled peak: anonymous + file-backed <= the kernel's high-water mark
        for key in ("peak_anon_mb", "peak_file_mb", "end_anon_mb", "end_file_mb"):
            assert _positive_finite(r[key]), (r["engine"], key, r[key])
        assert r["peak_anon_mb"] + r["peak_file_mb"] <= r["peak_rss_mb"] + 1, r

    lite = next(r for r in results if r["engine"] == "litert-fp32")
    assert lite["phonemes_match"] is True
    assert lite["prepared"] == {"predictor": ["T32"], "prosody": ["L128"], "vocoder": ["L128"]}

    startup = {s["xnnpack"]: s for s in report["startup"]}
    assert set(startup) == {"cold", "warm"} and all(s["engine"] == "litert-fp32" for s in startup.values())
    assert startup["cold"]["xnnpack_files_before"] == [] and len(startup["warm"]["xnnpack_files_before"]) == 3
    for s in startup.values():
        assert "error" not in s, s
        for key in ("import_s", "construct_s", "first_audio_s", "first_short_s", "peak_rss_mb", "peak_anon_mb",
                    "peak_file_mb", "xnnpack_cache_mb"):
            assert _positive_finite(s[key]), (s["xnnpack"], key, s[key])
        assert s["first_audio_s"] <= s["first_short_s"]
    assert set(bench.STAGES) <= set(lite["stages"])
    for stage, seconds in lite["stages"].items():
        assert math.isfinite(seconds) and seconds >= 0, (stage, seconds)
    for stage in ("predictor", "prosody", "vocoder"):
        assert lite["stages"][stage] > 0

    (ratios,) = report["ratios"]
    assert ratios["engine"] == "litert-fp32"
    for key in ("litert/pytorch", "litert/onnxruntime"):
        for name, value in ratios[key].items():
            assert _positive_finite(value), (key, name, value)
    for engine in bench.ENGINES:
        assert engine in proc.stdout  # the table
    assert machine["cpu_model"] in proc.stdout and "cold" in proc.stdout and "warm" in proc.stdout
