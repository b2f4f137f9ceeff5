"""The risk register (Annex IV item 5), pre-filled from failed or flagged checks: each entry
states the finding as a fact, cites its evidence, and leaves owner and mitigation to people."""

from __future__ import annotations

from typing import Any

__all__ = ["HARD_RULE_AGREEMENT", "finding_text", "risk_register", "sensitive_input_text"]

HARD_RULE_AGREEMENT = 0.95  # a hard rule whose test labels agree less often is flagged (DESIGN §3)


def _entry(id_: str, evidence: str, finding: str) -> dict[str, Any]:
    return {"id": id_, "evidence": evidence, "finding": finding, "status": "open", "owner": None, "mitigation": None}


def risk_register(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failed checks, small groups and hard rules that disagree with the labels; one entry per id."""
    risks = []
    for e in evidence:
        if e.get("pass") is False:
            risks.append(_entry(f"risk:{e['id'][3:]}", e["id"], finding_text(e)))
        if e.get("small_group"):
            risks.append(
                _entry(
                    f"risk:small-group:{e['attribute']}={e['group']}",
                    e["id"],
                    f"group {e['attribute']}={e['group']} has only n={e['n']} test rows: its metrics are uncertain",
                )
            )
    risks += [_agreement_risk(e) for e in evidence if _disagreeing_hard_rule(e)]
    risks += [r for e in evidence if e["kind"] == "inputs_read" for r in _sensitive_input_risks(e)]
    risks += [_copy_risk(e) for e in evidence if e["kind"] == "monotonicity" and e.get("unconstrained_copies")]
    seen: set[str] = set()
    out = []
    for r in risks:
        if r["id"] not in seen:
            seen.add(r["id"])
            out.append(r)
    return out


def _disagreeing_hard_rule(e: dict[str, Any]) -> bool:
    agreement = e.get("label_agreement")
    return (
        e["kind"] == "rule_fidelity"
        and e.get("strength") == "hard"
        and agreement is not None
        and agreement < HARD_RULE_AGREEMENT
        and (e.get("n") or 0) > 0
    )


def _agreement_risk(e: dict[str, Any]) -> dict[str, Any]:
    return _entry(
        f"risk:rule-agreement:{e['rule']}",
        e["id"],
        f"hard rule {e['rule']} agrees with the test labels on {e['label_agreement']:.1%} of "
        f"{int(e['n'])} rows; enforcing it costs accuracy there",
    )


def _copy_risk(e: dict[str, Any]) -> dict[str, Any]:
    """A monotonic feature whose 1:1 copy the model reads freely: the guarantee is hollow in practice."""
    f, copies = e.get("feature"), ", ".join(e.get("unconstrained_copies") or [])
    return _entry(
        f"risk:monotonic-copy:{f}",
        e["id"],
        f"monotone in {f} only when {f} changes alone: {copies}, its 1:1 copy in the test data, is read "
        f"without constraint; exclude {copies} (constraints.exclude_features) or constrain it too",
    )


def sensitive_input_text(e: dict[str, Any], feature: str) -> str:
    """That the model reads a sensitive attribute, through which terms, and how often it decides."""
    info = (e.get("sensitive_read") or {}).get(feature) or {}
    by = [f"its own term {w}" if w == feature else w for w in info.get("read_by") or []]
    if len(by) > 4:  # the rest are in the evidence item
        by = [*by[:3], f"{len(by) - 3} more"]
    dropped = ""
    if feature in (e.get("dropped_but_read") or {}):
        dropped = f" (drop_features lists it, but {'this term reads' if len(by) == 1 else 'these read'} it)"
    changed, moved = info.get("decisions_changed"), info.get("probabilities_changed")
    how = info.get("changed_by") or "changing it"
    share = f"; {how} changes {changed:.1%} of the test decisions" if isinstance(changed, float) else ""
    if share and isinstance(moved, float):
        share += f" and {moved:.1%} of the predicted probabilities"
    return f"the model reads the sensitive attribute {feature} through {', '.join(by) or 'the network'}{dropped}{share}"


def _sensitive_input_risks(e: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per sensitive attribute the model reads: its use is for people to justify."""
    return [
        _entry(f"risk:sensitive-input:{f}", e["id"], sensitive_input_text(e, f) + " — to be justified")
        for f in e.get("sensitive_read") or {}
    ]


def _rule_impact_text(e: dict[str, Any]) -> str:
    w, wo = e.get("with_rule") or {}, e.get("without_rule") or {}
    what = f"hard rule {e.get('rule')}" if e["kind"] == "rule_impact" else "the output shield (all hard rules)"
    return (
        f"{what} costs accuracy on the test split: {w.get('accuracy', 0):.4f} with it, "
        f"{wo.get('accuracy', 0):.4f} without (it decides {e.get('decisions_changed')} rows differently: "
        f"{e.get('hurts')} become wrong, {e.get('helps')} become right; McNemar p {_p_text(e.get('mcnemar_p', 1))}) "
        "— for the rule's experts to review"
    )


def _proxy_text(e: dict[str, Any], vs: str) -> str:
    """What the proxy probe found: from which inputs (never the attribute itself) it predicts what."""
    attr, k = e.get("attribute"), len(e.get("inputs") or [])
    if e.get("read_by_model"):
        return (
            f"{attr}, which the model reads itself, is predictable from the model's {k} other inputs (balanced "
            f"accuracy {vs}): excluding it would not keep it out of the model"
        )
    return (
        f"{attr}, which the model does not read, is predictable from the {k} inputs it reads (balanced accuracy "
        f"{vs}): the model can use it indirectly"
    )


def finding_text(e: dict[str, Any]) -> str:
    """The finding of a failed check, in one sentence with its numbers."""
    v = e.get("value")
    vs = f"{v:.4g}" if isinstance(v, float) else str(v)
    kind = e["kind"]
    if kind in ("rule_impact", "shield_impact"):
        return _rule_impact_text(e)
    what = {
        "fairness_gap": f"{e.get('metric')} {e['id'].rsplit(':', 1)[-1]} across {e.get('attribute')} is {vs} "
        f"(threshold {e.get('threshold')})",
        "rule_fidelity": f"rule {e.get('rule')} ({e.get('strength')}) compliance {vs} below {e.get('threshold')}",
        "monotonicity": f"monotonicity in {e.get('feature')} violated on {vs} of rows",
        "flip_rate": f"changing {e.get('feature')} changes {vs} of decisions",
        "proxy_leakage": _proxy_text(e, vs),
        "robustness": f"{e.get('perturbation')}: accuracy drops by {e.get('accuracy_drop', 0):.4f}",
        "weak_slice": f"slice {e.get('slice')}: accuracy {vs} vs {e.get('overall_accuracy', 0):.4f} overall",
        "rule_summary": f"{e.get('hard_violations')} hard-rule violations",
    }
    return what.get(kind, f"{e['id']}: {vs}")


def _p_text(p: float) -> str:
    """``= 0.0031``, or ``< 1e-300`` for a p-value below the float range."""
    return "< 1e-300" if p == 0 else f"= {p:.2g}"
