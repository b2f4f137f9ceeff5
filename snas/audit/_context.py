"""Evidence about how the model came to be and what it was built from: the search history,
the data profile and the model's size."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from snas.audit._metrics import item

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs, SearchRecord

__all__ = ["NO_SEARCH", "complexity_meaning", "context_evidence", "data_profiles", "model_resources", "search_history"]

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
    """Search history, data profiles and the model's resources."""
    kept = len(inputs.model.task.layout.monotone_numeric)
    return [search_history(inputs.search, kept), *data_profiles(inputs), model_resources(inputs)]


def search_history(search: SearchRecord | None, kept: int = 0) -> dict[str, Any]:
    """Every trained candidate (inherited-weight evaluations are counted, not listed); ``kept``
    inputs are read by every candidate (the monotonic ones)."""
    if search is None:
        return item("ev:search:candidates", "search_history", None, status="not_applicable", reason=NO_SEARCH)
    front = set(search.front)
    table = [
        {
            "number": e.number,
            "fidelity": e.fidelity,
            "accuracy": e.metrics.get("accuracy"),
            "complexity": e.metrics.get("complexity", e.metrics.get("parameters")),
            "parameters": e.metrics.get("parameters"),
            "f_soft": e.metrics.get("f_soft"),
            "seconds": round(e.seconds, 1),
            "on_front": e.number in front,
            "architecture": _describe(e.genome, kept),
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
    )


def _describe(genome: dict[str, Any], kept: int) -> str:
    from snas.search import Genome

    try:
        return Genome.from_dict(genome).describe(kept)
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
