"""``kokoro-litert batch``: JSONL jobs to audio files, resumable, locally and on Ray.

Unit tests of the job file, the resume rule and the recorder (a fake TTS, no model), then the real
CLI on the CI bundle: 1 and 2 worker processes, Ctrl-C then resume, and a local Ray instance.
Texts are short so that the whole file runs in a couple of minutes on two cores.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from kokoro_litert.batch import RESULTS, Recorder, finished, read_jobs, speak

SR = 24000
JOBS = [
    {"id": "a1", "text": "Hello there."},
    {"id": "a2", "text": "See you soon.", "voice": "am_michael"},
    {"id": "a3", "text": "Good night.", "voice": "af_heart:0.7,am_michael:0.3", "speed": 1.2},
    {"id": "bad_voice", "text": "Hello.", "voice": "zz_nobody"},
    {"id": "empty", "text": ""},
]
GOOD = {"a1", "a2", "a3"}
ERRORS = {"bad_voice": "unknown voice 'zz_nobody'", "empty": "text is empty"}


def write_jobs(path: Path, jobs=JOBS, extra_lines=()) -> Path:
    path.write_text("".join(json.dumps(j) + "\n" for j in jobs) + "".join(extra_lines), encoding="utf-8")
    return path


def results(out: Path) -> dict[str, dict]:
    last = {}
    for line in (out / RESULTS).read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)  # every line is whole JSON
        last[rec["id"]] = rec
    return last


# --------------------------------------------------------------------------------------------
# Unit tests (no model)
# --------------------------------------------------------------------------------------------


def test_read_jobs_records_bad_lines(tmp_path):
    lines = ['{"id": 7, "text": "Seven."}\n', "not json\n", '["a list"]\n', '{"text": "no id"}\n',
             '{"id": "../escape", "text": "x"}\n', '{"id": "a1", "text": "again"}\n', '{"id": "t", "text": 3}\n',
             '{"id": "s", "text": "x", "speed": "fast"}\n', "\n"]
    jobs, errors = read_jobs(write_jobs(tmp_path / "j.jsonl", JOBS, lines))
    assert [j["id"] for j in jobs] == ["a1", "a2", "a3", "bad_voice", "empty", "7"]
    assert jobs[0]["voice"] == "af_heart" and jobs[0]["speed"] == 1.0 and jobs[2]["speed"] == 1.2
    assert len(errors) == 7 and all(e["error"] for e in errors)
    assert [e["id"] for e in errors] == [None, None, None, None, "a1", "t", "s"]
    assert "duplicate" in errors[4]["error"] and "line 11" in errors[4]["error"]


def test_finished_keeps_only_intact_successes(tmp_path):
    (tmp_path / "ok.wav").write_bytes(b"x" * 10)
    (tmp_path / "short.wav").write_bytes(b"x" * 3)
    recs = [{"id": "ok", "file": "ok.wav", "bytes": 10, "error": None},
            {"id": "gone", "file": "gone.wav", "bytes": 10, "error": None},
            {"id": "short", "file": "short.wav", "bytes": 10, "error": None},
            {"id": "failed", "file": None, "error": "boom"},
            {"id": "retried", "file": None, "error": "boom"}, {"id": "retried", "file": "ok.wav", "bytes": 10, "error": None},
            {"id": "redone", "file": "ok.wav", "bytes": 10, "error": None}, {"id": "redone", "file": None, "error": "x"}]
    text = "".join(json.dumps(r) + "\n" for r in recs) + '{"id": "cut", "fi'
    (tmp_path / RESULTS).write_text(text)
    assert sorted(finished(tmp_path)) == ["ok", "retried"]


class FakeTTS:
    def synthesize(self, text, voice="af_heart", speed=1.0, seed=0):
        from kokoro_litert.errors import TextError, VoiceError

        if not text.strip():
            raise TextError("text is empty")
        if voice != "af_heart":
            raise VoiceError(f"unknown voice '{voice}'")
        t = np.arange(int(0.25 * SR * len(text.split()))) / SR
        return SimpleNamespace(samples=(0.3 * np.sin(2 * np.pi * 200 * t)).astype(np.float32), sample_rate=SR,
                               duration_s=len(t) / SR)


def test_recorder_writes_files_and_results(tmp_path):
    (tmp_path / RESULTS).write_text('{"id": "cut", "fi')  # a crash left half a line
    rec = Recorder(tmp_path, "flac")
    ok = rec.record(speak(FakeTTS(), {"id": "x1", "text": "one two", "voice": "af_heart", "speed": 1.0}, "flac", 0))
    bad = rec.record(speak(FakeTTS(), {"id": "x2", "text": "hi", "voice": "nobody", "speed": 1.0}, "flac", 0))
    rec.close()
    data = (tmp_path / "x1.flac").read_bytes()
    assert ok["sha256"] == hashlib.sha256(data).hexdigest() and ok["bytes"] == len(data)
    assert ok["duration_s"] == 0.5 and ok["rtf"] == pytest.approx(ok["seconds"] / 0.5, rel=1e-3)
    audio, sr = sf.read(io.BytesIO(data))
    assert sr == SR and len(audio) == SR // 2
    assert bad["error"] == "VoiceError: unknown voice 'nobody'" and bad["file"] is None
    lines = (tmp_path / RESULTS).read_text().splitlines()
    assert lines[0] == '{"id": "cut", "fi'  # the cut line was ended there: every new record parses
    assert [json.loads(line)["id"] for line in lines[1:]] == ["x1", "x2"]
    assert sorted(finished(tmp_path)) == ["x1"]
    assert not list(tmp_path.glob("*.part")) and not list(tmp_path.glob(".*"))


# --------------------------------------------------------------------------------------------
# The real CLI on the CI bundle
# --------------------------------------------------------------------------------------------


def batch(*args: str, bundle, timeout: int = 600, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kokoro_litert.cli", "batch", *args, "--bundle", str(bundle)],
                          capture_output=True, text=True, timeout=timeout, **kw)


def check_output(out: Path, good=GOOD, errors=ERRORS) -> dict[str, dict]:
    recs = results(out)
    assert set(recs) == set(good) | set(errors), recs
    for jid in good:
        r = recs[jid]
        assert r["error"] is None and r["file"] == f"{jid}.wav", r
        data = (out / r["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == r["sha256"]
        audio, sr = sf.read(io.BytesIO(data), dtype="float32")
        assert sr == SR and abs(len(audio) / sr - r["duration_s"]) < 1e-3
        assert 0.3 < r["duration_s"] < 5 and np.abs(audio).max() > 0.05
        assert r["seconds"] > 0 and r["rtf"] == pytest.approx(r["seconds"] / r["duration_s"], rel=1e-2)
    for jid, message in errors.items():
        assert recs[jid]["file"] is None and message in recs[jid]["error"], recs[jid]
        assert not (out / f"{jid}.wav").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".part"]  # no temporaries
    return recs


def summary(r: subprocess.CompletedProcess) -> dict:
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def jobs_file(tmp_path_factory):
    return write_jobs(tmp_path_factory.mktemp("jobs") / "jobs.jsonl")


@pytest.fixture(scope="module")
def one_worker(real_bundle, jobs_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("w1")
    s = summary(batch(str(jobs_file), "--out", str(out), "--workers", "1", "--json", bundle=real_bundle))
    return out, s


@pytest.mark.real
def test_one_worker(one_worker):
    out, s = one_worker
    assert (s["jobs"], s["done"], s["failed"], s["skipped"], s["workers"]) == (5, 3, 2, 0, 1)
    check_output(out)
    print(f"1 worker: {s}")


@pytest.mark.real
def test_two_workers(real_bundle, jobs_file, one_worker, tmp_path):
    s = summary(batch(str(jobs_file), "--out", str(tmp_path), "--workers", "2", "--json", bundle=real_bundle))
    assert (s["jobs"], s["done"], s["failed"], s["workers"], s["threads"]) == (5, 3, 2, 2, max(1, len(os.sched_getaffinity(0)) // 2))
    recs, ref = check_output(tmp_path), results(one_worker[0])
    for jid in GOOD:  # the same jobs give the same lengths of audio (seeded, same durations)
        assert recs[jid]["duration_s"] == pytest.approx(ref[jid]["duration_s"], abs=0.03)
    print(f"2 workers: {s}")


@pytest.mark.real
def test_ctrl_c_then_resume(real_bundle, tmp_path):
    # enough speech that the batch cannot finish between the first result and the signal
    jobs = [{"id": f"s{i}", "text": f"This is sentence number {i}."} for i in range(16)]
    jobs_file = write_jobs(tmp_path / "jobs.jsonl", jobs)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "kokoro_litert.cli", "batch", str(jobs_file), "--out", str(out),
                             "--workers", "1", "--bundle", str(real_bundle)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a test run started in the background inherits SIGINT ignored, and Python
                            # then installs no KeyboardInterrupt handler: give the child a terminal's default
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while not ((out / RESULTS).is_file() and (out / RESULTS).read_text().count("\n") >= 1):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)  # as Ctrl-C does (to the parent: it stops its workers)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "kokoro-litert: interrupted" and "Traceback" not in err
    first = results(out)
    assert 1 <= len(first) < len(jobs)
    good = {j["id"] for j in jobs}
    # whatever was recorded is whole; no temporary file is left behind
    check_output(out, good=set(first), errors={})
    # a recorded file that went missing is redone as well
    gone = sorted(first)[0]
    (out / f"{gone}.wav").unlink()
    kept = {jid: (out / f"{jid}.wav").stat().st_mtime_ns for jid in first if jid != gone}
    s = summary(batch(str(jobs_file), "--out", str(out), "--workers", "1", "--json", bundle=real_bundle))
    assert s["skipped"] == len(kept) and s["jobs"] == len(jobs) - len(kept) and s["failed"] == 0
    check_output(out, good=good, errors={})
    assert {jid: (out / f"{jid}.wav").stat().st_mtime_ns for jid in kept} == kept  # untouched
    # and a third run has nothing left to do (and loads no model)
    s = summary(batch(str(jobs_file), "--out", str(out), "--json", bundle=real_bundle))
    assert (s["jobs"], s["skipped"]) == (0, len(jobs))


@pytest.mark.real
def test_ray_local_instance(real_bundle, jobs_file, one_worker, tmp_path):
    import ray  # noqa: F401  (the cluster extra is part of the dev install: no skip)

    s = summary(batch(str(jobs_file), "--out", str(tmp_path), "--ray", "--workers", "2", "--json",
                      bundle=real_bundle, timeout=900))
    assert (s["jobs"], s["done"], s["failed"], s["workers"], s["ray"]) == (5, 3, 2, 2, True)
    recs, ref = check_output(tmp_path), results(one_worker[0])
    for jid in GOOD:
        assert recs[jid]["duration_s"] == pytest.approx(ref[jid]["duration_s"], abs=0.03)
    print(f"ray: {s}")
