"""``kokoro-litert batch JOBS.jsonl --out DIR``: many texts to audio files, resumably.

JOBS.jsonl holds one JSON object per line: ``{"id": "a1", "text": "...", "voice": "af_heart",
"speed": 1.0}`` (``voice`` and ``speed`` optional; ids are file names: letters, digits, ``.``, ``_``,
``-``). Each id becomes ``DIR/ID.wav`` (or ``.flac``), and one line is appended to
``DIR/results.jsonl`` per job: ``id, file, duration_s, seconds, rtf, sha256, bytes, voice, speed,
error`` (``error`` null on success; the last line of an id wins).

- Resumable: ids already finished in results.jsonl whose file is still there (same size) are
  skipped; failed ones are retried. Audio is written to a temporary name and renamed, and its
  results line is appended (and fsynced) only after the rename, so an interrupted run never leaves
  a half-written file or a line that points at nothing.
- A failing job (unknown voice, empty text, speed out of range, ...) is recorded with its error and
  the batch goes on; a malformed line is recorded with ``id: null`` and its line number.
- Local worker processes by default, each holding one ``Kokoro`` with ``--threads`` LiteRT threads
  (default: the usable cores divided by the workers, so workers x threads = cores).
- ``--ray [ADDRESS]``: the same jobs as Ray tasks on ``--workers`` actors that each hold one
  ``Kokoro`` (``num_cpus`` = its threads); ``ray.init(address=ADDRESS)``, or a local Ray instance
  with ``num_cpus`` = the usable cores when no address is given. The bundle path must exist on
  every node (the same path, or a shared file system). Needs the ``cluster`` extra.
- Ctrl-C stops the workers and exits 130; everything recorded so far stays, a rerun resumes.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import signal
import sys
import time
from pathlib import Path

from .errors import KokoroLiteRTError

RESULTS = "results.jsonl"
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
FORMATS = {"wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16")}


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# --------------------------------------------------------------------------------------------
# Jobs and results
# --------------------------------------------------------------------------------------------


def read_jobs(path: str | os.PathLike, default_voice: str = "af_heart") -> tuple[list[dict], list[dict]]:
    """(jobs, errors): the well-formed jobs of a JSONL file, and a results record for each bad line."""
    jobs, errors, seen = [], [], set()
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(_failure(None, f"line {n}: not JSON ({e.msg})", line=n))
                continue
            if not isinstance(obj, dict):
                errors.append(_failure(None, f"line {n}: not a JSON object", line=n))
                continue
            jid = obj.get("id")
            if isinstance(jid, bool) or not isinstance(jid, (str, int)) or not SAFE_ID.match(str(jid)):
                errors.append(_failure(None, f"line {n}: 'id' must be a string or integer made of letters, digits, "
                                             f"'.', '_', '-' (got {jid!r})", line=n))
                continue
            jid = str(jid)
            if jid in seen:
                errors.append(_failure(jid, f"line {n}: duplicate id {jid!r} (the first one is spoken)", line=n))
                continue
            seen.add(jid)
            text, voice, speed = obj.get("text"), obj.get("voice", default_voice), obj.get("speed", 1.0)
            problem = None
            if not isinstance(text, str):
                problem = "'text' must be a string"
            elif not isinstance(voice, str):
                problem = "'voice' must be a string"
            elif isinstance(speed, bool) or not isinstance(speed, (int, float)):
                problem = "'speed' must be a number"
            if problem:
                errors.append(_failure(jid, f"line {n}: {problem}", line=n))
                continue
            jobs.append({"id": jid, "text": text, "voice": voice, "speed": float(speed), "line": n})
    return jobs, errors


def _failure(jid, error: str, **extra) -> dict:
    return {"id": jid, "file": None, "duration_s": None, "seconds": None, "rtf": None, "sha256": None,
            "error": error, **extra}


def finished(out: Path) -> dict[str, dict]:
    """Ids whose last record in results.jsonl is a success whose file is still there, intact in size."""
    path = out / RESULTS
    last: dict[str, dict] = {}
    if path.is_file():
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by a crash
                    continue
                if isinstance(rec, dict) and isinstance(rec.get("id"), str):
                    last[rec["id"]] = rec
    done = {}
    for jid, rec in last.items():
        if rec.get("error") is None and rec.get("file"):
            f = out / rec["file"]
            if f.is_file() and (rec.get("bytes") is None or f.stat().st_size == rec["bytes"]):
                done[jid] = rec
    return done


# --------------------------------------------------------------------------------------------
# One job (in a worker process or a Ray actor)
# --------------------------------------------------------------------------------------------


def encode(samples, sample_rate: int, fmt: str) -> bytes:
    import numpy as np
    import soundfile as sf

    major, subtype = FORMATS[fmt]
    buf = io.BytesIO()
    sf.write(buf, np.asarray(samples, np.float32), sample_rate, format=major, subtype=subtype)
    return buf.getvalue()


def speak(tts, job: dict, fmt: str, seed: int | None) -> dict:
    """Synthesise and encode one job; any failure becomes the job's ``error``."""
    start = time.perf_counter()
    out = {"id": job["id"], "voice": job["voice"], "speed": job["speed"], "audio": None, "duration_s": None}
    try:
        audio = tts.synthesize(job["text"], voice=job["voice"], speed=job["speed"], seed=seed)
        out["audio"] = encode(audio.samples, audio.sample_rate, fmt)
        out["duration_s"] = round(audio.duration_s, 4)
        out["dropped"] = list(getattr(audio, "dropped", ()))  # what the text held that could not be spoken
        out["error"] = None
    except Exception as e:
        out["error"] = f"{type(e).__name__}: {e}"
    out["seconds"] = round(time.perf_counter() - start, 4)
    return out


