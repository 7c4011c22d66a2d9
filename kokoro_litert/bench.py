"""``kokoro-litert bench``: LiteRT vs PyTorch vs onnxruntime on the same phonemes, voice and threads.

Three engines speak the same token ids (phonemized once, here, with the runtime's G2P and chunker):

* ``litert-fp32``: this package's runtime (``Kokoro.stream``) on a bundle, from text, stage by stage;
* ``pytorch``: ``kokoro.KModel`` with the same (ONNX-rebuilt) weights, ``forward_with_tokens`` per chunk;
* ``onnxruntime-int8``: kokoro-onnx's ``kokoro-v1.0.int8.onnx`` on onnxruntime's CPU provider, per chunk.

Every (engine, text, threads) configuration runs in its own fresh worker process
(``python -m kokoro_litert.bench --worker SPEC``) that loads the engine, does one warm-up pass over the
text (excluded), then N timed passes, and reports its own peak RSS (``ru_maxrss``): in-process memory
deltas would mix engines and allocator caches.

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
from pathlib import Path

from .errors import KokoroLiteRTError

ENGINES = ("litert-fp32", "pytorch", "onnxruntime-int8")
STAGES = ("g2p", "predictor", "alignment", "prosody", "source_stft", "vocoder", "istft", "joins")
_RUNTIME_STAGE = {"source": "source_stft"}  # Engine.speak's timing keys -> our names

VOICE = "af_heart"
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
            info["flags"] = [f for f in ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni",
                                         "avx_vnni", "amx_tile") if f in flags]
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
        kw = {} if spec.get("first_chunk_tokens") is None else {"first_chunk_tokens": spec["first_chunk_tokens"]}
        stream = self.tts.stream(spec["text"], voice=spec["voice"], speed=spec["speed"], seed=spec["seed"], **kw)
        for i, ch in enumerate(stream):
            if first is None:
                first = time.perf_counter() - start
            chunk_s += ch.seconds
            for k, v in ch.timings.items():
                stages[_RUNTIME_STAGE.get(k, k)] += v
            pause = chunks[i]["pause_s"] if i < len(chunks) else 0.0
            samples += len(ch.samples) - int(round(pause * self.sr))
            phonemes.append(ch.phonemes)
        total = time.perf_counter() - start
        model = sum(stages.values())
        stages["g2p"] = max(total - chunk_s, 0.0)  # everything outside the chunks' own clocks
        stages["joins"] = max(chunk_s - model, 0.0)  # fades, concatenation, pauses
        return {"total_s": total, "synth_s": total - stages["g2p"], "first_audio_s": first,
                "audio_s": samples / self.sr,
                "stages": {**{k: stages.get(k, 0.0) for k in STAGES}, **stages},  # + any new runtime stage
                "phonemes_match": phonemes == [c["phonemes"] for c in chunks]}


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


_WORKERS = {"litert-fp32": _LiteRT, "pytorch": _PyTorch, "onnxruntime-int8": _OnnxRuntime}


def _vm_hwm_mb() -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_worker(spec: dict) -> dict:
    """Load one engine, warm up, time ``spec['runs']`` passes over the text; runs in its own process."""
    start = time.perf_counter()
    engine = _WORKERS[spec["engine"]](spec)
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
    return {"load_s": load_s, "load_peak_rss_mb": load_rss, "runs": runs, "peak_rss_mb": _peak_rss_mb()}


def _worker_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m kokoro_litert.bench --worker")
    p.add_argument("--worker", required=True, help="spec JSON file")
    p.add_argument("--out", required=True, help="result JSON file")
    a = p.parse_args(argv)
    spec = json.loads(Path(a.worker).read_text())
    result = run_worker(spec)
    Path(a.out).write_text(json.dumps(result))
    return 0


# ------------------------------------------------------------------------------------------ driver


def stream_first_chunk_tokens():
    """The first-chunk token budget ``Kokoro.stream`` uses by default (None: whole sentences), so the
    chunks phonemized here are the very chunks the runtime streams, and every engine gets the same ones."""
    import inspect

    from .runtime import Kokoro

    param = inspect.signature(Kokoro.stream).parameters.get("first_chunk_tokens")
    return None if param is None or param.default is inspect.Parameter.empty else param.default


def _prepare_texts(bundle, names: list[str], first_chunk_tokens=None) -> dict:
    """Phonemize and chunk each text once with the runtime's G2P + chunker, as ``Kokoro.stream`` does."""
    from .runtime.chunker import split_text
    from .runtime.g2p import G2P
    from .runtime.tokenizer import Tokenizer

    g2p, tok = G2P(), Tokenizer(bundle.vocab)
    extra = () if first_chunk_tokens is None else (first_chunk_tokens,)
    out = {}
    for name in names:
        start = time.perf_counter()
        chunks = [{"text": c.text, "phonemes": c.phonemes, "ids": list(c.ids), "pause_s": c.pause_s}
                  for c in split_text(TEXTS[name], g2p, tok, bundle.tokens[-1], *extra)]
        out[name] = {"text": TEXTS[name], "chunks": chunks, "g2p_s": time.perf_counter() - start}
    return out


