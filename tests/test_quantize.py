"""Layer groups and per-group quantization on a small converted graph."""

from __future__ import annotations

import mmap

import numpy as np
import pytest
import torch
from torch import nn

from kokoro_litert.converter.graphs import Group, _call
from kokoro_litert.converter.masked import MaskedBiLSTM
from kokoro_litert.converter.quantize import _group_of, layer_groups, predicted_bytes, quantize_graph


class TwoGroups(nn.Module):
    def __init__(self):
        super().__init__()
        self.front = Group(_call, nn.Sequential(nn.Conv1d(8, 64, 3, padding=1), nn.LeakyReLU(), nn.Conv1d(64, 64, 3, padding=1)))
        self.lstm = MaskedBiLSTM(nn.LSTM(64, 16, batch_first=True, bidirectional=True))
        self.back = Group(_call, nn.Conv1d(32, 8, 5, padding=2))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.lstm(self.front(x).transpose(1, 2), mask[:, None]).transpose(1, 2)
        return self.back(h)


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    import litert_torch

    torch.manual_seed(0)
    model = TwoGroups().eval()
    x, mask = torch.randn(1, 8, 12), torch.ones(1, 12)
    path = tmp_path_factory.mktemp("q") / "two.tflite"
    with torch.no_grad():
        litert_torch.convert(model, (x, mask)).export(str(path))
        expected = model(x, mask).numpy()
    return path, x.numpy(), mask.numpy(), expected


def _run(path, x, mask) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter

    runner = Interpreter(model_path=str(path)).get_signature_runner()
    (name_x, name_m) = sorted(runner.get_input_details(), key=lambda k: runner.get_input_details()[k]["index"])
    return next(iter(runner(**{name_x: x, name_m: mask}).values()))


def _weight_types(path) -> dict[str, set[int]]:
    """Group -> tensor types of the weights its ops read."""
    from ai_edge_litert import schema_py_generated as schema

    out: dict[str, set[int]] = {}
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        model = schema.Model.GetRootAs(buf, 0)
        graph = model.Subgraphs(0)
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            group = _group_of(graph.Tensors(op.Outputs(0)).Name().decode())
            if group is None or op.InputsLength() < 2 or op.Inputs(1) < 0:
                continue
            out.setdefault(group, set()).add(graph.Tensors(op.Inputs(1)).Type())
    return out


def test_group_names_are_read_from_op_names():
    assert _group_of("pkg.VocoderGraph/pkg.Group_res3/torch.nn.modules.conv.Conv1d_convs1_0;12") == "res3"
    assert _group_of("pkg.PredictorGraph/pkg.MaskedBiLSTM_dur_lstm0;57") == "dur_lstm0"
    assert _group_of("a.G/a.Group_x;;a.G/a.Group_y/torch.Conv1d_0;") == "y"  # fused names: the op's own scope is last
    assert _group_of("pkg.VocoderGraph;196") is None


def test_layer_groups_count_each_weight_once(converted):
    path, *_ = converted
    groups = layer_groups(path)
    assert set(groups) == {"front", "lstm", "back"}
    assert groups["front"].weights >= 8 * 64 * 3 + 64 * 64 * 3
    # every step of the unrolled LSTM reads the same two recurrent weights: counted once
    assert groups["lstm"].weights < 2 * (4 * 16 * 64 + 4 * 16 * 16 + 4 * 16) + 64
    assert predicted_bytes(groups, {"front": "int8"}) < predicted_bytes(groups, {})


def test_quantize_only_the_planned_groups(converted, tmp_path):
    from ai_edge_litert import schema_py_generated as schema

    path, x, mask, expected = converted
    out = tmp_path / "q.tflite"
    quantize_graph(path, out, {"front": "int8", "back": "fp16"})
    types = _weight_types(out)
    assert schema.TensorType.INT8 in types["front"]
    assert schema.TensorType.INT8 not in types["lstm"] and schema.TensorType.FLOAT16 not in types["lstm"]
    assert out.stat().st_size < path.stat().st_size
    got = _run(out, x, mask)
    rel = np.abs(got - expected).max() / np.abs(expected).max()
    assert 0 < rel < 0.05, rel  # quantized, and still close


