"""Evidence about how the model came to be and what it was built from: the search history,
the data profile and the model's size."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.audit._metrics import item

if TYPE_CHECKING:
    import pandas as pd

    from snas.audit._inputs import AuditInputs, SearchRecord

__all__ = [
    "NO_SEARCH",
    "complexity_meaning",
    "context_evidence",
    "data_profiles",
    "inputs_evidence",
    "model_resources",
    "search_history",
    "search_metric",
]

INPUTS_METHOD = (
    "from the model's architecture: every term, path, knowledge neuron and hard rule (output shield) that reads "
    "an input — also a feature listed in drop_features that a pair, a neuron or a rule still reads; for each "
    "sensitive attribute read, the shares of test decisions and of predicted probabilities that change when it "
    "is set to other observed values (as the flip check)"
)

NO_SEARCH = (
    "no search history: the model was not found by a search (a fixed architecture, or a search "
    "record that was not given to build_report)"
)


def complexity_meaning() -> str:
    """What the search's complexity objective counts, in words."""
    from snas.nn import PAIR_COST

    return (
        "complexity — what a reader must understand: for a glass box one per feature shape and "
        f"knowledge neuron and {PAIR_COST:g} per pairwise interaction; for an MLP its trainable parameters"
    )


def context_evidence(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Search history, data profiles, the inputs the model reads and the model's resources."""
    from snas.rules import features_of

    task = inputs.model.task
    known = {*task.layout.numeric, *task.layout.categorical}
    reads = {rid: [f for f in features_of(body) if f in known] for rid, body, _, _ in task.compiled.soft}
    history = search_history(inputs.search, task.layout.monotone_numeric, reads)
    return [history, *data_profiles(inputs), inputs_evidence(inputs), model_resources(inputs)]


def inputs_evidence(inputs: AuditInputs) -> dict[str, Any]:
    """Which inputs the model reads and through what (:func:`snas.model.inputs_read`), which it
    does not, the features ``drop_features`` names that are read all the same, and each sensitive
    attribute it reads with the share of test decisions that change with it."""
    from snas.metrics import FLIP_LEVELS, flip_rate
    from snas.model import inputs_read

    model, X = inputs.model, inputs.X
    read = inputs_read(model)

    def probability(frame: pd.DataFrame) -> np.ndarray:  # a change beyond rounding counts
        return np.round(model.predict_proba(frame)[:, inputs.positive], 9)

    features = [c.name for c in model.task.schema.features]
    dropped = {f for p in getattr(model, "parts", None) or (model,) for f in p.spec.drop_features}
    sensitive = [s for s in inputs.data.schema.sensitive if s in features or s in read]
    sensitive_read = {
        s: {
            "read_by": list(read[s]),
            "decisions_changed": flip_rate(model.predict, X, s, seed=inputs.seed),
            "probabilities_changed": flip_rate(probability, X, s, seed=inputs.seed),
            "changed_by": _swap_words(X[s], FLIP_LEVELS),
        }
        for s in sensitive
        if s in read and s in X.columns
    }
    return item(
        "ev:inputs:read",
        "inputs_read",
        len(read),
        n=min(2000, len(X)),
        method=INPUTS_METHOD,
        read={f: list(ways) for f, ways in read.items()},
        not_read=[f for f in features if f not in read],
        dropped_but_read={f: list(read[f]) for f in features if f in dropped and f in read},
        sensitive_read=sensitive_read,
        sensitive_not_read=[s for s in sensitive if s not in read],
    )


def _swap_words(values: pd.Series, max_levels: int) -> str:
    """How the flip check changes an attribute, in words (see :func:`snas.metrics.flip_rate`)."""
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(values):
        levels = int(values.nunique())
        return (
            "setting it to every other observed level"
            if levels <= max_levels
            else (f"setting it to {max_levels} of its {levels:,} observed levels")
        )
    return "shuffling it across the test rows"


def search_history(
    search: SearchRecord | None, kept: Collection[str] | int = (), reads: Mapping[str, Collection[str]] | None = None
) -> dict[str, Any]:
    """Every trained candidate (inherited-weight evaluations are counted, not listed); ``kept``
    inputs are read by every candidate (the monotonic ones), ``reads`` gives the inputs each
    soft rule's knowledge neuron reads (see :meth:`snas.search.Genome.describe`)."""
    if search is None:
        return item("ev:search:candidates", "search_history", None, status="not_applicable", reason=NO_SEARCH)
    front = set(search.front)
    table = [
        {
            "number": e.number,
            "fidelity": e.fidelity,
            "accuracy": e.metrics.get("accuracy"),
            "roc_auc": e.metrics.get("roc_auc"),
            "complexity": e.metrics.get("complexity", e.metrics.get("parameters")),
            "parameters": e.metrics.get("parameters"),
            "f_soft": e.metrics.get("f_soft"),
            "seconds": round(e.seconds, 1),
            "on_front": e.number in front,
            "architecture": _describe(e.genome, kept, reads),
        }
        for e in search.evaluations
        if e.fidelity != "inherited"
    ]
    return item(
        "ev:search:candidates",
        "search_history",
        len(search.evaluations),
        evaluations_by_fidelity=search.counts(),
        candidates=table,
        selected=search.selected,
        reason=search.reason,
        smallest=search.smallest,
        metric=search_metric(search),
    )


def search_metric(search: SearchRecord) -> str:
    """The validation metric the search selected on (``accuracy`` or ``roc_auc``): the run's
    configuration says so; an in-memory search's records show it (:func:`snas.search.selection_metric`)."""
    from snas.search import selection_metric

    configured = (search.config or {}).get("metric")
    return configured if isinstance(configured, str) else selection_metric(search.evaluations)


def _describe(genome: dict[str, Any], kept: Collection[str] | int, reads: Mapping[str, Collection[str]] | None) -> str:
    from snas.search import Genome

    try:
        return Genome.from_dict(genome).describe(kept, reads)
    except (KeyError, TypeError):
        return ""


def data_profiles(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Rows, class balance, missing values and group counts of the training and test splits."""
    data = inputs.data
    out = []
    for role, frame in (("train", data.train), ("test", data.test)):
        assert frame is not None  # prepare_inputs refuses a dataset without a test split
        target = frame[data.schema.target].astype(str)
        out.append(
            item(
                f"ev:data:profile:{role}",
                "data_profile",
                len(frame),
                n=len(frame),
                class_balance={k: int(v) for k, v in target.value_counts().sort_index().items()},
                missing={c: int(v) for c, v in frame.isna().sum().items() if v},
                group_counts={
                    s: {str(k): int(v) for k, v in frame[s].value_counts().sort_index().items()}
                    for s in data.schema.sensitive
                    if data.schema.column(s).kind != "numeric"
                },
            )
        )
    return out


def model_resources(inputs: AuditInputs) -> dict[str, Any]:
    return item(
        "ev:resource:model",
        "resource",
        int(inputs.model.n_parameters),
        unit="trainable parameters",
        model_bytes=inputs.model_file.bytes,
        note="measured latency is in run_info (it varies between runs)",
    )
