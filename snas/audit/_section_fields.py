"""The automatic fields of every legal section, computed from the inputs and the evidence.

A fact that needs a record the report was not given (a run manifest, a search) is
``not_applicable`` when it does not exist (the model was not searched) or ``missing`` when it
exists but was not handed over — both with the reason as the value, never an invented value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from snas.audit._context import complexity_meaning, search_metric
from snas.audit._glassbox import explanation_aids
from snas.audit._impact import ALPHA, HARD_METHOD, SOFT_METHOD
from snas.audit._metrics import group_definitions
from snas.audit._provenance import BOM_FILE, NO_RUN, environment, packages, seeds
from snas.audit._sections import SECTIONS

if TYPE_CHECKING:
    from snas.audit._inputs import AuditInputs, SearchRecord
    from snas.model import FittedModel

__all__ = ["LOG_SCHEMA", "auto_fields", "human_field", "output_meaning", "sections"]

Field = dict[str, Any]

LOG_SCHEMA = {
    "time": "ISO 8601 UTC",
    "model_sha256": "sha256 of model.safetensors",
    "model_content_sha256": "content_sha256 of model.json: the weights and every record shaping a prediction",
    "input_sha256": "sha256 of the input row",
    "output": "predicted class",
    "probabilities": "class → probability",
    "deciding_rule": "hard rule id or null",
    "source": "input file",
    "row": "row number in the input",
}
LEVELS_SHOWN = 50  # levels of a categorical column listed in the report (all are counted)
NOT_SEARCHED = "the architecture was not searched (no search record was given)"
NO_CONFIG = (
    "the search configuration is recorded only in a run directory (search.json); "
    "pass search=RunDirectory(path) to build_report"
)


def auto(value: Any) -> Field:
    return {"status": "auto", "value": value}


def not_applicable(reason: str) -> Field:
    return {"status": "not_applicable", "value": reason}


def missing(reason: str) -> Field:
    return {"status": "missing", "value": reason}


# ----------------------------------------------------------------------------- human fields
def _lookup(doc: Mapping[str, Any], dotted: str) -> Any:
    cur: Any = doc
    for part in dotted.split("."):
        if not isinstance(cur, Mapping) or part not in cur:
            return None
        cur = cur[part]
    return cur


def human_field(doc: Mapping[str, Any], key: str) -> Field:
    """A documentation field: ``human`` when written, ``not_applicable`` with its reason, else ``missing``."""
    v = _lookup(doc, key)
    if isinstance(v, Mapping) and v.get("status") == "not_applicable":
        reason = v.get("reason")
        if _blank(reason):  # a claim of "not applicable" needs its reason
            return {"status": "missing", "value": None}
        return {"status": "not_applicable", "value": reason}
    if key == "approvals":
        ok = isinstance(v, list) and bool(v) and all(not _blank(a.get("name")) and not _blank(a.get("date")) for a in v)
        return {"status": "human" if ok else "missing", "value": v if ok else None}
    if _blank(v) or v == []:
        return {"status": "missing", "value": None}
    return {"status": "human", "value": v}


def _blank(v: Any) -> bool:
    """Nothing written: None, or text of whitespace only."""
    return v is None or (isinstance(v, str) and not v.strip())


# ----------------------------------------------------------------------------- auto fields
def _search_config(inputs: AuditInputs, key: str) -> Field:
    if inputs.search is None:
        return not_applicable(NOT_SEARCHED)
    if inputs.search.config is None:
        return missing(NO_CONFIG)
    return auto(inputs.search.config.get(key))


def rule_constraint_map(inputs: AuditInputs) -> dict[str, str]:
    """Each rule and constraint → the mechanism that builds it into the network."""
    rules, compiled = inputs.rules, inputs.model.task.compiled
    specs = [p.spec for p in getattr(inputs.model, "parts", ())] or [inputs.model.spec]
    names = {"loss": "rule loss", "neuron": "knowledge neuron", "both": "rule loss + knowledge neuron"}
    out = {}
    for r in rules:
        if r.is_hard:
            out[r.id] = "output shield (hard, guaranteed)"
            continue
        texts = []
        for mode in dict.fromkeys(spec.mode(r.id) for spec in specs):  # each part's mode, in order, once
            if mode == "off":
                texts.append("measured only")
            elif mode in ("neuron", "both") and r.id not in compiled.neuron_ok:
                texts.append("rule loss (soft; neuron refused: direction conflicts with a monotonic constraint)")
            else:
                texts.append(f"{names[mode]} (soft)")
        out[r.id] = texts[0] if len(texts) == 1 else "differs by ensemble part: " + "; ".join(texts)
    families = {spec.family for spec in specs}
    how = " / ".join(x for fam, x in (("mlp", "monotone path"), ("additive", "monotone shape")) if fam in families)
    for f, d in rules.constraints.monotonic.items():
        out[f"monotonic:{f}"] = f"{how or 'monotone path'} ({'increasing' if d > 0 else 'decreasing'}, guaranteed)"
    for f in rules.constraints.exclude_features:
        out[f"exclude:{f}"] = "input mask (never a model input, guaranteed)"
    return out


#: Where the bill of materials is and what it holds.
SBOM_WHERE = (
    f"{BOM_FILE}, written with this report unless --format leaves out cdx: a CycloneDX 1.6 bill of materials "
    "with the model (sha256, model card with the test metrics), the data and rule files (sha256) and every "
    "installed Python package (purl; scope required for the runtime, excluded for the rest), for vulnerability "
    "scanners"
)


def _traced_packages(inputs: AuditInputs) -> dict[str, Any]:
    """:func:`packages`, every package's ``runtime`` unknown (None) when none is marked needed: an
    empty runtime closure (snas not an installed distribution) traces nothing, so "not needed"
    would be a claim nobody checked."""
    installed = packages(inputs)
    records = installed["records"]
    if records and not any(r["runtime"] for r in records):
        installed = {**installed, "records": [{**r, "runtime": None} for r in records]}
    return installed


def _identity(inputs: AuditInputs, ev: Mapping[str, dict[str, Any]]) -> dict[str, Field]:
    """Annex IV 1(a)–1(h): version, interfaces, environment, artefacts, resources."""
    model, data = inputs.model, inputs.data
    versions = environment(inputs)
    installed = _traced_packages(inputs)
    features = set(model.task.encoder.features)
    io = [data.schema.column(f.name) if f.name in data.schema else f for f in model.task.schema.features]
    run = inputs.run
    return {
        "system_version": auto({"model_sha256": inputs.model_file.sha256, "snas": versions.get("snas")}),
        "report_lineage": auto("see parent_report_id; 'snas audit diff OLD NEW' lists the changes"),
        "io_schema": auto(
            [
                {
                    "name": c.name,
                    "original": c.original,
                    "kind": c.kind,
                    "levels": list(c.levels)[:LEVELS_SHOWN],
                    "n_levels": len(c.levels),
                    "unit": c.unit,
                }
                for c in io
                if c.name in features
            ]
        ),
        "export_formats": auto(["safetensors weights + JSON metadata (no pickle)"]),
        "runtime_dependencies": auto(
            {k: v for k, v in versions.items() if k in ("torch", "numpy", "pandas", "scikit-learn")}
        ),
        "environment": auto(versions),
        "installed_packages": auto(installed["records"])
        if installed["records"] is not None
        else not_applicable(installed["recorded"]),
        "package_lock": auto(
            {
                "packages": len(installed["records"]),
                "runtime_packages": sum(bool(r["runtime"]) for r in installed["records"])
                if any(r["runtime"] is not None for r in installed["records"])
                else None,
                "sha256": installed["sha256"],
                "recorded": installed["recorded"],
                "sbom": SBOM_WHERE,
            }
        )
        if installed["records"] is not None
        else not_applicable(installed["recorded"]),
        "artefact_manifest": auto(run.manifest["files"]) if run and "files" in run.manifest else not_applicable(NO_RUN),
        "resources": auto({"model": ev["ev:resource:model"], "latency": "run_info.inference_us_per_row"}),
        "interfaces": auto(
            "CLI: snas check | search | audit | predict | rules impact; Python: SNASClassifier (scikit-learn API), "
            f"build_report; reports in JSON, Markdown, HTML, PDF and a CycloneDX 1.6 SBOM with model card ({BOM_FILE})"
        ),
        "ifu_draft": auto("The Art. 13 sections of this report form the draft instructions for use."),
    }


def _objectives(inputs: AuditInputs) -> Field:
    if inputs.search is None:
        return auto(["training loss: cross-entropy + λ × the soft rules' losses (fixed architecture, not searched)"])
    from snas.search import METRIC_LABELS

    metric = METRIC_LABELS.get(search_metric(inputs.search), "accuracy")
    return auto([f"validation error (1 − {metric})", complexity_meaning(), "soft-rule infidelity (1 − F_soft)"])


def _rule_impact_field(evidence: list[dict[str, Any]]) -> Field:
    items = [e for e in evidence if e["kind"] == "rule_impact"]
    return auto(
        {
            "hard_rules": HARD_METHOD,
            "soft_rules": SOFT_METHOD,
            "alpha": ALPHA,
            "flagged": [e["rule"] for e in items if e.get("costs_accuracy")],
            "evidence": [e["id"] for e in items]
            + (["ev:shield-impact"] if any(e["kind"] == "shield_impact" for e in evidence) else []),
        }
    )


def _design(inputs: AuditInputs, evidence: list[dict[str, Any]]) -> dict[str, Field]:
    """Annex IV 2(a)–2(c): method, objectives, rules, selection, architecture, compute."""
    model, search = inputs.model, inputs.search
    architecture = _architecture(model, inputs.data.schema.sensitive)
    return {
        "pipeline": auto(
            "rules (YAML) → static checks (intervals and a SAT solver) → compiled into output shield, rule losses, knowledge neurons, "
            "monotone and input-mask constraints → multi-objective search (NSGA-II outer loop, Gumbel supernet "
            "inner loop) or a fixed architecture → training → evaluation on the held-out test split → this report"
        ),
        "third_party": auto("torch, scikit-learn, optuna, lark, shap, pandas; no pretrained models"),
        "objectives": _objectives(inputs),
        "search_space": _search_config(inputs, "space"),
        "rule_constraint_map": auto(rule_constraint_map(inputs)),
        "decision_threshold": auto(
            "argmax of class probabilities (0.5 for a binary target); rows where a hard rule fires get "
            "probability 0 or 1"
        ),
        "selection": not_applicable(NOT_SEARCHED) if search is None else auto(_selection(search, inputs)),
        "rule_impact": _rule_impact_field(evidence),
        "architecture": auto(architecture),
        "compute": auto(_compute(inputs)),
    }


def _history(search: SearchRecord, inputs: AuditInputs | None) -> dict[str, Any]:
    """Where every evaluation of the search is (AIA Annex IV 2(b)): the run's history.json with
    its sha256, and how many evaluations of each fidelity it holds; the report lists the
    stand-alone ones (ev:search:candidates) and counts the inherited-weight ones."""
    manifest = inputs.run.manifest if inputs is not None and inputs.run is not None else {}
    files = manifest.get("files") if isinstance(manifest, Mapping) else None
    info = files.get("history.json") if isinstance(files, Mapping) else None
    sha = info.get("sha256") if isinstance(info, Mapping) else None
    counts = {f: n for f, n in search.counts().items() if n}
    total = len(search.evaluations)
    where = (
        f"history.json of the run (sha256 {sha}, listed in its manifest.json)"
        if isinstance(sha, str)
        else "the search's own record (no run directory: no history.json to cite)"
    )
    words = ", ".join(f"{n:,} {f}" for f, n in counts.items())
    return {
        "evaluations": total,
        "by_fidelity": counts,
        "file": "history.json" if isinstance(sha, str) else None,
        "sha256": sha if isinstance(sha, str) else None,
        "statement": f"every one of the {total:,} evaluations ({words}) is recorded, with its architecture and "
        f"validation metrics, in {where}; ev:search:candidates lists the ones trained on their own and counts "
        "the inherited-weight ones",
    }


def _glass_box_weights(inputs: AuditInputs | None) -> tuple[str | None, str | None]:
    """The sha256 of the run's selected model's and glass box's model.safetensors (None unknown)."""
    manifest = inputs.run.manifest if inputs is not None and inputs.run is not None else {}
    files = manifest.get("files") if isinstance(manifest, Mapping) else None
    files = files if isinstance(files, Mapping) else {}

    def sha(rel: str) -> str | None:
        info = files.get(rel)
        value = info.get("sha256") if isinstance(info, Mapping) else None
        return value if isinstance(value, str) else None

    return sha("model/model.safetensors"), sha("glass-box/model.safetensors")