def test_unknown_group_or_precision_is_refused(converted, tmp_path):
    path, *_ = converted
    with pytest.raises(ValueError, match="no layer groups"):
        quantize_graph(path, tmp_path / "x.tflite", {"nope": "int8"})
    with pytest.raises(ValueError, match="unknown precision"):
        quantize_graph(path, tmp_path / "x.tflite", {"front": "int3"})
    assert not (tmp_path / "x.tflite").exists()


def test_select_plan_takes_the_cheapest_damage_per_byte_within_the_target():
    """A fake bundle whose damage adds up: the scan keeps the groups that cost least per byte, one
    that hurts durations never, one upstream of the durations never (even when harmless on the
    calibration sentences), and measures (not predicts) every plan it keeps."""
    from kokoro_litert.converter import sensitivity as s

    groups = {"a": {"big_cheap": 8_000_000, "small_dear": 400_000, "timing": 2_000_000, "tiny": 50_000},
              "b": {"mid": 3_000_000, "late": 1_000_000},
              "predictor": {"lstm": 5_000_000, "text_lstm": 5_000_000}}
    cost = {"big_cheap": 0.10, "small_dear": 0.30, "timing": 0.01, "mid": 0.12, "late": 0.12, "lstm": 0.0,
            "text_lstm": 0.35}
    trials = []

    def trial(plan):
        trials.append(plan)
        int8 = [name for g in plan.values() for name, p in g.items() if p == "int8"]
        db = sum(cost[n] for n in int8)
        return {"logmel_db": db, "magspec_corr": 1 - db / 100, "durations_equal": 0.9 if "timing" in int8 else 1.0}

    record = s.select_plan(groups, trial, log=lambda line: None)
    plan = record["plan"]
    assert plan["a"]["tiny"] == "fp32"  # under MIN_WEIGHTS: never scanned
    assert plan["a"]["timing"] == "fp32"  # changes durations
    assert plan["predictor"]["lstm"] == "fp32"  # upstream of the durations: never a candidate
    # by dB per weight: big_cheap (1.25e-8), mid (4e-8), text_lstm (7e-8), late (1.2e-7), small_dear
    # (7.5e-7); the 0.35 dB target fits big_cheap + mid + late (0.34), with nothing else on top
    assert [n for g in plan.values() for n, p in g.items() if p == "int8"] == ["big_cheap", "mid", "late"]
    assert s.TARGET["logmel_db"] == 0.35 and record["result"]["logmel_db"] == pytest.approx(0.34) and s.within_target(record["result"])
    assert {r["group"] for r in record["groups"]} == set(cost)
    assert all(p in ("int8", "fp32") for plan in trials for g in plan.values() for p in g.values())


# ------------------------------------------------------------------ the real CI bundle in mixed precision

# The eval goals of a mixed bundle against the fp32 bundle (README "Precision"); CI holds the
# CI bundle to them on the quick suite.
MIXED_GOALS = {"corr_mean": 0.995, "corr_worst": 0.99, "logmel_db_mean": 0.5, "durations": 0.98,
               "wer_over_fp32": 0.01, "similarity": 0.95}


