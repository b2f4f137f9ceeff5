"""Train a stacked network: every member on its own rows, seed and recipe, in one batched loop.

Members of an ensemble, or several training recipes of one architecture, share each
mini-batch's forward and backward pass (the cost of one small network on a CPU is mostly
dispatch overhead, so M members cost little more than one). Each member early-stops on
its own validation rows and keeps its own best weights. Training always runs with a fixed
number of torch threads (:data:`THREADS`), so the same seed gives the same weights on any
machine.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from snas.nn import AdditiveArchitecture, Architecture, Inputs, NetworkSpec
from snas.nn import functional as F

__all__ = [
    "THREADS",
    "Split",
    "TrainResult",
    "TrainingData",
    "evaluate_losses",
    "member_losses",
    "torch_threads",
    "train_network",
]

MIN_STEPS = 300  # small data sets still get enough optimiser steps
THREADS = int(os.environ.get("SNAS_TORCH_THREADS", "1"))  # fixed: results independent of the core count


@contextlib.contextmanager
def torch_threads(n: int = THREADS) -> Iterator[None]:
    """Run the block with exactly ``n`` torch threads (restored afterwards)."""
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@dataclass(frozen=True)
class TrainingData:
    """Encoded inputs, labels and rule truths (computed from raw values) for n rows."""

    inputs: Inputs
    y: torch.Tensor  # (n,) class index
    forced: torch.Tensor  # (n,) class index of the deciding hard rule, −1 if none
    soft_body: torch.Tensor  # (n, R) crisp truth of the loss rules
    soft_head: torch.Tensor  # (R,) head class of each loss rule
    soft_weight: torch.Tensor  # (R,)

    def __len__(self) -> int:
        return int(self.y.shape[0])

    def take(self, idx: torch.Tensor | slice) -> TrainingData:
        """Rows ``idx`` (rule heads and weights are per rule, not per row)."""
        return TrainingData(
            self.inputs.take(idx), self.y[idx], self.forced[idx], self.soft_body[idx], self.soft_head, self.soft_weight
        )


@dataclass(frozen=True)
class Split:
    """Row indices one member trains on and early-stops on (empty ``valid``: no early stopping)."""

    train: torch.Tensor
    valid: torch.Tensor


@dataclass(frozen=True)
class TrainResult:
    """What happened while training one member (kept with the model)."""

    epochs: int
    best_epoch: int
    best_val_loss: float | None
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)
    deadline_hit: bool = False


def _member_tensor(values: Sequence[float]) -> torch.Tensor:
    return torch.tensor([float(v) for v in values], dtype=torch.float32)


def member_losses(
    net: torch.nn.Module,
    d: TrainingData,
    weights: torch.Tensor,
    spec: NetworkSpec,
    arch: Architecture | AdditiveArchitecture | None,
    lam: torch.Tensor,
    dropout: torch.Tensor,
    **forward: Any,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-member cross-entropy on rows no hard rule decides, and the weighted rule loss.

    weights (M, n): 1 where the row belongs to the member's training rows; ``forward``
    passes gates and masks on to the network. Returns (M,), (M,).
    """
    logits = net(d.inputs, arch, dropout=dropout, **forward)  # (M, n, C')
    free = (d.forced < 0).to(logits.dtype) if spec.shield else torch.ones_like(d.y, dtype=logits.dtype)
    if logits.shape[-1] == 1:
        target = d.y.to(logits.dtype).expand(logits.shape[0], -1)
        ce = torch.nn.functional.binary_cross_entropy_with_logits(logits[..., 0], target, reduction="none")
    else:
        m, n, c = logits.shape
        ce = torch.nn.functional.cross_entropy(logits.reshape(m * n, c), d.y.repeat(m), reduction="none")
        ce = ce.reshape(m, n)
    count = weights.sum(1).clamp(min=1)
    ce = (ce * free * weights).sum(1) / count
    rule = logits.new_zeros(logits.shape[0])
    if d.soft_head.numel() and bool((lam > 0).any()):
        probs = F.output_probabilities(logits)
        if spec.shield:
            probs = F.apply_shield(probs, d.forced)
        per_rule = F.rule_loss(probs[..., d.soft_head], d.soft_body, spec.rule_loss, weights)
        rule = lam * (per_rule * d.soft_weight).sum(-1)
    return ce, rule


@torch.no_grad()
def evaluate_losses(
    net: torch.nn.Module,
    d: TrainingData,
    weights: torch.Tensor,
    spec: NetworkSpec,
    arch: Architecture | AdditiveArchitecture | None = None,
) -> torch.Tensor:
    """Per-member validation log-loss on the rows each member holds out (early stopping)."""
    was = net.training
    net.eval()  # safe: torch inference mode, not Python eval
    ce, _ = member_losses(net, d, weights, spec, arch, torch.zeros(weights.shape[0]), torch.zeros(1))
    net.train(was)
    return ce


