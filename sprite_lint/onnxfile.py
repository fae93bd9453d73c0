"""``model.onnx`` read before onnxruntime sees it: only a model our exporter could write.

A baseline comes from a repository, and a pull request can put any bytes there. An ONNX
file can name external files for its weights (onnxruntime reads them relative to the
current folder, so a model could pull workspace files into its weights), call operators
from custom domains, or be far larger than ours. So :func:`validate_model` walks the
file's protobuf wire format (``onnx`` itself is a 30 MB dependency that costs the hook
about 40 ms to import; see README, "Trust model") and refuses, naming what is wrong:

* a file over ``MAX_MODEL_BYTES``;
* anything but the fields of ``onnx.proto`` our exporter's models use (training info,
  local functions, sparse tensors and sub-graphs are refused outright), a field twice
  where protobuf would merge or override it, or bytes that are not protobuf at all;
* a tensor with external data (``data_location`` EXTERNAL or ``external_data`` entries);
* an operator set or node in a domain other than the default (``""`` / ``ai.onnx``);
* an operator outside ``EXPORTED_OPS``;
* graph inputs and outputs other than ours: names, order, element type float, rank 4;
* a name, a domain or any other text field (string attributes too) that is not UTF-8:
  onnxruntime's Python binding decodes the names it quotes in an error and fails on its
  own error instead (``UnicodeDecodeError``, after printing a banner to stdout).

Only the structure is read here; onnxruntime still checks the graph itself
(:func:`open_session`, which turns its refusal into a :class:`ModelFileError`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_MODEL_BYTES = 64 * 2**20  # ours: about 66 KB (width 8) to 240 KB (width 16)

ONNX_INPUT = "image"
ONNX_OUTPUTS = ("reconstruction", "latent")
RANK = 4  # (N, C, H, W) in and out
FLOAT = 1  # TensorProto.DataType.FLOAT

# Every operator ``export.onnx_bytes`` writes for ``model.SpriteAutoencoder`` (opset 18,
# as exported with torch 2.x; tests/test_onnxfile.py exports a fresh model and checks
# that it passes and uses nothing else). A new layer in the model needs its op added here.
EXPORTED_OPS = frozenset({"Conv", "ConvTranspose", "Relu"})
DEFAULT_DOMAINS = frozenset({"", "ai.onnx"})

# protobuf wire types
VARINT, I64, LEN, I32 = 0, 1, 2, 5

# The fields of each onnx.proto message a model of ours may hold, with their wire types
# (a repeated number may come packed, as LEN, or one by one). Any other field number,
# or a known one with another wire type, is refused.
_MODEL = {1: {VARINT}, 2: {LEN}, 3: {LEN}, 4: {LEN}, 5: {VARINT}, 6: {LEN}, 7: {LEN}, 8: {LEN}}
_MODEL |= {14: {LEN}}  # metadata_props
_MODEL_REFUSED = {20: "training info", 25: "local functions", 26: "device configurations"}
_OPSET = {1: {LEN}, 2: {VARINT}}
_GRAPH = {1: {LEN}, 2: {LEN}, 5: {LEN}, 10: {LEN}, 11: {LEN}, 12: {LEN}, 13: {LEN}, 16: {LEN}}
_GRAPH_REFUSED = {14: "quantization annotations", 15: "sparse initializers"}
_NODE = {1: {LEN}, 2: {LEN}, 3: {LEN}, 4: {LEN}, 5: {LEN}, 6: {LEN}, 7: {LEN}, 9: {LEN}}
_NODE_REFUSED = {8: "a function overload", 10: "device configurations"}
_ATTRIBUTE = {1: {LEN}, 2: {I32}, 3: {VARINT}, 4: {LEN}, 5: {LEN}, 7: {LEN, I32}}
_ATTRIBUTE |= {8: {LEN, VARINT}, 9: {LEN}, 10: {LEN}, 13: {LEN}, 20: {VARINT}}
_ATTRIBUTE_REFUSED = {
    6: "a sub-graph",
    11: "sub-graphs",
    14: "a type",
    15: "types",
    21: "a reference to a function attribute",
    22: "a sparse tensor",
    23: "sparse tensors",
}
_TENSOR = {1: {LEN, VARINT}, 2: {VARINT}, 4: {LEN, I32}, 5: {LEN, VARINT}, 6: {LEN}}
_TENSOR |= {7: {LEN, VARINT}, 8: {LEN}, 9: {LEN}, 10: {LEN, I64}, 11: {LEN, VARINT}}
_TENSOR |= {12: {LEN}, 14: {VARINT}, 16: {LEN}}
_TENSOR_REFUSED = {3: "a segment", 13: "external data"}
_VALUE_INFO = {1: {LEN}, 2: {LEN}, 3: {LEN}, 4: {LEN}}
_TYPE = {1: {LEN}, 6: {LEN}}  # tensor_type, denotation: no sequences, maps or optionals
_TENSOR_TYPE = {1: {VARINT}, 2: {LEN}}
_SHAPE = {1: {LEN}}
_DIMENSION = {1: {VARINT}, 2: {LEN}, 3: {LEN}}  # dim_value, dim_param, denotation
_ENTRY = {1: {LEN}, 2: {LEN}}  # StringStringEntryProto: key, value (metadata_props)
# per message: its text fields by name, each checked to be UTF-8 (``bytes`` in onnx.proto
# for a string attribute and string_data, but every one our models hold is text: auto_pad)
_DOC = "the doc string"
_TEXT = {
    "model": {2: "the producer's name", 3: "the producer's version", 4: "the domain", 6: _DOC},
    "opset": {1: "the domain"},
    "graph": {2: "the name", 10: _DOC},
    "node": {1: "an input", 2: "an output", 3: "the name", 4: "the op", 6: _DOC, 7: "the domain"},
    "attribute": {1: "the name", 4: "the string", 9: "a string", 13: _DOC},
    "tensor": {6: "a string", 8: "the name", 12: _DOC},
    "value": {1: "the name", 3: _DOC},
    "type": {6: "the denotation"},
    "dimension": {2: "the name", 3: "the denotation"},
    "entry": {1: "the key", 2: "the value"},
}
_METADATA = {"model": 14, "graph": 16, "node": 9, "value": 4, "tensor": 16}  # metadata_props
_REPEATED = {  # per message: the fields that may occur more than once
    "model": {8, 14},
    "graph": {1, 5, 11, 12, 13, 16},
    "node": {1, 2, 5, 9},
    "attribute": {7, 8, 9, 10},
    "tensor": {1, 4, 5, 6, 7, 10, 11, 16},
    "value": {4},
    "shape": {1},
}


class ModelFileError(ValueError):
    """What is wrong with a model file (``baseline`` adds which file)."""


Field = tuple[int, int, Any]  # (number, wire type, int or memoryview)
Fields = dict[int, list[Any]]  # a message's fields by number


def _varint(buf: memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(buf):
            raise ModelFileError("is not an ONNX model (protobuf data ends inside a number)")
        b = buf[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
        if shift >= 70:
            raise ModelFileError("is not an ONNX model (a protobuf number is too long)")


def _fields(buf: memoryview) -> Iterator[Field]:
    """The fields of one protobuf message: (number, wire type, int or bytes)."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ModelFileError("is not an ONNX model (protobuf field number 0)")
        if wire == VARINT:
            value, pos = _varint(buf, pos)
            yield number, wire, value
        elif wire in (I64, I32):
            size = 8 if wire == I64 else 4
            if pos + size > len(buf):
                raise ModelFileError("is not an ONNX model (protobuf data ends inside a field)")
            yield number, wire, int.from_bytes(buf[pos : pos + size], "little")
            pos += size
        elif wire == LEN:
            size, pos = _varint(buf, pos)
            if pos + size > len(buf):
                raise ModelFileError("is not an ONNX model (protobuf data ends inside a field)")
            yield number, wire, buf[pos : pos + size]
            pos += size
        else:  # groups (3, 4) are not in onnx.proto; 6 and 7 do not exist
            raise ModelFileError(f"is not an ONNX model (protobuf wire type {wire})")


