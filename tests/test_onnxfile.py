"""model.onnx is read before onnxruntime sees it: only a model our exporter could write.

Every malicious model is a real ONNX file built with ``onnx.helper``, written into a
baseline whose manifest is re-sealed, as anyone with write access to a branch could.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper
from typer.testing import CliRunner

from sprite_lint import baseline as bl
from sprite_lint import onnxfile
from sprite_lint.baseline import load_baseline
from sprite_lint.cli import app
from sprite_lint.errors import BaselineError
from sprite_lint.onnxfile import EXPORTED_OPS, ModelFileError, validate_model

ENV = {"COLUMNS": "100", "NO_COLOR": "1"}


@pytest.fixture
def copy(tiny_baseline: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "baseline"
    shutil.copytree(tiny_baseline, dst)
    return dst


def ours(copy: Path) -> onnx.ModelProto:
    return onnx.load_from_string((copy / "model.onnx").read_bytes())


def plant(copy: Path, model: onnx.ModelProto | bytes) -> None:
    """Replace model.onnx and re-seal the manifest: only the model's content can stop it."""
    blob = model if isinstance(model, bytes) else model.SerializeToString()
    (copy / "model.onnx").write_bytes(blob)
    doc = json.loads((copy / "manifest.json").read_text())
    doc["files"]["model.onnx"] = bl.sha256_bytes(blob)
    (copy / "manifest.json").write_text(bl.canonical_json(bl._seal(doc)))


def test_a_fresh_export_passes_and_uses_only_the_documented_ops() -> None:
    from sprite_lint.export import onnx_bytes
    from sprite_lint.model import ModelConfig, SpriteAutoencoder

    for width in (8, 16):
        blob = onnx_bytes(SpriteAutoencoder(ModelConfig(width=width)))
        validate_model(blob)
        model = onnx.load_from_string(blob)
        assert {n.op_type for n in model.graph.node} == EXPORTED_OPS  # the constant is exact
        assert {n.domain for n in model.graph.node} == {""}


def test_the_calibrated_baseline_loads(copy: Path) -> None:
    plant(copy, ours(copy))  # re-serialized by onnx: still ours
    assert load_baseline(copy).model_bytes == (copy / "model.onnx").read_bytes()