def _selection(search: SearchRecord, inputs: AuditInputs | None = None) -> dict[str, Any]:
    """Which model was chosen, on which validation metric and why; for the glass box on offer,
    whether it is the selected model: the same weights (byte-identical model.safetensors in the
    run's manifest) make it the selected model, offered again as the glass box."""
    from snas.search import METRIC_LABELS, metric_text

    metric = search_metric(search)
    chosen = [e for e in search.evaluations if e.number == search.selected and e.fidelity == "stand-alone"]
    selected: dict[str, Any] = {
        "selected": f"#{search.selected}" if search.selected is not None else None,
        "metric": f"validation {METRIC_LABELS.get(metric, metric)} (the search minimised one minus it)",
        **({"validation": metric_text(chosen[0].metrics, metric).removeprefix("validation ")} if chosen else {}),
        "reason": search.reason,
    }
    selected["search_history"] = _history(search, inputs)
    if search.audited != "glass-box":
        return selected
    choice: Mapping[str, Any] = search.glass_box if isinstance(search.glass_box, Mapping) else {}
    members: Any = choice.get("members")
    weights: Any = choice.get("weights")
    metrics = choice.get("metrics")
    pairs = list(zip(members, weights, strict=True)) if _same_length_lists(members, weights) else []
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for pair in pairs for x in pair)
    parts = ", ".join(f"#{n} ×{w:.2f}" for n, w in pairs) if numbers else ""
    accuracy = metrics.get("accuracy") if isinstance(metrics, Mapping) else None
    ensemble = f"the greedy ensemble of its glass-box (additive) candidates ({parts or 'as recorded in search.json'})"
    scored = (
        f"; their {metric_text(dict(metrics), metric)} as trained in the search"
        if isinstance(accuracy, float) and isinstance(metrics, Mapping)
        else ""
    )
    mine, glass = _glass_box_weights(inputs)
    same = mine is not None and mine == glass
    audited = (
        "the selected model itself: the glass box the search offers is the same network as its selected model "
        f"(model/model.safetensors and glass-box/model.safetensors are byte-identical, sha256 {mine}), "
        f"{ensemble}{scored}"
        if same
        else f"not the selected model: the glass box the search offers beside it, {ensemble}{scored}"
    )
    return {"audited": audited, "same_as_selected": same, "selected_model": selected}