@pytest.fixture(scope="session")
def mixed_bundle(real_bundle):
    """The CI bundle built in mixed precision by the real CLI (its fp32 graphs come from the cache
    that ``real_bundle`` filled; the sensitivity scan runs on them), parity gate included."""
    import subprocess
    import sys

    out = real_bundle.with_name(real_bundle.name + "-mixed")
    cmd = [sys.executable, "-m", "kokoro_litert.cli", "build", "--buckets", "ci", "--precision", "mixed", "--out", str(out)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return out


@pytest.mark.real
def test_the_scan_speaks_through_named_graphs_the_runtime_accepts(real_bundle, tmp_path):
    """``build --rescan``: the sensitivity scan selects groups by the converted graphs' tensor names
    and speaks through them with the runtime, which refuses a graph without its metadata record."""
    import json
    import re

    from kokoro_litert.cache import cache_dir
    from kokoro_litert.converter.sensitivity import Probe, variant_bundle
    from kokoro_litert.runtime.bundle import GRAPHS, Bundle, graph_info

    manifest = json.loads((real_bundle / "manifest.json").read_text())
    named = {}
    for graph in GRAPHS:  # the newest converted graph with the CI bundle's signatures
        files = [p for p in cache_dir("graphs").glob(f"{graph}-*.tflite") if re.fullmatch(rf"{graph}-[0-9a-f]{{20}}", p.stem)
                 and sorted(graph_info(p)[0]) == sorted(manifest["graphs"][graph]["signatures"])]
        named[graph] = max(files, key=lambda p: p.stat().st_mtime)
    base = variant_bundle(real_bundle, tmp_path / "fp32", named, keep_names=True)
    Bundle(base)  # metadata and signatures checked
    assert all(layer_groups(base / f"{g}.tflite") for g in GRAPHS)  # names kept
    damage = Probe(base).measure(base, {})
    assert damage == {"logmel_db": 0.0, "magspec_corr": pytest.approx(1.0), "durations_equal": 1.0}


@pytest.mark.real
def test_mixed_bundle_records_every_group_and_shrinks(mixed_bundle, real_bundle):
    import json

    import re

    from kokoro_litert.cache import cache_dir
    from kokoro_litert.runtime.bundle import GRAPHS

    manifest = json.loads((mixed_bundle / "manifest.json").read_text())
    fp32 = json.loads((real_bundle / "manifest.json").read_text())
    assert manifest["precision"] == "mixed" and manifest["voices"]["dtype"] == "float16"
    plan = manifest["quantization"]["plan"]
    assert {p for groups in plan.values() for p in groups.values()} == {"int8", "fp32"}
    for graph in GRAPHS:
        # the bundle's graphs ship without tensor names; the converted graphs in the cache keep them
        named = [p for p in cache_dir("graphs").glob(f"{graph}-*.tflite") if re.fullmatch(rf"{graph}-[0-9a-f]{{20}}", p.stem)]
        assert named and all(set(plan[graph]) == set(layer_groups(p)) for p in named), graph  # every group recorded
        assert layer_groups(mixed_bundle / f"{graph}.tflite") == {}, graph
    sizes = {g: manifest["graphs"][g]["bytes"] for g in GRAPHS}
    # the default bundle's mixed graphs: 193 of 337 MB; the CI bundle's: 185 of 332 MB
    assert sum(sizes.values()) < 0.6 * sum(fp32["graphs"][g]["bytes"] for g in GRAPHS), sizes
    assert json.loads((mixed_bundle / "parity.json").read_text())["passed"]


@pytest.mark.real
def test_mixed_bundle_meets_the_quality_goals(mixed_bundle, real_bundle):
    """Free-running, every sentence: the duration path is fp32 in a mixed bundle, so every token's
    duration is fp32's and the spectra compare frame for frame."""
    from kokoro_litert.evaluate import evaluate

    report = evaluate([real_bundle, mixed_bundle], reference=real_bundle, quick=True, pytorch=False)
    fp32, mixed = report["results"]
    assert mixed["precision"] == "mixed" and fp32["precision"] == "fp32"
    vs = mixed["vs_reference"]
    print(f"\n  mixed vs fp32, quick set: corr {vs['magspec_corr']}, log-mel {vs['logmel_db']}, "
          f"durations {vs['durations_same']}, WER {mixed['asr']['wer']:.3f} (fp32 {fp32['asr']['wer']:.3f}), "
          f"similarity {mixed['similarity']['vs_reference']}")
    assert vs["durations_same"]["worst"] == 1.0 >= MIXED_GOALS["durations"], vs
    assert vs["magspec_corr"]["mean"] >= MIXED_GOALS["corr_mean"] and vs["magspec_corr"]["worst"] >= MIXED_GOALS["corr_worst"], vs
    assert vs["logmel_db"]["mean"] <= MIXED_GOALS["logmel_db_mean"], vs
    words = sum(len(s["asr"]["reference"].split()) for s in fp32["sentences"])
    assert mixed["asr"]["wer"] <= fp32["asr"]["wer"] + MIXED_GOALS["wer_over_fp32"] + 1 / words  # one word of slack
    assert mixed["similarity"]["vs_reference"]["worst"] >= MIXED_GOALS["similarity"]
