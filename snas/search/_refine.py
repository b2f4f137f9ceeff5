"""The gradient inner loop for glass-box (additive) candidates: on the frozen supernet,
straight-through gates learn which input shapes and which pairwise terms to keep, trading
training loss against the expected interpretability cost (monotone shapes and knowledge
neurons always stay)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import torch

from snas.training import member_losses

if TYPE_CHECKING:
    from snas.search._config import GradientSettings
    from snas.search._space import Genome
    from snas.search._supernet import Supernet
    from snas.training import TrainingData

__all__ = ["refine_additive"]


def refine_additive(
    supernet: Supernet, g: Genome, data: TrainingData, settings: GradientSettings, seed: int
) -> tuple[Genome, dict[str, Any]]:
    """Refine additive genome ``g``: returns the genome without the dropped inputs and pairs
    (repaired) and what was learnt (dropped inputs and pairs, each gate's keep probability)."""
    from snas.nn import PAIR_COST, pair_name

    arch = supernet.space.additive_architecture(g)
    names = arch.terms
    free = set(g.features) | {pair_name(p) for p in g.pairs}
    gated = [i for i, t in enumerate(names) if t in free]
    cost = torch.tensor([PAIR_COST if "×" in names[i] else 1.0 for i in gated])
    fixed = float(len(names) - len(gated))
    base = max(arch.complexity(), 1.0)
    logits = torch.full((len(gated),), 2.0, requires_grad=True)
    gen = torch.Generator().manual_seed(seed)
    index = torch.tensor(gated, dtype=torch.long)

    def loss(batch: TrainingData) -> torch.Tensor:
        p_keep = torch.sigmoid(logits)
        hard = (torch.rand(p_keep.shape, generator=gen) < p_keep).float()
        gates = torch.ones(len(names)).index_put((index,), hard - p_keep.detach() + p_keep)  # straight-through
        ce, _ = member_losses(
            supernet.networks["additive"],
            batch,
            torch.ones(1, len(batch)),
            supernet.spec,
            arch,
            torch.zeros(1),
            torch.zeros(1),
            feature_gates=gates,
        )
        size = fixed + (p_keep * cost).sum()
        return ce.sum() + g.complexity_weight * size / base

    supernet.fit_gates("additive", [logits], loss, data, settings, gen)
    keep = {names[i] for i, v in zip(gated, logits.tolist(), strict=True) if v >= 0}
    features = tuple(f for f in g.features if f in keep) or g.features[:1]
    if not supernet.space.bounds.feature_selection:  # inputs are not genes: they all stay
        features = g.features
    pairs = tuple(p for p in g.pairs if pair_name(p) in keep)
    refined = supernet.space.repair(replace(g, features=features, pairs=pairs))
    info = {
        "dropped_inputs": [f for f in g.features if f not in set(features)],
        "dropped_pairs": [pair_name(p) for p in g.pairs if p not in set(pairs)],
        "gates": {names[i]: round(float(torch.sigmoid(v)), 4) for i, v in zip(gated, logits.detach(), strict=True)},
    }
    return refined, info
