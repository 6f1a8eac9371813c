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

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import generate_bindings  # noqa: E402

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
X = TorchEBM.sample(sampler, 2, 100; n_steps = 10, eltype = Float64)
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
s = TE.langevin_sampler(user_energy(X -> vec(sum(abs2, X; dims = 1)) ./ 2, 2;
                                    energy_and_gradient = (E, G, X) -> (G .= X)); seed = 2)
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
        self.assertGreaterEqual(res.calls, res.functions)      # one @ccall each in the generated layer

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
                "X = TorchEBM.sample(s, 2, 10; stepsize = 0.1, n_steps = 5)\n"
                "e = double_well_energy(; a = 1.0, c = 2.0)\n")
        problems = self.run_use(code)
        self.assertCaught(problems, "use.jl:2: 'mala_sampler' has no keyword 'stepsize'",
                          "use.jl:3: 'TorchEBM.sample' has no keyword 'stepsize'",
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

    def test_ecosystem_names_are_not_shadowed(self):
        # sample is AbstractMCMC's (StatsBase's) verb, gradient Zygote's: the package exports neither
        code = ("using TorchEBM\ns = mala_sampler(harmonic_energy())\nX = sample(s, 2, 10; n_steps = 5)\n"
                "G = gradient(harmonic_energy(), X)\nH = energy_gradient(harmonic_energy(), X)\n")
        problems = self.run_use(code)
        self.assertCaught(problems, "use.jl:3: unknown function 'sample'", "use.jl:4: unknown function 'gradient'")
        self.assertEqual(len(problems), 2)
        code = "using TorchEBM, AbstractMCMC\nX = sample(mala_sampler(harmonic_energy()), 2, 10; n_steps = 5)\n"
        self.assertEqual(self.run_use(code), [])               # AbstractMCMC's sample (the extension's)

    def test_ecosystem_names(self):
        code = ("using TorchEBM, LogDensityProblems\nimport AbstractMCMC\nusing ChainRulesCore: rrule, NoTangent\n"
                "e = harmonic_energy()\nLogDensityProblems.logdensity(LogDensity(e, 2), [0.0, 0.0])\n"
                "m = AbstractMCMC.LogDensityModel(e)\nrrule(energy, e, [0.0])\n")
        self.assertEqual(self.run_use(code), [])
        code = ("using TorchEBM, LogDensityProblems\nimport AbstractMCMC\nusing ChainRulesCore: rrule, NoTangentt\n"
                "LogDensityProblems.log_density(nothing, [0.0])\nAbstractMCMC.stepp(nothing)\n"
                "ChainRulesCore.rrule(energy, nothing, [0.0])\n")
        self.assertCaught(self.run_use(code), "use.jl:3: 'NoTangentt' is not among the ChainRulesCore names",
                          "use.jl:4: unknown function 'LogDensityProblems.log_density'",
                          "use.jl:5: unknown function 'AbstractMCMC.stepp'",
                          "use.jl:6: unknown function 'ChainRulesCore.rrule'")   # ChainRulesCore not bound

    def test_rng_methods_keep_keywords_checked(self):
        # langevin_sampler(rng, e; kwargs...) reads its kwargs with haskey and forwards them: the
        # keywords stay checked against ebm_langevin_params
        code = "using TorchEBM, Random\ns = langevin_sampler(Xoshiro(1), harmonic_energy(); stepsize = 0.1)\n"
        self.assertCaught(self.run_use(code), "use.jl:2: 'langevin_sampler' has no keyword 'stepsize'")

    def test_extensions_against_project(self):
        with tempfile.TemporaryDirectory() as d:
            pkg = Path(d) / "pkg"
            shutil.copytree(PACKAGE, pkg)
            proj = pkg / "Project.toml"
            text = proj.read_text()
            text = text.replace('ChainRulesCore = "1"\n', "")                          # no compat bound
            text = text.replace('TorchEBMLogDensityProblemsExt = "LogDensityProblems"',
                                'TorchEBMLogDensityProblemsExt = "LogDensityProblemz"')  # not a weak dep
            proj.write_text(text)
            (pkg / "ext" / "TorchEBMAbstractMCMCExt.jl").rename(pkg / "ext" / "Renamed.jl")   # no file, stray file
            crc = pkg / "ext" / "TorchEBMChainRulesCoreExt.jl"
            crc.write_text(crc.read_text().replace("using ChainRulesCore:", "using StatsBase\nusing ChainRulesCore:"))
            res = check_julia.check(HEADER, [pkg], exports=self.exports, package=pkg, check_coverage=False)
        self.assertCaught(res.problems, "weak dependency ChainRulesCore has no [compat] bound",
                          "extension TorchEBMLogDensityProblemsExt: trigger LogDensityProblemz is not in [weakdeps]",
                          "extension TorchEBMAbstractMCMCExt has no file ext/TorchEBMAbstractMCMCExt.jl",
                          "Renamed.jl: not an extension of",
                          "extension TorchEBMChainRulesCoreExt loads StatsBase, which is neither its trigger")
        # and two consequences of the renamed trigger: LogDensityProblems is no longer one, LogDensityProblemz
        # is not loaded
        self.assertCaught(res.problems, "TorchEBMLogDensityProblemsExt loads LogDensityProblems, which is neither",
                          "extension TorchEBMLogDensityProblemsExt does not load LogDensityProblemz")
        self.assertEqual(len(res.problems), 7, res.problems)

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
        uses = [ROOT / "examples" / "julia", PACKAGE / "test", PACKAGE / "ext"]
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


# Planted bugs: each is applied to a fresh copy of the package (file, text to replace, bug) and
# the check must report it (with the given words; the first occurrence of the text is changed).
# A bug whose text is no longer in the file fails the test, so that the list follows the package.
STRUCT_GEN = "generated/structs.jl"
FUNC_GEN = "generated/functions.jl"
CONST_GEN = "generated/constants.jl"
PLANTED_BUGS = [
    ("swapped n and dim in a call", "energies.jl",
     "ebm_energy_eval_f64(e, X, n, d, out;", "ebm_energy_eval_f64(e, X, d, n, out;", "names parameter 'dim'"),
    ("swapped n and dim through the sampler's sizes", "samplers.jl",
     "ebm_sampler_get_samples_f32(s, X, n, dim)", "ebm_sampler_get_samples_f32(s, X, dim, n)",
     "names parameter 'n'"),
    ("wrong @cfunction argument type", "callbacks.jl",
     "(Ptr{Cdouble}, Int64, Int64, Ptr{Cdouble}, Ptr{Cvoid}))", "(Ptr{Cdouble}, Int32, Int64, Ptr{Cdouble}, Ptr{Cvoid}))",
     "@cfunction for ebm_energy_fn: argument n"),
    ("@cfunction without the user-data argument", "callbacks.jl",
     "(Ptr{Cdouble}, Int64, Int64, Ptr{Cdouble}, Ptr{Cvoid}))", "(Ptr{Cdouble}, Int64, Int64, Ptr{Cdouble}))",
     "4 argument types, but ebm_energy_fn takes 5"),
    ("wrong @cfunction return type", "samplers.jl",
     "@cfunction(_progress_trampoline, Int32,", "@cfunction(_progress_trampoline, Int64,",
     "@cfunction for ebm_progress_fn: return type"),
    ("trampoline without the user-data argument", "callbacks.jl",
     "mean_energy::Cdouble,\n                              user_data::Ptr{Cvoid})::Int32",
     "mean_energy::Cdouble)::Int32", "_progress_trampoline takes 3 arguments"),
    ("trampoline argument of the wrong type", "callbacks.jl",
     "function _progress_trampoline(steps_done::Int64,", "function _progress_trampoline(steps_done::Int32,",
     "_progress_trampoline's argument for ebm_progress_fn's steps_done"),
    ("user-data argument missing from a call", "callbacks.jl",
     "ebm_energy_callback_new(dim, efn, gfn, ud, ffn, out)", "ebm_energy_callback_new(dim, efn, gfn, ffn, out)",
     "5 arguments, but the C function takes 6"),
    ("wrong element type of a buffer", "energies.jl",
     "function energy!(out::Vector{Float64}, e::Energy, X::Matrix{Float64})",
     "function energy!(out::Vector{Float64}, e::Energy, X::Matrix{Float32})", "`X` holds Float32"),
    ("Ref of the wrong element type", "models.jl",
     "check(ebm_model_parameter_count(model, count))", "count = Ref{Int32}(0); check(ebm_model_parameter_count(model, count))",
     "`count` holds Int32"),
    ("Int32 for an int64_t in the @ccall layer", FUNC_GEN,
     "ebm_sampler_run(sampler::Ptr{Cvoid}, n_steps::Int64)", "ebm_sampler_run(sampler::Ptr{Cvoid}, n_steps::Int32)",
     "parameter n_steps"),
    ("missing return type", FUNC_GEN,
     "@ccall libtorchebm.ebm_version_number()::UInt32", "@ccall libtorchebm.ebm_version_number()",
     "needs one `lib.sym(args...)::Ret` expression"),
    ("wrong struct return type", FUNC_GEN,
     "@ccall libtorchebm.ebm_langevin_default_params()::ebm_langevin_params",
     "@ccall libtorchebm.ebm_langevin_default_params()::ebm_mala_params", "return type"),
    ("struct fields in the wrong order", STRUCT_GEN,
     "    end_value::Cdouble\n    # EXPONENTIAL_DECAY: the factor applied per step, in (0, 1]. Default 1.\n    decay_rate::Cdouble",
     "    decay_rate::Cdouble\n    end_value::Cdouble", "order must match"),
    ("Int64 for an enum field", STRUCT_GEN, "    kind::Int32\n", "    kind::Int64\n", "ebm_schedule.kind"),
    ("Ref in a struct field", STRUCT_GEN, "    mass::Ptr{Cdouble}\n", "    mass::Ref{Cdouble}\n", "Ref{...} is not valid"),
    ("wrong constant value", CONST_GEN, "const EBM_DTYPE_F64 = Int32(1)", "const EBM_DTYPE_F64 = Int32(2)",
     "const EBM_DTYPE_F64 = Int32(2), but the header has 1"),
    ("unknown keyword to a generated function", "models.jl",
     "check(ebm_model_parameter_count(model, count))",
     "check(ebm_model_parameter_count(model, count; may_call_julia = false))", "no keyword 'may_call_julia'"),
    ("all-reduce @cfunction with a signed count", "distributed.jl",
     "(Ptr{Cvoid}, Csize_t, Int32, Ptr{Cvoid}))", "(Ptr{Cvoid}, Int64, Int32, Ptr{Cvoid}))",
     "@cfunction for ebm_allreduce_fn: argument count"),
    ("@cfunction that escapes the check", "callbacks.jl",
     "ebm_energy_callback_new(dim, efn, gfn, ud, ffn, out)", "ebm_energy_callback_new(dim, efn, gfn, ud, C_NULL, out)",
     "@cfunction not passed to a C callback parameter"),
    ("hand-written copy of a generated constant", "errors.jl",
     "struct TorchEBMError <: Exception", "const EBM_OK = Int32(0)\n\nstruct TorchEBMError <: Exception",
     "const EBM_OK: defined again"),
    ("hand-written copy of a generated struct mirror", "types.jl",
     "const FloatType = ", "struct ebm_ais_result\n    log_z::Cdouble\nend\n\nconst FloatType = ",
     "struct ebm_ais_result: defined again"),
    ("misspelt C function", "samplers.jl", "ebm_sampler_run(s, n_steps;", "ebm_sampler_runn(s, n_steps;",
     "ebm_sampler_runn is neither a C function"),
]


class PlantedBugs(unittest.TestCase):
    exports: set[str] | None = None

    def test_every_planted_bug_is_caught(self):
        caught = 0
        for what, rel, old, new, needle in PLANTED_BUGS:
            with self.subTest(what), tempfile.TemporaryDirectory() as d:
                pkg = Path(d) / "pkg"
                shutil.copytree(PACKAGE, pkg)
                f = pkg / "src" / rel
                text = f.read_text()
                self.assertIn(old, text, f"{rel}: the text to plant '{what}' in is gone")
                f.write_text(text.replace(old, new, 1))
                res = check_julia.check(HEADER, [pkg], exports=self.exports, package=pkg)
                self.assertTrue(res.problems, f"not caught: {what}")
                self.assertIn(needle, "\n".join(res.problems), f"{what}: caught, but not as expected")
                caught += 1
        self.assertEqual(caught, len(PLANTED_BUGS))
        self.assertGreaterEqual(len(PLANTED_BUGS), 13)


class GeneratedLayers(unittest.TestCase):
    """The committed generated files are what the generator writes, and its --check fails (and
    says what to run) when one of them, or the header, changed."""

    def copy_root(self, d: str) -> Path:
        root = Path(d)
        for rel in [generate_bindings.HEADER, *generate_bindings.outputs(ROOT / generate_bindings.HEADER)]:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / rel, root / rel)
        return root

    def test_committed_files_are_current(self):
        self.assertEqual(generate_bindings.main(["--root", str(ROOT), "--check"]), 0)

    def test_edited_generated_file_is_stale(self):
        with tempfile.TemporaryDirectory() as d:
            root = self.copy_root(d)
            f = root / generate_bindings.CPP_DISPATCH
            f.write_text(f.read_text().replace("ebm_energy_eval_f64", "ebm_energy_eval_f32"))
            self.assertEqual(generate_bindings.main(["--root", str(root), "--check"]), 1)
            self.assertEqual(generate_bindings.main(["--root", str(root)]), 0)
            self.assertEqual(generate_bindings.main(["--root", str(root), "--check"]), 0)

    def test_changed_header_makes_them_stale(self):
        with tempfile.TemporaryDirectory() as d:
            root = self.copy_root(d)
            h = root / generate_bindings.HEADER
            h.write_text(h.read_text().replace("#define EBM_DTYPE_F64 1", "#define EBM_DTYPE_F64 7"))
            self.assertEqual(generate_bindings.main(["--root", str(root), "--check"]), 1)

    def test_every_file_says_it_is_generated(self):
        for rel, text in generate_bindings.outputs(ROOT / generate_bindings.HEADER).items():
            self.assertIn("generated by scripts/generate_bindings.py", text.splitlines()[0], rel)
            self.assertIn("do not edit", text.splitlines()[0], rel)


def main() -> int:
    global HEADER, PACKAGE
    ap = argparse.ArgumentParser()
    ap.add_argument("--header", type=Path, default=HEADER)
    ap.add_argument("--library", type=Path, default=LIBRARY)
    ap.add_argument("--package", type=Path, default=PACKAGE)
    args, rest = ap.parse_known_args()
    HEADER, PACKAGE = args.header, args.package
    CheckJuliaNegative.exports = check_julia.library_exports(args.library) if args.library.is_file() else None
    PlantedBugs.exports = CheckJuliaNegative.exports
    prog = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=1)
    return 0 if prog.result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
