"""Task: what is being learned — schema, classes, compiled rules and the fitted input encoder.

Built once per search (rules are compiled once) and shared by every candidate network;
turns raw frames into the tensors networks read and into the rule truths the shield and
the rule losses use (always from raw values, never from encodings).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from snas.datasets import Column, Schema, infer_columns
from snas.exceptions import ConfigError, ModelFileError
from snas.rules import Compare, Member, RuleSet, atoms, features_of, holds_many, parse_rules

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from snas.nn import CompiledRules, InputLayout, Inputs, KnowledgeNeurons, TabularEncoder
    from snas.training import TrainingData

__all__ = ["Task"]

Z_LIMIT = 100.0  # standardised inputs are clamped here: absurd values cannot make NaN scores


@dataclass(frozen=True)
class Task:
    """Schema, classes, compiled rules and the input encoder fitted on training rows.

    Use :meth:`Task.fit` to build one; every network of a search shares it.

    Parameters
    ----------
    schema : Schema
        Feature columns (normalised names, kinds, levels) and the target.
    classes : tuple of str
        Class labels in the model's order; the network models ``classes[-1]`` for a binary target.
    compiled : CompiledRules
        The rules validated against the schema and compiled for the network.
    encoder : TabularEncoder
        The input encoder fitted on the training rows (z-scores, quantile bins, level codes).
    neuron_sharpness : float, default=8.0
        Steepness of the knowledge neurons' fuzzy comparisons.

    Examples
    --------
    >>> from snas import Task, load_dataset, load_rules
    >>> data = load_dataset("census_income", data_dir="../shared/datasets")  # doctest: +SKIP
    >>> task = Task.fit(data.X_train, data.y_train, load_rules("rules/census_income.yaml"),
    ...                 target="income", schema=data.schema)  # doctest: +SKIP
    >>> task.classes, task.positive  # doctest: +SKIP
    (('<=50K', '>50K'), '>50K')
    >>> task.deciding_rules(data.X_test.head(3))  # doctest: +SKIP
    array(['young-never-married', None, None], dtype=object)
    """

    schema: Schema
    classes: tuple[str, ...]
    compiled: CompiledRules
    encoder: TabularEncoder
    neuron_sharpness: float = 8.0

    # ----------------------------------------------------------------- building
    @classmethod
    def fit(
        cls,
        X: pd.DataFrame,
        y: Any,
        rules: RuleSet | None,
        *,
        target: str = "target",
        classes: tuple[str, ...] | None = None,
        n_bins: int = 16,
        neuron_sharpness: float = 8.0,
        schema: Schema | None = None,
    ) -> Task:
        """Infer (or take) the schema, compile the rules and fit the encoder on ``X``.

        ``X`` has normalised column names; ``y`` holds class labels (compared as strings);
        ``classes`` fixes their order (default: sorted). Levels that a rule names but ``X``
        never shows join the schema (with a warning), so a rule about a rare group still
        decides its rows.

        Parameters
        ----------
        X : DataFrame
            Training features with normalised column names (as in ``load_dataset(...).X_train``).
        y : array-like of shape (n_samples,)
            Class labels, compared as strings.
        rules : RuleSet or None
            The expert rules; None builds a task without rules.
        target : str, default="target"
            Name of the target column in the inferred schema.
        classes : tuple of str, optional
            Class order; default the sorted distinct labels of ``y``.
        n_bins : int, default=16
            Quantile bins per numeric input of the encoder (``NetworkSpec.n_bins``).
        neuron_sharpness : float, default=8.0
            Steepness of the knowledge neurons (``NetworkSpec.neuron_sharpness``).
        schema : Schema, optional
            Use this schema (e.g. a dataset's) instead of inferring one from ``X``.

        Returns
        -------
        Task

        Raises
        ------
        ConfigError
            When the rules' ``target.positive`` is not one of the classes.
        RuleError
            When a rule names an unknown feature or level, has the wrong type, or its head is not a class.
        RuleConflictError
            When two hard rules with different heads can hold on the same row.
        """
        from snas.nn import TabularEncoder, compile_rules

        classes = classes or tuple(sorted({str(v) for v in np.asarray(y, dtype=object)}))
        if schema is None:
            schema = _schema_for(X, target, classes, rules)
        compiled = compile_rules(rules, schema, classes)
        features = [c.name for c in schema.features if c.name not in set(compiled.excluded)]
        encoder = TabularEncoder(schema, features, n_bins=n_bins).fit(X)
        return cls(schema, classes, compiled, encoder, neuron_sharpness)

    @cached_property
    def layout(self) -> InputLayout:
        from snas.nn import InputLayout

        return InputLayout.build(self.encoder, self.compiled)

    @cached_property
    def neurons(self) -> KnowledgeNeurons:
        from snas.nn import KnowledgeNeurons

        bodies = {rid: body for rid, body, _, _ in self.compiled.soft}
        return KnowledgeNeurons([bodies[n.rule] for n in self.layout.neurons], self.encoder, self.neuron_sharpness)

    @property
    def rules(self) -> RuleSet:
        return self.compiled.rules

    @property
    def positive(self) -> str:
        """The class whose probability reports and monotonic constraints refer to: the rules'
        ``target.positive`` (a class: ``compile_rules`` refuses others), else the schema's
        positive class when ``y`` has it, else the last class."""
        p = self.rules.positive or self.schema.positive
        return p if p in self.classes else self.classes[-1]

    # ----------------------------------------------------------------- encoding
    def encode(self, frame: pd.DataFrame) -> Inputs:
        """Tensors for the network; standardised values are clamped to ±``Z_LIMIT``.

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns (normalised names).

        Returns
        -------
        Inputs
            Numeric values, missing flags, level codes, bins, one-hot columns and knowledge-neuron truths.
        """
        from snas.nn import EncodedFrame, Inputs

        try:
            enc = self.encoder.transform(frame)
        except KeyError as exc:
            raise _missing_column(exc) from None
        numeric = np.clip(enc.numeric, -Z_LIMIT, Z_LIMIT).astype(np.float32)
        return Inputs.encode(EncodedFrame(numeric, enc.missing, enc.codes), self.encoder, self.neurons)

    def forced(self, frame: pd.DataFrame) -> np.ndarray:
        """Class index forced by the hard rules per row (−1 where none fires).

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns; rules are evaluated on the raw values.

        Returns
        -------
        ndarray of shape (n_rows,), int64
        """
        forced = np.full(len(frame), -1, dtype=np.int64)
        hard = self.compiled.hard
        if hard:
            truth = self._hard_truth(frame)
            for j in range(len(hard) - 1, -1, -1):  # earlier rules win (they never disagree after compile)
                forced[truth[:, j]] = hard[j][2]
        return forced

    def _hard_truth(self, frame: pd.DataFrame) -> np.ndarray:
        """Whether each hard rule's body holds, (n_rows, n_hard)."""
        try:
            self._refuse_fractions(frame)
            return holds_many([b for _, b, _ in self.compiled.hard], frame, self.schema)
        except KeyError as exc:
            raise _missing_column(exc) from None

    def _refuse_fractions(self, frame: pd.DataFrame) -> None:
        """ConfigError for a value that is not a whole number in a whole-number column a hard
        rule reads: the rules were checked free of conflicts on whole numbers only (``age < 21``
        and ``age > 20`` never meet there), so such a row could make two of them disagree."""
        import pandas as pd

        readers = self.rule_readers()
        for col in self.schema.features:
            if not col.integer or col.name not in readers:
                continue
            values = pd.to_numeric(frame[col.name], errors="coerce").to_numpy(dtype="float64")
            fractional = np.isfinite(values) & (values % 1 != 0)
            if fractional.any():
                i = int(fractional.nonzero()[0][0])
                raise ConfigError(
                    f"column {col.name!r}: {int(fractional.sum())} row(s) hold a value that is not a whole number "
                    f"(first {values[i]:g}, in data row {i + 1}); hard rule(s) {', '.join(map(repr, readers[col.name]))} read this "
                    "whole-number column and were checked for conflicts on whole numbers only — round the values, or "
                    "train on the column as real numbers (integer: false in the dataset manifest, or a float dtype)"
                )

    def deciding_rules(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row, the id of the hard rule that decides it (None where the network does).

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns; rules are evaluated on the raw values.

        Returns
        -------
        ndarray of shape (n_rows,), object
        """
        out = np.full(len(frame), None, dtype=object)
        hard = self.compiled.hard
        if hard:
            truth = self._hard_truth(frame)
            for j in range(len(hard) - 1, -1, -1):
                out[truth[:, j]] = hard[j][0]
        return out

    def rule_readers(self, *, soft: bool = False) -> dict[str, list[str]]:
        """Feature → ids of the hard rules (with ``soft=True`` every rule) whose effective
        condition reads it; the shield reads these features on every prediction.

        Parameters
        ----------
        soft : bool, default=False
            Include the soft rules (what a per-rule report reads).

        Returns
        -------
        dict of str to list of str
        """
        bodies = [(rid, body) for rid, body, _ in self.compiled.hard]
        if soft:
            bodies += [(rid, body) for rid, body, _, _ in self.compiled.soft]
        out: dict[str, list[str]] = {}
        for rid, body in bodies:
            for f in features_of(body):
                out.setdefault(f, []).append(rid)
        return out

    def class_index(self, y: Any) -> np.ndarray:
        """Labels → class indices (ValueError naming an unknown label).

        Parameters
        ----------
        y : array-like of shape (n_samples,)
            Class labels, compared as strings with ``classes``.

        Returns
        -------
        ndarray of shape (n_samples,), int64
        """
        import pandas as pd

        labels = pd.Series(np.asarray(y, dtype=object)).astype(str)
        idx = pd.Index(self.classes).get_indexer(labels)
        if (idx < 0).any():
            raise ValueError(f"label {labels[idx < 0].iloc[0]!r} is not one of the classes {list(self.classes)}")
        return idx.astype(np.int64)

    def training_data(self, frame: pd.DataFrame, y: Any, loss_rules: tuple[str, ...] = ()) -> TrainingData:
        """Inputs, labels, hard-rule decisions and the truths of the rules trained with a loss.

        Parameters
        ----------
        frame : DataFrame
            Training rows with the task's feature columns.
        y : array-like of shape (n_samples,)
            Their class labels.
        loss_rules : tuple of str, default=()
            Soft-rule ids trained with a rule loss (``spec.loss_rules(task.compiled.soft_ids)``);
            ids that are not soft rules of the task are ignored.

        Returns
        -------
        TrainingData
        """
        import torch

        from snas.training import TrainingData

        soft = {rid: (body, k, w) for rid, body, k, w in self.compiled.soft}
        chosen = [soft[r] for r in loss_rules if r in soft]
        body = holds_many([b for b, _, _ in chosen], frame, self.schema).astype(np.float32)
        return TrainingData(
            self.encode(frame),
            torch.from_numpy(self.class_index(y)),
            torch.from_numpy(self.forced(frame)),
            torch.from_numpy(body.reshape(len(frame), len(chosen))),
            torch.tensor([k for _, k, _ in chosen], dtype=torch.long),
            torch.tensor([w for _, _, w in chosen], dtype=torch.float32),
        )

    def labels(self, idx: torch.Tensor | np.ndarray) -> np.ndarray:
        """Class indices → class labels.

        Parameters
        ----------
        idx : Tensor or ndarray of int
            Indices into ``classes``.

        Returns
        -------
        ndarray of str (object dtype), the shape of ``idx``
        """
        return np.asarray(self.classes, dtype=object)[np.asarray(idx)]

    # -------------------------------------------------------------- model files
    def to_dict(self) -> dict[str, Any]:
        rules = self.rules
        return {
            "schema": self.schema.to_dict(),
            "classes": list(self.classes),
            "rules_text": rules.text if len(rules) else None,
            "rules_path": rules.path,
            "rules_sha256": rules.sha256 if len(rules) else None,
            "compiled": self.compiled.to_dict(),
            "encoder": self.encoder.state(),
            "neuron_sharpness": self.neuron_sharpness,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Task:
        """Rebuild a task from a model file (the rules are parsed and compiled again).

        Parameters
        ----------
        d : dict
            The ``task`` record of ``model.json`` (what :meth:`to_dict` wrote).

        Returns
        -------
        Task

        Raises
        ------
        ModelFileError
            When the record is inconsistent or its compiled rules differ from its rule text.
        """
        from snas.nn import TabularEncoder, compile_rules

        try:
            schema = Schema.from_dict(d["schema"])
            classes = tuple(str(c) for c in d["classes"])
            rules = parse_rules(d["rules_text"], d.get("rules_path")) if d.get("rules_text") else None
            compiled = compile_rules(rules, schema, classes)
            encoder = TabularEncoder.from_state(schema, d["encoder"])
            task = cls(schema, classes, compiled, encoder, float(d["neuron_sharpness"]))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ModelFileError(
                f"the task description is inconsistent ({type(exc).__name__}: {str(exc)[:200]})"
            ) from None
        if task.compiled.to_dict() != d.get("compiled"):
            raise ModelFileError("the compiled rules differ from the rule text; the model file was edited")
        return task


def _schema_for(X: pd.DataFrame, target: str, classes: tuple[str, ...], rules: RuleSet | None) -> Schema:
    """The schema inferred from ``X`` with the target column ``target`` appended (renamed when a
    feature has its name, so that every feature stays a feature)."""
    cols = list(infer_columns(X))
    if rules is not None:
        cols = _with_rule_levels(cols, rules)
    target = _free_target_name(target, cols, rules)
    positive = rules.positive if rules is not None else None
    return Schema(tuple([*cols, Column(target, target, "categorical", classes)]), target, classes, positive)


def _free_target_name(target: str, cols: list[Column], rules: RuleSet | None) -> str:
    """``target``, or — when a feature of ``cols`` has that name (y named after the column it was
    derived from, or a feature called ``target``) — ``target``, ``target_2``, … whichever no
    feature has: the schema's target is never read as a feature, so a clash would drop one.
    ConfigError when the rules name the target column and a feature has its name."""
    from snas.datasets import normalise_name

    taken = {c.name: c for c in cols}
    if target not in taken:
        return target
    if rules is not None and rules.target and normalise_name(str(rules.target)) == target:
        raise ConfigError(
            f"the rules name the target column {rules.target!r}, but the training rows also hold a feature "
            f"{taken[target].original!r} of that name (names compared once normalised); drop that column from the "
            "features (y holds the target) or rename it"
        )
    candidates = ["target", *(f"target_{k}" for k in range(2, len(cols) + 3))]
    return next(name for name in candidates if name not in taken)


def _with_rule_levels(cols: list[Column], rules: RuleSet) -> list[Column]:
    """Add category levels that rules name but the training frame never shows (warned)."""
    named: dict[str, dict[str, str]] = {}  # feature → level → the first rule naming it
    for r in rules:
        conds = [r.condition] + ([r.unless] if r.unless is not None else [])
        for cond in conds:
            for a in atoms(cond):
                values = a.values if isinstance(a, Member) else (a.value,) if isinstance(a, Compare) else ()
                for v in values:
                    if isinstance(v, str):
                        named.setdefault(a.feature, {}).setdefault(v, r.id)
    out = []
    for c in cols:
        extra = sorted(set(named.get(c.name, {})) - set(c.levels)) if c.kind != "numeric" else []
        _refuse_respelled(c, extra, named.get(c.name, {}))
        if extra and c.kind == "categorical":
            warnings.warn(
                f"column {c.original!r}: the rules name level(s) {extra} that the training data never shows; "
                "they join the column's levels so the rules still decide such rows",
                UserWarning,
                stacklevel=4,
            )
            c = Column(c.name, c.original, c.kind, tuple(sorted((*c.levels, *extra))), c.integer, c.unit, c.description)
        out.append(c)
    return out


def _refuse_respelled(col: Column, extra: list[str], rule_of: dict[str, str]) -> None:
    """RuleError for a level a rule names that the data spell otherwise (``'Priv-House-Serv'``
    for ``'Priv-house-serv'``): joined as a level of its own, its rule would never fire."""
    from snas._util import loose_spelling
    from snas.exceptions import RuleError

    spelled = {loose_spelling(level): level for level in col.levels}
    for level in extra:
        if loose_spelling(level) in spelled:
            raise RuleError(
                f"rule {rule_of[level]!r}: {level!r} is not a level of {col.original!r}, whose data spell it "
                f"{spelled[loose_spelling(level)]!r}; levels are matched as written in rules — write it so"
            )


def _missing_column(exc: KeyError) -> ConfigError:
    """The error for rows that lack a column the model reads."""
    name = exc.args[0] if exc.args else "?"
    return ConfigError(
        f"the rows have no column {name!r}, which the model reads; give every feature column the model was "
        "trained on (names as in its schema: lower case, '_' for '-' and spaces)"
    )