def _same_length_lists(a: Any, b: Any) -> bool:
    return isinstance(a, list) and isinstance(b, list) and len(a) == len(b)


def _architecture(model: FittedModel, sensitive: tuple[str, ...] = ()) -> dict[str, Any]:
    """The network spec (per part for an ensemble of architectures), parameters and form, and
    the inputs the model reads (through which terms) — also those ``drop_features`` names."""
    from snas.model import EnsembleModel

    reads = _reads(model, sensitive)
    if isinstance(model, EnsembleModel):
        additive = (
            ", itself a glass box: a sum of exact per-term shapes (each term's shape the weighted mean of the "
            "parts' shapes)"
            if model.family == "additive"
            else ""
        )
        form = (
            f"ensemble of {len(model.parts)} architectures: the logit is the weighted mean of the parts' logits "
            f"(weights from greedy ensemble selection on validation log-loss){additive}; every part is monotone "
            "where the rules require and reads no excluded feature, and the hard-rule shield applies to the mean"
        )
        parts = [
            {**d, "inputs_not_read": _reads(p, sensitive)["inputs_not_read"]}
            for d, p in zip(model.describe(), model.parts, strict=True)
        ]
        return {"parts": parts, "parameters": int(model.n_parameters), "form": form, **reads}
    members = model.spec.members
    if members > 1 and model.family == "additive":
        form = (
            f"one glass box: the mean of {members} glass boxes of this architecture, each trained with its own seed "
            "and validation split, kept as one (a mean of sums of per-input terms is one such sum); it is monotone "
            "where the rules require, and the hard-rule shield applies to it"
        )
    elif members > 1:
        form = (
            f"ensemble: the logit is the mean of {members} networks of this architecture, each trained with its own "
            "seed and validation split; each member is monotone where the rules require, and the hard-rule shield "
            "applies to the mean"
        )
    else:
        form = "one network"
    return {"spec": model.spec.to_dict(used_only=True), "parameters": int(model.n_parameters), "form": form, **reads}


