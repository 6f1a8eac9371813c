"""
    TorchEBM

Julia bindings of libtorchebm (`include/torchebm.h`): energy functions, MCMC samplers,
neural energy models, losses, optimizers, toy datasets and checkpoints.

Points are the COLUMNS of a `(dim, n)` `Matrix{Float32}` or `Matrix{Float64}`: its bytes are
exactly the C library's row-major `(n, dim)` buffer, so arrays are passed without copying.

The library is found through the environment variable `TORCHEBM_LIB` (a path to
`libtorchebm.so`), else the preference set by [`TorchEBM.set_library!`](@ref), else the
system's search path. See `src/library.jl`.

Names that other packages own are extended, not shadowed: `TorchEBM.sample` is not exported
(AbstractMCMC's `sample` is the ecosystem's), the energy gradient is `energy_gradient` (not
Zygote's `gradient`). With the weak dependencies loaded, package extensions (ext/) make an
[`Energy`](@ref) (or a [`LogDensity`](@ref)) a LogDensityProblems log density, a
[`Sampler`](@ref) an AbstractMCMC sampler, and `energy` differentiable by ChainRulesCore
(Zygote, Turing).
"""
module TorchEBM

using Libdl
using Preferences
using Random: AbstractRNG

export TorchEBMError, free!,
       Energy, gaussian_energy, double_well_energy, harmonic_energy, rosenbrock_energy,
       ackley_energy, rastrigin_energy, himmelblau_energy, booth_energy,
       styblinski_tang_energy, gaussian_mixture_energy, composite_energy, user_energy,
       energy, energy!, energy_gradient, energy_gradient!, energy_and_gradient, energy_and_gradient!,
       hvp, hvp!, energy_gradient_hvp, energy_gradient_hvp!,
       Sampler, langevin_sampler, mala_sampler, hmc_sampler, kinetic_langevin_sampler, nuts_sampler,
       init!, run!, run_trajectory!, samples, samples!, sample_chain,
       step!, stats, acceptance_rates, non_finite_chains, divergences, energy_trace, reseed!,
       acceptance_trace, energies, inverse_mass, momenta, set_momenta!, set_samples!, refresh!,
       parallel_tempering, temperatures, swap_acceptance,
       set_progress_callback!, ProgressAction, PROGRESS_CONTINUE, PROGRESS_CANCEL,
       mlp_model, torchscript_model, save_model, load_model, load_state_dict, model_to_dtype, parameter_count,
       parameters, parameters!, set_parameters!, gradients, gradients!, set_gradients!,
       zero_grad!,
       CDLoss, ScoreMatching, Optimizer, cd_loss, score_matching, sgd, adam,
       loss!, train_step!, negatives, negatives!, learning_rate,
       set_learning_rate!, optimizer_steps, save_checkpoint, load_checkpoint,
       set_allreduce!,
       dataset, dataset!, render_png,
       rhat, ess_bulk, ess_tail, autocorrelation,
       ais_estimate,
       LogDensity

# The low-level layer generated from include/torchebm.h (scripts/generate_bindings.py):
# constants, struct mirrors and one @ccall function per C function; the files after it are
# the hand-written Julia API on top.
include("generated/constants.jl")
include("library.jl")
include("generated/structs.jl")
include("generated/functions.jl")
include("errors.jl")
include("types.jl")
include("energies.jl")
include("callbacks.jl")
include("samplers.jl")
include("models.jl")
include("training.jl")
include("distributed.jl")
include("misc.jl")
include("diagnostics.jl")
include("ais.jl")
include("logdensity.jl")

end # module
