import hashlib
import json

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

from artdesk.runtime import models as runtime  # noqa: E402


def tiny_model(path):
    graph = helper.make_graph([helper.make_node("Add", ["x", "x"], ["y"])], "double",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 3])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8), path)


@pytest.fixture
def models(tmp_path):
    tiny_model(tmp_path / "double.onnx")
    digest = hashlib.sha256((tmp_path / "double.onnx").read_bytes()).hexdigest()
    manifest = {"format": 1, "models": [{"id": "test/double", "file": "double.onnx", "sha256": digest,
                                         "task": "test", "licence": "MIT"}]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    runtime.clear_cache()
    yield tmp_path
    runtime.clear_cache()
    runtime.set_force_cpu(False)


def test_opens_checked_model_and_runs(models):
    session = runtime.open_session("test/double", models)
    out = session.run(None, {"x": np.ones((2, 3), np.float32)})[0]
    np.testing.assert_array_equal(out, 2 * np.ones((2, 3)))
    assert runtime.open_session("test/double", models) is session  # cached


def test_damaged_model_is_refused(models):
    data = bytearray((models / "double.onnx").read_bytes())
    data[-5] ^= 0xFF
    (models / "double.onnx").write_bytes(bytes(data))
    with pytest.raises(runtime.ModelError, match="damaged"):
        runtime.open_session("test/double", models)


def test_missing_model_and_unknown_id(models):
    (models / "double.onnx").unlink()
    with pytest.raises(runtime.ModelError, match="missing"):
        runtime.open_session("test/double", models)
    with pytest.raises(runtime.ModelError, match="No model called"):
        runtime.open_session("test/nothing", models)


def test_not_onnx_with_matching_checksum(models):
    (models / "double.onnx").write_bytes(b"this is not onnx")
    manifest = json.loads((models / "manifest.json").read_text())
    manifest["models"][0]["sha256"] = hashlib.sha256(b"this is not onnx").hexdigest()
    (models / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(runtime.ModelError, match="could not be loaded"):
        runtime.open_session("test/double", models)


def test_damaged_manifest(tmp_path):
    (tmp_path / "manifest.json").write_text("{")
    with pytest.raises(runtime.ModelError, match="damaged"):
        runtime.load_manifest(tmp_path)
    with pytest.raises(runtime.ModelError, match="missing"):
        runtime.load_manifest(tmp_path / "nowhere")


def test_provider_choice_and_force_cpu(models):
    providers = runtime.available_providers()
    assert providers[-1] == "CPUExecutionProvider"
    runtime.set_force_cpu(True)
    assert runtime.active_provider() == "CPUExecutionProvider"
    session = runtime.open_session("test/double", models)
    assert session.get_providers() == ["CPUExecutionProvider"]
    assert runtime.provider_description().startswith("CPU")


def test_shipped_manifest_is_consistent():
    """Every model the project ships is present and matches its checksum."""
    for entry in runtime.load_manifest().values():
        runtime.verify(entry)
