"""``kokoro-litert``: weights, voices, build, say, phonemize, export-android, eval, bench, serve, batch.

Every expected failure is a typed error printed as one line with exit code 1; Ctrl-C exits 130
without leaving half-written files (all outputs are written to a temporary name and renamed).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import KokoroLiteRTError

# What `build` makes by default: mixed meets the fidelity goals against fp32 (README "Precision")
DEFAULT_PRECISION = "mixed"
DEMO_TEXT = (
    "Kokoro is a small text to speech model with eighty two million parameters. "
    "Here it runs on LiteRT, the same runtime phones use, with no server involved. "
    "On March 3rd, 2024, Dr. Smith paid $42.50 for a coffee and a croissant; "
    "that is roughly 15% more than last year!"
)


def _cmd_weights(args) -> None:
    from .converter.weights import build_reference, load_checkpoint

    ckpt = load_checkpoint(args.weights, log=print)
    if args.reference:
        build_reference(ckpt)
        print("PyTorch reference KModel loaded strictly")


def _cmd_voices(args) -> None:
    from .errors import BundleError
    from .runtime.bundle import Bundle
    from .runtime.voices import load_npz

    try:
        names = load_npz(Bundle(args.bundle, verify=False).voices_path).names()
    except BundleError as e:
        from .converter.sources import ENGLISH_VOICES, VOICES_NPM

        print(f"{e}\nthe build packages these voices from {VOICES_NPM}:", file=sys.stderr)
        names = list(ENGLISH_VOICES)
    for name in names:
        print(name)


class _BuildLog:
    """One timestamped line per step, to stderr and to ``build.log`` beside the bundle."""

    def __init__(self, path: Path):
        import time

        self.start = time.perf_counter()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(path, "a", encoding="utf-8")

    def __call__(self, line: str) -> None:
        import time

        text = f"[{time.perf_counter() - self.start:7.1f} s] {line}"
        print(text, file=sys.stderr, flush=True)
        print(text, file=self.file, flush=True)


def _cmd_build(args) -> None:
    import platform

    from .bench import describe_machine
    from .buckets import load_spec
    from .native import quiet_native_logs
    from .runtime.bundle import default_bundle_dir

    out = Path(args.out) if args.out else default_bundle_dir()
    if args.precision != DEFAULT_PRECISION and not args.out:
        out = out.with_name(f"{out.name}-{args.precision}")
    spec = load_spec(args.buckets)
    log = _BuildLog(out / "build.log")
    machine = describe_machine()
    log(f"build {out} ({args.precision}, buckets {args.buckets}) on {machine.get('cpu_model', platform.machine())}, "
        f"{machine.get('usable_cpus')} cores, flags {' '.join(machine.get('flags', []))}")
    with quiet_native_logs(args.verbose):  # torch/torchao/transformers print import-time noise
        from .converter.export import build_bundle, print_summary
        from .converter.graphs import strip_weight_norm
        from .converter.parity import gate_is_current, record_gate, run_gate
        from .converter.weights import build_reference, load_checkpoint
    ckpt = load_checkpoint(args.weights, log=log)
    with quiet_native_logs(args.verbose):
        kmodel = strip_weight_norm(build_reference(ckpt))
    rows = build_bundle(ckpt, kmodel, spec, out, verbose=args.verbose, precision=args.precision,
                        threads=args.threads, rescan=args.rescan, log=log)
    print_summary(rows)
    log(f"bundle written: {out}")
    if args.skip_gate:
        record_gate(out, "skipped")
        log("parity gate skipped: the bundle is marked ungated and the runtime warns when it loads it")
        return
    if gate_is_current(out):
        record_gate(out, "passed")
        log(f"parity gate already passed for these exact graphs: {out / 'parity.json'}")
        return
    with quiet_native_logs(args.verbose):
        reference = build_reference(ckpt)
    run_gate(out, reference, threads=args.threads)
    log(f"parity gate passed: {out / 'parity.json'}")


def _write_wav(path: Path, samples, sample_rate: int) -> None:
    import soundfile as sf

    from .cache import atomic_path

    with atomic_path(path) as tmp:
        sf.write(str(tmp), samples, sample_rate, format="WAV", subtype="PCM_16")


def _read_text(args) -> str:
    if args.file:
        return Path(args.file).read_text(encoding="utf-8")
    if args.text == "-" or args.text is None:
        return sys.stdin.read()
    return args.text


def _cmd_say(args) -> None:
    import time

    import numpy as np
    from tqdm import tqdm

    from .runtime import Kokoro

    text = DEMO_TEXT if args.demo else _read_text(args)
    if args.output and not args.stream:
        _check_writable(Path(args.output))  # fail before any work
    if args.timestamps:
        from .runtime.timestamps import timestamps_format

        timestamps_format(args.timestamps)  # .json, .srt or .vtt, else a one-line error
        _check_writable(Path(args.timestamps))
    tts = Kokoro(args.bundle, threads=args.threads, g2p_fallback=args.g2p_fallback)
    start = time.perf_counter()
    if args.stream:
        words = _stream_stdout(tts, text, args)
        _write_timestamps(args, words)
        return
    if not args.output:
        raise SystemExit("kokoro-litert say: give -o OUT.wav, or --stream to write audio to stdout")
    chunks, dropped, words = [], (), []
    show = None if len(text) > 400 else True  # progress bar for anything longer than a few sentences
    with tqdm(total=len(text), unit="char", file=sys.stderr, disable=show, desc="speaking") as bar:
        # a file gets every sentence spoken whole (no fast start: nobody is waiting for the first piece)
        for chunk in tts.stream(text, voice=args.voice, speed=args.speed, seed=args.seed, first_piece_frames=None):
            chunks.append(chunk.samples)
            dropped += chunk.dropped
            words += _keyed_words(chunk)
            bar.update(len(chunk.text))
    _note_dropped(dropped)
    audio = np.concatenate(chunks)
    _write_wav(Path(args.output), audio, tts.sample_rate)
    _write_timestamps(args, words)
    seconds = time.perf_counter() - start
    length = len(audio) / tts.sample_rate
    print(f"wrote {args.output}: {length:.2f} s of audio in {seconds:.2f} s (RTF {seconds / length:.3f})")


def _keyed_words(chunk) -> list:
    return list(zip(chunk.words, chunk.word_keys or [None] * len(chunk.words)))


def _write_timestamps(args, keyed_words) -> None:
    """``--timestamps FILE``: the words' times on the output audio, as JSON, SRT or WebVTT."""
    if not args.timestamps:
        return
    from .runtime.pipeline import merge_words
    from .runtime.timestamps import write_timestamps

    words = merge_words(keyed_words)
    write_timestamps(args.timestamps, words)
    print(f"wrote {args.timestamps}: {len(words)} words", file=sys.stderr if args.stream else sys.stdout)