def _reads(model: FittedModel, sensitive: tuple[str, ...]) -> dict[str, Any]:
    """The inputs ``model`` reads (feature → terms or paths), those it does not, and which of the
    ones it reads are sensitive attributes (:func:`snas.model.inputs_read`)."""
    from snas.model import inputs_read

    read = inputs_read(model)
    return {
        "inputs_read": {f: list(ways) for f, ways in read.items()},
        "inputs_not_read": [c.name for c in model.task.schema.features if c.name not in read],
        "sensitive_inputs_read": [f for f in read if f in sensitive],
    }


def _compute(inputs: AuditInputs) -> dict[str, Any]:
    search = inputs.search
    if search is None:
        return {"training_seconds": inputs.model.fit_seconds, "search": NOT_SEARCHED, "hardware": "CPU"}
    return {
        "search_and_refit_seconds": search.elapsed_seconds,
        "evaluations_by_fidelity": search.counts(),
        "refit_on_all_rows": inputs.model.extra.get("refit", search.refit),  # the audited model's own
        **_parts_refit(inputs.model),
        "hardware": "CPU",
    }


def _parts_refit(model: FittedModel) -> dict[str, str]:
    """For an ensemble whose parts were refit or not one by one: how many were."""
    done = model.extra.get("parts_refit")
    if not isinstance(done, list) or not done:
        return {}
    return {"parts_refit_on_all_rows": f"{sum(bool(d) for d in done)} of {len(done)}"}


