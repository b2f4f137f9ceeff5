"""SNASClassifier: the scikit-learn front door, a thin adapter over the model layer and the search.

``rules=`` brings expert knowledge (hard rules are guaranteed by an output shield, soft
rules are encouraged by losses and knowledge neurons, monotonic and excluded features are
guaranteed by construction); ``architecture=`` fixes the network; ``budget=`` or
``search=`` searches it instead.
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

from snas._util import is_number
from snas.datasets import normalise_name
from snas.exceptions import ConfigError
from snas.rules import RuleSet

__all__ = ["SNASClassifier"]

_SEARCH_ATTRS = ("best_model_", "pareto_front_", "search_history_", "search_result_")


def _check_random_state(random_state: Any) -> None:
    """ConfigError unless ``random_state`` is None, an int in [0, 2**31 − 1] or a RandomState
    (scikit-learn's ``check_random_state`` types; the range of the search's ``--seed``)."""
    if random_state is None or isinstance(random_state, np.random.RandomState):
        return
    whole = isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool)
    if whole and 0 <= random_state < 2**31:
        return
    raise ConfigError(
        "The 'random_state' parameter of SNASClassifier must be an int in [0, 2**31 - 1], a numpy RandomState "
        f"or None. Got {random_state!r} instead."
    )


def _seed(random_state: Any) -> int:
    """None → 0; an int as is; a RandomState → a draw from it (ConfigError for anything else)."""
    _check_random_state(random_state)
    if random_state is None:
        return 0
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31 - 1))
    return int(random_state)


class SNASClassifier(ClassifierMixin, BaseEstimator):
    """Neuro-symbolic classifier for tabular data.

    Parameters
    ----------
    rules : RuleSet, path or None
        Expert rules (:func:`snas.load_rules`). Hard rules hold on every prediction.
    architecture : dict or None
        Network and training choices (any :class:`snas.nn.NetworkSpec` field, e.g.
        ``{"layers": [64, 64], "members": 3}``); None → defaults.
    search : dict, path or None
        Search the architecture instead: a ``search/*.yaml`` path or a dict of its keys
        (strategy, space, selection …), validated exactly like the CLI's configuration.
        Sets ``pareto_front_``, ``search_history_`` and ``best_model_``.
    budget : str or None
        Search budget such as ``"5min"`` or ``"40trials"``; giving it switches search on.
    validation_fraction : float
        Share of the training rows each member holds out (stratified) for early stopping.
    random_state : int or None
        Fixes the split, initialisation, batches and search (None → 0).
    verbose : int
        0 silent, 1 one line per epoch (or search progress).

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_ : as in scikit-learn (``classes_`` keeps y's dtype).
    model_ : FittedModel
        Task, spec and trained network (the model layer).
    network_, spec_, schema_, compiled_, encoder_ : parts of ``model_``.
    n_parameters_ : int
        Trainable parameters of the kept model (an MLP: all members; a glass box keeps its
        members' mean as one; an ensemble: all its parts).
    fit_seconds_ : float
        Wall-clock seconds of the last ``fit`` (search included); after :meth:`load`, the
        saved model's training time (``model_.fit_seconds``).
    seed_ : int
        The seed the network was initialised with (member m: ``seed_ + m``).
    split_indices_ : dict
        Row positions (``train``, ``validation``) of the first member's split (with several
        members, the others may train on its validation rows); absent when the fitted model
        records none (a search's ensemble, a loaded model).
    train_results_ : list of TrainResult
        One per ensemble member; ``train_result_`` is the first.
    defaults_ : dict
        Settings that followed the data (see :func:`snas.model.adapt_to_rows`): the default
        network is a glass box (``{"family": "additive", "shape_bins": 8, "members": 8,
        "ema_decay": 0.9}`` on a few hundred rows; from 1,000 rows ``"learning_rate": 0.01``,
        from 2,000 rows 16-bin shapes and one member, from 5,000 rows up to 10 best-ranked
        ``"pairs"``) unless ``architecture`` names the family or an MLP-only
        field; never a field given in ``architecture``.

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
        verbose: int = 0,
    ) -> None:
        self.rules = rules
        self.architecture = architecture
        self.search = search
        self.budget = budget
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.non_deterministic = False
        return tags

    # --------------------------------------------------------------------- fit
    def fit(self, X: Any, y: Any = None) -> SNASClassifier:
        """Train the network (or search one) on (X, y); returns self.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Categorical columns as strings or pandas categoricals; NaN marks missing values.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        SNASClassifier
            The fitted estimator.
        """
        start = time.perf_counter()
        for stale in (*_SEARCH_ATTRS, "split_indices_"):
            self.__dict__.pop(stale, None)
        _check_random_state(self.random_state)  # a bad one is refused before any work (no draw taken)
        frame, labels = self._check_fit_input(X, y)
        rules = self._rules()
        target = normalise_name(
            str(rules.target if rules is not None and rules.target else (getattr(y, "name", None) or "target"))
        )
        if self.search is not None or self.budget is not None:
            self.defaults_: dict[str, Any] = {}
            model = self._run_search(frame, labels, rules, target)
        else:
            model = self._train(frame, labels, rules, target)
        self._set_model(model)
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _check_fit_input(self, X: Any, y: Any) -> tuple[pd.DataFrame, np.ndarray]:
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        if y is None:
            raise ValueError("SNASClassifier requires y to be passed, but the target y is None.")
        frame = self._as_frame(X, fitting=True)
        y_arr = column_or_1d(np.asarray(y), warn=True)
        if len(y_arr) != len(frame):
            raise ValueError(f"X has {len(frame)} rows but y has {len(y_arr)}; they must match.")
        _check_labels(y_arr)
        check_classification_targets(y_arr)
        try:
            self.classes_ = np.unique(y_arr)
        except TypeError:
            kinds = sorted({type(v).__name__ for v in y_arr})
            raise ValueError(f"the labels of y cannot be sorted: they mix types {kinds}; use one label type") from None
        if len(self.classes_) < 2:
            raise ValueError(
                f"SNASClassifier needs at least two classes in y; got only one class: {self.classes_[0]!r}."
            )
        if len({str(c) for c in self.classes_}) != len(self.classes_):
            raise ValueError(f"the classes {list(self.classes_)} are not distinct as text; use one label type")
        vf = self.validation_fraction
        if isinstance(vf, bool) or not isinstance(vf, (int, float)) or not 0 <= vf < 1:
            raise ConfigError(
                f"The 'validation_fraction' parameter of SNASClassifier must be a float in [0, 1). Got {vf!r} instead."
            )
        return frame, np.asarray([str(v) for v in y_arr], dtype=object)

    def _train(self, frame: pd.DataFrame, labels: np.ndarray, rules: RuleSet | None, target: str) -> Any:
        from snas.model import FittedModel, Task, adapt_to_rows, glass_box_fields
        from snas.nn import NetworkSpec, rank_pairs

        seed = _seed(self.random_state)
        spec = NetworkSpec.from_dict(glass_box_fields(self.architecture))
        task = Task.fit(
            frame,
            labels,
            rules,
            target=target,
            classes=self._class_names(),
            n_bins=spec.n_bins,
            neuron_sharpness=spec.neuron_sharpness,
        )
        unknown = spec.unknown_names(list(task.schema.feature_names), list(task.compiled.soft_ids))
        if unknown:
            raise ConfigError("architecture: " + "; ".join(unknown))

        def ranked(n: int) -> tuple[tuple[str, str], ...]:
            fit = task.training_data(frame, labels)
            return rank_pairs(
                task.layout,
                fit.inputs,
                fit.y,
                fit.forced,
                n=n,
                seed=seed,
                exclude=spec.drop_features,
                positive_only=True,
            )

        spec, self.defaults_ = adapt_to_rows(
            spec, len(frame), self.validation_fraction, set(self.architecture or {}), ranked
        )
        log = _epoch_printer() if self.verbose else None
        return FittedModel.train(
            task,
            spec,
            frame,
            labels,
            seed=seed,
            validation_fraction=self.validation_fraction,
            callback=log,
        )

    def _run_search(self, frame: pd.DataFrame, labels: np.ndarray, rules: RuleSet | None, target: str) -> Any:
        """Search an architecture on (frame, y); the selected model is the fitted one."""
        from snas.search import search_frame

        result = search_frame(
            frame,
            labels,
            rules,
            target=target,
            classes=self._class_names(),
            search=self.search,
            budget=self.budget,
            seed=_seed(self.random_state),
            progress=bool(self.verbose),
        )
        self.search_result_ = result
        self.pareto_front_ = result.front_frame()
        self.search_history_ = result.history_frame()
        self.best_model_ = self
        return result.model

    def _set_model(self, model: Any) -> None:
        self.model_ = model
        self.network_ = model.network
        self.spec_ = model.spec
        self.schema_ = model.task.schema
        self.compiled_ = model.task.compiled
        self.encoder_ = model.task.encoder
        self.seed_ = model.seed
        self.n_parameters_ = model.n_parameters
        self.train_results_ = list(model.results)
        self.train_result_ = self.train_results_[0]
        if model.split:
            self.split_indices_ = model.split
        else:  # a search's model records no split: none from an earlier fit survives
            self.__dict__.pop("split_indices_", None)

    def _class_names(self) -> tuple[str, ...]:
        return tuple(str(c) for c in self.classes_)

    def _rules(self) -> RuleSet | None:
        from snas.rules import load_rules

        if self.rules is None or isinstance(self.rules, RuleSet):
            return self.rules
        if isinstance(self.rules, (str, Path)):
            return load_rules(self.rules)
        raise ConfigError(
            f"The 'rules' parameter of SNASClassifier must be a RuleSet, a path or None. Got {type(self.rules).__name__}."
        )

    # ----------------------------------------------------------- input checks
    def _as_frame(self, X: Any, *, fitting: bool, soft_rules: bool = False) -> pd.DataFrame:
        """Validate X and return a frame with normalised column names. At prediction the
        columns the model does not read (excluded features, inputs the network drops) may
        be absent from a DataFrame; they are passed on all missing, given or not.
        ``soft_rules``: the soft rules' features are read too (the rule report)."""
        if isinstance(X, pd.DataFrame):
            from snas.model import check_rows

            check_rows(X, called="X")
        if isinstance(X, pd.DataFrame) and all(isinstance(c, str) for c in X.columns):
            frame = self._named_frame(X, fitting=fitting, soft_rules=soft_rules)
        elif isinstance(X, pd.DataFrame):
            self._check_count(X.shape[1], fitting)
            if fitting:
                self.__dict__.pop("feature_names_in_", None)
                self.n_features_in_ = X.shape[1]
            frame = X.set_axis([f"x{i}" for i in range(X.shape[1])], axis=1)
        else:
            frame = self._array_frame(X, fitting=fitting, soft_rules=soft_rules)
        return frame if fitting else self._blank_unread(frame, soft_rules)

    def _reads(self, soft_rules: bool) -> dict[str, list[str]]:
        """Normalised feature name → what reads it at prediction (:meth:`FittedModel.features_read`)."""
        return self.model_.features_read(soft_rules=soft_rules)

    def _blank_unread(self, frame: pd.DataFrame, soft_rules: bool) -> pd.DataFrame:
        """``frame`` with every column the model does not read all missing: no prediction can
        depend on it, and its values are neither checked nor warned about."""
        from snas._prediction_input import blank_column

        reads = self._reads(soft_rules)
        unread = {c.name: blank_column(c, len(frame)) for c in self.schema_.features if c.name not in reads}
        if not unread:
            return frame
        return frame.assign(**{k: pd.Series(v, index=frame.index) for k, v in unread.items()})

    def _check_count(self, n: int, fitting: bool) -> None:
        if not fitting and n != self.n_features_in_:
            raise ValueError(
                f"X has {n} features, but SNASClassifier is expecting {self.n_features_in_} features as input."
            )

    def _named_frame(self, X: pd.DataFrame, *, fitting: bool, soft_rules: bool = False) -> pd.DataFrame:
        names = [str(c) for c in X.columns]
        if fitting:
            if len(X) == 0:
                raise ValueError(
                    f"Found array with 0 sample(s) (shape=(0, {X.shape[1]})) while a minimum of 1 is required."
                )
            _check_distinct(names)
            self.feature_names_in_ = np.asarray(names, dtype=object)
            self.n_features_in_ = len(names)
            return X.rename(columns={c: normalise_name(c) for c in X.columns})
        expected = getattr(self, "feature_names_in_", None)
        if expected is None:
            warnings.warn(
                "X has feature names, but SNASClassifier was fitted without feature names",
                UserWarning,
                stacklevel=4,
            )
            return self._array_frame(X.to_numpy(), fitting=False, soft_rules=soft_rules)
        expected = [str(c) for c in expected]
        norm = {c: normalise_name(c) for c in expected}
        reads = self._reads(soft_rules)
        _check_names(names, expected, {c: reads[norm[c]] for c in expected if norm[c] in reads})
        given = [c for c in expected if c in names]
        frame = X[given].rename(columns=norm)
        self._check_dtypes(frame, reads)
        absent = {norm[c]: np.nan for c in expected if c not in names}  # unread: blanked by _as_frame
        return frame.assign(**absent)[[norm[c] for c in expected]] if absent else frame

    def _array_frame(self, X: Any, *, fitting: bool, soft_rules: bool = False) -> pd.DataFrame:
        from sklearn.utils.validation import check_array

        def numbers(given: Any) -> np.ndarray:
            return check_array(given, dtype=np.float64, ensure_all_finite="allow-nan", ensure_min_samples=1)

        if fitting:
            arr = numbers(X)
            self.n_features_in_ = arr.shape[1]
            self.__dict__.pop("feature_names_in_", None)
            return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        if getattr(self, "feature_names_in_", None) is None:
            arr = numbers(X)
            self._check_count(arr.shape[1], fitting)
            return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])
        raw = check_array(X, dtype=None, ensure_all_finite=False, ensure_min_samples=1)  # the shape, any dtype
        self._check_count(raw.shape[1], fitting)
        warnings.warn(
            "X does not have valid feature names, but SNASClassifier was fitted with feature names",
            UserWarning,
            stacklevel=4,
        )
        reads = self._reads(soft_rules)
        for c, name in zip(self.schema_.features, self.feature_names_in_, strict=False):
            if c.kind != "numeric" and c.name in reads:
                raise ValueError(
                    f"column {str(name)!r} is categorical: pass a DataFrame with the columns named as at fit "
                    "(pd.DataFrame(X, columns=clf.feature_names_in_)), not an array"
                )
        arr = numbers(raw)
        frame = pd.DataFrame(arr, columns=list(self.feature_names_in_))
        return frame.rename(columns={c: normalise_name(c) for c in frame.columns})

    def _check_dtypes(self, frame: pd.DataFrame, reads: dict[str, list[str]]) -> None:
        """Numeric columns the model reads hold numbers (``frame`` has normalised names)."""
        names = dict(zip((c.name for c in self.schema_.features), self.feature_names_in_, strict=False))
        for col in self.schema_.features:
            if col.name not in reads or col.name not in frame.columns:
                continue
            s, name = frame[col.name], str(names.get(col.name, col.name))
            if col.kind != "numeric":
                _warn_unseen_levels(s, col, name)
            elif pd.api.types.is_bool_dtype(s) or not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
                raise ValueError(
                    f"column {name!r} was numeric during fit but has dtype {s.dtype}; "
                    + (
                        "give its numbers, not True/False"
                        if pd.api.types.is_bool_dtype(s)
                        else "convert it with pd.to_numeric"
                    )
                )

    # ----------------------------------------------------------------- predict
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, n_classes); rows decided by a hard rule are exactly 0/1.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns seen in ``fit`` (a DataFrame with the same names, or an array in the same order).
            A DataFrame may leave out the columns the model never reads (excluded features, inputs
            the network drops: those not in ``model_.features_read()``); given, they are ignored.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        return self.model_.predict_proba(self._as_frame(X, fitting=False))

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels (with y's dtype).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns seen in ``fit`` (a DataFrame with the same names, or an array in the same order).

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def explain_rules(self, X: Any) -> pd.Series:
        """For each row, the id of the hard rule that decided it (None where the network did).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns seen in ``fit`` (a DataFrame with the same names, or an array in the same order).

        Returns
        -------
        Series of shape (n_samples,)
            Named ``deciding_rule``, with X's index when X is a DataFrame.
        """
        check_is_fitted(self)
        out = self.model_.deciding_rules(self._as_frame(X, fitting=False))
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.Series(out, index=index, name="deciding_rule", dtype=object)

    def explain(self, X: Any, target: Any = None) -> Any:
        """Exact per-term reasons of a glass-box model for each row of X, read as ``predict``
        reads X (the column names given at fit, any order; or an array in fit's order).

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns seen in ``fit`` (a DataFrame with the same names, or an array in the same order).
        target : class label, optional
            The class whose logit is explained, one of ``classes_`` (binary models: the last
            class, the only logit; multiclass: default the positive class).

        Returns
        -------
        Explanation
            What :meth:`FittedModel.explain` returns: ``contributions`` (``bias`` and one column
            per term, named by the normalised feature names, with X's index when X is a
            DataFrame) summing to ``logit`` on every row, ``probability`` after the shield,
            ``deciding_rule`` and ``target`` (the class as text).

        Raises
        ------
        SNASError
            For an MLP or an ensemble with MLP parts (explain those with the audit's SHAP values).

        Examples
        --------
        >>> e = clf.explain(X.head(3))  # doctest: +SKIP
        >>> e.contributions.sum(axis=1)  # == e.logit  # doctest: +SKIP
        """
        check_is_fitted(self)
        frame = self._as_frame(X, fitting=False)
        if isinstance(X, pd.DataFrame):
            frame = frame.set_axis(X.index, axis=0)
        return self.model_.explain(frame, None if target is None else str(target))

    def rule_report(self, X: Any, y: Any = None) -> pd.DataFrame:
        """Per-rule fidelity on X: support, coverage, violation rate with Wilson interval,
        compliance, expected violation; with y also label agreement and excess violation.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns seen in ``fit`` (a DataFrame with the same names, or an array in the same order).
        y : array-like of shape (n_samples,), optional
            True labels; without them ``label_agreement`` and ``excess_violation`` are None.

        Returns
        -------
        DataFrame
            One row per rule: ``rule``, ``strength``, ``head``, ``weight``, ``support``,
            ``coverage``, ``violations``, ``violation_rate`` (``_low`` / ``_high``: Wilson 95%),
            ``compliance``, ``expected_violation``, ``label_agreement``, ``excess_violation``.
        """
        from snas.metrics import rule_metrics

        check_is_fitted(self)
        frame = self._as_frame(X, fitting=False, soft_rules=True)
        proba = self.model_.predict_proba(frame)
        classes = list(self._class_names())
        pred = np.asarray(classes, dtype=object)[proba.argmax(1)]
        truth = None if y is None else np.asarray([str(v) for v in np.asarray(y)], dtype=object)
        return rule_metrics(self.compiled_.rules, frame, pred, proba, classes, truth, self.schema_)

    # ---------------------------------------------------------------- save/load
    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` + ``model.json`` into directory ``path`` (atomically).

        Parameters
        ----------
        path : str or Path
            The model directory (created if needed).

        Returns
        -------
        Path
            The directory.
        """
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        self.model_.extra = {
            "estimator": {
                "classes": [c.item() if hasattr(c, "item") else c for c in self.classes_],
                "classes_dtype": self.classes_.dtype.str if self.classes_.dtype != object else "object",
                "feature_names_in": None if names is None else [str(n) for n in names],
                "n_features_in": int(self.n_features_in_),
                "params": {
                    "validation_fraction": self.validation_fraction,
                    "random_state": int(rs) if isinstance(rs := self.random_state, (int, np.integer)) else None,
                    **self._fit_choice_record(),
                },
                "defaults": dict(getattr(self, "defaults_", {})),
            }
        }
        return self.model_.save(path)

    def _fit_choice_record(self) -> dict[str, Any]:
        """How a refit of the loaded model trains (``architecture``, ``budget``, ``search``): a
        fixed network as given at fit; a searched single network as its spec (a refit trains that
        network, without searching); a searched ensemble, which no one spec describes, as the
        search that found it (a refit searches again)."""
        from snas.model import EnsembleModel

        if self.search is None and self.budget is None:
            return {"architecture": self._architecture_record(), "budget": None, "search": None}
        if not isinstance(self.model_, EnsembleModel):
            return {"architecture": self.model_.spec.to_dict(), "budget": None, "search": None}
        import json

        search = json.loads(json.dumps(self.search, default=str))  # a path (or a Path in a mapping) as text
        return {"architecture": None, "budget": self.budget, "search": search}

    def _architecture_record(self) -> dict[str, Any] | None:
        """The ``architecture`` given at fit, as JSON (else the fitted spec): a loaded model
        refits with the defaults chosen anew for its data, as this one did."""
        import json

        try:
            json.dumps(self.architecture)
        except (TypeError, ValueError):
            return self.model_.spec.to_dict()
        return self.architecture

    @classmethod
    def load(cls, path: str | Path) -> SNASClassifier:
        """Load a model saved with :meth:`save` (or by ``snas search``); refuses tampered files.

        Parameters
        ----------
        path : str or Path
            A model directory, e.g. ``models/census`` or a run's ``runs/census/model``.

        Returns
        -------
        SNASClassifier
            Fitted; ``rules`` are the saved model's. ``architecture``, ``budget`` and ``search``
            say what a refit (``clone(loaded).fit``) trains: a model fitted with
            ``architecture=`` keeps what was given, so a refit chooses the data-dependent
            defaults anew; a searched single network (``budget=`` / ``search=``, or a ``snas
            search`` run's) gets its network spec as ``architecture`` and no budget, so a refit
            trains that network without searching; an ensemble found by ``budget=`` /
            ``search=`` keeps those (``architecture`` None), so a refit searches again; an
            ensemble written by ``snas search`` gets its heaviest part's spec, so a refit
            trains that one network, not an ensemble.

        Raises
        ------
        ModelFileError
            When the files are missing, tampered with, or inconsistent (naming the field).
        """
        from snas.model import FittedModel

        model = FittedModel.load(path)
        info = _estimator_record(path, model)
        clf = cls(rules=model.task.rules if len(model.task.rules) else None, architecture=model.spec.to_dict())
        clf.set_params(**info["params"])
        clf.classes_ = info["classes"]  # labels of an object y stay objects: predict returns y's dtype
        if info["feature_names_in"] is not None:
            clf.feature_names_in_ = np.asarray(info["feature_names_in"], dtype=object)
        clf.n_features_in_ = info["n_features_in"]
        clf._set_model(model)
        clf.fit_seconds_ = model.fit_seconds
        clf.defaults_ = info["defaults"]
        return clf


#: The parameters a saved estimator records: each with a test of its value and what it must be.
_RECORD_PARAMS: dict[str, tuple[Any, str]] = {
    "validation_fraction": (lambda v: is_number(v) and 0 <= v < 1, "a number in [0, 1)"),
    "random_state": (lambda v: v is None or type(v) is int, "an integer or null"),  # fit checks the range
    "architecture": (lambda v: v is None or isinstance(v, dict), "a mapping of NetworkSpec fields or null"),
    "budget": (
        lambda v: v is None or (isinstance(v, (str, int, dict)) and not isinstance(v, bool)),
        "a budget such as '5min', 40 or {time: 5min}, or null",
    ),
    "search": (lambda v: v is None or isinstance(v, (str, dict)), "a path, a mapping or null"),
}


def _estimator_record(path: str | Path, model: Any) -> dict[str, Any]:
    """The estimator's record of a loaded model (``extra.estimator``; a ``snas search`` model has
    none: its task's classes and feature names) checked field by field: ModelFileError naming
    the field, never a TypeError later in ``predict``."""
    from snas.exceptions import ModelFileError

    def fail(field: str, problem: str) -> ModelFileError:
        return ModelFileError(
            f"{path}: model.json: 'extra.estimator{field}' {problem}; the file was edited or written by another "
            "program — restore the original files or save the model again"
        )

    info = model.extra.get("estimator")
    if info is not None and not isinstance(info, dict):
        raise fail("", f"must be a mapping, got {type(info).__name__}")
    info = info or {}
    features = [c.name for c in model.task.schema.features]
    names = info.get("feature_names_in", features)
    _check_record_names(names, features, fail)
    n = info.get("n_features_in", len(features))
    if type(n) is not int or n != len(features):
        raise fail(".n_features_in", f"must be {len(features)}, the model's number of features; got {n!r}"[:300])
    params = info.get("params", {})
    if not isinstance(params, dict):
        raise fail(".params", f"must be a mapping, got {type(params).__name__}")
    for key, value in params.items():
        if key not in _RECORD_PARAMS:
            raise fail(f".params.{key}", f"is not a parameter it records ({', '.join(_RECORD_PARAMS)})")
        if not _RECORD_PARAMS[key][0](value):
            raise fail(f".params.{key}", f"must be {_RECORD_PARAMS[key][1]}; got {value!r}"[:300])
    defaults = info.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise fail(".defaults", f"must be a mapping, got {type(defaults).__name__}")
    classes = _record_classes(info, model.task.classes, fail)
    return {"classes": classes, "feature_names_in": names, "n_features_in": n, "params": params, "defaults": defaults}


def _check_record_names(names: Any, features: list[str], fail: Any) -> None:
    """``feature_names_in`` is null for a model fitted on an array (features ``x0``, ``x1``, …),
    else one name per feature, in order, each normalising to the feature's name."""
    if names is None:
        if features != [f"x{i}" for i in range(len(features))]:
            raise fail(".feature_names_in", "is null, but the model was fitted on named columns")
        return
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise fail(".feature_names_in", "must be a list of column names (text) or null")
    if len(names) != len(features):
        raise fail(".feature_names_in", f"has {len(names)} names for the model's {len(features)} features")
    for name, feature in zip(names, features, strict=True):
        try:
            same = normalise_name(name) == feature
        except ValueError:
            same = False
        if not same:
            raise fail(".feature_names_in", f"names {name!r} where the model's feature is {feature!r}"[:300])


def _record_classes(info: dict[str, Any], classes: tuple[str, ...], fail: Any) -> np.ndarray:
    """``classes_`` as saved (with y's dtype), checked to be the model's classes as text."""
    values = info.get("classes", list(classes))
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float, bool)) for v in values):
        raise fail(".classes", "must be a list of class labels (text or numbers)")
    dtype = info.get("classes_dtype")  # None: a search's model (text classes)
    if dtype is not None and not isinstance(dtype, str):
        raise fail(".classes_dtype", f"must be a numpy dtype name such as '<i8' or 'object', got {dtype!r}"[:300])
    try:
        out = np.asarray(values, dtype=object if dtype == "object" else dtype)
    except (TypeError, ValueError, OverflowError) as exc:
        raise fail(".classes_dtype", f"({dtype!r}) cannot hold the classes {values!r} ({exc})"[:300]) from None
    if out.ndim != 1 or [str(c) for c in out] != list(classes):
        raise fail(".classes", f"({values!r}) do not match the model's classes {list(classes)}"[:300])
    return out


def _warn_unseen_levels(s: pd.Series, col: Any, name: str) -> None:
    """A warning naming the values of a categorical column that fit never saw: the model
    reads them as missing (``snas predict`` warns likewise)."""
    from snas._util import level_codes, respelled_levels

    values = s.dropna()
    respelled = respelled_levels(values, list(col.levels))
    if respelled:
        first = next(iter(respelled.items()))
        warnings.warn(
            f"column {name!r}: {len(respelled)} value(s) spell a level otherwise and are read as that level "
            f"(first {first[0]!r} as {first[1]!r})",
            UserWarning,
            stacklevel=5,
        )
    unseen = values[level_codes(values, list(col.levels)) < 0]
    if len(unseen):
        shown = sorted(set(unseen.astype(str)))
        warnings.warn(
            f"column {name!r}: {len(unseen)} row(s) hold level(s) not seen in fit {shown[:5]}"
            f"{' …' if len(shown) > 5 else ''}; the model reads them as missing. Known levels: {list(col.levels)[:10]}"
            f"{' …' if len(col.levels) > 10 else ''}",
            UserWarning,
            stacklevel=5,
        )


def _check_labels(y: np.ndarray) -> None:
    """Refuse missing labels (NaN, None, pd.NA) and labels that mix text with numbers: both
    would end in a TypeError while sorting the classes."""
    import pandas as pd

    missing = np.flatnonzero(pd.isna(y))
    if len(missing):
        raise ValueError(
            f"Input y contains NaN: {len(missing)} label(s) are missing (NaN, None or pd.NA), the first at position "
            f"{int(missing[0])} (counting from 0); drop those rows from X and y, or fill in their labels"
        )
    if y.dtype == object:
        distinct = pd.unique(y)  # hashed, mixed types included: the type test runs per distinct label
        text = np.fromiter((isinstance(v, str) for v in distinct), dtype=bool, count=len(distinct))
        if text.any() and not text.all():
            number, word = distinct[int(np.flatnonzero(~text)[0])], distinct[int(np.flatnonzero(text)[0])]
            raise ValueError(
                f"y mixes labels of different types (text such as {word!r} and {type(number).__name__} such as "
                f"{number!r}); use one label type, e.g. y.astype(str)"
            )


def _check_distinct(names: list[str]) -> None:
    """Column names stay distinct once normalised (``Age`` and ``age`` are one column)."""
    first: dict[str, str] = {}
    for name in names:
        norm = normalise_name(name)
        if norm in first:
            raise ValueError(
                f"columns {first[norm]!r} and {name!r} are the same column once names are normalised to "
                f"{norm!r} (lower case, '_' for other characters); rename or drop one of them"
            )
        first[norm] = name


def _check_names(names: list[str], expected: list[str], reads: dict[str, list[str]]) -> None:
    """Refuse names unseen at fit, and missing columns the model reads (``reads``: fit name →
    what reads it); the columns it does not read may be missing."""
    from snas._prediction_input import read_by

    missing = [c for c in expected if c not in names and c in reads]
    unseen = [c for c in names if c not in set(expected)]
    if missing or unseen:
        msg = "The feature names should match those that were passed during fit.\n"
        if unseen:
            msg += f"Feature names unseen at fit time: {unseen}\n"
        if missing:
            msg += f"Feature names seen at fit time, yet now missing: {missing}\n"
            unread = [c for c in expected if c not in reads]
            msg += f"The model reads them: {read_by(missing, reads)}.\n"
            if unread:
                msg += f"Only the columns it does not read may be left out: {unread}\n"
        raise ValueError(msg)


def _epoch_printer() -> Any:
    def log(row: dict[str, float]) -> None:
        print(f"epoch {int(row['epoch'])}: " + ", ".join(f"{k}={v:.4f}" for k, v in row.items() if k != "epoch"))

    return log
