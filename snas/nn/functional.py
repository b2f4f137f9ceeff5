"""Pure tensor functions of the injection mechanisms and layers (no state; see DESIGN §4)."""

from __future__ import annotations

import math
from typing import Any

import torch

__all__ = [
    "apply_shield",
    "linear",
    "one_hot_blocks",
    "output_probabilities",
    "periodic",
    "piecewise_linear",
    "ple_buffers",
    "rule_loss",
    "split_activation",
]


def output_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(…, 1) logit → (…, 2) [1 − p, p]; (…, C) logits → softmax."""
    if logits.shape[-1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=-1)
    return torch.softmax(logits, dim=-1)


def apply_shield(probs: torch.Tensor, forced: torch.Tensor) -> torch.Tensor:
    """Hard rules: rows with ``forced[i] = k >= 0`` get all mass on class k (mask and
    renormalise); rows with −1 keep the network's probabilities.

    Shape: probs (…, n, C), forced (n,) long → (…, n, C).
    """
    hit = forced >= 0
    if not bool(hit.any()):
        return probs
    onehot = torch.nn.functional.one_hot(forced.clamp(min=0), probs.shape[-1]).to(probs.dtype)
    return torch.where(hit[:, None], onehot, probs)


def rule_loss(
    head_prob: torch.Tensor, body: torch.Tensor, kind: str = "log-product", weights: torch.Tensor | None = None
) -> torch.Tensor:
    """Per-rule soft-rule loss, averaged over rows (weighted by ``weights`` when given).

    head_prob (…, n, R): the model's probability of each rule's head class.
    body (n, R): the body's truth (0/1, or fuzzy in [0, 1]); weights (…, n).
    log-product: −log(1 − b + b·t) (semantic-loss form); lukasiewicz: max(0, b − t);
    godel: (1 − t) where b > t, else 0. Returns (…, R).
    """
    t = head_prob.clamp(1e-6, 1 - 1e-6)
    if kind == "log-product":
        per_row = -torch.log1p(-body + body * t)
    elif kind == "lukasiewicz":
        per_row = torch.relu(body - t)
    elif kind == "godel":
        per_row = (body > t).to(t.dtype) * (1 - t)
    else:
        raise ValueError(f"unknown rule loss {kind!r}")
    if weights is None:
        return per_row.mean(dim=-2)
    return (per_row * weights[..., None]).sum(-2) / weights.sum(-1, keepdim=True).clamp(min=1)


def ple_buffers(edges: list[Any], n_bins: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Lower bounds, widths and a validity mask (k, n_bins) of per-feature quantile bins."""
    k = len(edges)
    lower = torch.zeros(k, n_bins)
    width = torch.ones(k, n_bins)
    mask = torch.zeros(k, n_bins)
    for j, e in enumerate(edges):
        e = [float(v) for v in list(e)[: n_bins + 1]]
        for t in range(len(e) - 1):
            lower[j, t] = e[t]
            width[j, t] = max(e[t + 1] - e[t], 1e-6)
            mask[j, t] = 1.0
    return lower, width, mask


def piecewise_linear(z: torch.Tensor, lower: torch.Tensor, width: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear encoding: bin t of feature j is clip((z_j − lower_jt) / width_jt, 0, 1).

    Shape: z (n, k); lower, width, mask (k, B) → (n, k, B). Every component is
    non-decreasing in z, so non-negative weights keep monotonicity.
    """
    return ((z[:, :, None] - lower) / width).clamp(0.0, 1.0) * mask


def one_hot_blocks(codes: torch.Tensor, sizes: list[int]) -> torch.Tensor:
    """Concatenated one-hot columns of several categorical codes.

    Shape: codes (n, c) long with ``codes[:, j] < sizes[j]`` → (n, Σ sizes).
    """
    if not sizes:
        return torch.zeros(codes.shape[0], 0)
    offsets = torch.tensor([0, *sizes[:-1]]).cumsum(0)
    out = torch.zeros(codes.shape[0], sum(sizes))
    out.scatter_(1, codes + offsets, 1.0)
    return out


def periodic(z: torch.Tensor, frequencies: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """Periodic embeddings (PLR): ReLU(linear_j([sin, cos](2π f_j z_j))) per feature j.

    Shape: z (n, k); frequencies (M, k, F); weight (M, k, 2F, D); bias (M, k, D) → (M, n, k, D).
    """
    angles = 2 * math.pi * z[None, :, :, None] * frequencies[:, None]  # (M, n, k, F)
    feats = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)  # (M, n, k, 2F)
    return torch.relu(torch.einsum("mnkf,mkfd->mnkd", feats, weight) + bias[:, None])


def linear(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Per-member linear map without bias.

    Shape: x (n, i) shared by all members or (M, n, i); weight (M, o, i) → (M, n, o).
    """
    if weight.shape[0] == 1:  # one member: a plain matrix product is the fastest kernel
        return torch.mm(x if x.dim() == 2 else x[0], weight[0].t())[None]
    return torch.matmul(x, weight.transpose(1, 2))


def split_activation(h: torch.Tensor) -> torch.Tensor:
    """Monotone activation: even units convex (ReLU), odd units concave (−ReLU(−x)).

    Interleaving (instead of halves) keeps every unit's role when a width is sliced.
    """
    convex = torch.relu(h)
    concave = -torch.relu(-h)
    parity = torch.arange(h.shape[-1], device=h.device) % 2 == 0
    return torch.where(parity, convex, concave)