_TTS = None


def _init_worker(bundle: str | None, threads: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    global _TTS
    from .runtime import Kokoro

    _TTS = Kokoro(bundle, threads=threads)


def _speak_local(job: dict, fmt: str, seed: int | None) -> dict:
    return speak(_TTS, job, fmt, seed)


class Speaker:
    """A Ray actor's state: one Kokoro (wrapped with ``ray.remote`` at run time)."""

    def __init__(self, bundle: str | None, threads: int):
        from .runtime import Kokoro

        self.tts = Kokoro(bundle, threads=threads)

    def speak(self, job: dict, fmt: str, seed: int | None) -> dict:
        return speak(self.tts, job, fmt, seed)


# --------------------------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------------------------


class Recorder:
    """Writes each finished job's file (atomically) and its results line, in the driver only."""

    def __init__(self, out: Path, fmt: str):
        self.out, self.fmt = out, fmt
        path = out / RESULTS
        cut = False
        if path.is_file() and path.stat().st_size > 0:
            with open(path, "rb") as f:
                f.seek(-1, os.SEEK_END)
                cut = f.read(1) != b"\n"
        self.file = open(path, "a", encoding="utf-8")
        if cut:  # a line cut short by a crash: end it, so the next record starts on its own line
            self.file.write("\n")
        self.done = self.failed = 0
        self.audio_s = self.compute_s = 0.0

    def write(self, rec: dict) -> None:
        self.file.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def record(self, result: dict) -> dict:
        from .cache import atomic_path

        data = result.pop("audio", None)
        if result.get("error") is None and data:
            name = f"{result['id']}.{self.fmt}"
            with atomic_path(self.out / name) as tmp:
                tmp.write_bytes(data)
            rec = {"id": result["id"], "file": name, "duration_s": result["duration_s"], "seconds": result["seconds"],
                   "rtf": round(result["seconds"] / result["duration_s"], 4) if result["duration_s"] else None,
                   "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "voice": result["voice"],
                   "speed": result["speed"], "dropped": result.get("dropped") or [], "error": None}
            self.done += 1
            self.audio_s += result["duration_s"] or 0.0
            self.compute_s += result["seconds"]
        else:
            rec = {**_failure(result["id"], result.get("error") or "no audio"), "seconds": result.get("seconds"),
                   "voice": result.get("voice"), "speed": result.get("speed")}
            self.failed += 1
        self.write(rec)
        return rec

    def close(self) -> None:
        self.file.close()


def _run_local(jobs: list[dict], workers: int, threads: int, bundle: str | None, fmt: str, seed: int | None,
               recorder: Recorder, bar) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker,
                               initargs=(bundle, threads))
    try:
        futures = [pool.submit(_speak_local, job, fmt, seed) for job in jobs]
        for fut in as_completed(futures):
            rec = recorder.record(fut.result())
            bar.update(1)
            bar.set_postfix_str(f"{rec['id']}: {'error' if rec['error'] else 'ok'}", refresh=False)
    except BrokenProcessPool as e:
        raise KokoroLiteRTError(f"a worker process died ({e}); what finished is recorded, rerun to resume") from None
    except BaseException:  # Ctrl-C (or a failure of our own): stop the workers now, not after the queue
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            proc.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_ray(jobs: list[dict], workers: int | None, threads: int, address: str | None, bundle: str | None,
             fmt: str, seed: int | None, recorder: Recorder, bar) -> int:
    try:
        import ray
        from ray.util import ActorPool
    except ImportError:
        raise KokoroLiteRTError("--ray needs the cluster extra: pip install 'kokoro-litert[cluster]'") from None
    import logging

    local = address is None
    if local:
        ray.init(num_cpus=usable_cores(), include_dashboard=False, log_to_driver=False,
                 logging_level=logging.WARNING, object_store_memory=256 * 1024 * 1024)
    else:
        ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
    actors = []
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        if workers is None:
            workers = max(1, min(len(jobs), cpus // threads))
        actor_cls = ray.remote(num_cpus=threads)(Speaker)
        actors = [actor_cls.remote(bundle, threads) for _ in range(workers)]
        pool = ActorPool(actors)
        for job in jobs:
            pool.submit(lambda actor, j: actor.speak.remote(j, fmt, seed), job)
        while pool.has_next():
            try:
                result = pool.get_next_unordered()
            except ray.exceptions.RayActorError as e:
                raise KokoroLiteRTError(f"a Ray actor died (cannot load the bundle there?): {str(e).splitlines()[0]}") from None
            rec = recorder.record(result)
            bar.update(1)
            bar.set_postfix_str(f"{rec['id']}: {'error' if rec['error'] else 'ok'}", refresh=False)
        return workers
    finally:
        for actor in actors:
            ray.kill(actor)
        ray.shutdown()


def run(args) -> dict:
    from tqdm import tqdm

    fmt = args.format
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    jobs, bad = read_jobs(args.jobs, args.voice)
    done = finished(out)
    todo = [j for j in jobs if j["id"] not in done]
    skipped = len(jobs) - len(todo)
    cores = usable_cores()
    use_ray = args.ray is not None
    if use_ray:
        workers = args.workers
        threads = args.threads or 1
    else:
        workers = args.workers or max(1, min(cores, 4, len(todo)))
        threads = args.threads or max(1, cores // workers)
    if todo and not use_ray:
        from .runtime.bundle import Bundle

        Bundle(args.bundle, verify=False)  # a missing or malformed bundle fails here, once, not per job
    recorder = Recorder(out, fmt)
    for rec in bad:
        recorder.write(rec)
        recorder.failed += 1
    start = time.perf_counter()
    where = (f"Ray ({args.ray or 'local'})" if use_ray else f"{workers} worker process{'es' * (workers != 1)}")
    print(f"batch: {len(todo)} to speak, {skipped} already done, {len(bad)} malformed; {where}, "
          f"{threads} thread{'s' * (threads != 1)} each", file=sys.stderr)
    try:
        with tqdm(total=len(todo), unit="job", desc="batch", file=sys.stderr, disable=None) as bar:
            if todo and use_ray:
                workers = _run_ray(todo, workers, threads, None if args.ray in ("", "local") else args.ray,
                                   args.bundle, fmt, args.seed, recorder, bar)
            elif todo:
                _run_local(todo, workers, threads, args.bundle, fmt, args.seed, recorder, bar)
    finally:
        recorder.close()
    wall = time.perf_counter() - start
    summary = {"jobs": len(todo), "done": recorder.done, "failed": recorder.failed, "skipped": skipped,
               "workers": workers, "threads": threads, "ray": use_ray, "wall_s": round(wall, 3),
               "audio_s": round(recorder.audio_s, 3), "compute_s": round(recorder.compute_s, 3),
               "jobs_per_s": round(len(todo) / wall, 4) if wall > 0 else None,
               "audio_s_per_s": round(recorder.audio_s / wall, 4) if wall > 0 else None}
    return summary


def add_arguments(p) -> None:
    p.add_argument("jobs", help='JSONL file: one {"id", "text", "voice"?, "speed"?} object per line')
    p.add_argument("--out", required=True, help="output directory (audio files and results.jsonl)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (or Ray actors); default: the usable cores, at most 4 (Ray: cluster CPUs / threads)")
    p.add_argument("--threads", type=int, default=None,
                   help="LiteRT threads per worker (default: cores / workers; Ray: 1)")
    p.add_argument("--ray", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="run the jobs on Ray actors: a cluster ADDRESS (e.g. ray://host:10001 or auto), or none for a local instance")
    p.add_argument("--bundle", help="bundle directory (default: the cache's default bundle)")
    p.add_argument("--format", choices=sorted(FORMATS), default="wav")
    p.add_argument("--voice", default="af_heart", help="voice of jobs that name none")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print the summary as one JSON line on stdout")


def main(args) -> None:
    if (args.workers is not None and args.workers < 1) or (args.threads is not None and args.threads < 1):
        raise ValueError("--workers and --threads must be >= 1")
    if not Path(args.jobs).is_file():
        raise FileNotFoundError(f"{args.jobs}: no such jobs file")
    s = run(args)
    if args.json:
        print(json.dumps(s))
    else:
        print(f"batch: {s['done']} spoken, {s['failed']} failed, {s['skipped']} skipped in {s['wall_s']:.1f} s: "
              f"{s['jobs_per_s'] or 0:.2f} jobs/s, {s['audio_s_per_s'] or 0:.2f} audio-s/s "
              f"({s['audio_s']:.1f} s of audio; results: {Path(args.out) / RESULTS})")


__all__ = ["add_arguments", "finished", "main", "read_jobs", "run", "speak"]

