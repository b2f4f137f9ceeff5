"""The final ensemble of a real (tiny) search: greedy picks among the stand-alone candidates,
metrics that an independent recomputation reproduces, and a run whose model is the ensemble —
saved, loaded, audited and resumed like one model; the glass box on offer beside it."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from snas import EnsembleModel, FittedModel
from snas.datasets import load
from snas.search import Budget, load_config, search
from snas.search._measure import ValidationSet


@pytest.fixture(scope="module")
def ensemble_run(tiny_search, tmp_path_factory):
    cfg = load_config(tiny_search / "search.yaml")
    space = dataclasses.replace(
        cfg.space, families=("mlp", "additive"), max_pairs=3, pair_candidates=6, shape_bins=(16, 32), pair_bins=(2, 4)
    )
    cfg = dataclasses.replace(
        cfg,
        seed=4,  # a seed whose picks are several models, in both ensembles (seed 0 picks one model 8 times)
        space=space,
        budget=Budget(trials=8),
        standalone=dataclasses.replace(cfg.standalone, candidates=8, eta=1, ensemble_top=0, epochs=4),
        selection=dataclasses.replace(cfg.selection, ensemble=8),
    )
    out = tmp_path_factory.mktemp("ens") / "run"
    return cfg, out, search(cfg, out, data_dir=str(tiny_search), progress=False)


def _validation(cfg, tiny_search, task) -> ValidationSet:
    """The search's validation rows, split again as the search documents it."""
    data = load(str(tiny_search / "manifest.yaml"), data_dir=str(tiny_search))
    y = data.y_train.astype(str).to_numpy()
    _, val = train_test_split(np.arange(len(y)), test_size=cfg.validation_fraction, random_state=cfg.seed, stratify=y)
    val = np.sort(val)
    return ValidationSet.build(task, data.X_train.iloc[val].reset_index(drop=True), y[val], cfg.metric)


def test_the_ensemble_is_recomputed_from_its_candidates(ensemble_run, tiny_search):
    cfg, out, res = ensemble_run
    choice = res.result.ensemble
    assert choice is not None and len(choice.members) >= 2
    stand_alone = {e.number: e for e in res.result.evaluations if e.fidelity == "stand-alone"}
    assert set(choice.members) <= set(stand_alone) and sum(choice.weights) == pytest.approx(1.0)
    parts = [FittedModel.load(out / "candidates" / key) for key in choice.keys]
    val = _validation(cfg, tiny_search, parts[0].task)
    for part, number in zip(parts, choice.members, strict=True):  # the candidates on disk are those measured
        single = val.measure(part.network(val.inputs).mean(0))
        assert single["accuracy"] == pytest.approx(stand_alone[number].metrics["accuracy"])
    ens = EnsembleModel.of(parts, choice.weights)
    again = val.measure(ens.network(val.inputs).mean(0))
    assert again["accuracy"] == pytest.approx(choice.metrics["accuracy"])
    assert again["f_soft"] == pytest.approx(choice.metrics["f_soft"])
    assert choice.metrics["parameters"] == sum(p.n_parameters for p in parts)
    assert choice.chosen  # two parts or more, and no F_soft minimum in this configuration
    assert len(parts) == len(set(choice.keys)) and all(w > 0 for w in choice.weights)


def test_a_chosen_ensemble_is_the_run_model_and_is_audited(ensemble_run, tiny_search):
    cfg, out, res = ensemble_run
    choice = res.result.ensemble
    summary = json.loads((out / "search.json").read_text())
    assert summary["ensemble"]["members"] == list(choice.members)
    model = FittedModel.load(out / "model")
    assert choice.chosen
    assert isinstance(model, EnsembleModel) and len(model.parts) == len(choice.members)
    assert model.extra["candidates"] == list(choice.keys) and "ensemble of" in res.result.reason
    X = load(str(tiny_search / "manifest.yaml"), data_dir=str(tiny_search)).X_test
    assert np.array_equal(model.predict_proba(X), res.result.model.predict_proba(X))
    again = search(cfg, out, data_dir=str(tiny_search), progress=False)  # a finished run: nothing refit
    assert np.array_equal(again.result.model.predict_proba(X), model.predict_proba(X))

    from snas.audit import report_for_run

    body = json.dumps(report_for_run(out, data_dir=str(tiny_search), resamples=50).to_dict())
    assert '"parts"' in body and "weighted mean of the parts' logits" in body


