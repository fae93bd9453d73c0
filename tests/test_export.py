"""torch and onnxruntime agree: the model ``check`` runs is the model ``calibrate`` trained."""

from __future__ import annotations

import numpy as np
import pytest

from sprite_lint.colour import fit_document_frequency, fit_pair_frequency
from sprite_lint.export import onnx_bytes
from sprite_lint.kde import GaussianKDE
from sprite_lint.model import ModelConfig
from sprite_lint.scoring import Scorer
from sprite_lint.synth import make_family
from sprite_lint.train import TrainConfig, train_autoencoder


class TorchScorer(Scorer):
    """The same scoring, with the network run by torch instead of onnxruntime."""

    def __init__(self, model: object, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.model = model

    def run_network(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.no_grad():
            recon, z = self.model(torch.from_numpy(x[None]))  # type: ignore[operator]
        return recon[0].numpy(), z[0].numpy()


@pytest.fixture(scope="module")
def trained() -> tuple[object, list[np.ndarray]]:
    sprites = make_family("gems", 12, seed=2) + make_family("creatures", 12, seed=2)
    model = train_autoencoder(sprites, ModelConfig(width=8), TrainConfig(epochs=3, seed=0))
    return model, sprites


def test_torch_and_onnxruntime_give_the_same_scores(
    trained: tuple[object, list[np.ndarray]],
) -> None:
    model, sprites = trained
    bins, counts, n = fit_document_frequency(sprites)
    pair_keys, pair_counts = fit_pair_frequency(sprites)
    d = model.config.latent_dim  # type: ignore[attr-defined]
    rng = np.random.default_rng(0)
    kw = dict(
        kde=GaussianKDE(0.5).fit(rng.normal(size=(64, d))),
        kde_loo=rng.normal(size=64),
        latent_mean=np.zeros(d),
        latent_std=np.ones(d),
        colour_bins=bins,
        colour_counts=counts,
        colour_images=n,
        pair_keys=pair_keys,
        pair_counts=pair_counts,
    )
    ort_scorer = Scorer(model_bytes=onnx_bytes(model), **kw)  # type: ignore[arg-type]
    torch_scorer = TorchScorer(model, model_bytes=onnx_bytes(model), **kw)
    for sprite in sprites[:6] + [np.zeros((1, 1, 4), np.uint8)]:
        a, b = ort_scorer.score(sprite).as_vector(), torch_scorer.score(sprite).as_vector()
        np.testing.assert_allclose(a, b, atol=1e-4, rtol=1e-4)


def test_training_is_deterministic_for_a_seed() -> None:
    import torch

    sprites = make_family("icons", 8, seed=0)
    a = train_autoencoder(sprites, ModelConfig(width=8), TrainConfig(epochs=2, seed=5))
    b = train_autoencoder(sprites, ModelConfig(width=8), TrainConfig(epochs=2, seed=5))
    c = train_autoencoder(sprites, ModelConfig(width=8), TrainConfig(epochs=2, seed=6))
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)


def test_onnx_model_is_valid_with_dynamic_sizes(trained: tuple[object, list[np.ndarray]]) -> None:
    import onnx

    model, _ = trained
    proto = onnx.load_from_string(onnx_bytes(model))
    onnx.checker.check_model(proto)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_param or d.dim_value for d in dims] == ["n", 4, "h", "w"]
