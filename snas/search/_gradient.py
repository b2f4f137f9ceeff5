"""Gradient inner loop: a Gumbel-softmax supernet chooses, inside one candidate, each layer's
operation and width and which input features to keep (GDAS-style hard sampling).

Per layer: operations {the candidate's activations…, skip} on a shared linear map, widths
{¼, ½, 1} of the layer's width by masking. Inputs pass through soft feature gates. A
decaying auxiliary skip (DARTS−) guards against skip collapse; an expected-complexity
penalty joins the loss; the result is discretised and then retrained from scratch.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["refine_genome"]

_ACTS = {"relu": torch.relu, "gelu": nn.functional.gelu, "silu": nn.functional.silu}
FRACTIONS = (0.25, 0.5, 1.0)


def _gumbel(logits: torch.Tensor, tau: float, gen: torch.Generator) -> torch.Tensor:
    """Hard one-hot sample with straight-through gradients."""
    u = torch.rand(logits.shape, generator=gen).clamp(1e-9, 1 - 1e-9)
    y = torch.softmax((logits - torch.log(-torch.log(u))) / tau, dim=-1)
    hard = torch.zeros_like(y).scatter_(-1, y.argmax(-1, keepdim=True), 1.0)
    return hard - y.detach() + y


class _SuperLayer(nn.Module):
    masks: torch.Tensor

    def __init__(self, n_in: int, width: int, ops: list[str]) -> None:
        super().__init__()
        self.ops = ops
        self.linear = nn.Linear(n_in, width)
        self.alpha_op = nn.Parameter(torch.zeros(len(ops)))
        self.alpha_w = nn.Parameter(torch.zeros(len(FRACTIONS)))
        masks = torch.zeros(len(FRACTIONS), width)
        for i, f in enumerate(FRACTIONS):
            masks[i, : max(1, round(width * f))] = 1.0
        self.register_buffer("masks", masks)
        self.same = n_in == width

    def forward(self, x: torch.Tensor, tau: float, gen: torch.Generator, aux: float) -> torch.Tensor:
        w_op = _gumbel(self.alpha_op, tau, gen)
        w_w = _gumbel(self.alpha_w, tau, gen)
        k = int(w_op.argmax())
        name = self.ops[k]
        if name == "skip":
            out = x * w_op[k]
        else:
            mask = w_w @ self.masks
            out = _ACTS[name](self.linear(x)) * mask * w_op[k]
        if aux > 0 and self.same and name != "skip":
            out = out + aux * x
        return out

    def expected_parameters(self, n_in_expected: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        p_op = torch.softmax(self.alpha_op, 0)
        p_w = torch.softmax(self.alpha_w, 0)
        width = self.masks.shape[1]
        e_width = (p_w * torch.tensor([max(1, round(width * f)) for f in FRACTIONS], dtype=torch.float32)).sum()
        p_skip = p_op[self.ops.index("skip")] if "skip" in self.ops else torch.zeros(())
        params = (1 - p_skip) * (n_in_expected + 1) * e_width
        out_width = (1 - p_skip) * e_width + p_skip * n_in_expected
        return params, out_width


def refine_genome(
    genome: dict[str, Any],
    context: Any,
    spec: dict[str, Any],
    *,
    seed: int,
    epochs: int,
    subsample: float = 0.5,
    complexity_weight: float = 0.05,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the supernet for a candidate and return (discretised genome, diagnostics)."""
    from snas.estimator import SNASClassifier
    from snas.training import TrainingData

    X, y = context.subsample(subsample, seed)
    base = SNASClassifier(rules=context.rules, architecture=spec, random_state=seed)
    y_arr = np.asarray(y)
    base.classes_ = np.unique(y_arr)
    nspec = base._prepare(X, y_arr, y_name=y.name)
    torch.manual_seed(seed)
    net = base._build(dataclasses.replace(nspec, members=1))  # the supernet searches one member
    depth = genome["depth"]
    layers = genome["layers"][:depth]
    acts = sorted({la["activation"] for la in layers} | {"relu"})
    width = max(la["width"] for la in layers)
    n_free_neurons = int(net.neuron_free.numel())
    first_in = net.n_free_inputs + (n_free_neurons if nspec.inject_at == 0 else 0)
    supers: list[_SuperLayer] = []
    for i in range(depth):
        ops = acts if i == 0 else [*acts, "skip"]
        supers.append(_SuperLayer(first_in if i == 0 else width, width, ops))
    head_in = width + (n_free_neurons if nspec.inject_at >= depth else 0)
    net.head = nn.Linear(head_in, net.n_out)
    if net.mono_gate is not None:
        net.mono_gate = nn.Linear(head_in, net.mono_gate.out_features)
    n_feat = len(net.free_features)
    gates = nn.Parameter(torch.full((n_feat,), 2.0))
    t = base._tensors(X)
    y_idx = torch.from_numpy(np.searchsorted(base.classes_, y_arr).astype(np.int64))
    data = TrainingData(
        t["numeric"],
        t["missing"],
        t["codes"],
        y_idx,
        t["forced"],
        torch.zeros(len(y_idx), 0),
        torch.zeros(0, dtype=torch.long),
        torch.zeros(0),
    )
    weights = [p for p in net.parameters() if p.requires_grad] + [
        p for m in supers for n, p in m.named_parameters() if not n.startswith("alpha")
    ]
    arch = [p for m in supers for n, p in m.named_parameters() if n.startswith("alpha")] + [gates]
    opt_w = torch.optim.AdamW(weights, lr=spec.get("learning_rate", 2e-3), weight_decay=spec.get("weight_decay", 1e-5))
    opt_a = torch.optim.Adam(arch, lr=3e-2)
    gen = torch.Generator().manual_seed(seed)
    n = len(data)
    batch = min(512, n)
    steps = max(1, epochs * math.ceil(n / batch))
    max_params = torch.tensor(float(first_in * width + (depth - 1) * width * width + 1))
    step = 0
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for s in range(0, n, batch):
            idx = perm[s : s + batch]
            d = data.subset(idx)
            frac = step / steps
            tau = 5.0 * (0.1**frac)  # 5 → 0.5
            aux = max(0.0, 1.0 - 2 * frac)  # decays to 0 halfway
            x0, truths = net.inputs(d.numeric, d.missing, d.codes)
            g = torch.sigmoid(gates)
            g_hard = (torch.rand(g.shape, generator=gen) < g).float()
            gate = (g_hard - g.detach() + g)[net.x0_feature]
            h = x0 * gate
            free_truths = truths[:, net.neuron_free]
            for i, layer in enumerate(supers):
                if i == nspec.inject_at and free_truths.shape[1]:
                    h = torch.cat([h, free_truths], 1)
                h = layer(h, tau, gen, aux)
            if nspec.inject_at >= depth and free_truths.shape[1]:
                h = torch.cat([h, free_truths], 1)
            logits = net.output(h, x0 * gate, truths, d.numeric)
            mask = (d.forced < 0).float()
            if logits.shape[1] == 1:
                ce = nn.functional.binary_cross_entropy_with_logits(logits[:, 0], d.y.float(), reduction="none")
            else:
                ce = nn.functional.cross_entropy(logits, d.y, reduction="none")
            ce = (ce * mask).mean()
            e_in = (torch.sigmoid(gates)[net.x0_feature]).sum()
            total = torch.zeros(())
            for layer in supers:
                params, e_in = layer.expected_parameters(e_in)
                total = total + params
            loss = ce + complexity_weight * total / max_params
            opt_w.zero_grad(set_to_none=True)
            opt_a.zero_grad(set_to_none=True)
            loss.backward()
            opt_w.step()
            opt_a.step()
            step += 1
    # discretise: best op / width per layer; at most half the layers may become skips (skip cap)
    new = copy.deepcopy(genome)
    chosen = []
    skip_budget = depth // 2
    for i, layer in enumerate(supers):
        probs = torch.softmax(layer.alpha_op.detach(), 0)
        order = torch.argsort(probs, descending=True).tolist()
        op = layer.ops[order[0]]
        if op == "skip" and skip_budget == 0:
            op = layer.ops[order[1]]
        if op == "skip":
            skip_budget -= 1
            continue
        frac = FRACTIONS[int(layer.alpha_w.detach().argmax())]
        base_layer = dict(layers[i])
        base_layer["activation"] = op
        base_layer["width"] = max(2, round(base_layer["width"] * frac))
        chosen.append(base_layer)
    if not chosen:
        chosen = [dict(layers[0])]
    keep = torch.sigmoid(gates.detach()) >= 0.5
    dropped = [f for f, k in zip(net.free_features, keep.tolist(), strict=True) if not k]
    if len(dropped) == len(net.free_features):
        dropped = dropped[1:]
    new["layers"] = chosen + [dict(la) for la in genome["layers"][len(chosen) :]]
    new["layers"] = new["layers"][: len(genome["layers"])]
    new["depth"] = len(chosen)
    new["drop_features"] = sorted(set(genome.get("drop_features", [])) | set(dropped))
    info = {
        "ops": [[float(v) for v in torch.softmax(la.alpha_op.detach(), 0)] for la in supers],
        "gates": {f: float(v) for f, v in zip(net.free_features, torch.sigmoid(gates.detach()).tolist(), strict=True)},
        "dropped_features": dropped,
    }
    return new, info
