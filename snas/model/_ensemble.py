"""EnsembleModel: a weighted mean of the logits of several trained models of one task
(different architectures, the search's best stand-alone candidates), one shield after it.

Every guarantee of the parts holds for the mean: a mean of networks that are monotone in a
feature is monotone in it, no part reads an excluded feature, and the hard-rule shield
applies once, to the mean logit. Weights are the counts of a greedy ensemble selection
(Caruana et al., 2004) normalised to sum to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from snas.exceptions import ModelFileError, SNASError
from snas.model._fitted import MODEL_KINDS, FittedModel, check_rows

if TYPE_CHECKING:
    import pandas as pd

    from snas.model._explain import Explanation, TermShape

__all__ = ["EnsembleModel", "ensemble_selection"]


_NETWORK_CLASS: list[type] = []


def _network_class() -> type:
    """``EnsembleNetwork``, built on first use so that importing snas.model does not import
    torch; reachable as this module's attribute (PEP 562), so pickle and copy find it."""
    if _NETWORK_CLASS:
        return _NETWORK_CLASS[0]
    from torch import nn

    class EnsembleNetwork(nn.Module):
        """The parts' networks as one module (``parts.<k>.<name>`` parameters, one member);
        its output, shaped (1, n, out), is the weighted mean of the parts' mean logits."""

        members = 1

        def __init__(self, parts: Sequence[Any], weights: Sequence[float]) -> None:
            super().__init__()
            self.parts = nn.ModuleList(parts)
            self.part_weights = [float(w) for w in weights]
            self.layout = parts[0].layout

        def forward(self, x: Any) -> Any:
            out = sum(w * p(x).mean(0) for w, p in zip(self.part_weights, self.parts, strict=True))
            return out[None]

        def n_parameters(self) -> int:
            parts: list[Any] = list(self.parts)
            return sum(int(p.n_parameters()) for p in parts)

    EnsembleNetwork.__module__, EnsembleNetwork.__qualname__ = __name__, "EnsembleNetwork"
    _NETWORK_CLASS.append(EnsembleNetwork)
    return EnsembleNetwork


def __getattr__(name: str) -> Any:
    if name == "EnsembleNetwork":
        return _network_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _weights(weights: Any, n: int) -> np.ndarray:
    """``weights`` as finite, non-negative floats, one per part, not all zero (else SNASError)."""
    try:
        given = np.asarray(list(weights), dtype=float)
    except (TypeError, ValueError, OverflowError):
        given = np.asarray([np.nan])
    if not n or given.ndim != 1 or len(given) != n or not np.isfinite(given).all():
        raise SNASError(f"an ensemble of {n} part(s) needs {n} finite weight(s), one per part (a list of numbers)")
    if (given < 0).any() or given.max() <= 0:
        raise SNASError("an ensemble's weights must be non-negative, not all zero")
    return given


def _flatten(parts: Sequence[FittedModel], weights: np.ndarray) -> tuple[list[FittedModel], list[float]]:
    """Nested ensembles become their parts; a network given twice is one part with the summed weight."""
    flat: dict[int, tuple[FittedModel, float]] = {}
    for part, w in zip(parts, weights, strict=True):
        inner = (
            [(p, w * v) for p, v in zip(part.parts, part.weights, strict=True)]
            if isinstance(part, EnsembleModel)
            else [(part, w)]
        )
        for p, v in inner:
            key = id(p.network)
            flat[key] = (flat[key][0], flat[key][1] + float(v)) if key in flat else (p, float(v))
    return [p for p, _ in flat.values()], [v for _, v in flat.values()]


