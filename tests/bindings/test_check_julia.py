#!/usr/bin/env python3
"""Negative self-tests of check_julia.py: deliberately wrong Julia snippets (and a C++ file
that misses a function, and files using the package with unknown functions or keywords) must
each be reported, and correct snippets must pass, so that the check cannot pass vacuously.

  $(scripts/setup-tools.sh)/python tests/bindings/test_check_julia.py \
      [--header include/torchebm.h] [--library target/release/libtorchebm.so]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import check_julia  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
HEADER = ROOT / "include" / "torchebm.h"
LIBRARY = ROOT / "target" / "release" / "libtorchebm.so"
PACKAGE = ROOT / "bindings" / "julia"

GOOD = """
global libtorchebm::String = "libtorchebm"
struct ebm_schedule
    kind::Int32
    end_value::Cdouble
    decay_rate::Cdouble
    min_value::Cdouble
    n_steps::Int64
end
f(e, X, n, d, out) = ccall((:ebm_energy_eval_f64, libtorchebm), Cint,
                           (Ptr{Cvoid}, Ptr{Cdouble}, Int64, Int64, Ptr{Cdouble}), e, X, n, d, out)
g(s, n) = @ccall gc_safe=true libtorchebm.ebm_sampler_run(s::Ptr{Cvoid}, n::Int64)::Cint
h(s, n) = @ebm_blocking false libtorchebm.ebm_sampler_run(s::Ptr{Cvoid}, n::Int64)::Cint
v() = unsafe_string(@ccall libtorchebm.ebm_version()::Cstring)
p(out) = @ccall libtorchebm.ebm_energy_harmonic_new(1.0::Cdouble, out::Ref{Ptr{Cvoid}})::Cint
"""

# A file that uses the package as the examples do; the names check must accept all of it.
GOOD_USE = """
using TorchEBM
using TorchEBM: TorchEBMError
using Statistics
import Random
const T = TorchEBM
import TorchEBM as TE

Random.seed!(1)
well = double_well_energy(a = 1.0, b = 2.0)
sampler = mala_sampler(well; step_size = 0.05, adapt_steps = 10, seed = 1)   # params fields
X = sample(sampler, 2, 100; n_steps = 10, eltype = Float64)
println("acceptance ", round(T.stats(sampler).mean_acceptance; digits = 3), " ", mean(X))
twice(f, x) = f(f(x))
function summary(e; scale = 1)
    E, G = energy_and_gradient(e, X)
    return scale * sum(E) + sum(abs, G)
end
println(twice(x -> x + 1, 1), summary(well; scale = 2))
for (i, v) in ((1, 2), (3, 4)), j in 1:2
    println(i, v, j)
end
s = TE.langevin_sampler(user_energy(x -> 0.5 * sum(abs2, x), 2; gradient = x -> x); seed = 2)
set_progress_callback!(s, (done, total, e) -> (println(done); true); interval = 5)
Y = Float32.(samples!(zeros(Float32, 2, 4), s))
try
    energy(well, zeros(3, 1))
catch err
    err isa TorchEBMError && println(err.status == T.EBM_ERR_DIMENSION_MISMATCH)