def _stream_stdout(tts, text: str, args) -> list:
    """Audio to stdout as it is made; returns the (Word, key) pairs of what was spoken."""
    import itertools

    import numpy as np

    out = sys.stdout.buffer
    chunks = tts.stream(text, voice=args.voice, speed=args.speed, seed=args.seed)
    first = next(chunks)  # bad text, voice or speed fail here, before any byte is written
    if args.stream == "wav":  # a WAV header with an open-ended length, as players accept for pipes
        import struct

        sr = tts.sample_rate
        out.write(b"RIFF" + struct.pack("<I", 0xFFFFFFFF) + b"WAVEfmt " +
                  struct.pack("<IHHIIHH", 16, 1, 1, sr, sr * 2, 2, 16) + b"data" + struct.pack("<I", 0xFFFFFFFF))
    dropped, words = (), []
    for chunk in itertools.chain([first], chunks):
        pcm = (np.clip(chunk.samples, -1, 1) * 32767).astype("<i2")
        out.write(pcm.tobytes())  # a reader that went away (| head -c 100): BrokenPipeError, see main
        out.flush()
        dropped += chunk.dropped
        words += _keyed_words(chunk)
    _note_dropped(dropped)
    return words


def _check_writable(path: Path) -> None:
    """Fail before any synthesis if ``path`` cannot be written: its directory must exist (none is
    created) and accept a new file (probed with a temporary file, which also works as root)."""
    import tempfile

    parent = path.resolve().parent
    if not parent.is_dir():
        raise FileNotFoundError(f"{path}: directory {path.parent} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory")
    try:
        with tempfile.NamedTemporaryFile(dir=parent, prefix=f".{path.name}.", suffix=".probe"):
            pass
    except OSError as e:
        raise PermissionError(f"{path}: cannot write in {path.parent} ({e.strerror or e})") from None


