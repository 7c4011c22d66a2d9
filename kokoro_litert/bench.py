"""``kokoro-litert bench``: LiteRT bundles vs PyTorch vs onnxruntime on the same phonemes, voice and threads.

Every engine speaks the same token ids (phonemized once, here, with the runtime's G2P and chunker):

* ``litert-<precision>``: this package's runtime (``Kokoro.stream``) on a bundle, from text, stage by
  stage; one engine per ``--bundle`` (repeatable), named from the manifest's ``precision`` key
  (``litert-fp32``, ``litert-fp16``; ``litert-fp32-<dir name>`` when two bundles share a precision);
* ``pytorch``: ``kokoro.KModel`` with the same (ONNX-rebuilt) weights, ``forward_with_tokens`` per chunk;
* ``onnxruntime-int8``: kokoro-onnx's ``kokoro-v1.0.int8.onnx`` on onnxruntime's CPU provider, per chunk.

Every (engine, text, threads) configuration runs in its own fresh worker process
(``python -m kokoro_litert.bench --worker SPEC``) that loads the engine, does one warm-up pass over the
text (excluded), then N timed passes. In-process memory deltas would mix engines and allocator caches.

Memory, per configuration (the whole worker process: load, warm-up and timed runs):

* ``peak_rss_mb``: ``VmHWM`` of the worker's ``/proc/self/status`` at its end, the kernel's exact
  high-water mark of resident memory (equal to ``ru_maxrss``, also reported);
* ``peak_anon_mb`` / ``peak_file_mb`` / ``peak_shmem_mb``: ``RssAnon`` / ``RssFile`` / ``RssShmem`` of
  the worker at its highest sampled ``VmRSS``: the driver reads ``/proc/PID/status`` every
  ``RSS_SAMPLE_S`` while the worker runs, so their sum can be a little under ``VmHWM``. Anonymous is
  heap, arenas and buffers; file-backed is mapped files (the .tflite graphs, the XNNPACK packed-weight
  cache, shared libraries), which the kernel can drop and re-read under memory pressure;
* ``end_anon_mb`` / ``end_file_mb``: the same two read by the worker itself after its last run.

LiteRT startup, per bundle (own processes, ``startup`` in the report): ``import_s`` (import the
runtime), ``construct_s`` (``Kokoro(bundle)``: compile the three graphs), ``first_audio_s`` (the first
chunk of ``stream(SHORT)`` on the fresh engine) and ``first_short_s`` (the whole short sentence), once
with a cold XNNPACK weight cache (``$KOKORO_LITERT_CACHE`` pointed at a fresh temporary directory, so
every graph's weights are packed and written) and once warm (the same directory again, now filled).

Times are wall-clock, best and median of N. ``audio_s`` is speech only (the pauses the runtime inserts
between chunks are not counted for any engine). RTF = time / audio_s. ``first_audio_s`` is the time until
the first chunk's audio exists (LiteRT: until ``stream`` yields it, G2P of that chunk included; the others:
until their forward pass over the first chunk returns). LiteRT's end-to-end time includes G2P; the
LiteRT/other ratios compare ids->audio time (G2P excluded), which is what the other two engines do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .errors import KokoroLiteRTError

REFERENCE_ENGINES = ("pytorch", "onnxruntime-int8")
ENGINES = ("litert-fp32", *REFERENCE_ENGINES)  # with one fp32 bundle (the default)
STAGES = ("g2p", "predictor", "alignment", "prosody", "source_stft", "vocoder", "istft", "joins")
_RUNTIME_STAGE = {"source": "source_stft"}  # Engine.speak's timing keys -> our names
RSS_SAMPLE_S = 0.01  # how often the driver samples a worker's /proc/PID/status


@dataclass(frozen=True)
class Settings:
    """What a bench run measures. ``DEFAULTS`` and ``QUICK`` are the only place these values live."""

    texts: tuple[str, ...] = ("short", "medium", "long")
    voice: str = "af_heart"
    runs: int = 3
    threads: tuple[int, ...] = (1, 2)
    warmup: int = 1
    startup: bool = True  # LiteRT construct / first sentence with a cold and a warm XNNPACK cache


DEFAULTS = Settings()
QUICK = Settings(texts=("short",), runs=1, threads=(2,))  # what CI runs: ``bench --quick``

VOICE = DEFAULTS.voice
SPEED = 1.0
SEED = 0

# ~2 s: 22 phoneme ids, so one chunk even for the CI bundle's T=32 bucket and stream's fast first chunk.
SHORT = "Hello there, how are you?"
# ~10 s: two sentences, each fits T=128 / L=512.
MEDIUM = (
    "Kokoro is a small text to speech model with eighty two million parameters. "
    "Here it runs on LiteRT, the same runtime that phones use, with no server involved."
)
# ~60 s: several sentences, each fits T=128 / L=512; the chunker splits it by sentence.
LONG = (
    "The old lighthouse stood at the edge of the cliff, its white paint peeling after decades of wind and salt. "
    "Every evening, the keeper climbed the narrow spiral stairs to light the lamp before the sun went down. "
    "Ships passing in the night relied on its steady beam to avoid the rocks hidden beneath the waves. "
    "One stormy autumn, a small fishing boat lost its way and drifted dangerously close to the shore. "
    "The keeper saw the faint glow of its lantern and rang the warning bell as loudly as he could. "
    "The sailors heard the bell through the roar of the storm and turned their boat back toward open water. "
    "In the morning, they rowed into the harbor and walked up the hill to thank the keeper in person. "
    "He offered them hot tea and bread, and they talked for hours about the sea and the people who live by it. "
    "Years later, when the lighthouse was replaced by an automatic beacon, the town kept the old tower as a museum. "
    "Children still climb the spiral stairs today, and they listen to the story of the stormy night and the bell."
)
TEXTS = {"short": SHORT, "medium": MEDIUM, "long": LONG}


# ------------------------------------------------------------------------------------------ machine


_CPU_KEYS = {"vendor_id": "cpu_vendor", "cpu family": "cpu_family", "model": "cpu_model_number", "stepping": "cpu_stepping"}


def _cpuinfo() -> dict:
    info: dict = {}
    cores = set()
    phys = core = None
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "model name":
            info.setdefault("cpu_model", value)
        elif key in _CPU_KEYS:  # e.g. AMD family 25 = Zen3/Zen4, 26 = Zen5
            info.setdefault(_CPU_KEYS[key], value)
        elif key == "flags" and "flags" not in info:
            flags = set(value.split())
            info["flags"] = [f for f in ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl",
                                         "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile",
                                         "amx_bf16", "amx_int8") if f in flags]
        elif key == "physical id":
            phys = value
        elif key == "core id":
            core = value
        elif not line.strip():
            if core is not None:
                cores.add((phys, core))
            phys = core = None
    if core is not None:
        cores.add((phys, core))
    if cores:
        info["physical_cores"] = len(cores)
    return info


def _meminfo_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def describe_machine() -> dict:
    """CPU model, cores, memory, OS, Python and the versions of every engine's package."""
    info = {"cpu_model": platform.processor() or platform.machine()}
    info.update(_cpuinfo())
    info["logical_cpus"] = os.cpu_count()
    try:
        info["usable_cpus"] = len(os.sched_getaffinity(0))
    except AttributeError:
        info["usable_cpus"] = os.cpu_count()
    info["mem_total_mb"] = _meminfo_mb()
    try:
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    info["os"] = platform.platform()
    info["python"] = platform.python_version()
    info["versions"] = {d: _version(d) for d in ("kokoro-litert", "numpy", "ai-edge-litert", "torch",
                                                 "onnxruntime", "kokoro", "misaki")}
    return info


