"""The student-weighted coefficient of variation as a convex cone, and its tangent cuts.

With Y' the resources of the parts of one stage and P their students (standards.md §3):

    X̄ = ΣY'/ΣP,   S = sqrt(Σ (P_i/P)(Y'_i/P_i − X̄)²),   CV = S / X̄.

``S − c·X̄`` is a norm of an affine map minus a linear function: convex and positively homogeneous
of degree one. Its tangent at any point Y0 therefore passes through the origin, and the
outer-approximation cut is simply ``Σ_i (d_i/S0 − c) · Y'_i ≤ 0`` with ``d_i = Y0_i/P_i − X̄0``
(the gradient of S is d/(P·S0) because Σ P_i d_i = 0). Every such cut is valid for every feasible
Y', so a MILP with any set of them is a relaxation and its bound is a true lower bound.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize


def weighted_cv(resource: np.ndarray, students: np.ndarray) -> float:
    total_p = float(students.sum())
    mean = float(resource.sum()) / total_p
    if mean <= 0:
        return float("inf") if np.any(resource > 0) else 0.0
    dev = resource / students - mean
    return float(np.sqrt(np.sum(students / total_p * dev**2)) / mean)


def tangent_cut(point: np.ndarray, students: np.ndarray, limit: float) -> np.ndarray | None:
    """Coefficients g with ``g · Y' ≤ 0`` for all Y' of CV ≤ limit; None where S(point) = 0."""
    total_p = float(students.sum())
    mean = float(point.sum()) / total_p
    dev = point / students - mean
    s = float(np.sqrt(np.sum(students / total_p * dev**2)))
    if s <= 1e-12 * max(abs(mean), 1.0):
        return None
    cut: np.ndarray = dev / s - limit
    return cut


def _cv_and_grad(resource: np.ndarray, students: np.ndarray) -> tuple[float, np.ndarray]:
    total_p = float(students.sum())
    mean = float(resource.sum()) / total_p
    dev = resource / students - mean
    s = float(np.sqrt(np.sum(students / total_p * dev**2)))
    cv = s / mean
    if s <= 0:
        return cv, np.zeros_like(resource)
    # dS/dY_i = d_i/(P·S), dX̄/dY_i = 1/P  ⇒  dCV/dY_i = (d_i/S − CV)/(P·X̄).
    return cv, (dev / s - cv) / (total_p * mean)


def min_cv_in_box(lower: np.ndarray, upper: np.ndarray, students: np.ndarray,
                  target: float | None = None) -> float:
    """The least CV reachable with each Y'_i in [lower_i, upper_i] (continuous).

    CV is quasi-convex on the positive orthant (a convex function over a positive linear one), so
    a local minimum over a box is the global one; the result bounds what any plan can reach.
    With ``target`` given, a quick feasible point at or below it is returned as soon as found.
    """
    if np.all(upper - lower <= 1e-9):
        return weighted_cv(lower, students)
    scale = max(float(upper.max()), 1.0)
    lo, hi = lower / scale, upper / scale
    best = min(weighted_cv(lo, students), weighted_cv(hi, students))
    # Every part clipped toward a common ratio: the natural shape of a least-CV point.
    for ratio in np.quantile(hi / students, [0.25, 0.5, 0.75, 1.0]):
        best = min(best, weighted_cv(np.clip(ratio * students, lo, hi), students))
    if target is not None and best <= target:
        return best
    x0 = np.clip(float(np.median(hi / students)) * students, lo, hi)
    res = minimize(_cv_and_grad, x0, args=(students,), jac=True, method="L-BFGS-B",
                   bounds=list(zip(lo, hi, strict=False)), options={"maxiter": 5000, "ftol": 1e-15, "gtol": 1e-12})
    return min(best, float(res.fun))