def _note_dropped(dropped) -> None:
    """One stderr line naming what the text held that could not be spoken (emoji, symbols, ...)."""
    if dropped:
        unique = list(dict.fromkeys(dropped))
        shown = ", ".join(repr(d) for d in unique[:10]) + (f" and {len(unique) - 10} more" if len(unique) > 10 else "")
        print(f"kokoro-litert: note: left out what cannot be spoken: {shown}", file=sys.stderr)


def _front_end(bundle_dir, g2p_fallback: str = "espeak"):
    """G2P, tokenizer and max tokens from a bundle's manifest (no graph is loaded); without a usable
    bundle, Kokoro's own vocab and the default buckets' largest token bucket, and a note saying so."""
    import json
    import struct
    from importlib import resources

    from .buckets import load_spec
    from .errors import BundleError
    from .runtime.bundle import Bundle
    from .runtime.g2p import G2P
    from .runtime.pipeline import g2p_fallback_for
    from .runtime.tokenizer import Tokenizer

    fallback = True
    try:
        bundle = Bundle(bundle_dir, verify=False)
        vocab, max_tokens, source, note = bundle.vocab, bundle.tokens[-1], str(bundle.dir), None
        fallback = g2p_fallback_for(bundle, g2p_fallback)
    except (BundleError, KeyError, TypeError, ValueError, AttributeError, IndexError, struct.error) as e:
        # only the vocab and the token buckets are needed here: any unusable bundle falls back
        vocab = json.loads(resources.files("kokoro_litert.converter").joinpath("kokoro_config.json").read_text())["vocab"]
        max_tokens, source = load_spec("default").tokens[-1], None
        note = (f"kokoro-litert: note: no usable bundle ({e}); using Kokoro's vocab and the default buckets "
                f"(max {max_tokens} tokens)")
        if g2p_fallback != "espeak":
            raise
    return G2P(fallback=fallback), Tokenizer(vocab), max_tokens, source, note


def _cmd_phonemize(args) -> None:
    import json

    from .runtime.chunker import split_text

    text = _read_text(args)
    g2p, tokenizer, max_tokens, source, note = _front_end(args.bundle, args.g2p_fallback)
    chunks = list(split_text(text, g2p, tokenizer, max_tokens))  # bad text: only its error line is printed
    if note:
        print(note, file=sys.stderr)
    if args.json:
        rows = [{"text": c.text, "phonemes": c.phonemes, "tokens": c.tokens, "pause_s": c.pause_s,
                 "dropped": list(c.dropped), "ids": c.ids, "words": list(c.words), "id_words": list(c.id_words)}
                for c in chunks]
        print(json.dumps({"bundle": source, "max_tokens": max_tokens, "chunks": rows}, ensure_ascii=False))
    else:
        for i, c in enumerate(chunks, 1):
            print(f"[{i}] {c.tokens} tokens, pause {c.pause_s:.2f} s\n    {c.text}\n    {c.phonemes}")
    _note_dropped(tuple(d for c in chunks for d in c.dropped))