def _spawn(spec: dict, workdir: Path, tag: str) -> dict:
    spec_path, out_path, log_path = (workdir / f"{tag}.{ext}" for ext in ("spec.json", "result.json", "log"))
    spec_path.write_text(json.dumps(spec))
    load = _loadavg()
    cmd = [sys.executable, "-m", "kokoro_litert.bench", "--worker", str(spec_path), "--out", str(out_path)]
    with open(log_path, "wb") as log:
        rc = subprocess.run(cmd, stdout=log, stderr=subprocess.STDOUT, env=_set_threads_env(spec["threads"])).returncode
    if rc != 0 or not out_path.is_file():
        tail = log_path.read_text(errors="replace").strip().splitlines()[-15:]
        return {"error": f"worker exited with {rc}", "log_tail": tail}
    return {**json.loads(out_path.read_text()), "loadavg_before": load, "loadavg_after": _loadavg()}


def _loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


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
        "peak_rss_mb": raw["peak_rss_mb"],
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
    return row


def compute_ratios(results: list[dict]) -> list[dict]:
    """LiteRT / other per (text, threads): RTF on ids->audio time (< 1: LiteRT faster), first audio, peak RSS."""
    by = {(r["text"], r["threads"], r["engine"]): r for r in results if "error" not in r}
    out = []
    for (text, threads, engine), lite in by.items():
        if engine != "litert-fp32":
            continue
        row = {"text": text, "threads": threads}
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


def format_tables(report: dict) -> str:
    m = report["machine"]
    lines = [f"machine: {m.get('cpu_model')}, {m.get('usable_cpus')} usable CPUs "
             f"({m.get('physical_cores', '?')} physical cores), {m.get('mem_total_mb')} MB; "
             f"bundle buckets T{report['bundle']['tokens']} L{report['bundle']['frames']}; "
             f"voice {report['voice']}, warm-up 1, best/median of {report['runs']}; "
             f"load = 1-min load average before each worker", ""]
    head = (f"{'text':<7}{'thr':>4}  {'engine':<17}{'audio_s':>8}{'best_s':>8}{'median_s':>9}{'RTF':>7}"
            f"{'1st_audio_s':>12}{'peak_RSS_MB':>12}{'load':>6}")
    lines += [head, "-" * len(head)]
    for r in report["results"]:
        if "error" in r:
            lines.append(f"{r['text']:<7}{r['threads']:>4}  {r['engine']:<17}ERROR: {r['error']}")
            continue
        lines.append(f"{r['text']:<7}{r['threads']:>4}  {r['engine']:<17}{r['audio_s']:>8.2f}{r['best_s']:>8.3f}"
                     f"{r['median_s']:>9.3f}{r['rtf']:>7.3f}{r['first_audio_s']:>12.3f}{r['peak_rss_mb']:>12.0f}"
                     f"{_fmt(r['loadavg_1m'][0]):>6}")
    if report["ratios"]:
        lines += ["", "LiteRT / other (ids->audio RTF, best; < 1 means LiteRT is faster / smaller)"]
        head = f"{'text':<7}{'thr':>4}  {'vs':<13}{'RTF':>7}{'RTF_med':>9}{'1st_audio':>10}{'peak_RSS':>10}"
        lines += [head, "-" * len(head)]
        for r in report["ratios"]:
            for key, name in (("litert/pytorch", "pytorch"), ("litert/onnxruntime", "onnxruntime")):
                if key in r:
                    x = r[key]
                    lines.append(f"{r['text']:<7}{r['threads']:>4}  {name:<13}{x['rtf']:>7.2f}{x['rtf_median']:>9.2f}"
                                 f"{x['first_audio']:>10.2f}{x['peak_rss']:>10.2f}")
    lite = [r for r in report["results"] if r["engine"] == "litert-fp32" and r.get("stages")]
    if lite:
        lines += ["", "LiteRT stages, best run: seconds (share of end-to-end time)"]
        head = f"{'text':<7}{'thr':>4}  " + "".join(f"{s:>15}" for s in STAGES)
        lines += [head, "-" * len(head)]
        for r in lite:
            cells = "".join(f"{r['stages'][s]:>8.3f} ({100 * r['stage_share'][s]:>3.0f}%)" for s in STAGES)
            lines.append(f"{r['text']:<7}{r['threads']:>4}  {cells}")
    return "\n".join(lines)


def _fmt(x) -> str:
    return "?" if x is None else f"{x:.1f}"


def _parse_threads(value: str) -> list[int]:
    try:
        threads = [int(x) for x in str(value).split(",") if x.strip()]
    except ValueError:
        raise ValueError(f"--threads {value!r}: expected comma-separated integers like 1,2") from None
    if not threads or min(threads) < 1:
        raise ValueError(f"--threads {value!r}: expected positive integers")
    return threads


