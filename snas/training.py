"""Train one network under a seed: mini-batches, AdamW, early stopping, determinism."""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch

from snas.nn import functional as F
from snas.nn._spec import NetworkSpec

__all__ = ["TrainResult", "TrainingData", "evaluate_loss", "seed_everything", "train_network"]

MIN_STEPS = 300  # small data sets still get enough optimiser steps


@dataclass
class TrainingData:
    """Tensors for training: encoded inputs, labels and rule truths (from raw values)."""

    numeric: torch.Tensor
    missing: torch.Tensor
    codes: torch.Tensor
    y: torch.Tensor  # (n,) class index
    forced: torch.Tensor  # (n,) class index of the deciding hard rule, −1 if none
    soft_body: torch.Tensor  # (n, R) crisp truth of the loss rules
    soft_head: torch.Tensor  # (R,) head class of each loss rule
    soft_weight: torch.Tensor  # (R,)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def subset(self, idx: torch.Tensor) -> TrainingData:
        return TrainingData(
            self.numeric[idx],
            self.missing[idx],
            self.codes[idx],
            self.y[idx],
            self.forced[idx],
            self.soft_body[idx],
            self.soft_head,
            self.soft_weight,
        )


@dataclass(frozen=True)
class TrainResult:
    """What happened during training (kept on the fitted estimator and in the model file)."""

    epochs: int
    best_epoch: int
    best_val_loss: float | None
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    """Seed torch's global generator (initialisation, dropout)."""
    torch.manual_seed(seed)


def _losses(net: torch.nn.Module, d: TrainingData, spec: NetworkSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-entropy on rows no hard rule decides, and the weighted soft-rule loss."""
    logits = net(d.numeric, d.missing, d.codes)
    free = (d.forced < 0).to(logits.dtype) if spec.shield else torch.ones_like(d.y, dtype=logits.dtype)
    if logits.shape[1] == 1:
        ce = torch.nn.functional.binary_cross_entropy_with_logits(logits[:, 0], d.y.to(logits.dtype), reduction="none")
    else:
        ce = torch.nn.functional.cross_entropy(logits, d.y, reduction="none")
    ce = (ce * free).mean()
    rule = logits.new_zeros(())
    if d.soft_head.numel() and spec.rule_lambda > 0:
        probs = F.output_probabilities(logits)
        if spec.shield:
            probs = F.apply_shield(probs, d.forced)
        per_rule = F.rule_loss(probs[:, d.soft_head], d.soft_body, spec.rule_loss)
        rule = spec.rule_lambda * (per_rule * d.soft_weight).sum()
    return ce, rule


@torch.no_grad()
def evaluate_loss(net: torch.nn.Module, d: TrainingData, spec: NetworkSpec) -> float:
    """Validation log-loss of the shielded output (the early-stopping criterion)."""
    net.eval()  # safe: torch inference mode, not Python eval
    ce, _ = _losses(net, d, spec)
    return float(ce)


def train_network(
    net: torch.nn.Module,
    train: TrainingData,
    spec: NetworkSpec,
    *,
    valid: TrainingData | None = None,
    seed: int = 0,
    max_epochs: int | None = None,
    callback: Any = None,
) -> TrainResult:
    """AdamW on mini-batches with early stopping on ``valid``; restores the best weights.

    With ``spec.ema_decay`` > 0 the weights validated, kept and returned are the exponential
    moving average of the optimiser's weights. Same seed, same data → identical weights (CPU).
    """
    start = time.perf_counter()
    seed_everything(seed)
    gen = torch.Generator().manual_seed(seed)
    n = len(train)
    batch = min(spec.batch_size, n)
    steps_per_epoch = math.ceil(n / batch)
    epochs = max_epochs or spec.max_epochs
    epochs = max(epochs, math.ceil(MIN_STEPS / steps_per_epoch)) if max_epochs is None else epochs
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in net.named_parameters():
        if p.requires_grad:
            (no_decay if p.ndim < 2 or "embeddings" in name else decay).append(p)
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": spec.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=spec.learning_rate,
    )
    params: list[torch.Tensor] = [p for p in net.parameters() if p.requires_grad]
    average = [p.detach().clone() for p in params] if spec.ema_decay > 0 else None
    best_state: dict[str, torch.Tensor] | None = None
    best_loss, best_epoch, stale = math.inf, 0, 0
    history: list[dict[str, float]] = []
    epoch = 0
    for epoch in range(1, epochs + 1):
        net.train()
        perm = torch.randperm(n, generator=gen)
        total = total_rule = 0.0
        for s in range(0, n, batch):
            idx = perm[s : s + batch]
            if idx.numel() < 2 and n > 1:
                continue  # batch norm needs two rows
            ce, rule = _losses(net, train.subset(idx), spec)
            loss = ce + rule
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if average is not None:
                with torch.no_grad():
                    torch._foreach_lerp_(average, params, 1.0 - spec.ema_decay)
            total += ce.item() * idx.numel()
            total_rule += rule.item() * idx.numel()
        row = {"epoch": float(epoch), "train_loss": total / n, "rule_loss": total_rule / n}
        if valid is not None and len(valid):
            with _swapped(params, average):
                val = evaluate_loss(net, valid, spec)
                row["val_loss"] = val
                if val < best_loss - 1e-5:
                    best_loss, best_epoch, stale = val, epoch, 0
                    best_state = copy.deepcopy(net.state_dict())
                else:
                    stale += 1
        history.append(row)
        if callback is not None:
            callback(row)
        if valid is not None and stale >= spec.patience:
            break
    if best_state is not None:
        net.load_state_dict(best_state)
    elif average is not None:
        with torch.no_grad():
            torch._foreach_copy_(params, average)
    net.eval()  # safe: torch inference mode, not Python eval
    return TrainResult(
        epochs=epoch,
        best_epoch=best_epoch or epoch,
        best_val_loss=None if best_state is None else best_loss,
        seconds=time.perf_counter() - start,
        history=history,
    )


@contextlib.contextmanager
def _swapped(params: list[torch.Tensor], average: list[torch.Tensor] | None) -> Iterator[None]:
    """Temporarily load the averaged weights (exponential moving average) into ``params``."""
    if average is None:
        yield
        return
    with torch.no_grad():
        current = [p.detach().clone() for p in params]
        torch._foreach_copy_(params, average)
    try:
        yield
    finally:
        with torch.no_grad():
            torch._foreach_copy_(params, current)