def _external_data(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    """The first initializer's weights read from a file in the working directory."""
    secret = copy.parent / "secret.bin"
    weights = model.graph.initializer[0]
    secret.write_bytes(numpy_helper.to_array(weights).astype(np.float32).tobytes())
    weights.ClearField("raw_data")
    weights.data_location = TensorProto.EXTERNAL
    for key, value in (("location", "secret.bin"), ("offset", "0")):
        entry = weights.external_data.add()
        entry.key, entry.value = key, value
    return model


def _custom_domain_op(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    node = model.graph.node[-1]
    model.graph.node.append(
        helper.make_node("Exfiltrate", [node.output[0]], ["x"], domain="com.evil")
    )
    model.opset_import.append(helper.make_opsetid("com.evil", 1))
    return model


def _custom_opset_only(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    model.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    return model


def _op_outside_the_set(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    # an identity model: the reconstruction is the input, so nothing ever fails
    rec = model.graph.output[0].name
    for node in model.graph.node:
        if rec in node.output:
            node.output[list(node.output).index(rec)] = "unused"
    model.graph.node.append(helper.make_node("Identity", ["image"], [rec]))
    return model


def _extra_output(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    model.graph.output.append(
        helper.make_tensor_value_info(model.graph.node[0].output[0], TensorProto.FLOAT, None)
    )
    return model


def _renamed_input(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    model.graph.input[0].name = "pixels"
    return model


def _double_input(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    model.graph.input[0].type.tensor_type.elem_type = TensorProto.DOUBLE
    return model


def _rank_two_output(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    shape = model.graph.output[1].type.tensor_type.shape
    del shape.dim[2:]
    return model


def _constant_input(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    model.graph.initializer.append(
        numpy_helper.from_array(np.zeros((1, 4, 8, 8), np.float32), "image")
    )
    return model


def _local_function(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    model.functions.append(
        helper.make_function("", "Relu", ["x"], ["y"], [], [helper.make_opsetid("", 18)])
    )
    return model


def _sub_graph_attribute(copy: Path, model: onnx.ModelProto) -> onnx.ModelProto:
    branch = helper.make_graph([], "branch", [], [])
    model.graph.node[0].attribute.append(helper.make_attribute("then_branch", branch))
    return model


@pytest.mark.parametrize(
    "build, expected",
    [
        (_external_data, "external data"),
        (_custom_domain_op, "domain 'com.evil'"),
        (_custom_opset_only, "domain 'com.microsoft'"),
        (_op_outside_the_set, "operator 'Identity'"),
        (_extra_output, "graph outputs"),
        (_renamed_input, "graph inputs 'pixels'"),
        (_double_input, "graph inputs 'image' (type 11"),
        (_rank_two_output, "rank 2"),
        (_constant_input, "initializer named 'image'"),
        (_local_function, "local functions"),
        (_sub_graph_attribute, "sub-graph"),
    ],
)
def test_a_model_we_did_not_write_is_refused_naming_the_file(
    copy: Path, build: object, expected: str
) -> None:
    plant(copy, build(copy, ours(copy)))  # type: ignore[operator]
    with pytest.raises(BaselineError, match="model.onnx") as info:
        load_baseline(copy)
    assert expected in str(info.value)


def test_external_data_is_refused_even_if_onnxruntime_would_read_it(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime as ort

    model = _external_data(copy, ours(copy))
    monkeypatch.chdir(copy.parent)  # "secret.bin" is read from the current folder
    ort.InferenceSession(model.SerializeToString())  # the hole: onnxruntime loads it
    plant(copy, model)
    with pytest.raises(BaselineError, match="external data"):
        load_baseline(copy)


def test_refusals_are_exit_2_on_the_command_line(copy: Path, tmp_path: Path) -> None:
    from sprite_lint.synth import make_family
    from tests.conftest import write_rgba

    sprite = write_rgba(tmp_path / "s.png", make_family("creatures", 1, seed=9)[0])
    plant(copy, _custom_domain_op(copy, ours(copy)))
    r = CliRunner().invoke(app, ["check", str(sprite), "-b", str(copy)], env=ENV)
    assert r.exit_code == 2, r.output
    assert "model.onnx" in r.output and "com.evil" in r.output
    assert "Traceback" not in r.output and "internal error" not in r.output


def test_an_oversized_model_is_refused_before_it_is_read(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(bl.MAX_FILE_BYTES, "model.onnx", 1000)
    with pytest.raises(BaselineError, match=r"model.onnx is 0\.\d MiB, more than"):
        load_baseline(copy)
    monkeypatch.setattr(onnxfile, "MAX_MODEL_BYTES", 1000)
    with pytest.raises(ModelFileError, match="far smaller"):
        validate_model((copy / "model.onnx").read_bytes())


@pytest.mark.parametrize(
    "blob, expected",
    [
        (b"not a model", "protobuf"),
        (b"", "no graph"),
        (b"\x3a\xff\xff\xff\xff\x0f", "ends inside a field"),  # graph, 4 GiB long
        (b"\x3a\x00\x3a\x00", "field 7 of the model twice"),  # protobuf would merge them
        (b"\x0b", "wire type 3"),  # a group
    ],
)
def test_bytes_that_are_not_our_protobuf_are_refused(blob: bytes, expected: str) -> None:
    with pytest.raises(ModelFileError, match=expected):
        validate_model(blob)


def _cli_outputs(copy: Path, tmp_path: Path) -> list[tuple[int, str]]:
    from sprite_lint.synth import make_family
    from tests.conftest import write_rgba

    sprite = write_rgba(tmp_path / "s.png", make_family("creatures", 1, seed=9)[0])
    runner = CliRunner()
    env = {**ENV, "COLUMNS": "300"}
    return [
        (r.exit_code, r.output)
        for args in (["check", "--no-cache", str(sprite)], ["baseline", "status"])
        for r in [runner.invoke(app, [*args, "-b", str(copy)], env=env)]
    ]


@pytest.mark.parametrize(
    "text",
    [
        b"encoder.0.weight",  # first as node 0's input: onnxruntime failed on its own error
        b"/encoder/encoder.0/Conv",  # node 0's name
        b"dilations",  # an attribute's name
        b"main_graph",  # the graph's name
        b"pytorch",  # the producer's name
    ],
)
def test_text_that_is_not_utf8_is_refused_before_onnxruntime_sees_it(
    copy: Path, tmp_path: Path, text: bytes
) -> None:
    """One byte flipped in a name, the checksum recomputed: onnxruntime had printed a
    4-line "EP Error" banner to stdout, then failed with a UnicodeDecodeError decoding
    its own message (an internal error), while baseline status said "verified"."""
    blob = (copy / "model.onnx").read_bytes()
    at = blob.index(text)
    plant(copy, blob[:at] + b"\xff" + blob[at + 1 :])
    with pytest.raises(BaselineError, match="model.onnx holds .* that is not UTF-8 text"):
        load_baseline(copy)
    for code, output in _cli_outputs(copy, tmp_path):
        assert code == 2 and output.startswith(f"error: {copy}/model.onnx holds "), output
        assert "not UTF-8 text" in output and len(output.strip().splitlines()) == 1, output


def test_a_model_onnxruntime_refuses_is_refused_by_check_and_status(
    copy: Path, tmp_path: Path
) -> None:
    """A model whose structure passes (valid names) but that onnxruntime cannot load: one
    line naming the file from check, and the same from baseline status, which had said
    "verified" because it never built what check builds."""
    blob = (copy / "model.onnx").read_bytes()
    at = blob.index(b"encoder.0.weight")  # node 0's input: now names nothing
    plant(copy, blob[:at] + b"x" + blob[at + 1 :])
    load_baseline(copy)  # the structure is ours
    for code, output in _cli_outputs(copy, tmp_path):
        assert code == 2, output
        assert output.startswith(f"error: {copy}/model.onnx is refused by onnxruntime ("), output
        assert "xncoder.0.weight" in output and len(output.strip().splitlines()) == 1, output
        assert "EP Error" not in output and "internal error" not in output