def main(args) -> dict:
    """The ``bench`` subcommand. ``args``: json, quick, bundle, runs, threads (see cli.py)."""
    import numpy as np
    from tqdm import tqdm

    from .cache import atomic_path
    from .converter.sources import fetch_onnx
    from .runtime.bundle import Bundle, default_bundle_dir
    from .runtime.voices import load_npz

    quick = bool(getattr(args, "quick", False))
    threads = _parse_threads(getattr(args, "threads", "1,2"))
    runs = int(getattr(args, "runs", 3))
    if quick:  # short text, one run, 2 threads -- unless the caller asked for other values explicitly
        threads = [2] if threads == [1, 2] else threads
        runs = 1 if runs == 3 else runs
    if runs < 1:
        raise ValueError("--runs must be at least 1")
    names = ["short"] if quick else list(TEXTS)

    bundle_dir = Path(args.bundle) if getattr(args, "bundle", None) else default_bundle_dir()
    bundle = Bundle(bundle_dir, verify=True)  # once here; workers skip the hashing
    first_chunk_tokens = stream_first_chunk_tokens()
    texts = _prepare_texts(bundle, names, first_chunk_tokens)
    onnx = fetch_onnx()
    pack = load_npz(bundle.voices_path).get(VOICE)

    report = {
        "machine": describe_machine(),
        "bundle": {"path": str(bundle.dir), "tokens": bundle.tokens, "frames": bundle.frames,
                   "precision": bundle.manifest.get("precision"),
                   "bytes": {g: bundle.path(g).stat().st_size for g in ("predictor", "prosody", "vocoder")}},
        "onnx": {"file": onnx.name, "bytes": onnx.stat().st_size},
        "voice": VOICE, "speed": SPEED, "seed": SEED, "runs": runs, "warmup": 1, "quick": quick,
        "first_chunk_tokens": first_chunk_tokens,
        "texts": {n: {"text": t["text"], "chunks": len(t["chunks"]), "tokens": sum(len(c["ids"]) for c in t["chunks"]),
                      "phonemes": " ".join(c["phonemes"] for c in t["chunks"]), "g2p_s": t["g2p_s"]}
                  for n, t in texts.items()},
        "notes": ("best_s/median_s: end-to-end wall time (LiteRT from text, G2P included; others from the same "
                  "token ids); rtf = best_s / audio_s (speech only, inserted pauses excluded); ratios compare "
                  "ids->audio time (synth_*), < 1 means LiteRT is faster/smaller; peak_rss_mb is ru_maxrss of a "
                  "fresh process per configuration; loadavg_1m (before, after the worker) shows load from other "
                  "processes, cpu_s_best_run is the worker's CPU time (all threads) over its best run; "
                  "multi-threaded engines (PyTorch's OpenMP above all) slow down sharply when another "
                  "process holds a core."),
        "results": [],
        "ratios": [],
    }
    configs = [(n, t, e) for n in names for t in threads for e in ENGINES]
    with tempfile.TemporaryDirectory(prefix="kokoro-bench-") as tmp:
        tmpdir = Path(tmp)
        pack_path = tmpdir / "voice.npy"
        np.save(pack_path, np.asarray(pack, np.float32))
        with tqdm(configs, desc="bench", unit="config", file=sys.stderr) as bar:
            for name, th, engine in bar:
                bar.set_postfix_str(f"{engine} {name} {th}t")
                spec = {"engine": engine, "text": texts[name]["text"], "chunks": texts[name]["chunks"],
                        "threads": th, "runs": runs, "warmup": 1, "bundle": str(bundle.dir), "onnx": str(onnx),
                        "voice": VOICE, "voice_pack": str(pack_path), "speed": SPEED, "seed": SEED,
                        "first_chunk_tokens": first_chunk_tokens}
                raw = _spawn(spec, tmpdir, f"{engine}-{name}-{th}")
                report["results"].append(_summarize(engine, name, th, raw))
    report["ratios"] = compute_ratios(report["results"])

    print(format_tables(report))
    if getattr(args, "json", None):
        with atomic_path(Path(args.json)) as out:
            out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {args.json}", file=sys.stderr)
    failed = [r for r in report["results"] if "error" in r]
    if failed:
        for r in failed:
            print(f"{r['engine']} {r['text']} {r['threads']}t failed: {r['error']}", file=sys.stderr)
            for line in r.get("log_tail", []):
                print(f"    {line}", file=sys.stderr)
        raise KokoroLiteRTError(f"bench: {len(failed)} of {len(configs)} configurations failed")
    return report


if __name__ == "__main__":
    if "--worker" in sys.argv[1:]:
        sys.exit(_worker_main(sys.argv[1:]))
    from .cli import main as _cli_main

    sys.exit(_cli_main(["bench", *sys.argv[1:]]))
