from __future__ import annotations

import torch

from snas.nn import functional as F


def test_shield_forces_rows_and_keeps_others():
    probs = torch.tensor([[0.3, 0.7], [0.6, 0.4], [0.5, 0.5]])
    out = F.apply_shield(probs, torch.tensor([0, -1, 1]))
    assert torch.equal(out, torch.tensor([[1.0, 0.0], [0.6, 0.4], [0.0, 1.0]]))


def test_rule_losses():
    t = torch.tensor([[0.9], [0.2], [0.5]])
    b = torch.tensor([[1.0], [1.0], [0.0]])
    lp = F.rule_loss(t, b, "log-product")
    assert torch.allclose(lp, -(torch.log(torch.tensor(0.9)) + torch.log(torch.tensor(0.2))) / 3)
    assert torch.allclose(F.rule_loss(t, b, "lukasiewicz"), torch.tensor([(0.1 + 0.8) / 3]))
    assert torch.allclose(F.rule_loss(t, b, "godel"), torch.tensor([(0.1 + 0.8) / 3]))
    # a row where the body does not hold never costs anything
    assert float(F.rule_loss(torch.tensor([[0.01]]), torch.tensor([[0.0]]))[0]) == 0.0


def test_piecewise_linear_is_monotone():
    lower = torch.tensor([[-1.0, 0.0, 1.0]])
    width = torch.tensor([[1.0, 1.0, 1.0]])
    mask = torch.ones(1, 3)
    z = torch.linspace(-3, 3, 101)[:, None]
    enc = F.piecewise_linear(z, lower, width, mask)[:, 0, :]
    assert (enc.diff(dim=0) >= 0).all()
    assert torch.allclose(
        F.piecewise_linear(torch.tensor([[0.5]]), lower, width, mask)[0, 0], torch.tensor([1.0, 0.5, 0.0])
    )


def test_split_activation_is_monotone_convex_and_concave():
    h = torch.linspace(-2, 2, 9)[:, None].repeat(1, 2)
    out = F.split_activation(h)
    assert (out.diff(dim=0) >= 0).all()
    assert torch.equal(out[:, 0], torch.relu(h[:, 0])) and torch.equal(out[:, 1], -torch.relu(-h[:, 1]))
