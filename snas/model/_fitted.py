"""FittedModel: a task, a spec and its trained network — build, train, predict, save, load.

The one place that turns rules + spec + data into a trained network; the search, the
scikit-learn estimator and the audit all go through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from snas._util import is_number
from snas.exceptions import ConfigError, ModelFileError, SNASError
from snas.model._files import read_model_files, write_model_files
from snas.model._task import Task

if TYPE_CHECKING:
    import pandas as pd
    import torch

    from snas.model._explain import Explanation, TermShape
    from snas.nn import AdditiveArchitecture, AdditiveNetwork, Architecture, NetworkSpec, SNASNetwork
    from snas.training import Split, TrainingData, TrainResult

__all__ = [
    "EARLY_STOPPING_FRACTION",
    "FittedModel",
    "build_network",
    "check_rows",
    "member_splits",
    "model_from_record",
]

PREDICT_BATCH = 16384
# model files of other kinds: a key of model.json → its reader (path, meta, state) → model;
# modules that define such kinds register them (snas.model imports them all)
MODEL_KINDS: dict[str, Any] = {}
EARLY_STOPPING_FRACTION = 0.15  # share of rows a member holds out for early stopping, by default


def build_network(
    task: Task, spec: NetworkSpec, *, seed: int = 0, members: int | None = None
) -> SNASNetwork | AdditiveNetwork:
    """The untrained stand-alone network of ``spec`` on ``task`` (member m seeded ``seed + m``):
    an :class:`~snas.nn.SNASNetwork` for the MLP family, an :class:`~snas.nn.AdditiveNetwork`
    for the additive (glass-box) family."""
    from snas.nn import AdditiveArchitecture, AdditiveCapacity, AdditiveNetwork, Capacity, SNASNetwork

    arch = spec.architecture(task.layout)
    m = spec.members if members is None else members
    net: SNASNetwork | AdditiveNetwork
    if isinstance(arch, AdditiveArchitecture):
        net = AdditiveNetwork(task.layout, AdditiveCapacity.of(arch), arch, members=m)
    else:
        net = SNASNetwork(
            task.layout,
            Capacity.of(arch, spec.n_frequencies, spec.periodic_dim),
            arch,
            members=m,
            kbann_weight=spec.kbann_weight,
        )
    net.reset_parameters([seed + k for k in range(m)], spec.frequency_scale)
    limit = task.compiled.max_parameters
    # recipes are one model per member; a glass box keeps one member, the members' average
    size = net.n_parameters() // m if members is not None or isinstance(net, AdditiveNetwork) else net.n_parameters()
    if limit is not None and size > limit:
        raise ConfigError(
            f"the architecture has {size:,} parameters but the rules allow at most {limit:,} "
            "(constraints.max_parameters); choose narrower layers, fewer members or a smaller encoding"
        )
    return net


def check_rows(frame: pd.DataFrame, *, called: str = "frame") -> pd.DataFrame:
    """``frame`` as given, after refusing a column name it holds twice (ValueError naming it):
    which of the two is the feature is unknowable, and pandas would fail obscurely later.

    Parameters
    ----------
    frame : DataFrame
        Rows for a model's prediction entry points.
    called : str, default="frame"
        What the message calls the rows (``"X"`` for the estimator's input).

    Returns
    -------
    DataFrame
        ``frame`` itself.
    """
    columns = getattr(frame, "columns", None)
    if columns is not None and columns.has_duplicates:
        name = columns[columns.duplicated()][0]
        subject = "the rows have" if called == "frame" else f"{called} has"
        raise ValueError(
            f"{subject} {int((columns == name).sum())} columns named {name!r}; column names must be unique — "
            f"drop or rename the duplicates ({called}.loc[:, ~{called}.columns.duplicated()] keeps the first)"
        )
    return frame


def member_splits(y_idx: np.ndarray, members: int, seed: int, validation_fraction: float) -> list[Split]:
    """Per member: stratified (train, early-stopping) rows with its own seed; no early
    stopping on tiny data (fewer than 200 rows or 5 of a class)."""
    import torch
    from sklearn.model_selection import train_test_split

    from snas.training import Split

    n = len(y_idx)
    counts = np.bincount(y_idx)
    if not (validation_fraction > 0 and n >= 200 and counts.min() >= 5):
        return [Split(torch.arange(n), torch.zeros(0, dtype=torch.long))] * members
    out = []
    for k in range(members):
        tr, va = train_test_split(np.arange(n), test_size=validation_fraction, random_state=seed + k, stratify=y_idx)
        out.append(Split(torch.from_numpy(np.sort(tr)), torch.from_numpy(np.sort(va))))
    return out


@dataclass
class FittedModel:
    """A trained network with everything needed to use it.

    Build one with :meth:`train` (or :meth:`load`); ``SNASClassifier.model_`` and
    ``SearchResult.model`` are FittedModels too.

    Parameters
    ----------
    task : Task
        The schema, classes, compiled rules and input encoder.
    spec : NetworkSpec
        The architecture and training recipe.
    network : SNASNetwork or AdditiveNetwork
        The trained (stacked) network; members' logits are averaged (a trained glass box
        holds their average as one member).
    results : tuple of TrainResult, default=()
        One training record per member (epochs, best epoch, losses, seconds).
    seed : int, default=0
        Member m was initialised with ``seed + m``.
    split : dict, default={}
        Row indices of the first member's ``train`` and ``validation`` (early-stopping) rows.
    extra : dict, default={}
        Free metadata saved in ``model.json`` (e.g. the estimator's record).

    Examples
    --------
    >>> from snas import FittedModel, NetworkSpec, Task, load_dataset, load_rules
    >>> data = load_dataset("census_income", data_dir="../shared/datasets")  # doctest: +SKIP
    >>> task = Task.fit(data.X_train, data.y_train, load_rules("rules/census_income.yaml"),
    ...                 target="income", schema=data.schema)  # doctest: +SKIP
    >>> spec = NetworkSpec.from_dict({"layers": [64, 64]})
    >>> model = FittedModel.train(task, spec, data.X_train, data.y_train, seed=0)  # doctest: +SKIP
    >>> model.predict(data.X_test.head(3))  # doctest: +SKIP
    >>> model.save("models/census")  # doctest: +SKIP
    """

    task: Task
    spec: NetworkSpec
    network: SNASNetwork | AdditiveNetwork
    results: tuple[TrainResult, ...] = ()
    seed: int = 0
    split: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    # ----------------------------------------------------------------- training
    @classmethod
    def train(
        cls,
        task: Task,
        spec: NetworkSpec,
        frame: pd.DataFrame,
        y: Any,
        *,
        seed: int = 0,
        validation_fraction: float = EARLY_STOPPING_FRACTION,
        deadline: float | None = None,
        callback: Any = None,
        data: TrainingData | None = None,
        initial: dict[str, torch.Tensor] | None = None,
    ) -> FittedModel:
        """Build and train ``spec`` on (frame, y); ``data`` reuses already-encoded rows.

        Parameters
        ----------
        task, spec : Task, NetworkSpec
            What is learned, and the architecture and recipe to train.
        frame, y : DataFrame, array-like
            Training rows (the task's feature columns) and their class labels.
        seed : int, default=0
            Member m is initialised and split with ``seed + m``; batches are shuffled from ``seed``.
        validation_fraction : float, default=0.15
            Share of rows each member holds out (stratified) for early stopping; none
            under 200 rows or 5 of a class.
        deadline : float, optional
            A ``time.monotonic()`` value; training ends after the epoch that passes it.
        callback : callable, optional
            Called after every epoch with the first member's record (``epoch``,
            ``train_loss``, ``rule_loss`` and, with early stopping, ``val_loss``).
        data : TrainingData, optional
            ``task.training_data(frame, y, spec.loss_rules(...))`` computed already.
        initial : dict of str to Tensor, optional
            Inherited (supernet) weights copied into every member before training.

        Returns
        -------
        FittedModel

        Raises
        ------
        ConfigError
            When the network has more parameters than ``constraints.max_parameters``.
        """
        from snas.nn import AdditiveNetwork
        from snas.training import train_network

        net = build_network(task, spec, seed=seed)
        if initial is not None:
            load_inherited(net, initial)
        data = data or task.training_data(frame, y, spec.loss_rules(task.compiled.soft_ids))
        splits = member_splits(data.y.numpy(), spec.members, seed, validation_fraction)
        results = train_network(
            net, data, [spec] * spec.members, splits, seed=seed, deadline=deadline, callback=callback
        )
        if isinstance(net, AdditiveNetwork) and net.members > 1:
            net = net.averaged()  # the same logits as one glass box: one set of shapes to read, save and audit
        split = {"train": splits[0].train.numpy(), "validation": splits[0].valid.numpy()}
        return cls(task, spec, net, tuple(results), seed, split)

    @classmethod
    def train_recipes(
        cls,
        task: Task,
        specs: list[NetworkSpec],
        data: TrainingData,
        *,
        seed: int = 0,
        validation_fraction: float = EARLY_STOPPING_FRACTION,
        deadline: float | None = None,
        initial: dict[str, torch.Tensor] | None = None,
    ) -> list[FittedModel]:
        """Train several recipes of one architecture as one batched run (one member each,
        the same rows for all, so they compare fairly); one model per spec.

        Parameters
        ----------
        task : Task
            What is learned.
        specs : list of NetworkSpec
            The recipes; all share the architecture of ``specs[0]``.
        data : TrainingData
            The encoded training rows (``task.training_data``).
        seed : int, default=0
            One initialisation and one split for every recipe.
        validation_fraction : float, default=0.15
            Share of rows held out (stratified) for early stopping.
        deadline : float, optional
            A ``time.monotonic()`` value; training ends after the epoch that passes it.
        initial : dict of str to Tensor, optional
            Inherited (supernet) weights copied into every recipe before training.

        Returns
        -------
        list of FittedModel
            One single-member model per spec, in order.
        """
        from snas.training import train_network

        net = build_network(task, specs[0], seed=seed, members=len(specs))
        net.reset_parameters([seed] * len(specs), [s.frequency_scale for s in specs])  # one start for every recipe
        if initial is not None:
            load_inherited(net, initial)
        splits = member_splits(data.y.numpy(), 1, seed, validation_fraction) * len(specs)
        results = train_network(net, data, specs, splits, seed=seed, deadline=deadline)
        split = {"train": splits[0].train.numpy(), "validation": splits[0].valid.numpy()}
        out = []
        for m, spec in enumerate(specs):
            one = build_network(task, replace(spec, members=1), seed=seed)
            one.load_state_dict({k: v[m : m + 1] for k, v in net.state_dict().items()})
            out.append(cls(task, replace(spec, members=1), one.eval(), (results[m],), seed, split))
        return out

    @property
    def architecture(self) -> Architecture | AdditiveArchitecture:
        """The trained network's architecture (an MLP's layers and encodings, or a glass box's
        terms), as ``spec`` builds it on the task's inputs."""
        return self.network.architecture

    @property
    def n_parameters(self) -> int:
        """Trainable parameters of the network, all members together (a trained glass box
        holds one: its members' mean)."""
        return self.network.n_parameters()

    @property
    def family(self) -> str:
        """``mlp`` or ``additive`` (glass box)."""
        return self.architecture.family

    @property
    def complexity(self) -> float:
        """What a reader must understand: terms for a glass box, parameters for an MLP
        (see :func:`snas.nn.complexity`)."""
        from snas.nn import complexity

        return complexity(self.task.layout, self.architecture, self.network.members)

    @property
    def fit_seconds(self) -> float:
        """Seconds the training took (the members train together: the first member's record)."""
        return float(sum(r.seconds for r in self.results[:1]))

    # --------------------------------------------------------------- prediction
    def logits(self, frame: pd.DataFrame) -> np.ndarray:
        """Mean logit of the members (before the shield), (n, 1) or (n, C).

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns (normalised names).

        Returns
        -------
        ndarray of shape (n_rows, 1) for a binary target, else (n_rows, n_classes)
        """
        return self._forward(frame, lambda out: out.mean(0))

    def _forward(self, frame: pd.DataFrame, reduce: Any) -> np.ndarray:
        import torch

        from snas.training import torch_threads

        x = self.task.encode(check_rows(frame))
        self.network.eval()  # safe: torch inference mode, not Python eval
        parts = []
        with torch_threads(), torch.no_grad():
            for s in range(0, len(x), PREDICT_BATCH):
                parts.append(reduce(self.network(x.take(slice(s, s + PREDICT_BATCH)))))
        if not parts:
            return np.zeros((0, self.network.layout.n_out))
        return torch.cat(parts).double().numpy()

    def predict_proba(self, frame: pd.DataFrame, *, shield: bool | None = None) -> np.ndarray:
        """Class probabilities (n, C); rows a hard rule decides are exactly 0/1.

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns (normalised names).
        shield : bool, optional
            Apply the hard-rule shield; None follows ``spec.shield``.

        Returns
        -------
        ndarray of shape (n_rows, n_classes)
            Columns in the order of ``task.classes``.

        Raises
        ------
        SNASError
            When the network produces non-finite scores for a row.
        """
        import torch

        from snas.nn import functional as F

        probs = F.output_probabilities(torch.from_numpy(self.logits(frame)))
        if self.spec.shield if shield is None else shield:
            probs = F.apply_shield(probs, torch.from_numpy(self.task.forced(frame)))
        out = probs.numpy()
        if not np.isfinite(out).all():
            bad = np.flatnonzero(~np.isfinite(out).all(1))
            raise SNASError(f"the model produced non-finite scores for row(s) {bad[:5].tolist()}; check those inputs")
        return out

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predicted class labels (strings, the task's classes).

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns (normalised names).

        Returns
        -------
        ndarray of shape (n_rows,), object
        """
        return self.task.labels(self.predict_proba(frame).argmax(1))

    def deciding_rules(self, frame: pd.DataFrame) -> np.ndarray:
        """Per row, the hard rule that decided it (None where the network did).

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns (normalised names).

        Returns
        -------
        ndarray of shape (n_rows,), object
            Rule ids or None.
        """
        return self.task.deciding_rules(check_rows(frame))

    def explain(self, frame: pd.DataFrame, target: str | None = None) -> Explanation:
        """Exact per-term contributions of a glass-box (additive) model on ``frame``.

        Parameters
        ----------
        frame : rows with the training columns.
        target : the class whose logit is explained (binary models: ``classes[-1]``, the
            only logit; multiclass: default the positive class).

        Returns
        -------
        Explanation
            ``contributions`` (one column per term: ``bias``, each input's shape, each pair
            ``"f×g"``, each knowledge neuron ``"rule:<id>"``) summing to ``logit`` — the logit
            before the shield — on every row; the probability after the shield; and the
            hard rule that decided each row (None where the network did).

        Raises
        ------
        SNASError
            For an MLP (its explanations are the audit's SHAP values).

        Examples
        --------
        >>> e = model.explain(X.head(3))  # doctest: +SKIP
        >>> e.contributions.sum(axis=1)  # == e.logit  # doctest: +SKIP
        """
        from snas.model._explain import explain

        return explain(self, check_rows(frame), target)

    def shapes(self, frame: pd.DataFrame | None = None, target: str | None = None) -> list[TermShape]:
        """Every term of a glass-box model as a function on a grid: knots and levels with
        their contributions, the value for missing, the density of ``frame``'s rows (give the
        training rows) and the monotone direction — data for plots (see :class:`TermShape`).

        Parameters
        ----------
        frame : DataFrame, optional
            Rows whose density is recorded per term (e.g. the training rows); None records none.
        target : str, optional
            The class whose logit is shown (binary models: ``classes[-1]``, the only logit;
            multiclass: default the positive class).

        Returns
        -------
        list of TermShape
            The bias first, then every term in the architecture's order.

        Raises
        ------
        SNASError
            For an MLP (only the additive family has shapes).

        Examples
        --------
        >>> [s.name for s in model.shapes(X_train)][:3]  # doctest: +SKIP
        ['bias', 'age', 'education_num']
        """
        from snas.model._explain import shapes

        return shapes(self, None if frame is None else check_rows(frame), target)

    def neuron_activations(self, frame: pd.DataFrame) -> list[dict[str, float]]:
        """The fuzzy truth of each knowledge neuron the network reads, per row.

        Parameters
        ----------
        frame : DataFrame
            Rows with the task's feature columns (normalised names).

        Returns
        -------
        list of dict
            Per row, rule id → truth in [0, 1] (rounded to 4 decimals).
        """
        x = self.task.encode(check_rows(frame))
        read = self._neurons_read()
        cols = [i for i, n in enumerate(self.task.layout.neurons) if n.rule in read]
        names = [self.task.layout.neurons[i].rule for i in cols]
        t = x.truths[:, cols].numpy()
        return [{r: round(float(v), 4) for r, v in zip(names, row, strict=True)} for row in t]

    def _neurons_read(self) -> set[str]:
        """The rules whose knowledge neurons the network reads."""
        return set(self.architecture.neurons)

    def features_read(self, *, soft_rules: bool = False) -> dict[str, list[str]]:
        """The feature columns a prediction reads, in schema order, each with what reads it:
        ``"the network"`` (an input, a pair or a knowledge neuron it reads) and ``"hard rule
        '<id>'"`` (the shield). Excluded features and inputs the network drops are absent:
        no prediction depends on them, so rows may lack them.

        Parameters
        ----------
        soft_rules : bool, default=False
            Add the features of the soft rules (``"soft rule '<id>'"``): what a per-rule
            report reads besides the prediction.

        Returns
        -------
        dict of str to list of str
        """
        from snas.model._explain import inputs_read

        network = {f for f, ways in inputs_read(self).items() if any(not w.startswith("hard rule ") for w in ways)}
        hard = self.task.rule_readers()
        every = self.task.rule_readers(soft=True) if soft_rules else hard
        out: dict[str, list[str]] = {}
        for col in self.task.schema.features:
            f = col.name
            readers = ["the network"] if f in network else []
            readers += [f"{'hard' if r in (hard.get(f) or ()) else 'soft'} rule {r!r}" for r in every.get(f, ())]
            if readers:
                out[f] = readers
        return out

    # -------------------------------------------------------------- model files
    def _record(self) -> dict[str, Any]:
        """The network's part of ``model.json``: spec, architecture, members, seed, size, training."""
        from dataclasses import asdict

        return {
            "spec": self.spec.to_dict(),
            "architecture": _arch_dict(self.architecture),
            "members": self.network.members,
            "seed": self.seed,
            "n_parameters": self.n_parameters,
            "training": [{k: v for k, v in asdict(r).items() if k != "history"} for r in self.results],
        }

    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` + ``model.json`` into directory ``path`` (atomically).

        Parameters
        ----------
        path : str or Path
            The model directory (created if needed; files of an earlier model are replaced).

        Returns
        -------
        Path
            The directory.
        """
        return write_model_files(path, self._meta(), dict(self.network.named_parameters()))

    def _meta(self) -> dict[str, Any]:
        """What ``model.json`` holds besides its format and hashes."""
        from snas._version import __version__

        return {"snas_version": __version__, "task": self.task.to_dict(), **self._record(), "extra": self.extra}

    def content_sha256(self, snas_version: str | None = None) -> str:
        """The model's identity: the sha256 :meth:`save` writes into ``model.json``, covering the
        weights and every record that shapes a prediction (classes, rules, encoder, spec and,
        for an ensemble, the parts' weights).

        Parameters
        ----------
        snas_version : str, optional
            The snas version the files record (to compare with a file an earlier snas saved);
            default this one's.

        Returns
        -------
        str
            64 hexadecimal digits.
        """
        from safetensors.torch import save

        from snas._util import sha256_bytes
        from snas.model._files import content_sha256

        state = {k: v.detach().contiguous().cpu() for k, v in self.network.named_parameters()}
        meta = self._meta() if snas_version is None else {**self._meta(), "snas_version": snas_version}
        return content_sha256(meta, sha256_bytes(save(state)))

    @classmethod
    def load(cls, path: str | Path) -> FittedModel:
        """Load a model saved with :meth:`save`; refuses tampered or foreign files.

        Parameters
        ----------
        path : str or Path
            A model directory (``model.json`` + ``model.safetensors``), e.g. ``runs/census/model``.

        Returns
        -------
        FittedModel

        Raises
        ------
        ModelFileError
            When files are missing, their hashes do not match, or the records are inconsistent.
        """
        meta, state = read_model_files(path)
        _check_records(path, meta)
        try:
            for kind, read in MODEL_KINDS.items():  # e.g. an ensemble of architectures
                if kind in meta:
                    return read(path, meta, state)
            model = model_from_record(Task.from_dict(meta["task"]), meta, state, where=str(path))
        except ModelFileError as exc:
            if str(path) in str(exc):
                raise
            raise ModelFileError(f"{path}: {exc}") from None
        except (
            KeyError,
            IndexError,
            TypeError,
            AttributeError,
            RuntimeError,
            ValueError,
            OverflowError,
            SNASError,
        ) as exc:
            raise ModelFileError(
                f"{path}: the model files are inconsistent ({type(exc).__name__}: {str(exc)[:200]}); they were "
                "edited or written by another program — restore the original files or save the model again"
            ) from None
        return replace(model, extra=dict(meta.get("extra") or {}))

    def with_spec(self, **changes: Any) -> FittedModel:
        """The same trained network with spec fields changed (e.g. ``shield=False`` for ablations).

        Parameters
        ----------
        **changes
            NetworkSpec fields to replace; only fields read at prediction time (such as
            ``shield``) make sense, the weights are not retrained.

        Returns
        -------
        FittedModel
            A copy sharing the network.
        """
        return replace(self, spec=replace(self.spec, **changes))


def model_from_record(task: Task, record: dict[str, Any], state: dict[str, Any], *, where: str) -> FittedModel:
    """The trained model a ``model.json`` record (:meth:`FittedModel._record`) and its
    weights describe; ``where`` names it in errors."""
    spec = _spec_of(record.get("spec"), where)
    if _arch_dict(spec.architecture(task.layout)) != record["architecture"]:
        raise ModelFileError(f"{where}: the architecture does not match the spec and the task")
    members, seed, training = record["members"], record["seed"], record["training"]
    leading = {int(t.shape[0]) if t.dim() else 0 for t in state.values()}
    if type(members) is not int or leading != {members}:  # checked before building: no huge allocation
        raise ModelFileError(
            f"{where}: 'members' ({members!r}) does not match the weights' member axis {sorted(leading)}"
        )
    if type(seed) is not int or not isinstance(training, list) or not training:
        raise ModelFileError(f"{where}: 'seed' must be an integer and 'training' a non-empty list of training records")
    results = _training_results(training, where)
    net = build_network(task, spec, seed=seed, members=members)
    net.load_state_dict(state, strict=True)
    net.eval()  # safe: torch inference mode, not Python eval
    return FittedModel(task, spec, net, results, seed)


_EDITED = "the file was edited or written by another program — restore the original files or save the model again"


def _spec_of(record: Any, where: str) -> NetworkSpec:
    """The NetworkSpec of a model file's ``spec`` record, which must read back exactly as
    written (ModelFileError naming the field, e.g. ``'spec.rule_modes'``)."""
    import json

    from snas.nn import NetworkSpec

    if not isinstance(record, dict):
        raise ModelFileError(f"{where}: 'spec' must be a mapping of NetworkSpec fields; {_EDITED}")
    try:
        spec = NetworkSpec.from_dict(record, where=f"{where}: spec")
    except (AttributeError, TypeError, ValueError) as exc:
        family = {"family": record["family"]} if record.get("family") in ("mlp", "additive") else {}
        for key, value in record.items():  # name the field that fails alone (with the family: pairs need it)
            try:
                NetworkSpec.from_dict({**family, key: value})
            except (AttributeError, TypeError, ValueError):
                raise ModelFileError(
                    f"{where}: 'spec.{key}' holds {value!r:.100}, not a valid value; {_EDITED}"
                ) from None
        raise ModelFileError(f"{where}: 'spec' is not a valid network spec ({str(exc)[:200]}); {_EDITED}") from None
    written = json.loads(json.dumps(spec.to_dict()))
    for key in sorted(record):  # a field the file lacks (written before the field existed) takes its default
        if written.get(key) != record[key]:
            raise ModelFileError(
                f"{where}: 'spec.{key}' holds {record[key]!r:.100}, which reads back as {written.get(key)!r:.100}; "
                f"{_EDITED}"
            )
    return spec


#: The fields of a training record in ``model.json`` (``training[k]``): a test and what it must be.
_TRAINING_FIELDS: dict[str, tuple[Any, str]] = {
    "epochs": (lambda v: type(v) is int and v >= 0, "a whole number of epochs"),
    "best_epoch": (lambda v: type(v) is int and v >= 0, "a whole number (an epoch)"),
    "best_val_loss": (lambda v: v is None or is_number(v), "a number or null"),
    "seconds": (lambda v: is_number(v) and 0 <= v < float("inf"), "a non-negative number of seconds"),
    "deadline_hit": (lambda v: isinstance(v, bool), "true or false"),
}


def _training_results(training: list[Any], where: str) -> tuple[TrainResult, ...]:
    """The training records of a model file, each field checked (ModelFileError naming it)."""
    from snas.training import TrainResult

    out = []
    for k, record in enumerate(training):
        if not isinstance(record, dict):
            raise ModelFileError(f"{where}: 'training[{k}]' must be a mapping of a member's training record; {_EDITED}")
        for key in record:
            if key not in _TRAINING_FIELDS:
                raise ModelFileError(f"{where}: 'training[{k}].{key}' is not a field of a training record; {_EDITED}")
        for key, (test, what) in _TRAINING_FIELDS.items():
            if (key in record or key != "deadline_hit") and not test(record.get(key)):
                raise ModelFileError(
                    f"{where}: 'training[{k}].{key}' must be {what}, got {record.get(key)!r:.100}; {_EDITED}"
                )
        out.append(TrainResult(**record))
    return tuple(out)


def _check_records(path: str | Path, meta: dict[str, Any]) -> None:
    """The records every model file has, checked before any is used: ``extra`` is a mapping,
    ``task.neuron_sharpness`` a positive number and ``task.encoder`` consistent with the schema
    (ModelFileError naming the file and the field)."""
    from snas.datasets import MAX_NUMBER, Schema
    from snas.nn import check_encoder_state

    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"{path}: model.json: {problem}; {_EDITED}")

    if meta.get("extra") is not None and not isinstance(meta["extra"], dict):
        raise fail(f"'extra' must be a mapping, got {type(meta['extra']).__name__}")
    task = meta.get("task")
    if not isinstance(task, dict):
        raise fail("'task' must be a mapping (the schema, classes, rules and encoder)")
    sharpness = task.get("neuron_sharpness")
    if not isinstance(sharpness, int | float) or isinstance(sharpness, bool) or not 0 < sharpness <= MAX_NUMBER:
        raise fail(f"'task.neuron_sharpness' must be a positive finite number, got {sharpness!r}"[:300])
    problem = _schema_problem(task.get("schema"))
    if problem:
        raise fail(problem[:300])
    try:
        schema = Schema.from_dict(task["schema"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return  # Task.from_dict names the broken schema
    try:
        check_encoder_state(schema, task.get("encoder"), "task.encoder")
    except ModelFileError as exc:
        raise fail(str(exc)) from None


#: The fields of a column of ``task.schema``: a test and what it must be (the first three required).
_COLUMN_FIELDS: dict[str, tuple[Any, str]] = {
    "name": (lambda v: isinstance(v, str) and v != "", "a column name (text)"),
    "original": (lambda v: isinstance(v, str), "the column's name as the data spelled it (text)"),
    "kind": (lambda v: v in ("numeric", "categorical", "ordinal"), "numeric, categorical or ordinal"),
    "levels": (lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of levels (text)"),
    "integer": (lambda v: isinstance(v, bool), "true or false"),
    "unit": (lambda v: v is None or isinstance(v, str), "text or null"),
    "description": (lambda v: v is None or isinstance(v, str), "text or null"),
}


def _schema_problem(schema: Any) -> str | None:
    """What is wrong with a model file's ``task.schema`` (None when every field has its type)."""

    def texts(v: Any) -> bool:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)

    if not isinstance(schema, dict):
        return "'task.schema' must be a mapping (the columns, target and classes)"
    columns = schema.get("columns")
    if not isinstance(columns, list) or not columns:
        return "'task.schema.columns' must be a non-empty list of columns"
    for i, col in enumerate(columns):
        if not isinstance(col, dict):
            return f"'task.schema.columns[{i}]' must be a mapping"
        for key in col:
            if key not in _COLUMN_FIELDS:
                return f"'task.schema.columns[{i}].{key}' is not a field of a column"
        for key, (test, what) in _COLUMN_FIELDS.items():
            if (key in col or key in ("name", "original", "kind")) and not test(col.get(key)):
                return f"'task.schema.columns[{i}].{key}' must be {what}, got {col.get(key)!r:.100}"
    names = [c["name"] for c in columns]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        return f"'task.schema.columns' name {twice[0]!r} twice"
    if schema.get("target") not in names:
        return f"'task.schema.target' must name one of its columns, got {schema.get('target')!r:.100}"
    if not texts(schema.get("classes")):
        return "'task.schema.classes' must be a list of class labels (text)"
    if not (schema.get("positive") is None or isinstance(schema.get("positive"), str)):
        return "'task.schema.positive' must be a class (text) or null"
    if not texts(schema.get("sensitive", [])):
        return "'task.schema.sensitive' must be a list of column names"
    return None


def _arch_dict(arch: Architecture | AdditiveArchitecture) -> dict[str, Any]:
    """The architecture as JSON reads it back (tuples become lists at every depth); the
    family is named for the additive one (MLP model files stay as they were)."""
    import json
    from dataclasses import asdict

    d: dict[str, Any] = json.loads(json.dumps(asdict(arch)))
    return d if arch.family == "mlp" else {"family": arch.family, **d}


def load_inherited(net: torch.nn.Module, state: dict[str, torch.Tensor]) -> None:
    """Copy inherited (supernet) weights into every member of a stand-alone network."""
    import torch

    with torch.no_grad():
        for name, p in net.named_parameters():
            src = state[name]
            if src.shape[1:] != p.shape[1:]:
                raise ValueError(f"inherited {name} has shape {tuple(src.shape)}, the network needs {tuple(p.shape)}")
            p.copy_(src[:1].expand_as(p))