def _optimizer(net: torch.nn.Module, specs: Sequence[NetworkSpec]) -> Any:
    decay: list[torch.Tensor] = []
    no_decay: list[torch.Tensor] = []
    for name, p in net.named_parameters():
        (no_decay if ("bias" in name or name in ("embedding", "periodic_frequencies")) else decay).append(p)
    lr = {s.learning_rate for s in specs}
    wd = {s.weight_decay for s in specs}
    if len(lr) == 1 and len(wd) == 1:
        return torch.optim.AdamW(
            [{"params": decay, "weight_decay": wd.pop()}, {"params": no_decay, "weight_decay": 0.0}],
            lr=lr.pop(),
            foreach=True,
        )
    return StackedAdamW(decay, no_decay, _member_tensor([s.learning_rate for s in specs]), specs)


class StackedAdamW:
    """AdamW with one learning rate and weight decay per member (the leading axis)."""

    def __init__(
        self,
        decay: list[torch.Tensor],
        no_decay: list[torch.Tensor],
        lr: torch.Tensor,
        specs: Sequence[NetworkSpec],
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.params = decay + no_decay
        self.decays = [True] * len(decay) + [False] * len(no_decay)
        self.lr, self.wd = lr, _member_tensor([s.weight_decay for s in specs])
        self.betas, self.eps, self.t = betas, eps, 0
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1**self.t, 1 - b2**self.t
        for p, m, v, dec in zip(self.params, self.m, self.v, self.decays, strict=True):
            if p.grad is None or p.numel() == 0:
                continue
            shape = (-1,) + (1,) * (p.dim() - 1)
            lr = self.lr.reshape(shape)
            if dec:
                p.mul_(1 - lr * self.wd.reshape(shape))
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            p.sub_(lr * (m / c1) / ((v / c2).sqrt() + self.eps))


def _membership(splits: Sequence[Split], n: int, part: str) -> torch.Tensor:
    w = torch.zeros(len(splits), n)
    for m, s in enumerate(splits):
        w[m, getattr(s, part)] = 1.0
    return w


def train_network(
    net: torch.nn.Module,
    data: TrainingData,
    specs: Sequence[NetworkSpec],
    splits: Sequence[Split],
    *,
    arch: Architecture | AdditiveArchitecture | None = None,
    seed: int = 0,
    max_epochs: int | None = None,
    deadline: float | None = None,
    callback: Any = None,
) -> list[TrainResult]:
    """AdamW on shuffled mini-batches; member m trains on ``splits[m].train`` with recipe
    ``specs[m]`` and early-stops on ``splits[m].valid``, keeping its best weights.

    With ``ema_decay`` > 0 the weights validated, kept and returned are the exponential
    moving average of the optimiser's weights. ``deadline`` (``time.monotonic()``) ends
    training after the epoch that passes it. Same seed, same data → identical weights.
    """
    with torch_threads():
        return _Trainer(net, data, specs, splits, arch, seed, max_epochs, deadline, callback).run()


class _Trainer:
    """The state of one :func:`train_network` call."""

    def __init__(
        self,
        net: torch.nn.Module,
        data: TrainingData,
        specs: Sequence[NetworkSpec],
        splits: Sequence[Split],
        arch: Architecture | AdditiveArchitecture | None,
        seed: int,
        max_epochs: int | None,
        deadline: float | None,
        callback: Any,
    ) -> None:
        self.net, self.data, self.specs, self.arch = net, data, list(specs), arch
        self.spec = specs[0]
        self.deadline, self.callback = deadline, callback
        self.start = time.perf_counter()
        torch.manual_seed(seed)
        self.gen = torch.Generator().manual_seed(seed)
        n = len(data)
        self.train_w = _membership(splits, n, "train")
        self.valid_w = _membership(splits, n, "valid")
        self.rows = torch.nonzero(self.train_w.sum(0) > 0)[:, 0]
        self.valid_rows = torch.nonzero(self.valid_w.sum(0) > 0)[:, 0]
        self.valid = data.take(self.valid_rows) if self.valid_rows.numel() else None
        self.batch = max(2, min(self.spec.batch_size, self.rows.numel()))
        steps = math.ceil(self.rows.numel() / self.batch)
        self.epochs = max_epochs or max(self.spec.max_epochs, math.ceil(MIN_STEPS / max(steps, 1)))
        self.lam = _member_tensor([s.rule_lambda for s in specs])
        self.dropout = _member_tensor([s.dropout for s in specs])
        self.opt = _optimizer(net, specs)
        self.params: list[torch.Tensor] = [p for p in net.parameters() if p.requires_grad]
        self.ema = self.spec.ema_decay
        self.average = [p.detach().clone() for p in self.params] if self.ema > 0 else None
        M = len(specs)
        self.best = [p.detach().clone() for p in self.params]
        self.best_loss = torch.full((M,), math.inf)
        self.best_epoch = torch.zeros(M, dtype=torch.long)
        self.stale = torch.zeros(M, dtype=torch.long)
        self.stopped = torch.zeros(M, dtype=torch.long)  # the epoch a member would have stopped alone
        self.history: list[list[dict[str, float]]] = [[] for _ in range(M)]

    def run(self) -> list[TrainResult]:
        epoch, hit = 0, False
        for epoch in range(1, self.epochs + 1):
            ce, rule = self._epoch()
            val = self._validate(epoch)
            for m in range(len(self.specs)):
                row = {"epoch": float(epoch), "train_loss": float(ce[m]), "rule_loss": float(rule[m])}
                if val is not None:
                    row["val_loss"] = float(val[m])
                self.history[m].append(row)
            if self.callback is not None:
                self.callback(self.history[0][-1])
            if val is not None and bool((self.stopped > 0).all()):
                break
            if self.deadline is not None and time.monotonic() >= self.deadline:
                hit = epoch < self.epochs
                break
        self._restore()
        self.net.eval()  # safe: torch inference mode, not Python eval
        seconds = time.perf_counter() - self.start
        return [
            TrainResult(
                epochs=int(self.stopped[m]) or epoch,
                best_epoch=int(self.best_epoch[m]) or epoch,
                best_val_loss=None if math.isinf(float(self.best_loss[m])) else float(self.best_loss[m]),
                seconds=seconds,
                history=self.history[m],
                deadline_hit=hit,
            )
            for m in range(len(self.specs))
        ]

    def _epoch(self) -> tuple[torch.Tensor, torch.Tensor]:
        self.net.train()
        order = self.rows[torch.randperm(self.rows.numel(), generator=self.gen)]
        shuffled, weights = self.data.take(order), self.train_w[:, order]
        total_ce = torch.zeros(len(self.specs))
        total_rule = torch.zeros(len(self.specs))
        n = order.numel()
        for s in range(0, n, self.batch):
            e = min(s + self.batch, n)
            if e - s < 2:
                continue  # a batch of one row carries too little signal
            ce, rule = member_losses(
                self.net, shuffled.take(slice(s, e)), weights[:, s:e], self.spec, self.arch, self.lam, self.dropout
            )
            self.opt.zero_grad(set_to_none=True)
            (ce + rule).sum().backward()
            self.opt.step()
            if self.average is not None:
                with torch.no_grad():
                    torch._foreach_lerp_(self.average, self.params, 1.0 - self.ema)
            total_ce += ce.detach() * (e - s)
            total_rule += rule.detach() * (e - s)
        return total_ce / max(n, 1), total_rule / max(n, 1)

    def _validate(self, epoch: int) -> torch.Tensor | None:
        if self.valid is None:
            return None
        with self._averaged():
            val = evaluate_losses(self.net, self.valid, self.valid_w[:, self.valid_rows], self.spec, self.arch)
            has_valid = self.valid_w.sum(1) > 0
            better = (val < self.best_loss - 1e-5) & has_valid
            if bool(better.any()):
                with torch.no_grad():
                    for b, p in zip(self.best, self.params, strict=True):
                        b[better] = p.detach()[better]
            self.best_loss = torch.where(better, val, self.best_loss)
            self.best_epoch = torch.where(better, torch.tensor(epoch), self.best_epoch)
            self.stale = torch.where(better, torch.zeros_like(self.stale), self.stale + 1)
            self.stale = torch.where(has_valid, self.stale, torch.zeros_like(self.stale))
            done = has_valid & (self.stale >= self.spec.patience) & (self.stopped == 0)
            self.stopped = torch.where(done, torch.tensor(epoch), self.stopped)
        return val

    @contextlib.contextmanager
    def _averaged(self) -> Iterator[None]:
        """Temporarily load the averaged (EMA) weights into the network."""
        if self.average is None:
            yield
            return
        with torch.no_grad():
            current = [p.detach().clone() for p in self.params]
            torch._foreach_copy_(self.params, self.average)
        try:
            yield
        finally:
            with torch.no_grad():
                torch._foreach_copy_(self.params, current)

    def _restore(self) -> None:
        """Best weights for members that early-stopped; the final (averaged) ones otherwise."""
        final = self.average if self.average is not None else [p.detach().clone() for p in self.params]
        kept = torch.isfinite(self.best_loss)
        with torch.no_grad():
            for p, b, f in zip(self.params, self.best, final, strict=True):
                p.copy_(torch.where(kept.reshape((-1,) + (1,) * (p.dim() - 1)), b, f))


def soft_tensors(body: Any, heads: Sequence[int], weights: Sequence[float]) -> tuple[torch.Tensor, ...]:
    """Rule-loss tensors: body truths (n, R) float, heads (R,) long, weights (R,)."""
    return (
        torch.as_tensor(body, dtype=torch.float32),
        torch.tensor(list(heads), dtype=torch.long),
        torch.tensor(list(weights), dtype=torch.float32),
    )