def _validation(inputs: AuditInputs, evidence: list[dict[str, Any]]) -> dict[str, Field]:
    """Annex IV 2(d)–2(h): data, interpretation aids, change bounds, test log, security."""
    data, run = inputs.data, inputs.run
    versions = environment(inputs)
    local, whole = explanation_aids(evidence)
    space = _search_config(inputs, "space")
    split = run.manifest.get("split") if run is not None else data.provenance()["split"]
    return {
        "data_profile": auto(
            {
                "dataset": data.name,
                "train_rows": len(data.train),
                "test_rows": len(inputs.X),
                "files": data.provenance(lookup=False)["files"],  # not how they were found (data.lookups())
                "split": split,
            }
        ),
        "interpretation_aids": auto(
            [
                "per-decision rule trace (which hard rule decided)",
                local,
                whole,
                "knowledge-neuron activations",
                "counterfactual: smallest change that flips the decision",
                "a reliability table of the predicted probabilities (no calibration step is applied)",
            ]
        ),
        "example_explanations": auto([e["id"] for e in evidence if e["kind"] == "local_explanation"]),
        "change_bounds": auto(
            {
                "search_space": space["value"] if space["status"] == "auto" else None,
                "rules_sha256": inputs.rules.sha256,
                "drift_review_trigger": "accuracy on monitored data below the lower 95% bound of the test "
                "accuracy, or any hard-rule violation",
            }
        ),
        "test_data": auto(
            {"rows": len(inputs.X), "source": "held out; never used for training, early stopping or selection"}
        ),
        "test_log": auto({"model_sha256": inputs.model_file.sha256, "seeds": seeds(inputs)}),
        "model_hash": auto(inputs.model_file.sha256),
        "dependencies": auto(versions),
        "sbom": auto(SBOM_WHERE),
    }


def _monitoring(
    inputs: AuditInputs, ev: Mapping[str, dict[str, Any]], evidence: list[dict[str, Any]]
) -> dict[str, Field]:
    """Annex IV 3–9 and Art. 13: accuracy, slices, metrics, monitoring, logging."""
    acc = ev["ev:metric:accuracy"]
    reference = {"accuracy": acc["value"], "ci95": acc.get("ci95")}
    return {
        "expected_accuracy": auto(reference),
        "weak_slices": auto([e["id"] for e in evidence if e["kind"] == "weak_slice"]),
        "input_specification": auto(_input_specification(inputs)),
        "metrics_catalogue": auto(_metrics_catalogue(inputs)),
        "calibration": auto("ev:calibration"),
        "changelog": auto("generated by 'snas audit diff' against the parent report"),
        "methods_mapping": auto(
            {
                "ISO/IEC 24029 (robustness)": "ev:robustness:*",
                "ISO/IEC 5259 (data quality)": "ev:data:*",
                "ISO/IEC TS 6254 (explainability)": "ev:explain:*",
                "ISO/IEC TS 4213 (classification performance)": "ev:metric:*",
            }
        ),
        "monitoring_spec": auto(
            {
                "metrics": ["accuracy", "selection rate per group", "hard-rule violations (must stay 0)"],
                "reference": reference,
                "log": "snas predict appends one JSON line per decision",
            }
        ),
        "see": auto("see the corresponding Annex IV section"),
        "accuracy_summary": auto(
            {k: ev[f"ev:metric:{k}"]["value"] for k in ("accuracy", "balanced_accuracy", "roc_auc")}
        ),
        "small_groups": auto(sorted({f"{e['attribute']}={e['group']}" for e in evidence if e.get("small_group")})),
        "explanation_modes": auto(
            ["rule trace", *explanation_aids(evidence), "knowledge-neuron activations", "counterfactual"]
        ),
        "group_summary": auto(_group_summary(inputs, evidence)),
        "output_meaning": auto(output_meaning(inputs.classes, inputs.model.task.positive)),
        "log_schema": auto(LOG_SCHEMA),
    }


