"""Export the trained autoencoder to ONNX, so ``check`` can run it without torch."""

from __future__ import annotations

import io
import warnings

from sprite_lint.model import CELL, SpriteAutoencoder
from sprite_lint.onnxfile import ONNX_INPUT, ONNX_OUTPUTS  # what check accepts, in one place

OPSET = 18


def onnx_bytes(model: SpriteAutoencoder) -> bytes:
    """``model`` serialized as ONNX with dynamic batch, height and width."""
    import torch

    model = model.cpu().eval()
    dummy = torch.zeros(1, 4, 4 * CELL, 4 * CELL)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        buf = io.BytesIO()
        torch.onnx.export(
            model,
            (dummy,),
            buf,
            input_names=[ONNX_INPUT],
            output_names=list(ONNX_OUTPUTS),
            dynamic_axes={
                ONNX_INPUT: {0: "n", 2: "h", 3: "w"},
                ONNX_OUTPUTS[0]: {0: "n", 2: "h", 3: "w"},
                ONNX_OUTPUTS[1]: {0: "n", 2: "h8", 3: "w8"},
            },
            opset_version=OPSET,
            dynamo=False,
        )
    return buf.getvalue()