@dataclass
class EnsembleModel(FittedModel):
    """Several trained models of one task whose logits are averaged with weights.

    Build one with :meth:`of`; :meth:`FittedModel.load` reads its files back. Prediction,
    the shield, saving and loading work as for one model. When every part is a glass box the
    ensemble is one (``family`` is ``additive``) and ``explain`` / ``shapes`` are exact;
    with MLP parts it is explained with SHAP, like an MLP.

    The fields inherited from :class:`FittedModel` describe the whole: ``task`` (shared by
    every part), ``spec`` (the heaviest part's, with the one ``shield`` setting), ``network``
    (the parts' networks as one module, whose output is the weighted mean logit), ``results``
    (every part's training records, in order), ``seed`` and ``split`` (the heaviest part's)
    and ``extra`` (free metadata saved in ``model.json``).

    Parameters
    ----------
    parts : tuple of FittedModel
        The member models (same task), each possibly an ensemble of seeds of one architecture.
    weights : tuple of float
        One weight per part, summing to one.

    Examples
    --------
    >>> from snas import EnsembleModel
    >>> ens = EnsembleModel.of([model_a, model_b], [0.6, 0.4])  # doctest: +SKIP
    >>> ens.predict(X.head(3)), ens.n_parameters  # doctest: +SKIP
    """

    parts: tuple[FittedModel, ...] = ()
    weights: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=float)
        if (
            not self.parts
            or len(w) != len(self.parts)
            or not np.isfinite(w).all()
            or (w < 0).any()
            or abs(w.sum() - 1.0) > 1e-6
        ):
            raise SNASError(
                "build an ensemble with EnsembleModel.of(parts, weights) (or load it from its files): its "
                "weights are one per part, non-negative and sum to one"
            )

    @classmethod
    def of(
        cls,
        parts: Sequence[FittedModel],
        weights: Sequence[float],
        *,
        extra: dict[str, Any] | None = None,
    ) -> EnsembleModel:
        """The ensemble of ``parts`` with ``weights`` (normalised to sum to one).

        Parameters
        ----------
        parts : sequence of FittedModel
            Trained models of one task (the same classes, rules and encoder).
        weights : sequence of float
            Non-negative, one per part, not all zero.
        extra : dict, optional
            Free metadata saved in ``model.json``.

        Returns
        -------
        EnsembleModel

        Raises
        ------
        SNASError
            When the parts are of different tasks or the weights do not fit.
        """
        try:
            parts = list(parts)
        except TypeError:
            raise SNASError("an ensemble's parts are a list of fitted models") from None
        bad = [type(p).__name__ for p in parts if not isinstance(p, FittedModel)]
        if bad:
            raise SNASError(f"an ensemble's parts are fitted models (FittedModel or EnsembleModel); got {bad[0]}")
        given = _weights(weights, len(parts))
        shields = {p.spec.shield for p in parts}
        if len(shields) > 1:
            raise SNASError(
                "the parts disagree on the hard-rule shield (some have shield=False); give parts with one "
                "setting — the ensemble applies the shield once, to the mean"
            )
        if given.max() > 1 or abs(given.sum() - 1.0) > 1e-9:
            given = given / given.max()  # scaled first: huge weights cannot overflow
        parts, flat = _flatten(parts, given)
        first = parts[0].task.to_dict()
        if any(p.task is not parts[0].task and p.task.to_dict() != first for p in parts[1:]):
            raise SNASError("the parts of an ensemble must be trained on one task (same schema, classes and rules)")
        limit = parts[0].task.compiled.max_parameters
        total = sum(p.n_parameters for p in parts)
        if limit is not None and total > limit:
            raise SNASError(
                f"the ensemble has {total:,} parameters but the rules allow at most {limit:,} "
                "(constraints.max_parameters); leave out parts"
            )
        w = np.asarray(flat)
        if abs(w.sum() - 1.0) > 1e-9:  # weights read from a model file stay exactly as saved
            w = w / w.sum()
        lead = parts[int(np.argmax(w))]
        net = _network_class()([p.network for p in parts], w.tolist())
        net.eval()  # safe: torch inference mode, not Python eval
        results = tuple(r for p in parts for r in p.results)
        return cls(
            parts[0].task,
            replace(lead.spec, shield=shields.pop()),
            net,
            results,
            lead.seed,
            lead.split,
            dict(extra or {}),
            parts=tuple(parts),
            weights=tuple(float(x) for x in w),
        )

    # ------------------------------------------------------------ what it is
    @property
    def architecture(self) -> Any:
        """Not one architecture: raises SNASError pointing to ``parts[k].architecture``
        (``describe()`` lists every part's spec)."""
        raise SNASError("an ensemble has one architecture per part: read ensemble.parts[k].architecture")

    @property
    def n_parameters(self) -> int:
        """Trainable parameters of all the parts together."""
        return sum(p.n_parameters for p in self.parts)

    @property
    def family(self) -> str:
        """``additive`` when every part is a glass box (the weighted mean of additive models
        is additive: one term per term any part has), else ``ensemble`` (explained with SHAP)."""
        return "additive" if all(p.family == "additive" for p in self.parts) else "ensemble"

    @property
    def complexity(self) -> float:
        """What a reader must understand: for glass boxes the merged model's terms (each
        feature shape, neuron and pair once, pairs weighted as in the search); otherwise the
        sum of the parts' complexities."""
        if self.family != "additive":
            return float(sum(p.complexity for p in self.parts))
        from snas.nn import PAIR_COST, AdditiveArchitecture

        archs = [p.network.architecture for p in self.parts if isinstance(p.network.architecture, AdditiveArchitecture)]
        shapes = {t for a in archs for t in (*a.numeric, *a.categorical, *(f"rule:{n}" for n in a.neurons))}
        pairs = {frozenset(pair) for a in archs for pair in a.pairs}
        return float(len(shapes) + PAIR_COST * len(pairs))

    @property
    def fit_seconds(self) -> float:
        """Seconds the parts' trainings took, summed (the search's time around them is not counted)."""
        return float(sum(p.fit_seconds for p in self.parts))

    def describe(self) -> list[dict[str, Any]]:
        """Per part: its weight, family, parameters and network spec."""
        return [
            {"weight": round(w, 6), "family": p.family, "parameters": p.n_parameters, "spec": p.spec.to_dict()}
            for p, w in zip(self.parts, self.weights, strict=True)
        ]

    def explain(self, frame: pd.DataFrame, target: str | None = None) -> Explanation:
        """Exact per-term contributions when every part is a glass box (each term's weighted
        sum over the parts; rows sum to the logit), as :meth:`FittedModel.explain`.

        Parameters
        ----------
        frame : DataFrame
            Rows with the training columns.
        target : str, optional
            The class whose logit is explained (binary models: ``classes[-1]``).

        Returns
        -------
        Explanation

        Raises
        ------
        SNASError
            When a part is an MLP (use the audit's SHAP values).
        """
        from snas.model._explain import explain_mean

        self._glass_box()
        return explain_mean(self.parts, self.weights, self, check_rows(frame), target)

    def shapes(self, frame: pd.DataFrame | None = None, target: str | None = None) -> list[TermShape]:
        """Every term of the merged glass box on the union of the parts' knots, as
        :meth:`FittedModel.shapes`.

        Parameters
        ----------
        frame : DataFrame, optional
            Rows whose density is recorded per term (e.g. the training rows).
        target : str, optional
            The class whose logit is shown.

        Returns
        -------
        list of TermShape

        Raises
        ------
        SNASError
            When a part is an MLP.
        """
        from snas.model._explain import shapes_mean

        self._glass_box()
        return shapes_mean(self.parts, self.weights, None if frame is None else check_rows(frame), target)

    def _glass_box(self) -> None:
        if self.family != "additive":
            raise SNASError(
                "exact term contributions exist only for glass-box models; this ensemble has MLP parts — "
                "use the audit's SHAP values for it"
            )

    def _neurons_read(self) -> set[str]:
        return set().union(*(p._neurons_read() for p in self.parts))

    def with_spec(self, **changes: Any) -> EnsembleModel:
        return replace(self, spec=replace(self.spec, **changes))

    # -------------------------------------------------------------- model files
    def _meta(self) -> dict[str, Any]:
        """``model.json``'s content: every part's record and weight (one hash covers them)."""
        from snas._version import __version__

        return {
            "snas_version": __version__,
            "task": self.task.to_dict(),
            "spec": self.spec.to_dict(),
            "ensemble": [{"weight": w, **p._record()} for p, w in zip(self.parts, self.weights, strict=True)],
            "seed": self.seed,
            "n_parameters": self.n_parameters,
            "extra": self.extra,
        }

    @classmethod
    def from_files(cls, path: str | Path, meta: dict[str, Any], state: dict[str, Any]) -> EnsembleModel:
        """The ensemble recorded in verified model files (see :meth:`FittedModel.load`).

        Parameters
        ----------
        path : str or Path
            The model directory (named in error messages).
        meta, state : dict
            ``model.json``'s content and the weights, as :func:`read_model_files` verified them.

        Returns
        -------
        EnsembleModel
        """
        from snas.model._fitted import _spec_of, model_from_record
        from snas.model._task import Task

        task = Task.from_dict(meta["task"])
        records = meta["ensemble"]
        if not isinstance(records, list) or not records:
            raise ModelFileError(f"{path}: the ensemble record is empty")
        parts = []
        for k, rec in enumerate(records):
            prefix = f"parts.{k}."
            weights = {n[len(prefix) :]: v for n, v in state.items() if n.startswith(prefix)}
            parts.append(model_from_record(task, rec, weights, where=f"{path}: ensemble part {k}"))
        known = {f"parts.{k}." for k in range(len(parts))}
        if any(not any(n.startswith(p) for p in known) for n in state):
            raise ModelFileError(f"{path}: the weights hold tensors of no ensemble part")
        numbers = [r.get("weight") if isinstance(r, dict) else None for r in records]
        if not all(isinstance(w, (int, float)) and not isinstance(w, bool) for w in numbers):
            raise ModelFileError(f"{path}: every ensemble part needs a number as its weight")
        model = cls.of(parts, cast("list[float]", numbers), extra=dict(meta.get("extra") or {}))
        if model.spec.to_dict() != meta["spec"]:
            model = replace(model, spec=_spec_of(meta.get("spec"), str(path)))
        return model


