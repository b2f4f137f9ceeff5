"""Knowledge injection: encoders, blocks, monotone paths, shields, rule losses, neurons."""

from snas.nn._compile import CompiledRules, compile_rules, polarity
from snas.nn._encoders import EncodedFrame, TabularEncoder
from snas.nn._modules import KnowledgeNeurons, MonotonePath, NumericEncoding, SNASEnsemble, SNASNetwork
from snas.nn._spec import ACTIVATIONS, INJECTION_MODES, LayerSpec, NetworkSpec

__all__ = [
    "ACTIVATIONS",
    "INJECTION_MODES",
    "CompiledRules",
    "EncodedFrame",
    "KnowledgeNeurons",
    "LayerSpec",
    "MonotonePath",
    "NetworkSpec",
    "NumericEncoding",
    "SNASEnsemble",
    "SNASNetwork",
    "TabularEncoder",
    "compile_rules",
    "polarity",
]