# ------------------------------------------------------------------------------------------ workers


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _set_threads_env(threads: int) -> dict:
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
        env[var] = str(threads)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


def _load_pack(spec: dict):
    import numpy as np

    return np.load(spec["voice_pack"], allow_pickle=False)


class _LiteRT:
    def __init__(self, spec: dict):
        from kokoro_litert.runtime import Kokoro

        self.spec = spec
        self.tts = Kokoro(spec["bundle"], threads=spec["threads"], verify=False)
        self.sr = self.tts.sample_rate

    def run(self) -> dict:
        spec = self.spec
        chunks = spec["chunks"]
        stages: dict[str, float] = defaultdict(float)
        chunk_s = 0.0
        samples = 0
        first = None
        phonemes = []
        start = time.perf_counter()
        stream = self.tts.stream(spec["text"], voice=spec["voice"], speed=spec["speed"], seed=spec["seed"])
        i = 0  # index of the text chunk: a sentence may arrive as pieces (final=False but the last)
        for ch in stream:
            if first is None:
                first = time.perf_counter() - start
            chunk_s += ch.seconds
            for k, v in ch.timings.items():
                stages[_RUNTIME_STAGE.get(k, k)] += v
            if not ch.final:
                samples += len(ch.samples)
                continue
            pause = chunks[i]["pause_s"] if i < len(chunks) else 0.0
            samples += len(ch.samples) - int(round(pause * self.sr))
            phonemes.append(ch.phonemes)
            i += 1
        total = time.perf_counter() - start
        model = sum(stages.values())
        stages["g2p"] = max(total - chunk_s, 0.0)  # everything outside the chunks' own clocks
        stages["joins"] = max(chunk_s - model, 0.0)  # fades, concatenation, pauses
        return {"total_s": total, "synth_s": total - stages["g2p"], "first_audio_s": first,
                "audio_s": samples / self.sr,
                "stages": {**{k: stages.get(k, 0.0) for k in STAGES}, **stages},  # + any new runtime stage
                "phonemes_match": phonemes == [c["phonemes"] for c in chunks],
                "prepared": _prepared(self.tts)}