def _cmd_export_android(args) -> None:
    """Copy what the Android app loads (every file the manifest lists, and the manifest) into one
    folder, each file checked against its sha256, and print how to push it to a device."""
    import shutil

    from .cache import atomic_path
    from .errors import BundleError
    from .runtime.bundle import MANIFEST, Bundle

    bundle = Bundle(args.bundle, verify=True)
    if "text" not in bundle.manifest:
        raise BundleError(f"{bundle.dir}: built before the Java front-end (no lexicon or G2P graph): rebuild it")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    m = bundle.manifest
    files = [e["file"] for e in (*m["graphs"].values(), m["voices"], *m["text"].values())]
    for name in files:  # the manifest last: a folder with a manifest is complete
        with atomic_path(out / name) as tmp:
            shutil.copyfile(bundle.dir / name, tmp)
    with atomic_path(out / MANIFEST) as tmp:
        shutil.copyfile(bundle.dir / MANIFEST, tmp)
    size = sum((out / n).stat().st_size for n in files) / 1e6
    print(f"{out}: {len(files) + 1} files, {size:.1f} MB ({m['precision']})\n"
          f"push it to the app (its external files dir, read at start):\n"
          f"  adb shell mkdir -p /sdcard/Android/data/dev.kokorolitert.demo/files/bundle\n"
          f"  adb push {out}/. /sdcard/Android/data/dev.kokorolitert.demo/files/bundle/")


def _cmd_bench(args) -> None:
    from .bench import main as bench_main

    bench_main(args)


def _cmd_eval(args) -> None:
    from .evaluate import main as eval_main

    eval_main(args)