def ensemble_selection(
    logits: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    rows: np.ndarray | None = None,
    allowed: Any = None,
) -> list[int]:
    """Greedy ensemble selection with replacement (Caruana et al., 2004) on log-loss of the
    mean logit — the way :class:`EnsembleModel` combines its parts.

    Parameters
    ----------
    logits : ndarray of shape (n_models, n_rows, n_out)
        Each candidate's logits (``n_out`` = 1 for a binary target, else one per class).
    y : ndarray of shape (n_rows,)
        Class indices.
    steps : int
        Models added (with replacement), each the one that lowers the log-loss most (or
        raises it least); fewer only when ``allowed`` admits none.
    rows : ndarray of bool, optional
        The rows that count (e.g. those no hard rule decides); default all.
    allowed : callable, optional
        ``allowed(chosen, k)`` → whether model ``k`` may join the list ``chosen``
        (e.g. a parameter limit).

    Returns
    -------
    list of int
        The chosen model indices in order, repeated by weight.
    """
    z = np.asarray(logits, dtype=float)
    yy = np.asarray(y)
    if rows is not None:
        z, yy = z[:, rows], yy[rows]
    chosen: list[int] = []
    total = np.zeros(z.shape[1:])
    for _ in range(steps):
        mixed = (total + z) / (len(chosen) + 1)  # (M, n, out): the mean logit with each candidate added
        losses = _log_loss(mixed, yy)
        if allowed is not None:
            losses = np.where([allowed(chosen, k) for k in range(len(z))], losses, np.inf)
        k = int(np.argmin(losses))
        if not np.isfinite(losses[k]):
            break
        chosen.append(k)
        total = total + z[k]
    return chosen


def _log_loss(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean log-loss per model of logits (M, n, out) against class indices y (n,)."""
    if logits.shape[-1] == 1:
        z = logits[..., 0]
        signed = np.where(y == 1, z, -z)
        return np.asarray(np.logaddexp(0.0, -signed).mean(-1))
    top = logits.max(-1, keepdims=True)
    log_norm = top[..., 0] + np.log(np.exp(logits - top).sum(-1))
    true = np.take_along_axis(logits, y[None, :, None].repeat(len(logits), 0), -1)[..., 0]
    return np.asarray((log_norm - true).mean(-1))


MODEL_KINDS["ensemble"] = EnsembleModel.from_files
