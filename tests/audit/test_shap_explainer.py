"""How the audit drives shap: numba's compiler off for shap's own loops (same values, no
compile time), and the permutation explainer without the main effects shap 0.51 computes
for every row after a call's first."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from snas.audit._explain import _permutation_explainer, import_shap


def test_permutation_explainer_evaluates_each_row_once() -> None:
    shap = import_shap()
    rng = np.random.default_rng(0)
    background, rows = rng.random((20, 4)), rng.random((5, 4))
    calls: list[int] = []

    def f(z: np.ndarray) -> np.ndarray:
        calls.append(len(z))
        return z @ np.array([1.0, -2.0, 0.5, 3.0])

    masker = shap.maskers.Independent(background, max_samples=len(background))
    ours = _permutation_explainer(shap)(f, masker, seed=3)(rows, max_evals=9, silent=True).values
    assert len(calls) == len(rows)  # one batch of masks per row; shap's own computes 2 per row after the first
    plain = np.vstack(
        [shap.PermutationExplainer(f, masker, seed=3)(r[None], max_evals=9, silent=True).values for r in rows[:1]]
    )
    np.testing.assert_allclose(ours[:1], plain, rtol=0, atol=1e-12)
    # a linear model's SHAP values are exact: weight × (value − background mean)
    expected = (rows - background.mean(0)) * np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(ours, expected, atol=1e-9)


def test_shap_is_imported_with_its_loops_uncompiled_and_numba_restored() -> None:
    code = (
        "import numba.core.config as c, types\n"
        "from snas.audit._explain import import_shap\n"
        "s = import_shap()\n"
        "from shap.utils import _masked_model as m\n"
        "from shap.maskers import _tabular as t\n"
        "print(isinstance(m._build_fixed_single_output, types.FunctionType),"
        " isinstance(t._delta_masking, types.FunctionType), c.DISABLE_JIT)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "True", "0"]
