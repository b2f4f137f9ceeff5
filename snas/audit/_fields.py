"""How each section field of the report is shown to people: tables and lists with units.

Fields named in :data:`RENDERERS` get a rendering of their own (the I/O schema as a feature
table, the artefact manifest with sizes, the search space with ranges and units ...); every
other value goes through the generic :func:`~snas.audit._blocks.present`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from snas.audit._blocks import (
    MISSING,
    Block,
    Inline,
    Items,
    Para,
    Table,
    cell,
    code,
    fmt,
    join,
    link,
    missing,
    present,
    records,
    strong,
    text,
)

__all__ = ["RENDERERS", "ci_text", "field_label", "pct", "render_field", "seconds", "size", "with_ci"]

INLINE_CHARS = 200  # longer values are shown under the section's field table, not in a cell
_LABELS = {
    "io_schema": "input/output schema",
    "ifu_draft": "instructions for use (draft)",
    "ifu_approval": "instructions for use: approval",
    "system.annex_iii_point": "Annex III point",
    "see": "cross-reference",
}


def field_label(name: str) -> str:
    """``datasheet.legal_basis`` → ``datasheet: legal basis``."""
    if name in _LABELS:
        return _LABELS[name]
    return ": ".join(part.replace("_", " ") for part in name.split("."))


# ----------------------------------------------------------------------------- units
def size(n: Any) -> str:
    """Bytes with a binary unit: ``172.1 KiB``."""
    if not isinstance(n, (int, float)):
        return fmt(n)
    value, unit = float(n), "bytes"
    for u in ("KiB", "MiB", "GiB"):
        if value < 1024:
            break
        value, unit = value / 1024, u
    return f"{int(n):,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"


def seconds(s: Any) -> str:
    if not isinstance(s, (int, float)):
        return fmt(s)
    return f"{s:.1f} s" if s < 600 else f"{s / 60:.1f} min"


def pct(x: Any, digits: int = 2) -> str:
    return "—" if not isinstance(x, (int, float)) else f"{100 * x:.{digits}f}%"


def ci_text(ci: Any, as_pct: bool = True) -> str:
    """``85.91%–86.93%`` (empty without an interval)."""
    if not ci or ci[0] is None:
        return ""
    f: Callable[[Any], str] = pct if as_pct else (lambda v: fmt(v))
    return f"{f(ci[0])}–{f(ci[1])}"


def with_ci(value: Any, ci: Any, as_pct: bool = True) -> str:
    """``86.43% (95% CI 85.91%–86.93%)``."""
    shown = pct(value) if as_pct else fmt(value)
    return f"{shown} (95% CI {ci_text(ci, as_pct)})" if ci_text(ci) else shown


# ----------------------------------------------------------------------------- fields
def _levels(levels: list[Any], total: Any = None, shown: int = 10) -> Inline:
    """``3,000: ACC-1, ACC-2, … and 2,990 more``: how many levels there are (``total``; reports
    list only the first few), then the first ``shown``."""
    count = total if isinstance(total, int) and not isinstance(total, bool) else len(levels)
    if not levels:
        return text("—" if not count else f"{count:,}")
    head = ", ".join(str(v) for v in levels[:shown])
    rest = count - min(len(levels), shown)
    more = f" … and {rest:,} more" if rest > 0 else ""
    return text(f"{count:,}: {head}{more}")


def _io_schema(value: list[dict[str, Any]]) -> list[Block]:
    rows = tuple(
        (
            code(c.get("name")),
            text(c.get("original") or "—"),
            text(c.get("kind")),
            text(c.get("unit") or "—"),
            _levels(c.get("levels") or [], c.get("n_levels")),
        )
        for c in value
    )
    return [Table(("feature", "name in the data", "kind", "unit", "levels"), rows)]


def _input_spec(value: list[dict[str, Any]]) -> list[Block]:
    rows = tuple(
        (
            code(c.get("name")),
            text(c.get("kind")),
            _levels(c.get("levels") or [], c.get("n_levels")),
            text(c.get("use") or "—"),
        )
        for c in value
    )
    return [Table(("feature", "kind", "levels", "use"), rows)]


def _artefacts(value: Mapping[str, Any]) -> list[Block]:
    rows = tuple((code(path), text(size(info.get("bytes"))), code(info.get("sha256"))) for path, info in value.items())
    return [Table(("file", "size", "sha256"), rows)]


_GENES = {  # search-space gene → what a value means (unit)
    "max_depth": "hidden layers (at most)",
    "widths": "neurons per layer",
    "activations": "activation function",
    "blocks": "layer type",
    "dropout": "dropout probability",
    "encodings": "encoding of numeric inputs",
    "embedding_dims": "embedding size per category (0 = one-hot)",
    "monotone_widths": "neurons of the monotone path",
    "monotone_curves": "curves per monotone input",
    "members": "networks averaged (ensemble size)",
    "frequency_scale": "scale of periodic frequencies",
    "rule_modes": "how each soft rule is injected",
    "rule_lambda": "weight of the rule loss",
    "learning_rate": "learning rate (per step)",
    "weight_decay": "weight decay",
    "complexity_weight": "inner-loop weight on expected size",
    "families": "network family (mlp: opaque layers; additive: a glass box of readable terms)",
    "feature_selection": "each input is a gene (monotonic ones always stay)",
    "neurons": "each soft rule's knowledge neuron is a gene",
    "max_pairs": "pairwise terms of a glass box (at most)",
    "pair_candidates": "feature pairs ranked once per search, among which a glass box picks",
    "shape_bins": "bins per numeric shape of a glass box",
    "pair_bins": "bins per numeric side of a glass box's pair",
}


def _choices(v: Any) -> str:
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, float) for x in v):
        return f"from {fmt(v[0], 4)} to {fmt(v[1], 4)} (continuous)"
    if isinstance(v, list):
        return "one of " + ", ".join(fmt(x) for x in v)
    return fmt(v)


def _search_space(value: Mapping[str, Any] | None) -> list[Block]:
    if not value:
        return [Para(text("— (no search space recorded)"))]
    rows = tuple((code(k), text(_choices(v)), text(_GENES.get(k, "—"))) for k, v in value.items())
    return [Table(("gene", "values", "meaning"), rows)]


def _rule_map(value: Mapping[str, str]) -> list[Block]:
    rows = []
    for key, how in value.items():
        kind, _, name = key.partition(":")
        what = {"exclude": "excluded feature", "monotonic": "monotone feature"}.get(kind) if name else None
        label = join(code(name), f" ({what})") if what else code(key)
        guarantee = "guaranteed" if "guaranteed" in how else ("measured only" if "measured" in how else "encouraged")
        rows.append((label, text(how), text(guarantee)))
    return [Table(("rule or constraint", "built into the network as", "guarantee"), tuple(rows))]


_SPEC_UNITS = {
    "learning_rate": "per step",
    "batch_size": "rows",
    "max_epochs": "epochs",
    "patience": "epochs without improvement",
    "embedding_dim": "dimensions per category",
    "n_frequencies": "frequencies per numeric input",
    "monotone_width": "neurons",
    "members": "networks",
    "rule_lambda": "× rule loss",
}


def _spec_value(key: str, v: Any, read: Mapping[str, Any]) -> str:
    """One spec entry in words: pairs as ``f×g``; features ``drop_features`` names that the model
    still reads, with the terms that read them."""
    if key == "pairs" and isinstance(v, list):
        return ", ".join("×".join(str(f) for f in p) if isinstance(p, list) else str(p) for p in v) or "—"
    if key == "drop_features" and isinstance(v, list) and v:
        still = [f"{f} by {', '.join(read[f])}" for f in v if f in read]
        if still:
            return (
                f"{', '.join(map(str, v))} — no term of their own, but still read: {'; '.join(still)} "
                "(see the inputs the model reads)"
            )
    return f"{fmt(v)} {_SPEC_UNITS.get(key, '')}".strip()


def _inputs_read(value: Mapping[str, Any]) -> list[Block]:
    """The inputs the model reads, each with the terms or paths that read it, sensitive ones marked."""
    read = value.get("inputs_read")
    if not isinstance(read, Mapping):
        return []
    sensitive = set(value.get("sensitive_inputs_read") or [])
    rows = tuple(
        (
            code(f),
            text("yes" if f in sensitive else ""),
            text(", ".join("its own term" if w == f else str(w) for w in ways)),
        )
        for f, ways in read.items()
    )
    unread = ", ".join(value.get("inputs_not_read") or []) or "none"
    return [
        Para(strong(f"inputs the model reads ({len(read)})")),
        Table(("feature", "sensitive", "read by"), rows),
        Para(text(f"Not read: {unread}.")),
    ]


def _architecture(value: Mapping[str, Any]) -> list[Block]:
    spec = dict(value.get("spec") or {})
    layers = spec.pop("layers", [])
    modes = spec.pop("rule_modes", {})
    given = value.get("inputs_read")
    read: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    rows = [
        (text("form"), text(value.get("form"))),
        (text("size"), text(f"{fmt(value.get('parameters'))} trainable parameters")),
    ]
    rows += [(code(k), text(_spec_value(k, v, read))) for k, v in spec.items()]
    out: list[Block] = [Table(("item", "value"), tuple(rows)), *_inputs_read(value)]
    if value.get("parts"):
        out += [Para(strong("ensemble parts")), _parts(value["parts"])]
    if layers:
        out += [Para(strong("hidden layers")), records(layers, ["width", "activation", "block", "dropout"])]
    if modes:
        out += [
            Para(strong("soft-rule injection")),
            Table(("rule", "mode"), tuple((code(r), text(m)) for r, m in modes.items())),
        ]
    return out


def _parts(parts: list[Mapping[str, Any]]) -> Block:
    """One row per part of an ensemble of architectures: weight, family, size and form."""
    rows = []
    for k, part in enumerate(parts, 1):
        spec = part.get("spec") or {}
        if part.get("family") == "additive":
            form = f"glass box: {len(spec.get('pairs') or [])} pairs, {spec.get('shape_bins')} bins per shape"
        else:
            layers = ", ".join(
                f"{layer.get('width')} {layer.get('activation')}{' residual' if layer.get('block') == 'residual' else ''}"
                for layer in spec.get("layers") or []
            )
            form = f"{layers or 'no hidden layer'}; {spec.get('numeric_encoding', 'standard')} encoding"
        unread = part.get("inputs_not_read", spec.get("drop_features"))  # reports before it: the spec's list
        dropped = ", ".join(unread or []) or "—"
        rows.append(
            (
                text(str(k)),
                text(f"{part.get('weight', 0):.2f}"),
                text(str(part.get("family"))),
                text(fmt(part.get("parameters"))),
                text(form),
                text(dropped),
            )
        )
    return Table(("part", "weight", "family", "parameters", "form", "inputs not read"), tuple(rows))


def _change_bounds(value: Mapping[str, Any]) -> list[Block]:
    rows = tuple((text(k.replace("_", " ")), cell(v)) for k, v in value.items() if k != "search_space")
    return [
        Table(("item", "value"), rows),
        Para(strong("search space the model may be re-searched in")),
        *_search_space(value.get("search_space")),
    ]


def _monitoring(value: Mapping[str, Any]) -> list[Block]:
    ref = value.get("reference") or {}
    rows = [
        (text("metrics watched"), text(fmt(value.get("metrics")))),
        (text("reference accuracy (test split)"), text(with_ci(ref.get("accuracy"), ref.get("ci95")))),
        (text("decision log"), text(fmt(value.get("log")))),
    ]
    rows += [(text(k), cell(v)) for k, v in value.items() if k not in ("metrics", "reference", "log")]
    return [Table(("item", "value"), tuple(rows))]


def _log_schema(value: Mapping[str, Any]) -> list[Block]:
    return [Table(("field", "meaning"), tuple((code(k), text(fmt(v))) for k, v in value.items()))]


def _versions(value: Mapping[str, Any]) -> list[Block]:
    return [Table(("package", "version"), tuple((code(k), text(fmt(v))) for k, v in value.items()))]


def _packages(value: list[Mapping[str, Any]]) -> list[Block]:
    """Every installed package: version, whether the model's runtime needs it, what it requires."""
    rows = tuple(
        (
            code(p.get("name")),
            text(fmt(p.get("version"))),
            text("—" if p.get("runtime") is None else "runtime" if p["runtime"] else "other (tools, tests)"),
            text(", ".join(p.get("requires") or []) or "—"),
        )
        for p in value
    )
    return [Table(("package", "version", "needed by", "requires"), rows)]