def _group_summary(inputs: AuditInputs, evidence: list[dict[str, Any]]) -> dict[str, Any]:
    """The attributes whose groups are measured and what each group metric counts (one-vs-rest
    for the positive class when the target has more than two classes)."""
    attributes = sorted({e["attribute"] for e in evidence if e["kind"] == "group_metric"})
    return {"attributes": attributes, **group_definitions(inputs.classes, inputs.positive)}


def output_meaning(classes: tuple[str, ...], positive: str) -> str:
    """What the model outputs, for two classes or more."""
    if len(classes) <= 2:
        return f"probability that the class is {positive}; 0 or 1 exactly when a hard rule decides"
    return (
        f"probability of each of the {len(classes)} classes ({', '.join(classes)}), summing to 1; the decision is "
        "the most probable class; a row a hard rule decides gets probability 1 for the rule's class and 0 for the others"
    )


def _metrics_catalogue(inputs: AuditInputs) -> list[str]:
    """The metrics the report measures, with how each is computed when the target has more than two classes."""
    if len(inputs.classes) <= 2:
        return [
            "accuracy",
            "balanced_accuracy",
            "roc_auc",
            "log_loss",
            "brier",
            "calibration",
            "per-group selection rate / TPR / FPR / PPV",
            "rule fidelity",
            "rule impact",
        ]
    p, k = inputs.model.task.positive, len(inputs.classes)
    return [
        "accuracy",
        f"balanced_accuracy (mean recall of the {k} classes)",
        f"roc_auc (macro average of the {k} one-vs-rest areas)",
        "log_loss (multiclass)",
        "brier (multiclass: summed over the classes)",
        f"calibration (probability of {p!r}, one-vs-rest)",
        f"per-group accuracy, and selection rate / TPR / FPR / PPV one-vs-rest for class {p!r}",
        "rule fidelity",
        f"rule impact (ROC-AUC macro one-vs-rest; selection-rate gap one-vs-rest for {p!r})",
    ]


def _input_specification(inputs: AuditInputs) -> list[dict[str, Any]]:
    """Every column the model is given: kind, levels (the first ``LEVELS_SHOWN`` and how many
    there are) and whether the model reads it, never reads it (excluded by the rules) or is
    given it without reading it."""
    from snas.model import inputs_read

    read = inputs_read(inputs.model)
    excluded = set(inputs.rules.constraints.exclude_features)

    def use(name: str) -> str:
        if name in excluded:
            return "excluded by the rules: never a model input" + (" (a hard rule reads it)" if name in read else "")
        return "model input" if name in read else "accepted but not read by the model"

    return [
        {
            "name": c.name,
            "kind": c.kind,
            "levels": list(c.levels)[:LEVELS_SHOWN],
            "n_levels": len(c.levels),
            "use": use(c.name),
        }
        for c in inputs.model.task.schema.features
    ]


def auto_fields(inputs: AuditInputs, evidence: list[dict[str, Any]], risk: list[dict[str, Any]]) -> dict[str, Field]:
    """Every automatic field by name (a name may appear in several sections)."""
    ev = {e["id"]: e for e in evidence}
    return {
        **_identity(inputs, ev),
        **_design(inputs, evidence),
        **_validation(inputs, evidence),
        **_monitoring(inputs, ev, evidence),
        "risk_register": auto(f"{len(risk)} entries pre-filled from failed or flagged checks"),
    }


def sections(inputs: AuditInputs, evidence: list[dict[str, Any]], risk: list[dict[str, Any]]) -> dict[str, Any]:
    """Every legal section: its automatic and human fields and the evidence it cites."""
    fields = auto_fields(inputs, evidence, risk)
    doc = inputs.documentation.fields
    out: dict[str, Any] = {}
    for sid, title, auto_names, human_names, prefixes in SECTIONS:
        section = {k: fields[k] for k in auto_names}
        section.update({h: human_field(doc, h) for h in human_names})
        refs = sorted(e["id"] for e in evidence if any(e["id"].startswith(p) for p in prefixes))
        out[sid] = {"title": title, "fields": section, "evidence": refs}
    return out
