"""Rule files: the grammar, the immutable rule tree, satisfiability reasoning and static checks.

This subpackage never imports torch, so ``snas check`` stays fast.
"""

from snas.rules._check import (
    CheckReport,
    Finding,
    RuleStats,
    check_rules,
    key_span,
    require_rules_for,
    rule_stats,
    shield_bodies,
)
from snas.rules._evaluate import ColumnView, holds, holds_many
from snas.rules._logic import LogicContext, UndecidedError, find_overlap, is_satisfiable
from snas.rules._parse import KEYWORDS, load_rules, parse_condition, parse_rules, read_rule_text
from snas.rules._polarity import against_monotonic, against_monotonic_message, polarity
from snas.rules._prolog import import_prolog
from snas.rules._schema import rule_file_schema
from snas.rules._suggest import Proposal, Rejected, SuggestReport, suggest_rules
from snas.rules._tree import (
    And,
    Compare,
    Condition,
    Constraints,
    Member,
    Not,
    Or,
    Rule,
    RuleSet,
    Span,
    atoms,
    features_of,
    to_text,
)

__all__ = [
    "KEYWORDS",
    "And",
    "CheckReport",
    "ColumnView",
    "Compare",
    "Condition",
    "Constraints",
    "Finding",
    "LogicContext",
    "Member",
    "Not",
    "Or",
    "Proposal",
    "Rejected",
    "Rule",
    "RuleSet",
    "RuleStats",
    "Span",
    "SuggestReport",
    "UndecidedError",
    "against_monotonic",
    "against_monotonic_message",
    "atoms",
    "check_rules",
    "features_of",
    "find_overlap",
    "holds",
    "holds_many",
    "import_prolog",
    "is_satisfiable",
    "key_span",
    "load_rules",
    "parse_condition",
    "parse_rules",
    "polarity",
    "read_rule_text",
    "require_rules_for",
    "rule_file_schema",
    "rule_stats",
    "shield_bodies",
    "suggest_rules",
    "to_text",
]