def _data_profile(value: Mapping[str, Any]) -> list[Block]:
    rows = [(text("dataset"), text(fmt(value.get("dataset"))))]
    rows += [(text(f"{r} rows"), text(fmt(value.get(f"{r}_rows")))) for r in ("train", "test")]
    rows.append((text("split"), cell(value.get("split"))))
    files = [
        (
            text(f.get("role")),
            code(f.get("path")),
            text(fmt(f.get("rows"))),
            text(size(f.get("bytes"))),
            code(f.get("sha256")),
        )
        for f in value.get("files") or []
    ]
    return [
        Table(("item", "value"), tuple(rows)),
        Table(("role", "file", "rows", "size", "sha256"), tuple(files)),
    ]


#: Latency varies between runs, so it stays out of the hashed body and the Markdown; where it is.
LATENCY_WHERE = (
    "measured per run, so not in this text: run_info.inference_us_per_row in report.json (inference µs per row) "
    "and run_info.inference_memory (peak memory of a fresh process scoring 1,000 rows), also under Run "
    "information in report.html"
)


def _resources(value: Mapping[str, Any]) -> list[Block]:
    model = value.get("model") or {}
    rows = (
        (text("model size"), join(f"{fmt(model.get('value'))} {model.get('unit', '')} ", link(str(model.get("id"))))),
        (text("model file"), text(size(model.get("model_bytes")))),
        (text("latency"), text(LATENCY_WHERE)),
    )
    return [Table(("item", "value"), rows)]


