"""Input limits, in one place: beyond these snas refuses a file with a message naming the limit.

They bound the time and memory hostile files can cost (a 50 MB rule file, a YAML alias bomb,
a condition nested thousands of levels deep) while staying far above anything written by
hand: the Census Income rule file is 4 KB with 10 rules of under 100 characters. The README's
rule-file section documents them; ``rules.schema.json`` repeats the rule-file ones for editors.
"""

from __future__ import annotations

__all__ = [
    "MAX_CONDITION_CHARS",
    "MAX_CONDITION_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_ID_CHARS",
    "MAX_INT_DIGITS",
    "MAX_PAIR_FINDINGS",
    "MAX_RULES",
    "MAX_SAT_DECISIONS",
    "MAX_SAT_DECISIONS_TOTAL",
    "MAX_YAML_DEPTH",
]

#: Largest rule file, search configuration, dataset manifest, documentation or Datalog file
#: (checked before parsing; parsing 1 MB of YAML takes about 2 s).
MAX_FILE_BYTES = 1_000_000

#: Most rules in one rule file (``snas check`` compares every pair of rules).
MAX_RULES = 1_000

#: Most decisions the satisfiability solver of ``snas check`` spends on one question (is this
#: rule dead, can these two rules both hold?) before reporting it undecided, as a warning
#: (about 0.2 ms each). Its clauses grow linearly with the conditions; real rule files are
#: settled by interval reasoning, without it.
MAX_SAT_DECISIONS = 10_000

#: Most solver decisions in one check of a rule file, over all its questions, each question
#: counting one more (at most about 20 s); once spent, the remaining questions that interval
#: reasoning cannot settle are reported undecided.
MAX_SAT_DECISIONS_TOTAL = 30_000

#: Most findings of one kind about pairs of rules (hard-conflict, hard-soft-overlap,
#: conflict-resolved, undecided) that ``snas check`` lists; one more finding counts the rest.
#: Every pair is still examined: the exit code does not depend on this limit.
MAX_PAIR_FINDINGS = 100

#: Longest ``if:`` / ``unless:`` condition, in characters.
MAX_CONDITION_CHARS = 2_000

#: Longest rule id, in characters (ids appear in every message about the rule).
MAX_ID_CHARS = 100

#: Deepest nesting of parentheses and brackets inside one condition.
MAX_CONDITION_DEPTH = 64

#: Deepest nesting of YAML mappings and lists (real files use at most 5 levels).
MAX_YAML_DEPTH = 20

#: Longest integer written in a YAML file, in digits (larger values are refused, not rounded).
MAX_INT_DIGITS = 18