def test_the_policy_bounds_every_part_and_the_whole(ensemble_run, tiny_search):
    from snas.search._config import Selection
    from snas.search._ensemble import choose_ensemble

    cfg, out, res = ensemble_run
    stand_alone = [e for e in res.result.evaluations if e.fidelity == "stand-alone"]
    models = {e.number: FittedModel.load(out / "candidates" / f"{e.job}-{e.notes['recipe']}") for e in stand_alone}
    val = _validation(cfg, tiny_search, next(iter(models.values())).task)
    sizes = sorted(e.metrics["parameters"] for e in stand_alone)
    limit = sizes[0] + sizes[1]  # room for the two smallest together, not for a larger one beside them
    assert res.result.ensemble.metrics["parameters"] > limit  # the limit binds
    choice = choose_ensemble(
        stand_alone,
        lambda e: models[e.number],
        val,
        Selection(ensemble=8),
        min_f_soft=None,
        max_parameters=limit,
        min_parts=1,
    )
    assert choice is not None and choice.metrics["parameters"] <= limit
    f_soft = sorted({e.metrics["f_soft"] or 1.0 for e in stand_alone})
    strict = Selection(min_f_soft=f_soft[-2], ensemble=8)  # only the two most compliant levels may join
    choice = choose_ensemble(
        stand_alone, lambda e: models[e.number], val, strict, min_f_soft=None, max_parameters=None, min_parts=1
    )
    by_number = {e.number: e for e in stand_alone}
    assert choice is not None and all((by_number[n].metrics["f_soft"] or 1.0) >= f_soft[-2] for n in choice.members)
    assert len(f_soft) > 2  # so the filter left candidates out


def test_the_glass_box_on_offer_is_a_pair_limited_mean_of_glass_boxes(ensemble_run, tiny_search):
    cfg, out, res = ensemble_run
    choice, model = res.result.glass_box, res.result.glass_box_model
    assert choice is not None and choice.chosen and len(choice.members) >= 2 and model is not None
    by_number = {e.number: e for e in res.result.evaluations}
    members = [by_number[n] for n in choice.members]
    assert all(e.family == "additive" and e.fidelity == "stand-alone" for e in members)
    assert len({frozenset(p) for e in members for p in e.genome["pairs"]}) <= cfg.space.max_pairs
    saved = FittedModel.load(out / "glass-box")
    assert saved.family == "additive" and saved.extra["candidates"] == list(choice.keys)
    candidates = [FittedModel.load(out / "candidates" / key) for key in choice.keys]
    val = _validation(cfg, tiny_search, saved.task)
    chosen = EnsembleModel.of(candidates, choice.weights)
    assert val.measure(chosen.network(val.inputs).mean(0))["accuracy"] == pytest.approx(choice.metrics["accuracy"])
    X = load(str(tiny_search / "manifest.yaml"), data_dir=str(tiny_search)).X_test
    # a part the final model refit on every row is taken refit; the others as trained in the search
    final = FittedModel.load(out / "model")
    refit = {
        k: p for k, p, r in zip(final.extra["candidates"], final.parts, final.extra["parts_refit"], strict=True) if r
    }
    assert saved.extra["parts_refit"] == [key in refit for key in choice.keys] and any(saved.extra["parts_refit"])
    for key, part, candidate in zip(choice.keys, saved.parts, candidates, strict=True):
        same = refit.get(key, candidate)
        assert np.array_equal(part.logits(X), same.logits(X)), key
    e = saved.explain(X)
    assert np.abs(e.contributions.to_numpy().sum(axis=1) - saved.logits(X)[:, 0]).max() < 1e-5
    assert json.loads((out / "search.json").read_text())["glass_box"]["members"] == list(choice.members)


def test_without_an_ensemble_setting_the_best_glass_box_is_on_offer(ensemble_run, tiny_search, tmp_path):
    """As in search/breast_cancer.yaml: no 'selection: ensemble', yet glass boxes in the space."""
    from snas import RunDirectory

    cfg, _, _ = ensemble_run
    cfg = dataclasses.replace(cfg, selection=dataclasses.replace(cfg.selection, ensemble=0))
    res = search(cfg, tmp_path / "run", data_dir=str(tiny_search), progress=False)
    assert res.result.ensemble is None  # the final model is one network
    choice, model = res.result.glass_box, res.result.glass_box_model
    assert choice is not None and choice.chosen and len(choice.members) == 1 and model is not None
    glass = [e for e in res.result.evaluations if e.fidelity == "stand-alone" and e.family == "additive"]
    assert choice.members[0] in {e.number for e in glass} and model.family == "additive"
    folder = RunDirectory(tmp_path / "run").require_model("glass-box")
    assert FittedModel.load(folder).extra["candidates"] == list(choice.keys)