def _prepared(tts) -> dict:
    """The signatures (buckets) each graph has prepared so far in this process."""
    engine = tts.engine
    return {g: sorted(getattr(getattr(engine, g), "prepared", ()), key=lambda s: int(s[1:]))
            for g in ("predictor", "prosody", "vocoder")}


class _ChunkedEngine:
    """The reference engines: the same chunks' ids, one ``speak`` per chunk, timed as a whole."""

    def __init__(self, spec: dict):
        self.spec = spec
        self.pack = _load_pack(spec)
        self.sr = 24000

    def run(self) -> dict:
        from kokoro_litert.runtime.voices import style_for

        samples, first = 0, None
        start = time.perf_counter()
        for ch in self.spec["chunks"]:
            samples += self.speak(ch["ids"], style_for(self.pack, len(ch["ids"])))
            if first is None:
                first = time.perf_counter() - start
        total = time.perf_counter() - start
        return {"total_s": total, "synth_s": total, "first_audio_s": first, "audio_s": samples / self.sr}


class _PyTorch(_ChunkedEngine):
    def __init__(self, spec: dict):
        import gc

        import torch

        torch.set_num_threads(spec["threads"])
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        from kokoro_litert.converter.weights import build_reference, load_checkpoint

        ckpt = load_checkpoint("onnx", log=lambda msg: None)
        self.model = build_reference(ckpt)
        del ckpt
        gc.collect()
        self.torch = torch
        super().__init__(spec)

    def run(self) -> dict:
        self.torch.manual_seed(self.spec["seed"])  # KModel draws its source noise from torch's RNG
        return super().run()

    def speak(self, ids: list[int], style) -> int:
        torch = self.torch
        with torch.inference_mode():
            tokens = torch.tensor([[0, *ids, 0]], dtype=torch.long)
            audio, _ = self.model.forward_with_tokens(tokens, torch.from_numpy(style), self.spec["speed"])
        return int(audio.numel())


class _OnnxRuntime(_ChunkedEngine):
    def __init__(self, spec: dict):
        import numpy as np
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = spec["threads"]
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.log_severity_level = 3
        self.sess = ort.InferenceSession(spec["onnx"], so, providers=["CPUExecutionProvider"])
        self.tokens = self.style = self.speed = None
        for inp in self.sess.get_inputs():  # kokoro-onnx v1.0: tokens [1, n+2] int64, style [1,256], speed [1]
            if "int64" in inp.type:
                self.tokens = inp.name
            elif len(inp.shape) == 1:
                self.speed = inp.name
            else:
                self.style = inp.name
        if None in (self.tokens, self.style, self.speed):
            raise KokoroLiteRTError(f"{spec['onnx']}: unexpected inputs {[i.name for i in self.sess.get_inputs()]}")
        self.np = np
        super().__init__(spec)

    def speak(self, ids: list[int], style) -> int:
        np = self.np
        feed = {self.tokens: np.array([[0, *ids, 0]], np.int64), self.style: style,
                self.speed: np.array([self.spec["speed"]], np.float32)}
        return int(self.sess.run(None, feed)[0].size)


_WORKERS = {"litert": _LiteRT, "pytorch": _PyTorch, "onnxruntime-int8": _OnnxRuntime}


def _status_mb(path: str = "/proc/self/status") -> dict[str, float]:
    """VmHWM, VmRSS, RssAnon, RssFile, RssShmem in MB from a /proc status file ({} where unreadable)."""
    out = {}
    try:
        for line in Path(path).read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return out


def _vm_hwm_mb() -> float | None:
    return _status_mb().get("VmHWM")


def _worker_kind(spec: dict) -> str:
    return spec.get("kind") or ("litert" if spec["engine"].startswith("litert") else spec["engine"])