def _message(
    buf: memoryview,
    what: str,
    kind: str,
    allowed: dict[int, set[int]],
    refused: dict[int, str] | None = None,
) -> Fields:
    """The fields of a ``kind`` message by number, refusing unknown, refused and doubled
    ones, and text fields (metadata entries too) that are not UTF-8."""
    out: Fields = {}
    repeated = _REPEATED.get(kind, set())
    for number, wire, value in _fields(buf):
        if refused and number in refused:
            raise ModelFileError(
                f"holds {refused[number]} in {what}, which sprite-lint never writes"
            )
        if wire not in allowed.get(number, ()):
            raise ModelFileError(
                f"holds field {number} (wire type {wire}) in {what}, which is not in the ONNX "
                "models sprite-lint writes"
            )
        if number in out and number not in repeated:
            raise ModelFileError(f"holds field {number} of {what} twice")
        out.setdefault(number, []).append(value)
    for number, label in _TEXT.get(kind, {}).items():  # each a LEN field (tables above)
        for value in out.get(number, ()):
            _text(value, f"{label} of {what}")
    for entry in out.get(_METADATA.get(kind, 0), ()):
        _message(entry, f"a metadata entry of {what}", "entry", _ENTRY)
    return out


def _text(value: Any, what: str) -> str:
    try:
        return bytes(value).decode("utf-8")
    except UnicodeDecodeError:
        raise ModelFileError(f"holds {what} that is not UTF-8 text") from None


