"""One weight-sharing supernet per search (Single-Path One-Shot / Once-for-All), holding one
network per architecture family: an MLP supernet and an additive (glass-box) one.

Training samples sub-networks of every family each step — the largest, the smallest and
random ones (the sandwich rule) — so that any architecture of the space can then be
evaluated with its inherited weights in milliseconds; weights are shared within a family.
The gradient inner loop refines one candidate on the frozen supernet: straight-through
gates on inputs (and, for glass boxes, on pairs) and Gumbel width choices trade training
loss against expected complexity. Hard rules, monotone paths and exclusions hold for every
sub-network by construction (they are part of every path).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from snas._util import atomic_write_bytes, atomic_write_text, read_json_file, sha256_bytes
from snas.search._config import GradientSettings, SupernetSettings
from snas.search._refine import refine_additive
from snas.search._space import Genome, SearchSpace
from snas.training import member_losses, torch_threads

if TYPE_CHECKING:
    from snas.model import Task
    from snas.search._measure import ValidationSet
    from snas.training import TrainingData

__all__ = ["Supernet"]

FRACTIONS = (0.25, 0.5, 1.0)
PREFIX = {"mlp": "net.", "additive": "additive."}  # checkpoint tensor names per family


class Supernet:
    """The supernet of a search space on one task.

    Parameters
    ----------
    task : Task
        Compiled rules and encoder (shared with every stand-alone network).
    space : SearchSpace
        Defines the capacity (the largest value of every gene).
    seed : int
        Initialisation and path sampling.
    """

    def __init__(self, task: Task, space: SearchSpace, seed: int) -> None:
        from snas.nn import AdditiveNetwork, NetworkSpec, SNASNetwork

        self.task, self.space, self.seed = task, space, seed
        self.networks: dict[str, Any] = {}  # family → SNASNetwork | AdditiveNetwork
        if "mlp" in space.bounds.families:
            largest = space.largest(space.bounds.encodings[0])
            self.networks["mlp"] = SNASNetwork(task.layout, space.capacity(), space.mlp_architecture(largest))
        if "additive" in space.bounds.families:
            arch = space.additive_architecture(space.largest_additive())
            self.networks["additive"] = AdditiveNetwork(task.layout, space.additive_capacity(), arch)
        for net in self.networks.values():
            net.reset_parameters([seed])
        self.network = next(iter(self.networks.values()))  # the first family's (the MLP's when it has one)
        self.spec = NetworkSpec()  # shield on, log-product rule loss
        self.epochs_done = 0
        self.epoch_seconds = 0.0  # how long the last epoch took (kept in the checkpoint)
        self.optimizer: Any = None

    def parameters(self) -> list[torch.nn.Parameter]:
        """Every family's parameters (the MLP's first)."""
        return [p for net in self.networks.values() for p in net.parameters()]

    # ----------------------------------------------------------------- training
    def paths(self, rng: np.random.Generator, n: int, family: str = "mlp") -> list[Genome]:
        """The sandwich: largest and smallest (MLP: random encodings), then random genomes."""
        if family == "additive":
            out = [self.space.largest_additive(), self.space.smallest_additive()]
            return out[:n] + [self.space.random(rng, "additive") for _ in range(max(0, n - 2))]
        encodings = self.space.bounds.encodings
        out = [
            self.space.largest(encodings[int(rng.integers(len(encodings)))]),
            self.space.smallest(encodings[int(rng.integers(len(encodings)))]),
        ]
        fam = "mlp" if len(self.space.bounds.families) > 1 else None  # MLP-only spaces draw exactly as before
        return out[:n] + [self.space.random(rng, fam) for _ in range(max(0, n - 2))]

    def train(
        self,
        data: TrainingData,
        settings: SupernetSettings,
        *,
        deadline: float | None = None,
        on_epoch: Callable[[int, float], None] | None = None,
        checkpoint: Path | None = None,
    ) -> int:
        """Train until ``settings.epochs`` or the deadline; returns the epochs completed.

        An untrained supernet always gets one epoch; after that, an epoch starts only when
        the previous one's duration (before a resume too: it is checkpointed) says it ends
        before ``deadline``. Each epoch is seeded by (seed, epoch), so a resumed run
        continues exactly.
        """
        if self.optimizer is None:
            self.optimizer = torch.optim.AdamW(self.parameters(), lr=settings.learning_rate, weight_decay=1e-5)
        with torch_threads():
            while self.epochs_done < settings.epochs:
                # at least one epoch; then none that the last one says would end past the deadline
                if deadline is not None and self.epochs_done > 0 and time.monotonic() + self.epoch_seconds > deadline:
                    break
                t0 = time.monotonic()
                loss = self._epoch(data, settings)
                self.epoch_seconds = time.monotonic() - t0
                self.epochs_done += 1
                if checkpoint is not None:
                    self.save(checkpoint)
                if on_epoch is not None:
                    on_epoch(self.epochs_done, loss)
        return self.epochs_done

    def _epoch(self, data: TrainingData, settings: SupernetSettings) -> float:
        for net in self.networks.values():
            net.train()
        torch.manual_seed(self.seed * 100_003 + self.epochs_done)
        rng = np.random.default_rng([self.seed, self.epochs_done])
        order = torch.from_numpy(rng.permutation(len(data)))
        shuffled = data.take(order)
        lam = torch.full((1,), 0.5)
        total, steps = 0.0, 0
        for s in range(0, len(data) - 1, settings.batch_size):
            batch = shuffled.take(slice(s, s + settings.batch_size))
            weights = torch.ones(1, len(batch))
            loss = torch.zeros(())
            for family, net in self.networks.items():
                for g in self.paths(rng, settings.paths, family):
                    ce, rule = member_losses(
                        net, batch, weights, self.spec, self.space.architecture(g), lam, torch.zeros(1)
                    )
                    loss = loss + (ce + rule).sum()
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            total += float(loss.detach()) / (settings.paths * len(self.networks))
            steps += 1
        for net in self.networks.values():
            net.eval()  # safe: torch inference mode, not Python eval
        return total / max(steps, 1)

    # --------------------------------------------------------------- evaluation
    @torch.no_grad()
    def evaluate(self, g: Genome, val: ValidationSet) -> dict[str, Any]:
        """Objectives of ``g`` with inherited weights on the validation rows."""
        net = self.networks[g.family]
        net.eval()  # safe: torch inference mode, not Python eval
        with torch_threads():
            logits = net(val.inputs, self.space.architecture(g))[0]
        metrics = val.measure(logits)
        metrics["parameters"] = self.space.count(g)
        metrics["complexity"] = self.space.complexity(g)
        return metrics

    def inherited(self, g: Genome) -> dict[str, torch.Tensor]:
        """The weights a stand-alone network of ``g`` starts from (sliced, detached)."""
        from snas.nn import AdditiveArchitecture, AdditiveCapacity, Capacity, parameter_shapes

        arch = self.space.architecture(g)
        cap = AdditiveCapacity.of(arch) if isinstance(arch, AdditiveArchitecture) else Capacity.of(arch)
        keep = parameter_shapes(self.task.layout, cap)
        with torch.no_grad():
            sliced = self.networks[g.family].weights(arch)
            return {k: v.detach().clone() for k, v in sliced.items() if k in keep}

    # -------------------------------------------------------- gradient inner loop
    def refine(
        self, g: Genome, data: TrainingData, settings: GradientSettings, seed: int
    ) -> tuple[Genome, dict[str, Any]]:
        """Learn which inputs and how many units of ``g`` to keep on the frozen supernet
        (glass boxes: which inputs and pairs, see :func:`refine_additive`)."""
        if g.family == "additive":
            return refine_additive(self, g, data, settings, seed)
        arch = self.space.mlp_architecture(g)
        kept = (*arch.numeric, *arch.categorical)
        gate_logits = torch.full((len(kept),), 2.0, requires_grad=True)
        width_logits = torch.zeros(arch.depth, len(FRACTIONS), requires_grad=True)
        gen = torch.Generator().manual_seed(seed)
        base = max(self.space.count(g), 1)

        def loss(batch: TrainingData) -> torch.Tensor:
            return self._refine_loss(g, arch, batch, gate_logits, width_logits, gen, base)

        self.fit_gates("mlp", [gate_logits, width_logits], loss, data, settings, gen)
        return self._discretise(g, kept, gate_logits.detach(), width_logits.detach())

    def fit_gates(
        self,
        family: str,
        variables: list[torch.Tensor],
        loss: Callable[[TrainingData], torch.Tensor],
        data: TrainingData,
        settings: GradientSettings,
        gen: torch.Generator,
    ) -> None:
        """Adam on ``variables`` for ``settings.steps`` batches of 512 rows, the family's
        network frozen (the gradient inner loop)."""
        net = self.networks[family]
        opt = torch.optim.Adam(variables, lr=settings.learning_rate)
        for p in net.parameters():
            p.requires_grad_(False)
        try:
            with torch_threads():
                for _ in range(settings.steps):
                    rows = torch.randint(len(data), (min(512, len(data)),), generator=gen)
                    value = loss(data.take(rows))
                    opt.zero_grad(set_to_none=True)
                    value.backward()
                    opt.step()
        finally:
            for p in net.parameters():
                p.requires_grad_(True)

    def _refine_loss(
        self,
        g: Genome,
        arch: Any,
        batch: TrainingData,
        gate_logits: torch.Tensor,
        width_logits: torch.Tensor,
        gen: torch.Generator,
        base: int,
    ) -> torch.Tensor:
        p_keep = torch.sigmoid(gate_logits)
        hard = (torch.rand(p_keep.shape, generator=gen) < p_keep).float()
        gates = hard - p_keep.detach() + p_keep  # straight-through Bernoulli
        masks, expected_width = [], []
        for i, w in enumerate(arch.widths):
            choice = _gumbel_hard(width_logits[i], gen)
            prefix = torch.stack([(torch.arange(w) < max(1, round(w * f))).float() for f in FRACTIONS])
            masks.append(choice @ prefix)
            probs = torch.softmax(width_logits[i], 0)
            expected_width.append((probs * torch.tensor([max(1, round(w * f)) for f in FRACTIONS])).sum())
        ce, _ = member_losses(
            self.networks["mlp"],
            batch,
            torch.ones(1, len(batch)),
            self.spec,
            arch,
            torch.zeros(1),
            torch.zeros(1),
            feature_gates=gates,
            unit_masks=masks,
        )
        size = p_keep.mean() * expected_width[0] * max(len(p_keep), 1)
        for a, b in itertools.pairwise(expected_width):
            size = size + a * b
        return ce.sum() + g.complexity_weight * size / base

    def _discretise(
        self, g: Genome, kept: tuple[str, ...], gate_logits: torch.Tensor, width_logits: torch.Tensor
    ) -> tuple[Genome, dict[str, Any]]:
        keep = [f for f, v in zip(kept, gate_logits.tolist(), strict=True) if v >= 0]
        features = tuple(f for f in g.features if f in set(keep)) or g.features[:1]
        if not self.space.bounds.feature_selection:  # inputs are not genes: they all stay
            features = g.features
        widths = list(g.widths)
        allowed = sorted(self.space.bounds.widths)
        for i in range(g.depth):
            target = widths[i] * FRACTIONS[int(width_logits[i].argmax())]
            widths[i] = max([w for w in allowed if w <= target] or [allowed[0]])
        refined = self.space.repair(replace(g, features=features, widths=tuple(widths)))
        info = {
            "dropped_inputs": [f for f in g.features if f not in set(features)],
            "widths": list(refined.widths[: refined.depth]),
            "gates": {f: round(float(torch.sigmoid(v)), 4) for f, v in zip(kept, gate_logits, strict=True)},
        }
        return refined, info

    # -------------------------------------------------------------- checkpoints
    def save(self, path: Path) -> None:
        """Weights and optimiser state after ``epochs_done`` epochs (atomic; no pickle)."""
        from safetensors.torch import save

        tensors = {
            f"{PREFIX[family]}{k}": v.detach().contiguous()
            for family, net in self.networks.items()
            for k, v in net.named_parameters()
        }
        meta: dict[str, Any] = {"epochs_done": self.epochs_done, "seed": self.seed, "epoch_seconds": self.epoch_seconds}
        if self.optimizer is not None:
            state = self.optimizer.state_dict()
            meta["param_groups"] = state["param_groups"]
            for i, s in state["state"].items():
                meta.setdefault("steps", {})[str(i)] = float(s["step"])
                tensors[f"opt.{i}.exp_avg"] = s["exp_avg"].contiguous()
                tensors[f"opt.{i}.exp_avg_sq"] = s["exp_avg_sq"].contiguous()
        blob = save(tensors)
        meta["sha256"] = sha256_bytes(blob)
        atomic_write_bytes(path.with_suffix(".safetensors"), blob)
        atomic_write_text(path.with_suffix(".json"), json.dumps(meta, sort_keys=True))

    def load(self, path: Path, settings: SupernetSettings) -> bool:
        """Resume from a checkpoint written by :meth:`save`: False when there is none, or when
        its weights are not the ones its record names (a search stopped between writing the
        two, or another seed's); ConfigError when the record is not what snas wrote."""
        from safetensors.torch import load

        from snas.exceptions import ConfigError
        from snas.search._run_directory import RunDirectory

        meta_path, blob_path = path.with_suffix(".json"), path.with_suffix(".safetensors")
        if not (meta_path.is_file() and blob_path.is_file()):
            return False
        fix = RunDirectory(path.parent).damaged_fix(meta_path)
        meta = read_json_file(meta_path, fix=fix, expect=dict, allow_nan=True)
        if not _is_checkpoint_record(meta):
            raise ConfigError(f"{meta_path}: damaged (not the supernet checkpoint record snas wrote); {fix}")
        try:
            blob = blob_path.read_bytes()
            if sha256_bytes(blob) != meta["sha256"] or meta["seed"] != self.seed:
                return False
            tensors = load(blob)
            for family, net in self.networks.items():
                pre = PREFIX[family]
                net.load_state_dict({k[len(pre) :]: v for k, v in tensors.items() if k.startswith(pre)}, strict=True)
        except (ValueError, KeyError, RuntimeError, OSError):
            return False
        self.optimizer = torch.optim.AdamW(self.parameters(), lr=settings.learning_rate, weight_decay=1e-5)
        if "param_groups" in meta:
            try:
                state = {
                    int(i): {
                        "step": torch.tensor(float(step)),
                        "exp_avg": tensors[f"opt.{i}.exp_avg"],
                        "exp_avg_sq": tensors[f"opt.{i}.exp_avg_sq"],
                    }
                    for i, step in meta.get("steps", {}).items()
                }
                self.optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
            except (KeyError, TypeError, ValueError, RuntimeError, IndexError):
                raise ConfigError(
                    f"{meta_path}: damaged (its optimiser state does not fit the supernet); {fix}"
                ) from None
        self.epochs_done = int(meta["epochs_done"])
        self.epoch_seconds = float(meta.get("epoch_seconds", 0.0))
        return True


def _is_checkpoint_record(meta: dict[str, Any]) -> bool:
    """``supernet.json`` as :meth:`Supernet.save` writes it (the fields resuming reads)."""

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    return (
        isinstance(meta.get("sha256"), str)
        and isinstance(meta.get("seed"), int)
        and not isinstance(meta.get("seed"), bool)
        and isinstance(meta.get("epochs_done"), int)
        and not isinstance(meta.get("epochs_done"), bool)
        and meta["epochs_done"] >= 0
        and number(meta.get("epoch_seconds", 0.0))
        and isinstance(meta.get("param_groups", []), list)
        and all(isinstance(g, dict) for g in meta.get("param_groups", []))
        and isinstance(meta.get("steps", {}), dict)
        and all(number(v) for v in meta.get("steps", {}).values())
    )


def _gumbel_hard(logits: torch.Tensor, gen: torch.Generator, tau: float = 1.0) -> torch.Tensor:
    """A one-hot sample with straight-through gradients."""
    u = torch.rand(logits.shape, generator=gen).clamp(1e-9, 1 - 1e-9)
    y = torch.softmax((logits - torch.log(-torch.log(u))) / tau, dim=-1)
    hard = torch.zeros_like(y).scatter_(-1, y.argmax(-1, keepdim=True), 1.0)
    return hard - y.detach() + y
