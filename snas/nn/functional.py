"""Pure tensor functions of the injection mechanisms (no state; see DESIGN §4)."""

from __future__ import annotations

import torch

__all__ = [
    "apply_shield",
    "output_probabilities",
    "piecewise_linear",
    "rule_loss",
    "split_activation",
]


def output_probabilities(logits: torch.Tensor) -> torch.Tensor:
    """(n, 1) logit → (n, 2) [1 − p, p]; (n, C) logits → softmax."""
    if logits.shape[1] == 1:
        p = torch.sigmoid(logits)
        return torch.cat([1 - p, p], dim=1)
    return torch.softmax(logits, dim=1)


def apply_shield(probs: torch.Tensor, forced: torch.Tensor) -> torch.Tensor:
    """Hard rules: rows with ``forced[i] = k >= 0`` get all mass on class k (mask and
    renormalise); rows with −1 keep the network's probabilities.

    Shape: probs (n, C), forced (n,) long → (n, C).
    """
    hit = forced >= 0
    if not bool(hit.any()):
        return probs
    onehot = torch.zeros_like(probs)
    onehot[hit, forced[hit]] = 1.0
    return torch.where(hit[:, None], onehot, probs)


def rule_loss(head_prob: torch.Tensor, body: torch.Tensor, kind: str = "log-product") -> torch.Tensor:
    """Per-rule soft-rule loss, averaged over rows.

    head_prob (n, R): the model's probability of each rule's head class.
    body (n, R): the body's truth (0/1, or fuzzy in [0, 1]).
    log-product: −log(1 − b + b·t) (semantic-loss form); lukasiewicz: max(0, b − t);
    godel: (1 − t) where b > t, else 0. Returns (R,).
    """
    t = head_prob.clamp(1e-6, 1 - 1e-6)
    if kind == "log-product":
        return -torch.log1p(-body + body * t).mean(dim=0)
    if kind == "lukasiewicz":
        return torch.relu(body - t).mean(dim=0)
    if kind == "godel":
        return ((body > t).to(t.dtype) * (1 - t)).mean(dim=0)
    raise ValueError(f"unknown rule loss {kind!r}")


def piecewise_linear(z: torch.Tensor, lower: torch.Tensor, width: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Piecewise-linear encoding: bin t of feature j is clip((z_j − lower_jt) / width_jt, 0, 1).

    Shape: z (n, k); lower, width, mask (k, B) → (n, k, B). Every component is
    non-decreasing in z, so non-negative weights keep monotonicity.
    """
    return ((z[:, :, None] - lower) / width).clamp(0.0, 1.0) * mask


def split_activation(h: torch.Tensor) -> torch.Tensor:
    """Monotone activation: first half convex (ReLU), second half concave (−ReLU(−x))."""
    half = h.shape[1] // 2
    return torch.cat([torch.relu(h[:, :half]), -torch.relu(-h[:, half:])], dim=1)
