"""Knowledge injection and networks: encoders, inputs, knowledge neurons, monotone paths,
shields, rule losses, and the stacked, sliceable SNASNetwork."""

from snas.nn._architecture import Architecture, Capacity
from snas.nn._compile import CompiledRules, compile_rules, polarity
from snas.nn._encoders import EncodedFrame, TabularEncoder
from snas.nn._inputs import InputLayout, Inputs, KnowledgeNeurons, NeuronInfo
from snas.nn._network import SNASNetwork, count_parameters, has_monotone_path, parameter_shapes
from snas.nn._spec import ACTIVATIONS, BLOCKS, ENCODINGS, INJECTION_MODES, RULE_LOSSES, LayerSpec, NetworkSpec

__all__ = [
    "ACTIVATIONS",
    "BLOCKS",
    "ENCODINGS",
    "INJECTION_MODES",
    "RULE_LOSSES",
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
    "compile_rules",
    "count_parameters",
    "has_monotone_path",
    "parameter_shapes",
    "polarity",
]