def _one(fields: Fields, number: int, default: Any = None) -> Any:
    return fields.get(number, [default])[0]


def _check_tensor(buf: memoryview, what: str) -> Fields:
    t = _message(buf, what, "tensor", _TENSOR, _TENSOR_REFUSED)
    if _one(t, 14, 0) != 0:
        raise ModelFileError(f"holds {what} with external data, which sprite-lint never writes")
    return t


def _check_node(buf: memoryview, index: int) -> None:
    node = _message(buf, f"node {index}", "node", _NODE, _NODE_REFUSED)
    op = _text(_one(node, 4, b""), f"node {index}'s operator")
    domain = _text(_one(node, 7, b""), f"node {index}'s domain")
    if domain not in DEFAULT_DOMAINS:
        raise ModelFileError(
            f"calls operator {op!r} of domain {domain!r}; only the default ONNX domain is allowed"
        )
    if op not in EXPORTED_OPS:
        raise ModelFileError(
            f"calls operator {op!r} (node {index}), which sprite-lint's models never use "
            f"(only {', '.join(sorted(EXPORTED_OPS))})"
        )
    for k, attr in enumerate(node.get(5, [])):
        where = f"attribute {k} of node {index} ({op})"
        a = _message(attr, where, "attribute", _ATTRIBUTE, _ATTRIBUTE_REFUSED)
        for t in a.get(5, []) + a.get(10, []):
            _check_tensor(t, f"a tensor in {where}")


def _check_value(buf: memoryview, kind: str, index: int) -> tuple[str, int, int]:
    """A graph input, output or value info: (name, element type, rank); only tensors."""
    what = f"graph {kind} {index}"
    v = _message(buf, what, "value", _VALUE_INFO)
    name = _text(_one(v, 1, b""), f"the name of {what}")
    ty = _message(_one(v, 2, memoryview(b"")), f"the type of {what}", "type", _TYPE)
    if 1 not in ty:
        raise ModelFileError(f"has {kind} {name!r} that is not a tensor")
    tensor = _message(ty[1][0], f"the type of {what}", "tensor_type", _TENSOR_TYPE)
    elem = int(_one(tensor, 1, 0))
    if 2 not in tensor:
        return name, elem, -1  # no shape: any rank
    shape = _message(tensor[2][0], f"the shape of {what}", "shape", _SHAPE)
    for dim in shape.get(1, []):
        _message(dim, f"a dimension of {what}", "dimension", _DIMENSION)
    return name, elem, len(shape.get(1, []))