def _compute(value: Mapping[str, Any]) -> list[Block]:
    rows = tuple(
        (text(k.replace("_", " ")), text(seconds(v) if k.endswith("seconds") else fmt(v))) for k, v in value.items()
    )
    return [Table(("item", "value"), rows)]


def _accuracy(value: Mapping[str, Any]) -> list[Block]:
    return [Para(text(with_ci(value.get("accuracy"), value.get("ci95"))))]


def _evidence_refs(value: Any) -> list[Block]:
    if isinstance(value, str):
        value = [value]
    if len(value) > 3:
        return [Items(tuple(link(v) for v in value))]
    return [Para(join(*(link(v) for v in value), sep=", ") if value else text("—"))]


def _rule_impact(value: Mapping[str, Any]) -> list[Block]:
    flagged = value.get("flagged") or []
    rows = (
        (text("hard rules"), text(fmt(value.get("hard_rules")))),
        (text("soft rules"), text(fmt(value.get("soft_rules")))),
        (text("significance level"), text(fmt(value.get("alpha")))),
        (text("flagged for the experts (cost accuracy beyond noise)"), text(", ".join(flagged) or "none")),
        (text("evidence"), text("the Rule impact section: one row per rule, and the whole shield")),
    )
    return [Table(("item", "value"), rows)]


