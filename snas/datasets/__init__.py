"""Dataset manifests → verified, typed pandas frames (see ``datasets/*.yaml``)."""

from snas.datasets._load import (
    Dataset,
    FileRecord,
    cache_dir,
    from_frame,
    infer_columns,
    load,
    locate_file,
    recorded_locations,
)
from snas.datasets._manifest import DataFile, Manifest, find_manifest, load_manifest
from snas.datasets._schema import MAX_NUMBER, Column, ColumnKind, Schema, normalise_name, row_name, shown_value

__all__ = [
    "MAX_NUMBER",
    "Column",
    "ColumnKind",
    "DataFile",
    "Dataset",
    "FileRecord",
    "Manifest",
    "Schema",
    "cache_dir",
    "find_manifest",
    "from_frame",
    "infer_columns",
    "load",
    "load_manifest",
    "locate_file",
    "normalise_name",
    "recorded_locations",
    "row_name",
    "shown_value",
]
