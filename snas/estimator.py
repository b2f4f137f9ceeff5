"""SNASClassifier: the scikit-learn front door.

``rules=`` brings expert knowledge (hard rules are guaranteed by an output shield, soft
rules are encouraged by losses and knowledge neurons, monotonic and excluded features are
guaranteed by construction); ``architecture=`` fixes the network (a genome dict).
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from snas.datasets import Column, Schema, infer_columns, normalise_name
from snas.exceptions import ConfigError, ModelFileError
from snas.rules import RuleSet, holds_many, parse_rules

__all__ = ["SNASClassifier"]


def _seed(random_state: Any) -> int:
    """None → 0; an int as is; a RandomState → a draw from it."""
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    return int(np.random.RandomState(random_state).randint(2**31 - 1))


class SNASClassifier(ClassifierMixin, BaseEstimator):
    """Neuro-symbolic classifier for tabular data.

    Parameters
    ----------
    rules : RuleSet, path or None
        Expert rules (:func:`snas.load_rules`). Hard rules hold on every prediction.
    architecture : dict or None
        Network and training choices (see :class:`snas.nn.NetworkSpec`); None → defaults.
    search : dict, path or None
        Search the architecture instead: a ``search/*.yaml`` path or a dict of its keys
        (strategy, space, screening, selection ...). Sets ``pareto_front_``,
        ``search_history_`` and ``best_model_``.
    budget : str or None
        Search budget such as ``"5min"`` or ``"40trials"``; giving it switches search on.
    validation_fraction : float
        Share of the training rows held out (stratified) for early stopping.
    random_state : int or None
        Fixes the split, initialisation and batches (None → 0).
    n_threads : int or None
        ``torch.set_num_threads`` during fit and predict (None → leave as is).
    verbose : int
        0 silent, 1 one line per epoch.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_ : as in scikit-learn.
    network_ : the trained torch module. spec_ : its NetworkSpec.
    n_parameters_ : trainable parameters (all members). train_results_ : epochs, timings and
    history per ensemble member; train_result_ : the first (or only) member's.

    Examples
    --------
    >>> from snas import SNASClassifier, load_rules
    >>> from snas.datasets import load
    >>> data = load("census_income", data_dir="../shared/datasets")  # doctest: +SKIP
    >>> clf = SNASClassifier(rules=load_rules("rules/census_income.yaml"), random_state=0)  # doctest: +SKIP
    >>> clf.fit(data.X_train, data.y_train).score(data.X_test, data.y_test)  # doctest: +SKIP
    0.86...
    """

    n_features_in_: int
    feature_names_in_: np.ndarray

    def __init__(
        self,
        *,
        rules: RuleSet | str | Path | None = None,
        architecture: dict[str, Any] | None = None,
        search: dict[str, Any] | str | Path | None = None,
        budget: str | None = None,
        validation_fraction: float = 0.15,
        random_state: int | None = None,
        n_threads: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.rules = rules
        self.architecture = architecture
        self.search = search
        self.budget = budget
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.n_threads = n_threads
        self.verbose = verbose

    # ------------------------------------------------------------------ helpers
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags

    def _rules(self) -> RuleSet | None:
        from snas.rules import load_rules

        if self.rules is None or isinstance(self.rules, RuleSet):
            return self.rules
        if isinstance(self.rules, (str, Path)):
            return load_rules(self.rules)
        raise ConfigError(
            f"The 'rules' parameter of SNASClassifier must be a RuleSet, a path or None. Got {type(self.rules).__name__}."
        )

    def _as_frame(self, X: Any, *, fitting: bool) -> pd.DataFrame:
        """Validate X and return a frame with normalised column names."""
        from sklearn.utils.validation import check_array

        if isinstance(X, pd.DataFrame) and not all(isinstance(c, str) for c in X.columns):
            if not fitting and X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but SNASClassifier is expecting {self.n_features_in_} features as input."
                )
            if fitting or getattr(self, "feature_names_in_", None) is None:
                if fitting and hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
                if fitting:
                    self.n_features_in_ = X.shape[1]
                return X.set_axis([f"x{i}" for i in range(X.shape[1])], axis=1)
        if isinstance(X, pd.DataFrame):
            names = [str(c) for c in X.columns]
            if fitting:
                if len(X) == 0:
                    raise ValueError(
                        f"Found array with 0 sample(s) (shape=(0, {X.shape[1]})) while a minimum of 1 is required."
                    )
                self.feature_names_in_ = np.asarray(names, dtype=object)
                self.n_features_in_ = len(names)
            else:
                expected = getattr(self, "feature_names_in_", None)
                if expected is None:
                    warnings.warn(
                        "X has feature names, but SNASClassifier was fitted without feature names",
                        UserWarning,
                        stacklevel=3,
                    )
                    return self._as_frame(X.to_numpy(), fitting=False)
                missing = [c for c in expected if c not in names]
                unseen = [c for c in names if c not in set(expected)]
                if missing or unseen:
                    msg = "The feature names should match those that were passed during fit.\n"
                    if unseen:
                        msg += f"Feature names unseen at fit time: {unseen}\n"
                    if missing:
                        msg += f"Feature names seen at fit time, yet now missing: {missing}\n"
                    raise ValueError(msg)
                X = X[list(expected)]
                self._check_dtypes(X)
            return X.rename(columns={c: normalise_name(c) for c in X.columns})
        arr = check_array(X, dtype=np.float64, ensure_all_finite="allow-nan", ensure_min_samples=1)
        if fitting:
            self.n_features_in_ = arr.shape[1]
            if hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        else:
            if arr.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {arr.shape[1]} features, but SNASClassifier is expecting {self.n_features_in_} features as input."
                )
            if getattr(self, "feature_names_in_", None) is not None:
                warnings.warn(
                    "X does not have valid feature names, but SNASClassifier was fitted with feature names",
                    UserWarning,
                    stacklevel=3,
                )
                frame = pd.DataFrame(arr, columns=list(self.feature_names_in_))
                for c in self.schema_.features:
                    if c.kind != "numeric":
                        raise ValueError(f"column {c.original!r} is categorical: pass a DataFrame, not an array")
                return frame.rename(columns={c: normalise_name(c) for c in frame.columns})
        return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])

    def _check_dtypes(self, X: pd.DataFrame) -> None:
        for col in self.schema_.features:
            s = X[col.original] if col.original in X.columns else X[col.name]
            if col.kind == "numeric" and not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
                raise ValueError(
                    f"column {col.original!r} was numeric during fit but has dtype {s.dtype}; convert it with pd.to_numeric"
                )

    def _schema(self, frame: pd.DataFrame, target: str, classes: tuple[str, ...], rules: RuleSet | None) -> Schema:
        cols = list(infer_columns(frame))
        positive = rules.positive if rules is not None else None
        return Schema(tuple([*cols, Column(target, target, "categorical", classes)]), target, classes, positive)

    def _tensors(self, frame: pd.DataFrame) -> dict[str, Any]:
        import torch

        enc = self.encoder_.transform(frame)
        forced = self._forced(frame)
        return {
            "numeric": torch.from_numpy(enc.numeric),
            "missing": torch.from_numpy(enc.missing),
            "codes": torch.from_numpy(enc.codes),
            "forced": torch.from_numpy(forced),
        }

    def _forced(self, frame: pd.DataFrame) -> np.ndarray:
        """Class index forced by the hard rules per row (−1 where none fires)."""
        hard = self.compiled_.hard
        forced = np.full(len(frame), -1, dtype=np.int64)
        if not hard:
            return forced
        truth = holds_many([b for _, b, _ in hard], frame, self.schema_)
        for j in range(len(hard) - 1, -1, -1):  # earlier rules win (they never disagree after compile)
            forced[truth[:, j]] = hard[j][2]
        return forced

    # --------------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any = None) -> SNASClassifier:
        """Train the network on (X, y); returns self."""
        import torch
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        from snas.training import TrainingData, train_network

        start = time.perf_counter()
        for stale in ("_searched_spec", "best_model_", "pareto_front_", "search_history_", "search_result_"):
            self.__dict__.pop(stale, None)
        if y is None:
            raise ValueError("SNASClassifier requires y to be passed, but the target y is None.")
        frame = self._as_frame(X, fitting=True)
        y_arr = column_or_1d(np.asarray(y), warn=True)
        if len(y_arr) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y_arr)}; they must match.")
        check_classification_targets(y_arr)
        self.classes_, y_idx = np.unique(y_arr, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"SNASClassifier needs at least two classes in y; got only one class: {self.classes_[0]!r}."
            )
        if not 0 <= self.validation_fraction < 1:
            raise ConfigError(
                f"The 'validation_fraction' parameter of SNASClassifier must be a float in [0, 1). Got {self.validation_fraction!r} instead."
            )
        if self.search is not None or self.budget is not None:
            self._run_search(frame, y_arr)
        spec = self._prepare(frame, y_arr, y_name=getattr(y, "name", None), checked=True)
        old_threads = torch.get_num_threads()
        if self.n_threads:
            torch.set_num_threads(self.n_threads)
        try:
            torch.manual_seed(self.seed_)
            self.network_ = self._build(spec)
            self.n_parameters_ = self.network_.n_parameters()
            limit = self.compiled_.max_parameters
            if limit is not None and self.n_parameters_ > limit:
                raise ConfigError(
                    f"the architecture has {self.n_parameters_:,} parameters but the rules allow at most {limit:,} "
                    "(constraints.max_parameters); choose narrower layers or a smaller encoding"
                )
            t = self._tensors(frame)
            loss_rules = [
                (rid, body, k, w) for rid, body, k, w in self.compiled_.soft if spec.mode(rid) in ("loss", "both")
            ]
            body = holds_many([b for _, b, _, _ in loss_rules], frame, self.schema_).astype(np.float32)
            data = TrainingData(
                t["numeric"],
                t["missing"],
                t["codes"],
                torch.from_numpy(y_idx.astype(np.int64)),
                t["forced"],
                torch.from_numpy(body),
                torch.tensor([k for *_, k, _ in loss_rules], dtype=torch.long),
                torch.tensor([w for *_, w in loss_rules], dtype=torch.float32),
            )
            log = (
                (
                    lambda row: print(
                        f"epoch {int(row['epoch'])}: "
                        + ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k != "epoch")
                    )
                )
                if self.verbose
                else None
            )
            members = list(self.network_.members) if spec.members > 1 else [self.network_]
            self.train_results_ = []
            for k, member in enumerate(members):  # ensemble members: own seed, own validation split
                train, valid, split = self._split(data, y_idx, self.seed_ + k)
                if k == 0 and split is not None:
                    self.split_indices_ = split
                result = train_network(member, train, spec, valid=valid, seed=self.seed_ + k, callback=log)
                self.train_results_.append(result)
            self.train_result_ = self.train_results_[0]
        finally:
            if self.n_threads:
                torch.set_num_threads(old_threads)
        self.spec_ = spec
        self.fit_seconds_ = time.perf_counter() - start
        if hasattr(self, "_searched_spec"):
            self.best_model_ = self
        return self

    def _split(self, data: Any, y_idx: np.ndarray, seed: int) -> tuple[Any, Any, dict[str, np.ndarray] | None]:
        """Stratified (train, validation) for early stopping; no validation on tiny data."""
        import torch
        from sklearn.model_selection import train_test_split

        counts = np.bincount(y_idx)
        if not (self.validation_fraction > 0 and len(y_idx) >= 200 and counts.min() >= 5):
            return data, None, None
        tr, va = train_test_split(
            np.arange(len(y_idx)), test_size=self.validation_fraction, random_state=seed, stratify=y_idx
        )
        return data.subset(torch.from_numpy(tr)), data.subset(torch.from_numpy(va)), {"train": tr, "validation": va}

    def _prepare(self, X: Any, y: Any, y_name: str | None = None, *, checked: bool = False) -> Any:
        """Validate parameters, infer the schema, compile the rules and fit the encoder.

        ``checked``: X is already the frame :meth:`_as_frame` made (``fit`` passes it on).
        """
        from snas.nn import NetworkSpec, TabularEncoder, compile_rules

        frame = X if checked else self._as_frame(X, fitting=True)
        y_arr = np.asarray(y)
        if not hasattr(self, "classes_") or len(getattr(self, "classes_", [])) == 0:
            self.classes_ = np.unique(y_arr)
        spec = NetworkSpec.from_dict(getattr(self, "_searched_spec", None) or self.architecture)
        rules = self._rules()
        classes = tuple(str(c) for c in self.classes_)
        target = (
            rules.target if (rules is not None and rules.target) else (y_name or getattr(y, "name", None) or "target")
        )
        target = normalise_name(str(target))
        self.schema_ = self._schema(frame, target, classes, rules)
        self.compiled_ = compile_rules(rules, self.schema_, classes)
        dropped = set(self.compiled_.excluded) | (set(spec.drop_features) - set(self.compiled_.monotonic))
        features = [c.name for c in self.schema_.features if c.name not in dropped]
        self.encoder_ = TabularEncoder(self.schema_, features, n_bins=spec.n_bins).fit(frame)
        self.seed_ = _seed(self.random_state)
        return spec

    def _run_search(self, frame: pd.DataFrame, y: np.ndarray) -> None:
        """Search an architecture on (frame, y); the selected spec is then trained on all rows."""
        import dataclasses

        from snas.datasets import from_frame
        from snas.search import ExperimentConfig, SearchContext, load_config, parse_budget, run_search

        if isinstance(self.search, (str, Path)):
            cfg = load_config(self.search)
        else:
            cfg = ExperimentConfig(dataset="<frame>", rules=None, budget=parse_budget("5min"))
            if isinstance(self.search, dict):
                from snas.search._config import Screening, Selection, SpaceBounds

                kinds = {"space": SpaceBounds, "screening": Screening, "selection": Selection}
                over = {k: (kinds[k](**v) if k in kinds and isinstance(v, dict) else v) for k, v in self.search.items()}
                cfg = dataclasses.replace(cfg, **over)
        cfg = dataclasses.replace(cfg, seed=_seed(self.random_state), storage=None)
        if self.budget is not None:
            cfg = dataclasses.replace(cfg, budget=parse_budget(self.budget))
        rules = self._rules()
        target = (rules.target if rules is not None and rules.target else "target") or "target"
        full = frame.copy()
        full[target] = np.asarray(y).astype(str)
        data = from_frame(full, target=target)
        context = SearchContext(data, rules, cfg)
        result = run_search(cfg, context, storage_url="memory", progress=bool(self.verbose))
        self.search_result_ = result
        self.pareto_front_ = pd.DataFrame([{"number": e.number, **e.metrics, "spec": e.spec} for e in result.front])
        self.search_history_ = pd.DataFrame(
            [{"number": e.number, "state": e.state, **e.metrics, "spec": e.spec} for e in result.evaluations]
        )
        self._searched_spec = result.selected.spec

    def _build(self, spec: Any) -> Any:
        """The untrained network for ``spec`` (a NetworkSpec or dict) on the prepared data."""
        from snas.nn import NetworkSpec, SNASEnsemble, SNASNetwork, TabularEncoder

        if isinstance(spec, dict):
            spec = NetworkSpec.from_dict(spec)
        encoder = self.encoder_
        dropped = set(spec.drop_features) - set(self.compiled_.monotonic)
        if dropped & set(encoder.features):
            state = encoder.state()
            encoder = TabularEncoder(self.schema_, [f for f in encoder.features if f not in dropped], spec.n_bins)
            num_index = {f: i for i, f in enumerate(self.encoder_.numeric)}
            sel = [num_index[f] for f in encoder.numeric]
            encoder.mean_ = np.asarray(state["mean"])[sel] if sel else np.zeros(0)
            encoder.std_ = np.asarray(state["std"])[sel] if sel else np.zeros(0)
            encoder.has_missing_ = np.asarray(state["has_missing"], dtype=bool)[sel] if sel else np.zeros(0, bool)
            encoder.edges_ = [self.encoder_.edges_[i] for i in sel]
        if spec.members == 1:
            return SNASNetwork(spec, encoder, self.compiled_)
        return SNASEnsemble([SNASNetwork(spec, encoder, self.compiled_) for _ in range(spec.members)])

    # ----------------------------------------------------------------- predict
    def _network_proba(self, frame: pd.DataFrame, shield: bool | None = None) -> np.ndarray:
        import torch

        from snas.nn import functional as F

        t = self._tensors(frame)
        out = []
        self.network_.eval()  # safe: torch inference mode, not Python eval
        with torch.no_grad():
            for s in range(0, len(frame), 16384):
                sl = slice(s, s + 16384)
                p = F.output_probabilities(self.network_(t["numeric"][sl], t["missing"][sl], t["codes"][sl]))
                if self.spec_.shield if shield is None else shield:
                    p = F.apply_shield(p, t["forced"][sl])
                out.append(p)
        return torch.cat(out).double().numpy() if out else np.zeros((0, len(self.classes_)))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, n_classes); rows decided by a hard rule are exactly 0/1."""
        check_is_fitted(self)
        return self._network_proba(self._as_frame(X, fitting=False))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def explain_rules(self, X: Any) -> pd.Series:
        """For each row, the id of the hard rule that decided it (None where the network did)."""
        check_is_fitted(self)
        frame = self._as_frame(X, fitting=False)
        hard = self.compiled_.hard
        out = np.full(len(frame), None, dtype=object)
        if hard:
            truth = holds_many([b for _, b, _ in hard], frame, self.schema_)
            for j in range(len(hard) - 1, -1, -1):
                out[truth[:, j]] = hard[j][0]
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.Series(out, index=index, name="deciding_rule")

    def rule_report(self, X: Any, y: Any = None) -> pd.DataFrame:
        """Per-rule fidelity on X (support, coverage, violation rate with Wilson interval,
        compliance, expected violation, and with y: label agreement, excess violation)."""
        from snas.metrics import rule_metrics

        check_is_fitted(self)
        frame = self._as_frame(X, fitting=False)
        proba = self._network_proba(frame)
        pred = self.classes_[np.argmax(proba, axis=1)]
        return rule_metrics(
            self.compiled_.rules,
            frame,
            pred.astype(str),
            proba,
            [str(c) for c in self.classes_],
            None if y is None else np.asarray(y).astype(str),
            self.schema_,
        )

    # ---------------------------------------------------------------- save/load
    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` + ``model.json`` into directory ``path`` (atomically)."""
        from snas._version import __version__

        check_is_fitted(self)
        rules = self.compiled_.rules
        meta = {
            "snas_version": __version__,
            "params": {"validation_fraction": self.validation_fraction, "random_state": self.random_state},
            "seed": self.seed_,
            "classes": [c.item() if hasattr(c, "item") else c for c in self.classes_],
            "feature_names_in": None
            if getattr(self, "feature_names_in_", None) is None
            else list(self.feature_names_in_),
            "n_features_in": self.n_features_in_,
            "schema": self.schema_.to_dict(),
            "spec": self.spec_.to_dict(),
            "encoder": self.encoder_.state(),
            "rules_text": rules.text if len(rules) else None,
            "rules_path": rules.path,
            "rules_sha256": rules.sha256 if len(rules) else None,
            "compiled": self.compiled_.to_dict(),
            "n_parameters": self.n_parameters_,
            "training": [
                {"epochs": r.epochs, "best_epoch": r.best_epoch, "seconds": round(r.seconds, 3)}
                for r in self.train_results_
            ],
        }
        from snas._model_io import write_model_files

        return write_model_files(path, meta, self.network_.state_dict())

    @classmethod
    def load(cls, path: str | Path) -> SNASClassifier:
        """Load a model saved with :meth:`save`; refuses tampered or foreign files."""
        from snas._model_io import read_model_files
        from snas.nn import NetworkSpec, TabularEncoder, compile_rules

        meta, state = read_model_files(path)
        try:
            rules = parse_rules(meta["rules_text"], meta.get("rules_path")) if meta.get("rules_text") else None
            clf = cls(
                rules=rules,
                validation_fraction=meta["params"]["validation_fraction"],
                random_state=meta["params"]["random_state"],
            )
            clf.classes_ = np.asarray(meta["classes"])
            if meta.get("feature_names_in") is not None:
                clf.feature_names_in_ = np.asarray(meta["feature_names_in"], dtype=object)
            clf.n_features_in_ = meta["n_features_in"]
            clf.schema_ = Schema.from_dict(meta["schema"])
            clf.spec_ = NetworkSpec.from_dict(meta["spec"])
            clf.architecture = meta["spec"]
            clf.compiled_ = compile_rules(rules, clf.schema_, tuple(str(c) for c in clf.classes_))
            clf.encoder_ = TabularEncoder.from_state(clf.schema_, meta["encoder"])
            clf.seed_ = meta["seed"]
            net = clf._build(clf.spec_)
            net.load_state_dict(state, strict=True)
        except (KeyError, TypeError, RuntimeError, ValueError) as exc:
            raise ModelFileError(
                f"{path}: the model files are inconsistent ({exc.__class__.__name__}: {str(exc)[:200]})"
            ) from None
        net.eval()  # safe: torch inference mode, not Python eval
        clf.network_ = net
        clf.n_parameters_ = meta["n_parameters"]
        from snas.training import TrainResult

        clf.train_results_ = [
            TrainResult(r["epochs"], r["best_epoch"], None, r["seconds"]) for r in meta.get("training", [])
        ]
        clf.train_result_ = clf.train_results_[0] if clf.train_results_ else TrainResult(0, 0, None, 0.0)
        clf.fit_seconds_ = sum(r.seconds for r in clf.train_results_)
        return clf