G2P_FALLBACK = dict(choices=["espeak", "graph"], default="espeak",
                    help="how words missing from the lexicons are spelled: espeak-ng (default) or the bundle's "
                         "neural G2P graph (what the Android app uses)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kokoro-litert", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    w = sub.add_parser("weights", help="obtain, verify and load the Kokoro-82M weights")
    w.add_argument("--weights", default="onnx", help="onnx (default, offline), hf, a directory, .pth or .onnx")
    w.add_argument("--reference", action="store_true", help="also build the PyTorch reference model")
    w.set_defaults(func=_cmd_weights)

    v = sub.add_parser("voices", help="list the voices in a bundle")
    v.add_argument("--bundle", help="bundle directory (default: the cache's default bundle)")
    v.set_defaults(func=_cmd_voices)

    b = sub.add_parser("build", help="convert Kokoro-82M into a LiteRT bundle and run the parity gate")
    b.add_argument("--out", help="bundle directory (default: the cache's default bundle)")
    b.add_argument("--buckets", default="default", help="bucket spec name (default, ci) or a .toml path")
    b.add_argument("--weights", default="onnx")
    b.add_argument("--precision", choices=["fp32", "fp16", "int8", "mixed"], default=DEFAULT_PRECISION,
                   help="mixed (the default: each layer group int8 or fp32, chosen by a sensitivity scan to stay "
                        "within 0.5 dB of fp32, durations exactly fp32's); fp32 (as converted); fp16 (vocoder "
                        "weights in half precision: half the download, but LiteRT expands them to fp32 in RAM once "
                        "per bucket); int8 (every large layer group dynamic-range int8: smallest and fastest, "
                        "audibly coarser). A non-default precision without --out builds next to the default "
                        "bundle with a -PRECISION suffix")
    b.add_argument("--rescan", action="store_true",
                   help="mixed: run the sensitivity scan instead of using the packaged per-group plan")
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--skip-gate", action="store_true", help="do not run the parity gate")
    b.add_argument("-v", "--verbose", action="store_true", help="show the converter's native logs")
    b.set_defaults(func=_cmd_build)

    s = sub.add_parser("say", help="speak text to a WAV file or to stdout")
    s.add_argument("text", nargs="?", help="text to speak ('-' or nothing: read stdin)")
    s.add_argument("-o", "--output", help="output WAV path")
    s.add_argument("--file", help="read the text from this file")
    s.add_argument("--demo", action="store_true", help="speak the built-in demo paragraph")
    s.add_argument("--voice", default="af_heart", help="a name, a file, or a blend like af_heart:0.7,am_michael:0.3")
    s.add_argument("--speed", type=float, default=1.0)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--stream", nargs="?", const="wav", choices=["wav", "pcm"], help="write audio to stdout as it is made")
    s.add_argument("--timestamps", metavar="FILE",
                   help="also write each word's start and end on the audio: FILE.json (a list of {word, start, end}), "
                        ".srt or .vtt (cues of a few words); with -o or --stream")
    s.add_argument("--bundle")
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--g2p-fallback", **G2P_FALLBACK)
    s.set_defaults(func=_cmd_say)

    ph = sub.add_parser("phonemize", help="show the normalised text, phonemes, tokens and pause of each chunk (no audio)")
    ph.add_argument("text", nargs="?", help="text ('-' or nothing: read stdin)")
    ph.add_argument("--file", help="read the text from this file")
    ph.add_argument("--json", action="store_true", help="one JSON object: bundle, max_tokens and the chunks")
    ph.add_argument("--bundle", help="bundle whose vocab and token buckets to use (default: the cache's default bundle)")
    ph.add_argument("--g2p-fallback", **G2P_FALLBACK)
    ph.set_defaults(func=_cmd_phonemize)

    ea = sub.add_parser("export-android", help="copy a bundle into the folder the Android app loads, and print the adb push steps")
    ea.add_argument("--out", required=True, help="folder to write (created)")
    ea.add_argument("--bundle", help="bundle to export (default: the cache's default bundle)")
    ea.set_defaults(func=_cmd_export_android)

    bench = sub.add_parser("bench", help="LiteRT bundles vs PyTorch vs onnxruntime: speed, memory, startup")
    from .bench import add_arguments as bench_arguments

    bench_arguments(bench)
    bench.set_defaults(func=_cmd_bench)

    ev = sub.add_parser("eval", help="speech quality: fidelity vs fp32 and PyTorch, Whisper WER/CER, speaker similarity, size, RTF")
    ev.add_argument("--bundle", action="append", help="a bundle to evaluate (repeatable; default: the cache's default bundle)")
    ev.add_argument("--reference-bundle", help="the bundle others are compared with (default: the first fp32 one given)")
    ev.add_argument("--json", help="write the full report (one entry per bundle) here")
    ev.add_argument("--quick", action="store_true", help="the first 8 sentences only, short enough for the CI bundle")
    ev.add_argument("--threads", type=int, default=2)
    ev.add_argument("--no-pytorch", action="store_true", help="skip the comparison with hexgrad's PyTorch KModel")
    ev.set_defaults(func=_cmd_eval)

    from . import batch, serve  # light at import time: fastapi, uvicorn and ray load when used

    sv = sub.add_parser("serve", help="an OpenAI-compatible speech server (POST /v1/audio/speech; the serve extra)")
    serve.add_arguments(sv)
    sv.set_defaults(func=serve.main)

    ba = sub.add_parser("batch", help="speak a JSONL file of jobs to audio files, resumably (local processes or Ray)")
    batch.add_arguments(ba)
    ba.set_defaults(func=batch.main)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        threads = getattr(args, "threads", None)
        if isinstance(threads, int) and threads < 1:
            raise ValueError(f"--threads must be at least 1, got {threads}")
        args.func(args)
    except BrokenPipeError:  # the reader of stdout went away (| head): stop quietly
        _silence_stdout()
        return 0
    except KokoroLiteRTError as e:
        print(f"kokoro-litert: error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"kokoro-litert: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # unreadable --file, unwritable output, ...: one line, no traceback
        print(f"kokoro-litert: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("kokoro-litert: interrupted", file=sys.stderr)
        return 130
    return 0


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