RENDERERS: dict[str, Callable[[Any], list[Block]]] = {
    "io_schema": _io_schema,
    "input_specification": _input_spec,
    "artefact_manifest": _artefacts,
    "search_space": _search_space,
    "rule_constraint_map": _rule_map,
    "architecture": _architecture,
    "change_bounds": _change_bounds,
    "monitoring_spec": _monitoring,
    "log_schema": _log_schema,
    "environment": _versions,
    "installed_packages": _packages,
    "dependencies": _versions,
    "runtime_dependencies": _versions,
    "data_profile": _data_profile,
    "resources": _resources,
    "compute": _compute,
    "expected_accuracy": _accuracy,
    "weak_slices": _evidence_refs,
    "example_explanations": _evidence_refs,
    "calibration": _evidence_refs,
    "rule_impact": _rule_impact,
}


def render_field(name: str, field: Mapping[str, Any]) -> tuple[Inline | None, list[Block]]:
    """``(inline, [])`` when the value fits a table cell, else ``(None, blocks)``."""
    status, value = field.get("status"), field.get("value")
    if status == "missing":  # an automatic field says why it is missing; a human one is to be written
        return missing(f"⚠ missing — {value}" if isinstance(value, str) and value else MISSING), []
    if status == "not_applicable":
        return join("not applicable: ", text(fmt(value))), []
    renderer = RENDERERS.get(name)
    try:
        blocks = renderer(value) if renderer is not None and value is not None else present(value)
    except (AttributeError, TypeError, KeyError, IndexError):  # an unexpected shape: shown generically
        blocks = present(value)
    if len(blocks) == 1 and isinstance(blocks[0], Para):
        short = sum(len(t) for _, t in blocks[0].content) <= INLINE_CHARS
        return (blocks[0].content, []) if short else (None, blocks)
    if len(blocks) == 1 and isinstance(blocks[0], Items) and len(blocks[0].items) <= 6 and name not in RENDERERS:
        return join(*blocks[0].items, sep="; "), []
    return None, blocks