end
@assert T.version_number() > 0
"""


class CheckJuliaNegative(unittest.TestCase):
    exports: set[str] | None = None

    def run_snippet(self, code: str, *, exports=None, coverage=False, cpp=None, package=None):
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "snippet.jl"
            f.write_text(code)
            res = check_julia.check(HEADER, [f], exports=exports if exports is not None else self.exports,
                                    package=package, cpp=cpp, check_coverage=coverage)
        return res.problems

    def assertCaught(self, problems, *needles):
        text = "\n".join(problems)
        self.assertTrue(problems, "the checker reported nothing")
        for n in needles:
            self.assertIn(n, text)

    def test_good_snippet_passes(self):
        self.assertEqual(self.run_snippet(GOOD), [])

    def test_syntax_error(self):
        problems = self.run_snippet("function f(x)\n    x + (1\nend\n")
        self.assertCaught(problems, "snippet.jl:", "syntax")

    def test_wrong_type_count(self):
        code = 'f(s) = ccall((:ebm_sampler_run, libtorchebm), Cint, (Ptr{Cvoid},), s)\n'
        self.assertCaught(self.run_snippet(code), "1 argument types", "2 parameters")

    def test_wrong_actual_arg_count(self):
        code = 'f(s, n) = ccall((:ebm_sampler_run, libtorchebm), Cint, (Ptr{Cvoid}, Int64), s)\n'
        self.assertCaught(self.run_snippet(code), "1 arguments passed for 2 argument types")

    def test_wrong_arg_count_ccall_macro(self):
        code = 'f(s) = @ccall libtorchebm.ebm_sampler_run(s::Ptr{Cvoid})::Cint\n'
        self.assertCaught(self.run_snippet(code), "1 argument types")

    def test_wrong_scalar_type(self):
        code = 'f(s, n) = @ccall libtorchebm.ebm_sampler_run(s::Ptr{Cvoid}, n::Int32)::Cint\n'
        self.assertCaught(self.run_snippet(code), "parameter n_steps", "Int32")

    def test_wrong_pointee_type(self):
        code = ('f(e, X, n, d, o) = @ebm_blocking false libtorchebm.ebm_energy_eval_f64('
                'e::Ptr{Cvoid}, X::Ptr{Cfloat}, n::Int64, d::Int64, o::Ptr{Cdouble})::Cint\n')
        self.assertCaught(self.run_snippet(code), "parameter x", "Cfloat")

    def test_wrong_return_type(self):
        code = 'v() = @ccall libtorchebm.ebm_version_number()::Int64\n'
        self.assertCaught(self.run_snippet(code), "return type", "Int64")

    def test_wrong_struct_return(self):
        code = 'struct ebm_mala_params\n    struct_size::Csize_t\nend\n' \
               'p() = @ccall libtorchebm.ebm_langevin_default_params()::ebm_mala_params\n'
        self.assertCaught(self.run_snippet(code), "ebm_langevin_params")

    def test_unknown_symbol(self):
        code = 'f() = @ccall libtorchebm.ebm_no_such_function()::Cint\n'
        self.assertCaught(self.run_snippet(code), "ebm_no_such_function is not declared")

    def test_symbol_not_exported(self):
        exports = set(check_julia.parse_header(HEADER).functions) - {"ebm_version"}
        code = 'v() = @ccall libtorchebm.ebm_version()::Cstring\n'
        self.assertCaught(self.run_snippet(code, exports=exports), "ebm_version is not exported")

    def test_nonliteral_symbol(self):
        code = 'f(sym) = ccall((sym, libtorchebm), Cint, ())\n'
        self.assertCaught(self.run_snippet(code), "not a literal")

    def test_struct_mismatch(self):
        code = ('struct ebm_schedule\n    kind::Int32\n    decay_rate::Cdouble\n    end_value::Cdouble\n'
                '    min_value::Cdouble\n    n_steps::Int64\nend\n')
        self.assertCaught(self.run_snippet(code), "struct ebm_schedule", "order must match")
        code = ('struct ebm_schedule\n    kind::Int64\n    end_value::Cdouble\n    decay_rate::Cdouble\n'
                '    min_value::Cdouble\n    n_steps::Int64\nend\n')
        self.assertCaught(self.run_snippet(code), "ebm_schedule.kind", "Int64")

    def test_missing_function(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = Path(d) / "pkg"
            shutil.copytree(PACKAGE, pkg)
            src = pkg / "src" / "samplers.jl"
            lines = src.read_text().splitlines(keepends=True)
            kept = [ln for ln in lines if "ebm_sampler_reseed" not in ln]
            self.assertLess(len(kept), len(lines))
            src.write_text("".join(kept))
            res = check_julia.check(HEADER, [pkg], exports=self.exports, package=pkg)
        self.assertCaught(res.problems, "ebm_sampler_reseed is never called by the Julia package")

    def planted_package(self, path: str, old: str, new: str):
        """The problems of a copy of the package with `old` replaced by `new` in src/`path`."""
        with tempfile.TemporaryDirectory() as d:
            pkg = Path(d) / "pkg"
            shutil.copytree(PACKAGE, pkg)
            src = pkg / "src" / path
            text = src.read_text()
            self.assertIn(old, text)
            src.write_text(text.replace(old, new, 1))
            return check_julia.check(HEADER, [pkg], exports=self.exports, package=pkg).problems

    def test_keyword_default_repeating_a_library_default(self):
        # The schedule bug of issue 12: a hand-written min_value = 0 beside the library's.
        problems = self.planted_package("types.jl", "function schedule(kind::Symbol = :constant; kwargs...)",
                                        "function schedule(kind::Symbol = :constant; min_value::Real = 0.0, "
                                        "kwargs...)")
        self.assertCaught(problems, "schedule: keyword default `min_value = 0.0`", "ebm_schedule.min_value")
        self.assertEqual(len(problems), 1)
        # Negative numbers and Bools count; so does a field passed on explicitly.
        problems = self.planted_package("models.jl", "function mlp_model(; hidden::AbstractVector{<:Integer} = Int[], kwargs...)",
                                        "function mlp_model(; hidden::AbstractVector{<:Integer} = Int[], "
                                        "device::Integer = -1, spectral_norm::Bool = false, kwargs...)")
        self.assertCaught(problems, "`device = -1`", "`spectral_norm = false`", "ebm_mlp_params.device")
        self.assertEqual(len(problems), 2)

    def test_keyword_default_of_no_params_field_is_allowed(self):
        # thin is no field of a params struct the function fills, and a keyword defaulting to a
        # name (not a number) repeats no value.
        problems = self.planted_package("models.jl", "function mlp_model(; hidden::AbstractVector{<:Integer} = Int[], kwargs...)",
                                        "function mlp_model(; hidden::AbstractVector{<:Integer} = Int[], thin = 1, "
                                        "seed = nothing, kwargs...)")
        self.assertEqual(problems, [])

    def test_real_package_covers_everything(self):
        res = check_julia.check(HEADER, [PACKAGE], exports=self.exports, package=PACKAGE)
        self.assertEqual(res.problems, [])
        self.assertEqual(res.covered, res.functions)
        self.assertGreater(res.calls, res.functions)

    # --- the names check (--uses): files that use the package -------------------------

    def run_use(self, code: str):
        with tempfile.TemporaryDirectory() as d:
            f = Path(d) / "use.jl"
            f.write_text(code)
            res = check_julia.check(HEADER, [f], exports=self.exports, package=PACKAGE, uses=[f],
                                    check_coverage=False)
        self.assertEqual(res.use_files, 1)
        return res.problems

    def test_good_use_passes(self):
        self.assertEqual(self.run_use(GOOD_USE), [])

    def test_unknown_function(self):
        code = "using TorchEBM\ns = mala_sampler(harmonic_energy())\nX = sampel(s, 2, 10; n_steps = 5)\n"
        problems = self.run_use(code)
        self.assertCaught(problems, "use.jl:3: unknown function 'sampel'")
        self.assertEqual(len(problems), 1)

    def test_unknown_qualified_function_and_name(self):
        code = "import TorchEBM as T\nT.statz(nothing)\nx = T.EBM_ERR_NO_SUCH\nTorchEBM.kind(nothing)\n"
        self.assertCaught(self.run_use(code), "use.jl:2: unknown function 'T.statz'",
                          "use.jl:3: unknown name 'T.EBM_ERR_NO_SUCH'",
                          "use.jl:4: unknown function 'TorchEBM.kind'")    # TorchEBM itself not bound

    def test_unknown_keyword(self):
        code = ("using TorchEBM\ns = mala_sampler(harmonic_energy(); stepsize = 0.1)\n"
                "X = sample(s, 2, 10; stepsize = 0.1, n_steps = 5)\n"
                "e = double_well_energy(; a = 1.0, c = 2.0)\n")
        problems = self.run_use(code)
        self.assertCaught(problems, "use.jl:2: 'mala_sampler' has no keyword 'stepsize'",
                          "use.jl:3: 'sample' has no keyword 'stepsize'",
                          "use.jl:4: 'double_well_energy' has no keyword 'c'")
        self.assertEqual(len(problems), 3)

    def test_keywords_in_test_throws_are_not_checked(self):
        code = "using Test, TorchEBM\n@test_throws ArgumentError mala_sampler(harmonic_energy(); nope = 1)\n"
        self.assertEqual(self.run_use(code), [])
        code = "using TorchEBM\n@test_throws ArgumentError mala_sampler(harmonic_energy())\n"
        self.assertCaught(self.run_use(code), "unknown macro '@test_throws'")   # no `using Test`

    def test_names_need_using(self):
        code = "X = sample(nothing, 2, 10; n_steps = 1)\nm = mean([1.0])\nTorchEBM.@ebm_blocking\n"
        self.assertCaught(self.run_use(code), "use.jl:1: unknown function 'sample'",
                          "use.jl:2: unknown function 'mean'", "use.jl:3: unknown macro 'TorchEBM.@ebm_blocking'")
        code = "using TorchEBM: no_such_thing\n"
        self.assertCaught(self.run_use(code), "TorchEBM defines no 'no_such_thing'")

    def test_export_of_undefined_name(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = Path(d) / "pkg"
            shutil.copytree(PACKAGE, pkg)
            main = pkg / "src" / "TorchEBM.jl"
            main.write_text(main.read_text().replace("export TorchEBMError,", "export TorchEBMError, sampel,"))
            use = Path(d) / "use.jl"
            use.write_text("using TorchEBM\n")
            res = check_julia.check(HEADER, [pkg], exports=self.exports, package=pkg, uses=[use],
                                    check_coverage=False)
        self.assertCaught(res.problems, "TorchEBM exports 'sampel', which the package does not define")

    def test_real_uses_pass(self):
        uses = [ROOT / "examples" / "julia", PACKAGE / "test"]
        res = check_julia.check(HEADER, [PACKAGE], exports=self.exports, package=PACKAGE, uses=uses)
        self.assertEqual(res.problems, [])
        self.assertGreater(res.use_files, 4)
        self.assertGreater(res.use_calls, 300)

    def test_cpp_missing_function_and_file(self):
        names = sorted(check_julia.parse_header(HEADER).functions)
        with tempfile.TemporaryDirectory() as d:
            hpp = Path(d) / "dummy.hpp"
            hpp.write_text("\n".join(f"inline void w{i}() {{ {n}(); }}" for i, n in enumerate(names)
                                     if n != "ebm_render_png") + "\n// ebm_render_png is only mentioned\n")
            problems = self.run_snippet(GOOD, cpp=hpp)
            self.assertCaught(problems, "ebm_render_png is never called")
            self.assertEqual(len(problems), 1)
            problems = self.run_snippet(GOOD, cpp=Path(d) / "absent.hpp")
            self.assertCaught(problems, "C++ wrapper not found")


def main() -> int:
    global HEADER, PACKAGE
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", type=Path, default=HEADER)
    ap.add_argument("--library", type=Path, default=LIBRARY)
    ap.add_argument("--package", type=Path, default=PACKAGE)
    args, rest = ap.parse_known_args()
    HEADER, PACKAGE = args.header, args.package
    CheckJuliaNegative.exports = check_julia.library_exports(args.library) if args.library.is_file() else None
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=1)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