def run_worker(spec: dict) -> dict:
    """Load one engine, warm up, time ``spec['runs']`` passes over the text; runs in its own process."""
    start = time.perf_counter()
    engine = _WORKERS[_worker_kind(spec)](spec)
    load_s = time.perf_counter() - start
    load_rss = _vm_hwm_mb()
    for _ in range(spec["warmup"]):
        engine.run()
    runs = []
    for _ in range(spec["runs"]):
        cpu = time.process_time()
        result = engine.run()
        result["cpu_s"] = time.process_time() - cpu  # all threads of this process
        runs.append(result)
    status = _status_mb()
    return {"load_s": load_s, "load_peak_rss_mb": load_rss, "runs": runs, "ru_maxrss_mb": _peak_rss_mb(),
            "peak_rss_mb": status.get("VmHWM", _peak_rss_mb()),
            "end_anon_mb": status.get("RssAnon"), "end_file_mb": status.get("RssFile")}


def run_startup(spec: dict) -> dict:
    """A fresh process: import the runtime, construct ``Kokoro``, stream the short sentence once."""
    start = time.perf_counter()
    from kokoro_litert.runtime import Kokoro

    import_s = time.perf_counter() - start
    xnnpack = Path(os.environ.get("KOKORO_LITERT_CACHE", "."), "xnnpack")
    cached_before = sorted(p.name for p in xnnpack.glob("*.xnn")) if xnnpack.is_dir() else []
    start = time.perf_counter()
    tts = Kokoro(spec["bundle"], threads=spec["threads"], verify=False)
    construct_s = time.perf_counter() - start
    construct_status = _status_mb()
    start = time.perf_counter()
    first = None
    for _ in tts.stream(TEXTS["short"], voice=spec["voice"], speed=spec["speed"], seed=spec["seed"]):
        if first is None:
            first = time.perf_counter() - start
    short_s = time.perf_counter() - start
    status = _status_mb()
    cache = {p.name: p.stat().st_size for p in xnnpack.glob("*.xnn")} if xnnpack.is_dir() else {}
    return {"import_s": import_s, "construct_s": construct_s, "first_audio_s": first, "first_short_s": short_s,
            "xnnpack_files_before": cached_before, "xnnpack_cache_mb": sum(cache.values()) / 2**20,
            "construct_rss_mb": construct_status.get("VmRSS"), "peak_rss_mb": status.get("VmHWM"),
            "end_anon_mb": status.get("RssAnon"), "end_file_mb": status.get("RssFile"),
            "prepared": _prepared(tts)}


def _worker_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m kokoro_litert.bench --worker")
    p.add_argument("--worker", required=True, help="spec JSON file")
    p.add_argument("--out", required=True, help="result JSON file")
    a = p.parse_args(argv)
    spec = json.loads(Path(a.worker).read_text())
    result = run_startup(spec) if spec.get("mode") == "startup" else run_worker(spec)
    Path(a.out).write_text(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------------------ driver


def _prepare_texts(bundle, names: list[str]) -> dict:
    """Phonemize and chunk each text once with the runtime's G2P + chunker, as ``Kokoro.stream`` does."""
    from .runtime.chunker import split_text
    from .runtime.g2p import G2P
    from .runtime.tokenizer import Tokenizer

    g2p, tok = G2P(), Tokenizer(bundle.vocab)
    out = {}
    for name in names:
        start = time.perf_counter()
        chunks = [{"text": c.text, "phonemes": c.phonemes, "ids": list(c.ids), "pause_s": c.pause_s}
                  for c in split_text(TEXTS[name], g2p, tok, bundle.tokens[-1])]
        out[name] = {"text": TEXTS[name], "chunks": chunks, "g2p_s": time.perf_counter() - start}
    return out


def litert_engine_names(bundles: list[tuple[str, str | None]]) -> list[str]:
    """``(directory, manifest precision)`` per bundle -> ``litert-<precision>``, with the directory's
    name appended where two bundles share a precision (and an index if that is still ambiguous)."""
    base = [f"litert-{precision or 'fp32'}" for _, precision in bundles]
    names = [b if base.count(b) == 1 else f"{b}-{Path(d).name}" for b, (d, _) in zip(base, bundles)]
    return [n if names.count(n) == 1 else f"{n}-{i + 1}" for i, n in enumerate(names)]


def _sample_status(pid: int, peak: dict) -> None:
    status = _status_mb(f"/proc/{pid}/status")
    if status.get("VmRSS", 0) > peak.get("VmRSS", -1):
        peak.clear()
        peak.update(status)


def _spawn(spec: dict, workdir: Path, tag: str, env: dict | None = None) -> dict:
    """Run one worker process; sample its /proc status every ``RSS_SAMPLE_S`` while it runs."""
    spec_path, out_path, log_path = (workdir / f"{tag}.{ext}" for ext in ("spec.json", "result.json", "log"))
    spec_path.write_text(json.dumps(spec))
    load = _loadavg()
    cmd = [sys.executable, "-m", "kokoro_litert.bench", "--worker", str(spec_path), "--out", str(out_path)]
    peak: dict = {}
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                env={**_set_threads_env(spec["threads"]), **(env or {})})
        while True:
            try:
                rc = proc.wait(timeout=RSS_SAMPLE_S)
                break
            except subprocess.TimeoutExpired:
                _sample_status(proc.pid, peak)
    if rc != 0 or not out_path.is_file():
        tail = log_path.read_text(errors="replace").strip().splitlines()[-15:]
        return {"error": f"worker exited with {rc}", "log_tail": tail}
    sampled = {"peak_anon_mb": peak.get("RssAnon"), "peak_file_mb": peak.get("RssFile"),
               "peak_shmem_mb": peak.get("RssShmem"), "peak_sampled_rss_mb": peak.get("VmRSS")}
    return {**json.loads(out_path.read_text()), **sampled, "loadavg_before": load, "loadavg_after": _loadavg()}


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


