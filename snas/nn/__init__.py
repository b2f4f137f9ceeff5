"""Knowledge injection and networks: encoders, inputs, knowledge neurons, monotone paths,
shields, rule losses, the stacked, sliceable SNASNetwork and the glass-box AdditiveNetwork."""

from snas.nn._additive import AdditiveNetwork, knot_positions, valid_bins
from snas.nn._architecture import PAIR_COST, AdditiveArchitecture, AdditiveCapacity, Architecture, Capacity, pair_name
from snas.nn._compile import CompiledRules, compile_rules
from snas.nn._encoders import EncodedFrame, TabularEncoder
from snas.nn._encoders import check_state as check_encoder_state
from snas.nn._inputs import InputLayout, Inputs, KnowledgeNeurons, NeuronInfo
from snas.nn._network import SNASNetwork, complexity, count_parameters, has_monotone_path, parameter_shapes
from snas.nn._pairs import rank_pairs
from snas.nn._spec import (
    ACTIVATIONS,
    ADDITIVE_ONLY_FIELDS,
    BLOCKS,
    ENCODINGS,
    FAMILIES,
    INJECTION_MODES,
    MLP_ONLY_FIELDS,
    RULE_LOSSES,
    LayerSpec,
    NetworkSpec,
    canonical_pairs,
)
from snas.rules import polarity

__all__ = [
    "ACTIVATIONS",
    "ADDITIVE_ONLY_FIELDS",
    "BLOCKS",
    "ENCODINGS",
    "FAMILIES",
    "INJECTION_MODES",
    "MLP_ONLY_FIELDS",
    "PAIR_COST",
    "RULE_LOSSES",
    "AdditiveArchitecture",
    "AdditiveCapacity",
    "AdditiveNetwork",
    "Architecture",
    "Capacity",
    "CompiledRules",
    "EncodedFrame",
    "InputLayout",
    "Inputs",
    "KnowledgeNeurons",
    "LayerSpec",
    "NetworkSpec",
    "NeuronInfo",
    "SNASNetwork",
    "TabularEncoder",
    "canonical_pairs",
    "check_encoder_state",
    "compile_rules",
    "complexity",
    "count_parameters",
    "has_monotone_path",
    "knot_positions",
    "pair_name",
    "parameter_shapes",
    "polarity",
    "rank_pairs",
    "valid_bins",
]