def validate_model(blob: bytes) -> None:
    """Raise :class:`ModelFileError` unless ``blob`` is an ONNX model of the kind
    ``export.onnx_bytes`` writes (see the module docstring for what is refused)."""
    if len(blob) > MAX_MODEL_BYTES:
        raise ModelFileError(
            f"is {len(blob) / 2**20:.1f} MiB; sprite-lint's models are far smaller "
            f"(at most {MAX_MODEL_BYTES // 2**20} MiB is read)"
        )
    model = _message(memoryview(blob), "the model", "model", _MODEL, _MODEL_REFUSED)
    if 7 not in model:
        raise ModelFileError("is not an ONNX model (it has no graph)")
    for opset in model.get(8, []):
        opset_fields = _message(opset, "an operator set", "opset", _OPSET)
        domain = _text(_one(opset_fields, 1, b""), "a domain")
        if domain not in DEFAULT_DOMAINS:
            raise ModelFileError(
                f"imports operator set domain {domain!r}; only the default ONNX domain is allowed"
            )
    graph = _message(model[7][0], "the graph", "graph", _GRAPH, _GRAPH_REFUSED)
    for i, node in enumerate(graph.get(1, [])):
        _check_node(node, i)
    for kind, number, names in (("input", 11, (ONNX_INPUT,)), ("output", 12, ONNX_OUTPUTS)):
        got = [_check_value(v, kind, i) for i, v in enumerate(graph.get(number, []))]
        if got != [(n, FLOAT, RANK) for n in names]:
            shown = ", ".join(f"{n!r} (type {e}, rank {r})" for n, e, r in got) or "none"
            expected = ", ".join(f"{n!r} (float, rank {RANK})" for n in names)
            raise ModelFileError(f"has graph {kind}s {shown}; sprite-lint's models have {expected}")
    for i, v in enumerate(graph.get(13, [])):  # shapes of inner values: their names too
        _check_value(v, "value info", i)
    for i, t in enumerate(graph.get(5, [])):
        name = _text(_one(_check_tensor(t, f"initializer {i}"), 8, b""), f"initializer {i}'s name")
        if name == ONNX_INPUT:  # a constant in place of the sprite: a model that sees nothing
            raise ModelFileError(f"has an initializer named {ONNX_INPUT!r}, the model's input")


def open_session(blob: bytes, threads: int = 0) -> Any:
    """An ``onnxruntime.InferenceSession`` for ``blob`` on the CPU (``threads``: its intra-op threads,
    0 for onnxruntime's default), or :class:`ModelFileError` saying why onnxruntime
    refuses it: quietly, as one line (no fallback banner on stdout, no log lines)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # errors only: a refusal becomes the exception below
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    try:
        # enable_fallback=0: on a failed start onnxruntime would print an "EP Error"
        # banner to stdout and retry with the same provider
        return ort.InferenceSession(
            blob, sess_options=opts, providers=["CPUExecutionProvider"], enable_fallback=0
        )
    except MemoryError:
        raise
    except Exception as exc:  # onnxruntime's own exception types derive from Exception
        from sprite_lint.discovery import printable  # names in it come from the file

        reason = printable(" ".join(str(exc).split())).removeprefix("[ONNXRuntimeError] : ")
        if len(reason) > 300:
            reason = reason[:300] + "..."
        raise ModelFileError(f"is refused by onnxruntime ({reason})") from None