_MEMORY = ("peak_rss_mb", "peak_anon_mb", "peak_file_mb", "peak_shmem_mb", "peak_sampled_rss_mb",
           "end_anon_mb", "end_file_mb", "ru_maxrss_mb")


def _summarize(engine: str, text: str, threads: int, raw: dict) -> dict:
    row = {"text": text, "threads": threads, "engine": engine}
    if "error" in raw:
        return {**row, **raw}
    runs = raw["runs"]
    totals = [r["total_s"] for r in runs]
    synth = [r["synth_s"] for r in runs]
    firsts = [r["first_audio_s"] for r in runs]
    best = min(range(len(runs)), key=lambda i: totals[i])
    audio_s = runs[best]["audio_s"]
    row.update({
        "audio_s": audio_s,
        "runs": len(runs),
        "best_s": totals[best],
        "median_s": statistics.median(totals),
        "rtf": totals[best] / audio_s,
        "rtf_median": statistics.median(totals) / audio_s,
        "synth_best_s": min(synth),
        "synth_median_s": statistics.median(synth),
        "first_audio_s": min(firsts),
        "first_audio_median_s": statistics.median(firsts),
        **{k: raw.get(k) for k in _MEMORY},
        "load_peak_rss_mb": raw.get("load_peak_rss_mb"),
        "load_s": raw["load_s"],
        "cpu_s_best_run": runs[best].get("cpu_s"),
        "loadavg_1m": [raw.get("loadavg_before"), raw.get("loadavg_after")],
        "stages": {},
        "stage_share": {},
    })
    stages = runs[best].get("stages")
    if stages:
        row["stages"] = stages
        row["stage_share"] = {k: v / totals[best] for k, v in stages.items()}
    if "phonemes_match" in runs[best]:
        row["phonemes_match"] = all(r["phonemes_match"] for r in runs)
    if "prepared" in runs[-1]:
        row["prepared"] = runs[-1]["prepared"]
    return row


def _is_litert(engine: str) -> bool:
    return engine.startswith("litert")


def compute_ratios(results: list[dict]) -> list[dict]:
    """Each LiteRT engine / other per (text, threads): RTF on ids->audio time (< 1: LiteRT faster),
    first audio, peak RSS."""
    by = {(r["text"], r["threads"], r["engine"]): r for r in results if "error" not in r}
    out = []
    for (text, threads, engine), lite in by.items():
        if not _is_litert(engine):
            continue
        row = {"text": text, "threads": threads, "engine": engine}
        for other, key in (("pytorch", "litert/pytorch"), ("onnxruntime-int8", "litert/onnxruntime")):
            o = by.get((text, threads, other))
            if o is None:
                continue
            row[key] = {
                "rtf": (lite["synth_best_s"] / lite["audio_s"]) / (o["synth_best_s"] / o["audio_s"]),
                "rtf_median": (lite["synth_median_s"] / lite["audio_s"]) / (o["synth_median_s"] / o["audio_s"]),
                "first_audio": lite["first_audio_s"] / o["first_audio_s"],
                "peak_rss": lite["peak_rss_mb"] / o["peak_rss_mb"],
            }
        out.append(row)
    return out


def _machine_line(m: dict) -> str:
    flags = " ".join(m.get("flags") or []) or "?"
    return (f"machine: {m.get('cpu_model')} (family {m.get('cpu_family', '?')} model {m.get('cpu_model_number', '?')}), "
            f"flags {flags}; {m.get('usable_cpus')} usable CPUs ({m.get('physical_cores', '?')} physical cores), "
            f"{m.get('mem_total_mb')} MB")


