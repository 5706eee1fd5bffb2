"""The doodle recogniser and the judge train through one loop (training/recogniser.fit): a
couple of epochs on a tiny random set run for both networks and leave them scoring."""

import types

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from artdesk.training import judge, recogniser  # noqa: E402


@pytest.mark.parametrize("make", [lambda: recogniser.Net(5), lambda: judge.JudgeNet(5)], ids=["recogniser", "judge"])
def test_both_classifiers_train_through_the_one_loop(make):
    torch.manual_seed(0)
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (64, 28, 28)).astype(np.uint8)
    y = rng.integers(0, 5, 64)
    net = make()
    before = [p.detach().clone() for p in net.parameters()]
    wall = recogniser.fit(net, x, y, x[:16], y[:16], types.SimpleNamespace(lr=1e-3, batch=16, epochs=2, seed=0))
    assert wall >= 0
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))  # it learned something
    result = recogniser.evaluate(net, x[:16], y[:16])
    assert result["n"] == 16 and 0.0 <= result["top1"] <= result["top3"] <= 1.0
