"""libtorchebm's convergence diagnostics agree with ArviZ on the same arrays.

Usage: python diagnostics_arviz.py path/to/libtorchebm.so

For each test array (row-major (n_draws, n_chains, dim), the sampler trajectory layout) the
library's R-hat, bulk ESS, tail ESS and chain-averaged autocorrelation of every coordinate
are compared with ArviZ's az.rhat(method="rank"), az.ess(method="bulk"),
az.ess(method="tail") and the mean over chains of az.autocorr, on the (chain, draw) array of
that coordinate: to 1e-6 relative (NaN must match NaN). Float32 arrays go through the _f32
entry points and are given to ArviZ widened to float64, as the library widens them.
"""

import ctypes
import sys
import warnings

import numpy as np

warnings.simplefilter("ignore")  # ArviZ's refactoring notice, 0/0 in constant chains
import arviz as az  # noqa: E402

TOLERANCE = 1e-6
lib = ctypes.CDLL(sys.argv[1])
lib.ebm_last_error_message.restype = ctypes.c_char_p
c_double_p = ctypes.POINTER(ctypes.c_double)
for suffix, pointer in (("f32", ctypes.POINTER(ctypes.c_float)), ("f64", c_double_p)):
    sizes = [pointer, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64]
    for name in ("rhat", "ess_bulk", "ess_tail"):
        getattr(lib, f"ebm_diagnostics_{name}_{suffix}").argtypes = sizes + [c_double_p]
    getattr(lib, f"ebm_diagnostics_autocorrelation_{suffix}").argtypes = sizes + [ctypes.c_int64, c_double_p]


def library(name, draws, *extra, out_len=None):
    draws = np.ascontiguousarray(draws)
    suffix = {np.float32: "f32", np.float64: "f64"}[draws.dtype.type]
    ctype = ctypes.c_float if suffix == "f32" else ctypes.c_double
    n_draws, n_chains, dim = draws.shape
    out = np.full(out_len or dim, -7.0)
    status = getattr(lib, f"ebm_diagnostics_{name}_{suffix}")(
        draws.ctypes.data_as(ctypes.POINTER(ctype)), n_draws, n_chains, dim, *extra,
        out.ctypes.data_as(c_double_p))
    assert status == 0, lib.ebm_last_error_message().decode()
    return out


def reference(draws, max_lag):
    """ArviZ on each coordinate's (chain, draw) array."""
    values = draws.astype(np.float64)
    n_draws, n_chains, dim = values.shape
    rhat, bulk, tail = np.empty(dim), np.empty(dim), np.empty(dim)
    acf = np.empty((max_lag + 1, dim))
    for j in range(dim):
        chains = np.ascontiguousarray(values[:, :, j].T)
        rhat[j] = az.rhat(chains, method="rank")
        bulk[j] = az.ess(chains, method="bulk")
        tail[j] = az.ess(chains, method="tail")
        acf[:, j] = np.mean([az.autocorr(chains[c])[: max_lag + 1] for c in range(n_chains)], axis=0)
    return rhat, bulk, tail, acf


def deviation(actual, expected):
    """Largest relative deviation; inf where exactly one of the two is NaN."""
    actual, expected = np.ravel(actual), np.ravel(expected)
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    if (nan_a != nan_e).any():
        return np.inf
    both = ~nan_a
    if not both.any():
        return 0.0
    a, e = actual[both], expected[both]
    return float(np.max(np.abs(a - e) / np.maximum(np.abs(e), 1e-300)))


def ar1(rng, n_draws, n_chains, dim, rho):
    x = np.empty((n_draws, n_chains, dim))
    x[0] = rng.standard_normal((n_chains, dim))
    for t in range(1, n_draws):
        x[t] = rho * x[t - 1] + np.sqrt(1 - rho * rho) * rng.standard_normal((n_chains, dim))
    return x


def cases():
    rng = np.random.default_rng(20211)
    yield "iid normal (400, 4, 3)", rng.standard_normal((400, 4, 3))
    yield "AR(1) rho=0.9, odd n (1001, 4, 2)", ar1(rng, 1001, 4, 2, 0.9)
    yield "AR(1) rho=-0.5 (300, 2, 2)", ar1(rng, 300, 2, 2, -0.5)
    yield "Student t df=1.5, odd n (257, 3, 2)", rng.standard_t(1.5, (257, 3, 2))
    shifted = rng.standard_normal((200, 4, 2))
    shifted[:, :, 0] += np.arange(4) * 0.5
    yield "shifted chain means (200, 4, 2)", shifted
    yield "one chain (100, 1, 2)", rng.standard_normal((100, 1, 2))
    yield "minimum n_draws (4, 2, 2)", rng.standard_normal((4, 2, 2))
    yield "five draws (5, 3, 1)", rng.standard_normal((5, 3, 1))
    yield "ties: rounded draws (300, 4, 2)", np.round(rng.standard_normal((300, 4, 2)), 1)
    constant = rng.standard_normal((120, 3, 2))
    constant[:, :, 1] = 1.0
    yield "a constant coordinate (120, 3, 2)", constant
    yield "float32 AR(1) rho=0.7 (601, 4, 3)", ar1(rng, 601, 4, 3, 0.7).astype(np.float32)
    yield "many coordinates (500, 8, 16)", ar1(rng, 500, 8, 16, 0.5)


def main():
    worst = {"rhat": 0.0, "ess_bulk": 0.0, "ess_tail": 0.0, "autocorrelation": 0.0}
    failures = []
    for label, draws in cases():
        n_draws, n_chains, dim = draws.shape
        max_lag = min(n_draws - 1, 50)
        rhat, bulk, tail, acf = reference(draws, max_lag)
        got = {
            "rhat": (library("rhat", draws), rhat),
            "ess_bulk": (library("ess_bulk", draws), bulk),
            "ess_tail": (library("ess_tail", draws), tail),
            "autocorrelation": (
                library("autocorrelation", draws, max_lag, out_len=(max_lag + 1) * dim).reshape(max_lag + 1, dim),
                acf),
        }
        for name, (actual, expected) in got.items():
            d = deviation(actual, expected)
            worst[name] = max(worst[name], d)
            if not d <= TOLERANCE:
                failures.append(f"{label}: {name} deviates {d:.3g}: library {actual!r}, ArviZ {expected!r}")
        print(f"{label}: R-hat {np.round(rhat, 4)}, bulk ESS {np.round(bulk, 1)}, tail ESS {np.round(tail, 1)}")
    print("max relative deviation from ArviZ " + az.__version__ + ": "
          + ", ".join(f"{k} {v:.2e}" for k, v in worst.items()))
    # Negative controls: the checks above can fail.
    assert deviation(np.array([1.0]), np.array([1.0 + 1e-5])) > TOLERANCE
    assert deviation(np.array([np.nan]), np.array([1.0])) == np.inf
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print("diagnostics_arviz: OK")


main()