def format_tables(report: dict) -> str:
    m = report["machine"]
    bundles = report.get("bundles") or ([{"engine": "litert-fp32", **report["bundle"]}] if "bundle" in report else [])
    lines = [_machine_line(m)]
    for b in bundles:
        lines.append(f"{b['engine']}: {b.get('path', '?')} buckets T{b.get('tokens')} L{b.get('frames')}")
    lines += [f"voice {report['voice']}, warm-up 1, best/median of {report['runs']}; "
              f"RSS in MB: peak = VmHWM, anon/file = RssAnon/RssFile at the highest sampled VmRSS; "
              f"load = 1-min load average before each worker", ""]
    width = max([17, *(len(r["engine"]) + 2 for r in report["results"])])
    head = (f"{'text':<7}{'thr':>4}  {'engine':<{width}}{'audio_s':>8}{'best_s':>8}{'median_s':>9}{'RTF':>7}"
            f"{'1st_audio_s':>12}{'peak_RSS':>9}{'anon':>6}{'file':>6}{'load':>6}")
    lines += [head, "-" * len(head)]
    for r in report["results"]:
        if "error" in r:
            lines.append(f"{r['text']:<7}{r['threads']:>4}  {r['engine']:<{width}}ERROR: {r['error']}")
            continue
        lines.append(f"{r['text']:<7}{r['threads']:>4}  {r['engine']:<{width}}{r['audio_s']:>8.2f}{r['best_s']:>8.3f}"
                     f"{r['median_s']:>9.3f}{r['rtf']:>7.3f}{r['first_audio_s']:>12.3f}{r['peak_rss_mb']:>9.0f}"
                     f"{_fmt(r.get('peak_anon_mb'), 0):>6}{_fmt(r.get('peak_file_mb'), 0):>6}"
                     f"{_fmt(r['loadavg_1m'][0]):>6}")
    if report["ratios"]:
        lines += ["", "LiteRT / other (ids->audio RTF, best; < 1 means LiteRT is faster / smaller)"]
        head = f"{'text':<7}{'thr':>4}  {'engine':<{width}}{'vs':<13}{'RTF':>7}{'RTF_med':>9}{'1st_audio':>10}{'peak_RSS':>10}"
        lines += [head, "-" * len(head)]
        for r in report["ratios"]:
            for key, name in (("litert/pytorch", "pytorch"), ("litert/onnxruntime", "onnxruntime")):
                if key in r:
                    x = r[key]
                    lines.append(f"{r['text']:<7}{r['threads']:>4}  {r.get('engine', 'litert'):<{width}}{name:<13}"
                                 f"{x['rtf']:>7.2f}{x['rtf_median']:>9.2f}{x['first_audio']:>10.2f}{x['peak_rss']:>10.2f}")
    lite = [r for r in report["results"] if _is_litert(r["engine"]) and r.get("stages")]
    if lite:
        lines += ["", "LiteRT stages, best run: seconds (share of end-to-end time)"]
        head = f"{'text':<7}{'thr':>4}  {'engine':<{width}}" + "".join(f"{s:>15}" for s in STAGES)
        lines += [head, "-" * len(head)]
        for r in lite:
            cells = "".join(f"{r['stages'][s]:>8.3f} ({100 * r['stage_share'][s]:>3.0f}%)" for s in STAGES)
            lines.append(f"{r['text']:<7}{r['threads']:>4}  {r['engine']:<{width}}{cells}")
    startup = report.get("startup") or []
    if startup:
        lines += ["", "LiteRT startup, fresh process each: Kokoro() and the first short sentence (stream), seconds"]
        head = (f"{'engine':<{width}}{'xnnpack':>8}{'thr':>4}{'import':>8}{'construct':>10}{'1st_audio':>10}"
                f"{'short':>8}{'peak_RSS':>9}{'anon':>6}{'file':>6}{'cache_MB':>9}")
        lines += [head, "-" * len(head)]
        for r in startup:
            if "error" in r:
                lines.append(f"{r['engine']:<{width}}{r['xnnpack']:>8}  ERROR: {r['error']}")
                continue
            lines.append(f"{r['engine']:<{width}}{r['xnnpack']:>8}{r['threads']:>4}{r['import_s']:>8.2f}"
                         f"{r['construct_s']:>10.2f}{r['first_audio_s']:>10.3f}{r['first_short_s']:>8.3f}"
                         f"{r['peak_rss_mb']:>9.0f}{_fmt(r.get('peak_anon_mb'), 0):>6}"
                         f"{_fmt(r.get('peak_file_mb'), 0):>6}{r['xnnpack_cache_mb']:>9.0f}")
    return "\n".join(lines)


def _fmt(x, digits: int = 1) -> str:
    return "?" if x is None else f"{x:.{digits}f}"


