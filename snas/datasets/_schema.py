"""Column and dataset schemas: what every later stage knows about the data."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from snas._util import canonical_json, did_you_mean, sha256_bytes
from snas.exceptions import DatasetError

__all__ = ["MAX_NUMBER", "Column", "ColumnKind", "Schema", "normalise_name", "row_name", "shown_value"]

ColumnKind = Literal["numeric", "categorical", "ordinal"]

#: Largest magnitude a numeric training value may have: the float32 maximum, what the network
#: computes in. Larger numbers, ``inf`` and ``-inf`` are refused in data files, frames and the
#: rows a model is fitted on, with the column and row named (rows to predict may hold finite
#: far-out values; ``inf`` is refused there too). A missing value is NaN, or a marker listed in
#: the manifest's ``format.missing``.
MAX_NUMBER = 3.4028234663852886e38


def row_name(index: Any, i: int) -> str:
    """How messages name row ``i`` (position) of a frame: ``row 3 (counting from 0)``, with the
    index label too when it differs from the position."""
    label = index[i]
    label = label.item() if hasattr(label, "item") else label
    same = label == i and not isinstance(label, bool)
    return f"row {i} (counting from 0{'' if same else f'; index {label!r}'})"


def shown_value(value: Any) -> str:
    """A cell as messages show it: text quoted, numbers plain (``'inf'`` read from a file, ``inf`` in a frame)."""
    if isinstance(value, str):
        return repr(value)
    return str(value.item() if hasattr(value, "item") else value)


def normalise_name(name: str) -> str:
    """``'education-num'`` → ``'education_num'``: lower case, accents dropped (``'Größe'`` →
    ``'groesse'``), runs of other characters → ``_``.

    Examples
    --------
    >>> normalise_name("Hours per Week"), normalise_name("Größe (cm)"), normalise_name("Ölpreis €")
    ('hours_per_week', 'groesse_cm', 'oelpreis')
    """
    text = str(name).strip()
    for umlaut, spelled in _SPELLED.items():
        text = text.replace(umlaut, spelled)
    text = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    out = re.sub(r"[^0-9a-z]+", "_", text).strip("_")
    if not out:
        raise DatasetError(
            f"column name {name!r} has no Latin letters or digits, and snas writes column names in ASCII "
            "(accents are dropped: 'Größe' becomes 'groesse'); rename the column"
        )
    if out[0].isdigit():
        out = "c_" + out
    return out


#: German umlauts are spelled out, as German does without them (the other accents are dropped).
_SPELLED = {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"}


@dataclass(frozen=True)
class Column:
    """One column: normalised name, original name, kind and (for categories) its levels."""

    name: str
    original: str
    kind: ColumnKind
    levels: tuple[str, ...] = ()
    integer: bool = False
    unit: str | None = None
    description: str | None = None

    @property
    def label(self) -> str:
        """How messages name the column: ``'age'``, or ``'Hours per Week' (hours_per_week)`` when the
        data spell it differently."""
        return repr(self.name) if self.original == self.name else f"{self.original!r} ({self.name})"

    @property
    def is_numeric(self) -> bool:
        return self.kind == "numeric"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["levels"] = list(self.levels)
        return d


@dataclass(frozen=True)
class Schema:
    """Feature columns, the target and its classes, and the sensitive columns."""

    columns: tuple[Column, ...]
    target: str
    classes: tuple[str, ...]
    positive: str | None = None
    sensitive: tuple[str, ...] = ()
    _index: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._index.update({c.name: c for c in self.columns})

    @property
    def features(self) -> tuple[Column, ...]:
        """Every column but the target."""
        return tuple(c for c in self.columns if c.name != self.target)

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.features)

    def __contains__(self, name: object) -> bool:
        return name in self._index

    def column(self, name: str) -> Column:
        """The column called ``name`` (normalised or original name)."""
        col = self._index.get(name)
        if col is None:
            col = next((c for c in self.columns if c.original == name), None)
        if col is None:
            raise DatasetError(
                f"unknown column {name!r}.{did_you_mean(name, self._index)} Columns: {', '.join(self._index)}"
            )
        return col

    def to_dict(self) -> dict[str, Any]:
        return {
            "columns": [c.to_dict() for c in self.columns],
            "target": self.target,
            "classes": list(self.classes),
            "positive": self.positive,
            "sensitive": list(self.sensitive),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Schema:
        cols = tuple(Column(**{**c, "levels": tuple(c.get("levels", ()))}) for c in d["columns"])
        return cls(
            columns=cols,
            target=d["target"],
            classes=tuple(d["classes"]),
            positive=d.get("positive"),
            sensitive=tuple(d.get("sensitive", ())),
        )

    def sha256(self) -> str:
        """Hash of the canonical JSON form (a stable schema id)."""
        return sha256_bytes(canonical_json(self.to_dict()).encode())
