"""Rebuild Kokoro-82M's PyTorch state_dicts from a kokoro-onnx export (fp32 or int8).

No fp32 checkpoint is reachable offline, but the int8 ONNX export is (see ``sources.py``). This module
reads every weight the export carries and puts it back where ``kokoro.KModel`` expects it:

* names come from initializer names (``encoder.predictor.F0.2.norm2.fc.bias``) or, for weights the
  exporter renamed (``/encoder/F0.1/Mul_3_output_0_quantized``), from the scope of the node that consumes
  them (``/encoder/F0.1/conv1x1/Conv_quant`` -> ``predictor.F0.1.conv1x1``);
* int8/uint8 weights are dequantised as ``(q - zero_point) * scale``. The exporter merged identical
  zero-point tensors across layers, so each weight's zero point (and scale) is taken from the inputs of the
  node that consumes it, never guessed from its name;
* ONNX LSTM gates are ordered i, o, f, c; PyTorch wants i, f, g(=c), o. ONNX ``B`` is ``[b_ih; b_hh]``;
* weight norm was folded into plain weights ``W``: we set ``v = W`` and ``g = ||W||`` over every axis but
  the first (what ``torch.nn.utils.weight_norm(dim=0)`` uses). Output channels quantised to all zeros
  (18 convs in the int8 export) would give ``0/0 = NaN``; there we set ``v = 1, g = 0`` which computes the
  same zero weight;
* tensors the export does not carry (``bert.pooler``, unused by KModel, and the AdaIN InstanceNorm affine
  terms, which KModel leaves at 1/0) are taken from a freshly constructed module's defaults.

Each sub-module is then loaded with ``strict=True``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kokoro_litert.errors import WeightsError

SUBMODULES = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")

# ONNX LSTM gate blocks are (i, o, f, c); PyTorch's are (i, f, g, o) with g == c.
_ONNX_TO_TORCH_GATES = (0, 2, 3, 1)


@dataclass
class RebuildResult:
    state_dict: dict[str, dict]  # sub-module name -> state_dict of torch tensors
    matched: int  # parameters (elements) taken from the ONNX file
    total: int  # parameters (elements) of the full model
    matched_tensors: int = 0
    total_tensors: int = 0
    defaulted: list[str] = field(default_factory=list)  # keys filled from fresh-module defaults
    unused: list[str] = field(default_factory=list)  # ONNX weights that mapped to nothing

    @property
    def summary(self) -> str:
        return f"matched {self.matched} of {self.total} parameters"


def new_kmodel(config: dict):
    """A randomly initialised ``kokoro.KModel`` built from ``config``, without any hub download."""
    import tempfile
    import warnings

    import torch
    from kokoro import KModel

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        # Kokoro's own modules warn about LSTM dropout and the old weight_norm API: not ours to fix.
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        empty = Path(tmp) / "empty.pth"
        torch.save({}, empty)  # KModel loads nothing from an empty dict and never calls the hub
        return KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty)).eval()


# --------------------------------------------------------------------------------------------- naming


def _strip_root(parts: list[str]) -> list[str] | None:
    """Map the export's module tree onto KModel's: encoder.* / decoder.decoder.* -> the five sub-modules."""
    if not parts:
        return None
    if parts[0] == "encoder":
        rest = parts[1:]
        if not rest:
            return None
        if rest[0] in SUBMODULES:
            return rest
        return ["predictor", *rest]  # the export calls predictor.F0/N/shared/F0_proj directly
    if parts[0] == "decoder":
        rest = parts[1:]
        if rest and rest[0] == "decoder":
            rest = rest[1:]
        return ["decoder", *rest] if rest else None
    return None


def _scope_to_module(node_name: str) -> str | None:
    """``/encoder/text_encoder/cnn.0/cnn.0.0/Conv_quant`` -> ``text_encoder.cnn.0.0``."""
    comps = [c for c in node_name.strip("/").split("/")][:-1]  # drop the op's own name
    comps = [re.sub(r"_\d+$", "", c) for c in comps]  # repeated calls: query_3 -> query
    collapsed: list[str] = []
    for i, c in enumerate(comps):
        if i + 1 < len(comps) and comps[i + 1].startswith(c + "."):
            continue  # nested Sequential scopes repeat the parent: cnn.0 / cnn.0.0
        collapsed.append(c)
    flat = ".".join(collapsed).split(".")
    mapped = _strip_root(flat)
    return ".".join(mapped) if mapped else None


def _initializer_to_key(name: str) -> str | None:
    """``encoder.predictor.F0.2.norm2.fc.bias`` -> ``predictor.F0.2.norm2.fc.bias``."""
    if name.startswith(("/", "onnx::")) or name.endswith(("_quantized", "_scale", "_zero_point")):
        return None
    mapped = _strip_root(name.split("."))
    return ".".join(mapped) if mapped else None


# -------------------------------------------------------------------------------------------- rebuild


class _Builder:
    def __init__(self, template: dict[str, dict]):
        # flat "sub.key" -> template tensor
        self.template = {f"{sub}.{k}": v for sub, sd in template.items() for k, v in sd.items()}
        self.out: dict[str, np.ndarray] = {}
        self.unused: list[str] = []

    def has(self, key: str) -> bool:
        return key in self.template

    def put(self, key: str, value: np.ndarray, origin: str) -> bool:
        if key not in self.template:
            return False
        if key in self.out:
            return True  # shared weights (the ALBERT layer runs 12 times): first one wins
        shape = tuple(self.template[key].shape)
        value = np.asarray(value, dtype=np.float32)
        if value.shape != shape:
            if value.size == int(np.prod(shape)) and value.squeeze().shape == tuple(
                s for s in shape if s != 1
            ):
                value = value.reshape(shape)
            else:
                raise WeightsError(
                    f"ONNX weight {origin} has shape {value.shape} but {key} needs {shape}"
                )
        self.out[key] = value
        return True

    def put_weight(self, module: str | None, w: np.ndarray, origin: str) -> None:
        """Assign a (dequantised, PyTorch-layout) weight to ``module``, undoing folded weight norm."""
        if module is None:
            self.unused.append(origin)
            return
        if self.has(module + ".weight_v"):
            w = np.asarray(w, dtype=np.float32)
            axes = tuple(range(1, w.ndim))
            norm = np.sqrt(np.sum(w.astype(np.float64) ** 2, axis=axes, keepdims=True)).astype(np.float32)
            dead = norm.reshape(-1) == 0
            v = w.copy()
            if dead.any():
                v[dead] = 1.0  # g = 0 gives the same all-zero weight without 0/0
            self.put(module + ".weight_v", v, origin)
            self.put(module + ".weight_g", norm, origin)
        elif not self.put(module + ".weight", w, origin):
            self.unused.append(origin)

    def put_lstm(self, module: str | None, w, r, b, origin: str) -> None:
        """``w`` [dirs, 4H, in], ``r`` [dirs, 4H, H], ``b`` [dirs, 8H], all in ONNX gate order."""
        if module is None or not self.has(module + ".weight_ih_l0"):
            self.unused.append(origin)
            return
        hidden = r.shape[-1]

        def reorder(x):  # gate blocks along axis 0
            blocks = np.split(x, 4, axis=0)
            return np.concatenate([blocks[i] for i in _ONNX_TO_TORCH_GATES], axis=0)

        for d in range(w.shape[0]):
            suffix = "_reverse" if d == 1 else ""
            self.put(f"{module}.weight_ih_l0{suffix}", reorder(w[d]), origin)
            self.put(f"{module}.weight_hh_l0{suffix}", reorder(r[d]), origin)
            if b is not None:
                self.put(f"{module}.bias_ih_l0{suffix}", reorder(b[d, : 4 * hidden]), origin)
                self.put(f"{module}.bias_hh_l0{suffix}", reorder(b[d, 4 * hidden :]), origin)


def _attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            from onnx import helper

            return helper.get_attribute_value(a)
    return default


def rebuild_state_dict(onnx_path: str | Path, config: dict) -> RebuildResult:
    """Read a kokoro-onnx export and return KModel's five state_dicts (strictly loadable)."""
    try:
        import onnx
        from onnx import numpy_helper
        import torch
    except ImportError as e:  # pragma: no cover - the convert extra brings both
        raise WeightsError(f"rebuilding weights from ONNX needs onnx and torch ({e}); install kokoro-litert[convert]")

    try:
        model = onnx.load(str(onnx_path))
    except Exception as e:
        raise WeightsError(f"{onnx_path}: not a readable ONNX file ({e})") from e
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    cache: dict[str, np.ndarray] = {}

    def arr(name: str) -> np.ndarray:
        if name not in cache:
            cache[name] = numpy_helper.to_array(inits[name])
        return cache[name]

    def f32(name: str) -> np.ndarray:
        return arr(name).astype(np.float32)

    consumers: dict[str, list] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)

    def dequant(q: str, scale: str, zp: str | None, axis: int | None = None) -> np.ndarray:
        """(q - zp) * scale; per-axis scale/zp broadcast along ``axis`` of q."""
        x = f32(q)
        s = f32(scale)
        z = f32(zp) if zp else np.zeros_like(s)
        if s.ndim == 1 and s.size > 1 and axis is not None:
            shape = [1] * x.ndim
            shape[axis] = s.size
            s, z = s.reshape(shape), z.reshape(shape)
        return (x - z) * s

    def scale_of(q: str) -> str:
        name = q[: -len("_quantized")] + "_scale"
        if name not in inits:
            raise WeightsError(f"ONNX weight {q} has no scale tensor {name}")
        return name

    fresh = new_kmodel(config)
    template = {sub: getattr(fresh, sub).state_dict() for sub in SUBMODULES}
    b = _Builder(template)

    def opt_input(node, idx):
        return node.input[idx] if len(node.input) > idx and node.input[idx] else None

    for node in graph.node:
        op = node.op_type
        ins = list(node.input)
        if op == "ConvInteger" and len(ins) > 1 and ins[1] in inits:
            w = dequant(ins[1], scale_of(ins[1]), opt_input(node, 3), axis=0)
            b.put_weight(_scope_to_module(node.name), w, ins[1])
        elif op == "MatMulInteger" and len(ins) > 1 and ins[1] in inits:
            w = dequant(ins[1], scale_of(ins[1]), opt_input(node, 3), axis=1)  # [in, out]
            b.put_weight(_scope_to_module(node.name), w.T, ins[1])
        elif op == "Gather" and ins and ins[0] in inits and ins[0].endswith("_quantized"):
            deq = [c for c in consumers.get(node.output[0], []) if c.op_type == "DequantizeLinear"]
            if not deq:
                b.unused.append(ins[0])
                continue
            d = deq[0]
            w = dequant(ins[0], d.input[1], opt_input(d, 2))
            b.put_weight(_scope_to_module(node.name), w, ins[0])
        elif op == "Gather" and ins and ins[0] in inits and arr(ins[0]).dtype == np.float32 and arr(ins[0]).ndim == 2:
            b.put_weight(_scope_to_module(node.name), f32(ins[0]), ins[0])  # fp32 embeddings
        elif op == "DynamicQuantizeLSTM":
            w = dequant(ins[1], ins[8], opt_input(node, 9), axis=0)  # [dirs, in, 4H]
            r = dequant(ins[2], ins[10], opt_input(node, 11), axis=0)  # [dirs, H, 4H]
            bias = f32(ins[3]) if opt_input(node, 3) in inits else None
            b.put_lstm(_scope_to_module(node.name), w.transpose(0, 2, 1), r.transpose(0, 2, 1), bias, ins[1])
        elif op == "LSTM" and len(ins) > 2 and ins[1] in inits:
            bias = f32(ins[3]) if opt_input(node, 3) in inits else None
            b.put_lstm(_scope_to_module(node.name), f32(ins[1]), f32(ins[2]), bias, ins[1])
        elif op in ("Conv", "ConvTranspose") and len(ins) > 1 and ins[1] in inits:
            w = f32(ins[1])
            if w.ndim >= 3:
                b.put_weight(_scope_to_module(node.name), w, ins[1])
        elif op == "MatMul" and len(ins) > 1 and ins[1] in inits and arr(ins[1]).ndim == 2:
            b.put_weight(_scope_to_module(node.name), f32(ins[1]).T, ins[1])
        elif op == "Gemm" and len(ins) > 1 and ins[1] in inits:
            w = f32(ins[1])
            b.put_weight(_scope_to_module(node.name), w if _attr(node, "transB", 0) else w.T, ins[1])

    # Biases, norms, Snake alphas...: initializers that kept their parameter names.
    for name in inits:
        key = _initializer_to_key(name)
        if key and b.has(key):
            b.put(key, f32(name), name)

    # Fill what the export does not carry from a fresh module; count what came from the ONNX.
    state: dict[str, dict] = {}
    matched = total = matched_tensors = 0
    defaulted: list[str] = []
    for sub, sd in template.items():
        out = {}
        for k, v in sd.items():
            flat = f"{sub}.{k}"
            total += v.numel()
            if flat in b.out:
                out[k] = torch.from_numpy(np.ascontiguousarray(b.out[flat]))
                matched += v.numel()
                matched_tensors += 1
            else:
                out[k] = v.detach().clone()
                defaulted.append(flat)
        state[sub] = out

    for sub in SUBMODULES:  # strict load per sub-module proves names and shapes line up
        try:
            getattr(fresh, sub).load_state_dict(state[sub], strict=True)
        except RuntimeError as e:  # pragma: no cover - a template-built dict always matches
            raise WeightsError(f"rebuilt {sub} does not load strictly: {e}") from e

    return RebuildResult(
        state_dict=state,
        matched=matched,
        total=total,
        matched_tensors=matched_tensors,
        total_tensors=sum(len(sd) for sd in template.values()),
        defaulted=defaulted,
        unused=sorted(set(b.unused)),
    )