def _parse_threads(value) -> list[int]:
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    try:
        threads = [int(x) for x in str(value).split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--threads {value!r}: expected comma-separated integers like 1,2") from None
    if not threads or min(threads) < 1:
        raise ValueError(f"--threads {value!r}: expected positive integers")
    return threads


def _parse_texts(value) -> list[str]:
    names = [x.strip() for x in (value.split(",") if isinstance(value, str) else value) if x.strip()]
    unknown = [n for n in names if n not in TEXTS]
    if not names or unknown:
        raise ValueError(f"--texts {value!r}: expected a comma-separated subset of {','.join(TEXTS)}")
    return names


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``bench`` options; every default comes from ``DEFAULTS`` / ``QUICK``."""
    p.add_argument("--json", help="write the results here")
    p.add_argument("--quick", action="store_true",
                   help=f"CI: texts {','.join(QUICK.texts)}, {QUICK.runs} run, threads {_join(QUICK.threads)}")
    p.add_argument("--bundle", action="append", help="a bundle directory; repeat to compare bundles (default: the default bundle)")
    p.add_argument("--runs", type=int, help=f"timed runs per configuration (default {DEFAULTS.runs})")
    p.add_argument("--threads", help=f"comma-separated thread counts (default {_join(DEFAULTS.threads)})")
    p.add_argument("--texts", help=f"comma-separated subset of {','.join(TEXTS)} (default all)")
    p.add_argument("--voice", help=f"voice (default {DEFAULTS.voice})")
    p.add_argument("--no-startup", dest="startup", action="store_false", default=None,
                   help="skip the LiteRT cold/warm startup measurements")


def _join(values) -> str:
    return ",".join(str(v) for v in values)


def resolve_settings(args) -> Settings:
    """Command-line values over ``QUICK`` (``--quick``) or ``DEFAULTS``."""
    base = QUICK if getattr(args, "quick", False) else DEFAULTS
    runs = getattr(args, "runs", None)
    runs = base.runs if runs is None else int(runs)
    threads = getattr(args, "threads", None)
    threads = base.threads if threads is None else tuple(_parse_threads(threads))
    texts = getattr(args, "texts", None)
    startup = getattr(args, "startup", None)
    settings = Settings(texts=base.texts if texts is None else tuple(_parse_texts(texts)),
                        voice=getattr(args, "voice", None) or base.voice, runs=runs, threads=threads,
                        warmup=base.warmup, startup=base.startup if startup is None else bool(startup))
    if settings.runs < 1:
        raise ValueError("--runs must be at least 1")
    return settings


def _bundle_dirs(args) -> list[Path]:
    from .runtime.bundle import default_bundle_dir

    given = getattr(args, "bundle", None)
    if not given:
        return [default_bundle_dir()]
    return [Path(b) for b in given]


def main(args) -> dict:
    """The ``bench`` subcommand. ``args``: see ``add_arguments`` (json, quick, bundle, runs, threads, ...)."""
    import numpy as np
    from tqdm import tqdm

    from .cache import atomic_path
    from .converter.sources import fetch_onnx
    from .runtime.bundle import Bundle
    from .runtime.voices import load_npz

    settings = resolve_settings(args)
    quick = bool(getattr(args, "quick", False))
    threads, runs, names, voice = list(settings.threads), settings.runs, list(settings.texts), settings.voice

    bundles = [Bundle(d, verify=True) for d in _bundle_dirs(args)]  # once here; workers skip the hashing
    engines = litert_engine_names([(str(b.dir), b.manifest.get("precision")) for b in bundles])
    bundle = bundles[0]
    for other in bundles[1:]:  # identical ids for every engine: same vocab, same chunking
        if other.vocab != bundle.vocab or other.tokens[-1] != bundle.tokens[-1]:
            raise KokoroLiteRTError(f"bench: {other.dir} and {bundle.dir} differ in vocab or largest token bucket "
                                    f"({other.tokens[-1]} vs {bundle.tokens[-1]}), so they would not speak the same ids")
    texts = _prepare_texts(bundle, names)
    onnx = fetch_onnx()
    pack = load_npz(bundle.voices_path).get(voice)

    def describe(engine, b):
        return {"engine": engine, "path": str(b.dir), "tokens": b.tokens, "frames": b.frames,
                "prosody_frames": b.prosody_frames, "precision": b.manifest.get("precision"),
                "bytes": {g: b.path(g).stat().st_size for g in ("predictor", "prosody", "vocoder")}}

    report = {
        "machine": describe_machine(),
        "bundle": describe(engines[0], bundle),  # the first bundle (older readers)
        "bundles": [describe(e, b) for e, b in zip(engines, bundles)],
        "engines": [*engines, *REFERENCE_ENGINES],
        "onnx": {"file": onnx.name, "bytes": onnx.stat().st_size},
        "voice": voice, "speed": SPEED, "seed": SEED, "runs": runs, "warmup": settings.warmup, "quick": quick,
        "threads": threads,
        "texts": {n: {"text": t["text"], "chunks": len(t["chunks"]), "tokens": sum(len(c["ids"]) for c in t["chunks"]),
                      "phonemes": " ".join(c["phonemes"] for c in t["chunks"]), "g2p_s": t["g2p_s"]}
                  for n, t in texts.items()},
        "notes": ("best_s/median_s: end-to-end wall time (LiteRT from text, G2P included; others from the same "
                  "token ids); rtf = best_s / audio_s (speech only, inserted pauses excluded); ratios compare "
                  "ids->audio time (synth_*), < 1 means LiteRT is faster/smaller; peak_rss_mb is VmHWM (= ru_maxrss) "
                  "of a fresh process per configuration; peak_anon_mb/peak_file_mb/peak_shmem_mb are RssAnon/"
                  f"RssFile/RssShmem at the highest VmRSS sampled every {RSS_SAMPLE_S * 1000:.0f} ms by the driver "
                  "(peak_sampled_rss_mb, <= peak_rss_mb); end_*_mb the same read by the worker after its last run; "
                  "startup: fresh processes, xnnpack cold = empty XNNPACK weight-cache dir (packing included in "
                  "construct_s), warm = the same dir again; loadavg_1m (before, after the worker) shows load from "
                  "other processes, cpu_s_best_run is the worker's CPU time (all threads) over its best run; "
                  "multi-threaded engines (PyTorch's OpenMP above all) slow down sharply when another "
                  "process holds a core."),
        "results": [],
        "ratios": [],
        "startup": [],
    }
    litert = dict(zip(engines, bundles))
    configs = [(n, t, e) for n in names for t in threads for e in [*engines, *REFERENCE_ENGINES]]
    startups = [(e, mode) for e in engines for mode in ("cold", "warm")] if settings.startup else []
    common = {"voice": voice, "speed": SPEED, "seed": SEED}
    with tempfile.TemporaryDirectory(prefix="kokoro-bench-") as tmp:
        tmpdir = Path(tmp)
        pack_path = tmpdir / "voice.npy"
        np.save(pack_path, np.asarray(pack, np.float32))
        with tqdm(total=len(configs) + len(startups), desc="bench", unit="config", file=sys.stderr) as bar:
            for name, th, engine in configs:
                bar.set_postfix_str(f"{engine} {name} {th}t")
                b = litert.get(engine)
                spec = {**common, "engine": engine, "kind": "litert" if b else engine, "text": texts[name]["text"],
                        "chunks": texts[name]["chunks"], "threads": th, "runs": runs, "warmup": settings.warmup,
                        "bundle": str((b or bundle).dir), "onnx": str(onnx), "voice_pack": str(pack_path)}
                raw = _spawn(spec, tmpdir, f"{engine}-{name}-{th}")
                report["results"].append(_summarize(engine, name, th, raw))
                bar.update()
            for engine, mode in startups:
                bar.set_postfix_str(f"{engine} startup {mode}")
                th = max(threads)
                cache = tmpdir / f"cache-{engine}"  # cold: empty; warm: what the cold run packed
                spec = {**common, "mode": "startup", "engine": engine, "bundle": str(litert[engine].dir), "threads": th}
                raw = _spawn(spec, tmpdir, f"{engine}-startup-{mode}", env={"KOKORO_LITERT_CACHE": str(cache)})
                report["startup"].append({"engine": engine, "xnnpack": mode, "threads": th, **raw})
                bar.update()
    report["ratios"] = compute_ratios(report["results"])

    print(format_tables(report))
    if getattr(args, "json", None):
        with atomic_path(Path(args.json)) as out:
            out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    failed = [r for r in [*report["results"], *report["startup"]] if "error" in r]
    if failed:
        for r in failed:
            what = f"startup {r['xnnpack']}" if "xnnpack" in r else f"{r['text']} {r['threads']}t"
            print(f"{r['engine']} {what} failed: {r['error']}", file=sys.stderr)
            for line in r.get("log_tail", []):
                print(f"    {line}", file=sys.stderr)
        raise KokoroLiteRTError(f"bench: {len(failed)} of {len(configs) + len(startups)} configurations failed")
    return report


if __name__ == "__main__":
    if "--worker" in sys.argv[1:]:
        sys.exit(_worker_main(sys.argv[1:]))
    _parser = argparse.ArgumentParser(prog="python -m kokoro_litert.bench", description=__doc__.splitlines()[0])
    add_arguments(_parser)
    main(_parser.parse_args())
