"""Post-training quantization of converted graphs, one layer group at a time.

A graph's layer groups are its direct children (``graphs.Group`` or ``MaskedBiLSTM``): every op
is exported under a name like ``...VocoderGraph/...Group_res3/...Conv1d_convs1_0;12``, so its
group (``res3``) can be read back from the .tflite. A *plan* maps each group to a precision:

    fp32   as converted
    fp16   weights stored in half precision, computed in fp32 (XNNPACK unpacks them at load)
    int8w  int8 weights (per output channel), dequantized at load: fp32 compute
    int8   dynamic range: int8 weights per channel and activations quantized per call, so the
           convolutions and matmuls run int8 dot products (fast where the CPU has VNNI/dotprod)

The quantizer is ai-edge-quantizer (installed with litert-torch), driven by exact op names.
"""

from __future__ import annotations

import mmap
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from kokoro_litert.cache import atomic_path
from kokoro_litert.native import quiet_native_logs

PRECISIONS = ("fp32", "fp16", "int8w", "int8")
# Bytes per weight for each precision, for size predictions.
WEIGHT_BYTES = {"fp32": 4.0, "fp16": 2.0, "int8w": 1.0, "int8": 1.0}
_WEIGHT_OPS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "BATCH_MATMUL",
               "EMBEDDING_LOOKUP", "GATHER")


@dataclass
class LayerGroup:
    name: str
    ops: list[str]  # output tensor names of its weight-bearing ops
    weights: int  # number of constant weight values those ops read (shared tensors counted once)


def _group_of(op_name: str) -> str | None:
    """The graph's direct child an op belongs to, from its exported name (None: the graph itself)."""
    found = None
    for segment in op_name.split(";;"):
        parts = segment.split(";")[0].split("/")
        if len(parts) > 1 and "_" in parts[1]:
            found = parts[1].rsplit(".", 1)[-1].split("_", 1)[1]
    return found


def layer_groups(path: Path) -> dict[str, LayerGroup]:
    """Weight-bearing ops of a .tflite file, by layer group (in graph order)."""
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    code_names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
    groups: dict[str, LayerGroup] = {}
    seen: set[int] = set()
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        model = schema.Model.GetRootAs(buf, 0)
        codes = []
        for i in range(model.OperatorCodesLength()):
            code = model.OperatorCodes(i)
            codes.append(code_names.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode())))
        for s in range(model.SubgraphsLength()):
            graph = model.Subgraphs(s)
            for i in range(graph.OperatorsLength()):
                op = graph.Operators(i)
                if codes[op.OpcodeIndex()] not in _WEIGHT_OPS:
                    continue
                name = (graph.Tensors(op.Outputs(0)).Name() or b"").decode()  # empty in a stripped graph
                group = _group_of(name)
                if group is None:
                    continue
                weights = 0
                for j in range(op.InputsLength()):
                    if op.Inputs(j) < 0:
                        continue
                    tensor = graph.Tensors(op.Inputs(j))
                    if model.Buffers(tensor.Buffer()).DataLength() == 0 or tensor.Buffer() in seen:
                        continue
                    seen.add(tensor.Buffer())
                    weights += int(np.prod(tensor.ShapeAsNumpy())) if tensor.ShapeLength() else 1
                entry = groups.setdefault(group, LayerGroup(group, [], 0))
                entry.ops.append(name)
                entry.weights += weights
    return groups


def quantize_graph(src: Path, dest: Path, plan: dict[str, str], verbose: bool = False) -> None:
    """Write ``src`` quantized by ``plan`` (group -> precision; missing groups stay fp32) to ``dest``."""
    from ai_edge_quantizer import qtyping, quantizer

    unknown = {p for p in plan.values() if p not in PRECISIONS}
    if unknown:
        raise ValueError(f"unknown precision {sorted(unknown)}; choose from {PRECISIONS}")
    groups = layer_groups(src)
    missing = set(plan) - set(groups)
    if missing:
        raise ValueError(f"{src.name}: no layer groups {sorted(missing)} (has {sorted(groups)})")
    by_precision: dict[str, list[str]] = defaultdict(list)
    for group, precision in plan.items():
        by_precision[precision].extend(groups[group].ops)
    with quiet_native_logs(verbose):
        qt = quantizer.Quantizer(str(src))
        ops = qtyping.TFLOperationName.ALL_SUPPORTED
        for precision, names in by_precision.items():
            # the quantizer matches "<output tensor name>;"
            regex = "^(?:" + "|".join(re.escape(n) for n in names) + ");$"
            if precision == "fp16":
                qt.add_weight_only_config(regex, ops, num_bits=16, algorithm_key="float_casting")
            elif precision == "int8w":
                qt.add_weight_only_config(regex, ops, num_bits=8)
            elif precision == "int8":
                qt.add_dynamic_config(regex, ops, num_bits=8)
        with atomic_path(dest) as tmp:
            if by_precision.keys() - {"fp32"}:
                qt.quantize().export_model(str(tmp), overwrite=True)
            else:
                tmp.write_bytes(src.read_bytes())


def predicted_bytes(groups: dict[str, LayerGroup], plan: dict[str, str]) -> float:
    """Weight bytes of a graph under ``plan`` (what quantization can change; biases etc. excluded)."""
    return sum(g.weights * WEIGHT_BYTES[plan.get(name, "fp32")] for name, g in groups.items())