def test_the_glass_box_on_offer_is_audited_from_the_cli(ensemble_run, tiny_search, tmp_path, capsys):
    """``snas audit RUN --model glass-box`` reports on the glass box (exact shapes, its own model
    file, said not to be the selected model), beside the selected model's report; verify checks
    both; a run without a glass box is refused with the way to get one."""
    import shutil

    from snas.cli import main

    _, out, res = ensemble_run
    run = tmp_path / "run"
    shutil.copytree(out, run)
    data = ["--data-dir", str(tiny_search), "--quiet"]
    assert main(["audit", str(run), "--model", "glass-box", "--format", "json,md", *data]) == 0
    assert main(["audit", str(run), "--format", "json", *data]) == 0
    glass = json.loads((run / "reports" / "glass-box" / "report.json").read_text())
    selected = json.loads((run / "reports" / "report.json").read_text())
    assert glass["provenance"]["model"]["path"] == "glass-box/model.safetensors"
    assert selected["provenance"]["model"]["path"] == "model/model.safetensors"
    selection = glass["sections"]["AIA.AnnexIV.2.b"]["fields"]["selection"]["value"]
    assert "glass box the search offers" in selection["audited"]
    assert selection["selected_model"]["selected"] == f"#{res.result.selected.number}"
    assert "audited" not in selected["sections"]["AIA.AnnexIV.2.b"]["fields"]["selection"]["value"]
    kinds = {e["kind"] for e in glass["evidence"]}
    assert "term_shape" in kinds and "ev:explain:global_shap" not in {e["id"] for e in glass["evidence"]}
    assert glass["provenance"]["model"]["sha256"] != selected["provenance"]["model"]["sha256"]
    summary = " ".join((run / "reports" / "glass-box" / "report.md").read_text().split())
    assert "itself a glass box" in summary and "the glass box offered among" in summary
    assert "not the selected model" in summary
    refit = FittedModel.load(run / "glass-box").extra["parts_refit"]
    trained = "Trained on 1,750 rows" if all(refit) else "Trained on part of the 1,750 training rows"
    assert trained in summary and (all(refit) or f"{sum(refit)} of {len(refit)} parts were refit" in summary)
    capsys.readouterr()
    assert main(["audit", "verify", str(run), "--data-dir", str(tiny_search)]) == 0, capsys.readouterr()
    report = run / "reports" / "glass-box" / "report.json"
    edited = json.loads(report.read_text())
    edited["evidence"][0]["id"] += "-edited"
    report.write_text(json.dumps(edited))
    assert main(["audit", "verify", str(run), "--data-dir", str(tiny_search)]) == 1
    assert f"{report}: edited since it was written" in capsys.readouterr().out
    X = load(str(tiny_search / "manifest.yaml"), data_dir=str(tiny_search)).X_test.head(30)
    X.to_csv(tmp_path / "rows.csv", index=False)
    for which in ("glass-box", "selected"):
        assert (
            main(["predict", str(run), str(tmp_path / "rows.csv"), "--model", which, "--out", str(tmp_path / "p.csv")])
            == 0
        )
    log = [json.loads(line) for line in (run / "decisions.jsonl").read_text().splitlines()]
    content = [json.loads((run / d / "model.json").read_text())["content_sha256"] for d in ("glass-box", "model")]
    assert [entry["model_content_sha256"] for entry in log] == [content[0]] * 30 + [content[1]] * 30
    assert main(["audit", str(run), "--model", "glass-box", "--format", "json", *data]) == 0  # leaves report.md
    capsys.readouterr()
    assert main(["audit", "verify", str(run), "--data-dir", str(tiny_search)]) == 1
    assert f"run 'snas audit {run} --model glass-box' again" in capsys.readouterr().out
    swapped = tmp_path / "swapped"
    shutil.copytree(run, swapped)
    for name in ("model.json", "model.safetensors"):  # the selected model's files put in the glass box's place
        shutil.copy(swapped / "model" / name, swapped / "glass-box" / name)
    assert main(["audit", str(swapped), "--model", "glass-box", *data]) == 2
    assert "not the file the run wrote" in capsys.readouterr().err
    copy = run / "documentation.yaml"
    documentation = copy.read_bytes() if copy.exists() else None
    recorded = json.loads((run / "search.json").read_text())["glass_box"]
    shutil.rmtree(run / "glass-box")
    doc = str(Path(__file__).resolve().parents[2] / "audit" / "census_income.yaml")
    assert main(["audit", str(run), "--model", "glass-box", "--documentation", doc, *data]) == 2
    err = capsys.readouterr().err
    assert recorded["chosen"] and "the glass box this run's search.json records is missing" in err
    assert "Traceback" not in err and (copy.read_bytes() if copy.exists() else None) == documentation
    assert main(["predict", str(run), str(tmp_path / "rows.csv"), "--model", "glass-box"]) == 2
    assert "search.json records is missing" in capsys.readouterr().err
    assert main(["predict", str(run / "model"), str(tmp_path / "rows.csv"), "--model", "glass-box"]) == 2
    assert "give the run, not a model folder" in capsys.readouterr().err
