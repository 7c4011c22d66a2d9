"""runtime/bundle_format.json is the one definition of a manifest: the Python runtime
(runtime/manifest.py) and the Java core (Manifest.java via BundleFormat) must accept the real
manifest and reject the same broken ones with the same message."""

from __future__ import annotations

import copy
import json
import os
import subprocess

import pytest

from kokoro_litert.runtime.manifest import FORMAT_VERSION, MANIFEST, validate

from test_android_core import DEMO, _tools

CHECKER = """
import dev.kokorolitert.core.Manifest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

public class ManifestCheck {
    public static void main(String[] args) throws Exception {
        for (String path : args) {
            try {
                new Manifest(new String(Files.readAllBytes(Paths.get(path)), StandardCharsets.UTF_8));
                System.out.println("ok");
            } catch (IllegalArgumentException e) {
                System.out.println(e.getMessage().replaceFirst("^manifest: ", ""));
            }
        }
    }
}
"""


def _compile_main(javac: str, tmp_path, name: str, source: str):
    """``source`` (class ``name``) and the core classes it uses, with the core's resource."""
    classes = tmp_path / "classes"
    (tmp_path / f"{name}.java").write_text(source)
    r = subprocess.run([javac, "--release", "11", "-encoding", "UTF-8", "-d", str(classes),
                        "-sourcepath", str(DEMO / "core" / "src" / "main" / "java"), str(tmp_path / f"{name}.java")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (classes / "bundle_format.json").write_bytes((DEMO.parent / "runtime" / "bundle_format.json").read_bytes())
    return classes


def _set(path: str, value):
    def mutate(m):
        *keys, last = path.split(".")
        for k in keys:
            m = m[k]
        if value is KeyError:
            del m[last]
        else:
            m[last] = value
    return mutate


MUTATIONS = {
    "model.weights_sha256": (_set("model.weights_sha256", KeyError), "manifest.model.weights_sha256 is missing"),
    "gate": (_set("gate", KeyError), "manifest.gate is missing"),
    "buckets.tokens": (_set("buckets.tokens", "32"), "manifest.buckets.tokens must be a non-empty list"),
    "vocab": (_set("vocab.a", "x"), "manifest.vocab.a must be of type int"),
    "unknown": (_set("extra", 1), f"manifest.extra is not a key of bundle format {FORMAT_VERSION}"),
    "sine_amp": (_set("source.sine_amp", "0.1"), "manifest.source.sine_amp must be of type number"),
    "bytes": (_set("graphs.vocoder.bytes", 1.5), "manifest.graphs.vocoder.bytes must be of type int"),
    "letters": (_set("text.g2p.letters", []), "manifest.text.g2p.letters must be a non-empty list"),
    "voices": (_set("voices", []), "manifest.voices must be an object"),
}


def test_python_and_java_read_one_format(real_bundle, tmp_path):
    javac, java, _ = _tools()
    manifest = json.loads((real_bundle / MANIFEST).read_text())
    validate(manifest)
    cases = {"real": manifest}
    for name, (mutate, _) in MUTATIONS.items():
        m = copy.deepcopy(manifest)
        mutate(m)
        cases[name] = m
    paths = []
    for name, m in cases.items():
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(m))
    classes = _compile_main(javac, tmp_path, "ManifestCheck", CHECKER)
    r = subprocess.run([java, "-cp", str(classes), "ManifestCheck", *map(str, paths)], capture_output=True, text=True,
                       env=os.environ, timeout=120)
    assert r.returncode == 0, r.stderr
    java_says = dict(zip(cases, r.stdout.splitlines()))
    assert java_says["real"] == "ok"
    for name, (_, message) in MUTATIONS.items():
        with pytest.raises(ValueError) as e:
            validate(cases[name])
        assert str(e.value) == message
        assert java_says[name] == message, name


OPENER = """
import dev.kokorolitert.core.Kokoro;
import java.io.File;

public class OpenBundle {
    public static void main(String[] args) throws Exception {
        try {
            Kokoro.open(new File(args[0]), (dir, manifest) -> { throw new IllegalStateException("reached the graphs"); }, false);
        } catch (Kokoro.BundleError e) {
            System.out.println("BundleError: " + e.getMessage());
        } catch (IllegalStateException e) {
            System.out.println(e.getMessage());
        }
    }
}
"""


def test_a_graph_from_another_build_is_refused_by_both_runtimes(real_bundle, tmp_path):
    """Each shipped .tflite carries its own record (graph, signatures, weights sha256): a graph
    re-labelled as coming from other weights is refused on load, even with a manifest that lists
    its size and sha256 correctly."""
    from kokoro_litert.cache import sha256_file
    from kokoro_litert.converter.export import finalize_graph
    from kokoro_litert.errors import BundleError
    from kokoro_litert.runtime.bundle import Bundle, graph_info
    from kokoro_litert.runtime.manifest import read, write

    javac, java, _ = _tools()
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    manifest = read(real_bundle / MANIFEST)
    for entry in [*manifest["graphs"].values(), manifest["voices"], *manifest["text"].values()]:
        (bundle / entry["file"]).symlink_to((real_bundle / entry["file"]).resolve())
    write(bundle / MANIFEST, manifest)
    Bundle(bundle, verify=False)  # the copy as it is loads

    prosody = bundle / manifest["graphs"]["prosody"]["file"]
    meta = graph_info(real_bundle / prosody.name)[1]
    prosody.unlink()
    finalize_graph(real_bundle / prosody.name, prosody, {**meta, "weights_sha256": "f" * 64})
    manifest["graphs"]["prosody"].update(bytes=prosody.stat().st_size, sha256=sha256_file(prosody))
    write(bundle / MANIFEST, manifest)
    with pytest.raises(BundleError, match="its own metadata"):
        Bundle(bundle, verify=False)

    classes = _compile_main(javac, tmp_path, "OpenBundle", OPENER)
    r = subprocess.run([java, "-cp", str(classes), "OpenBundle", str(bundle)], capture_output=True, text=True, timeout=120)
    assert r.stdout.startswith("BundleError: ") and "prosody" in r.stdout and "own metadata" in r.stdout, r.stdout + r.stderr
