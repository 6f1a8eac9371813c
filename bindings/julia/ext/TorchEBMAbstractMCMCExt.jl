# A TorchEBM sampler steps as an AbstractMCMC sampler; `sample` (StatsBase.sample, which
# AbstractMCMC re-exports: the ecosystem's sampling verb) takes TorchEBM's samplers. Loaded
# with AbstractMCMC (a Julia >= 1.9 package extension; AbstractMCMC loads LogDensityProblems,
# whose extension makes an Energy a log density).
#
#   sample(rng, LogDensity(e, 2), s, 1000; n_chains = 64)   1000 steps of the sampler s of e
#   sample(s, 2, 1000; n_steps = 500)                      TorchEBM.sample: 1000 final states
#
# A step advances all the sampler's chains by one step of the library's sampler and returns
# their states: a vector for one chain, else the (dim, n_chains) matrix. The first step seeds
# the library's random streams with rand(rng, UInt64) and starts the chains at
# `initial_params` (a point, or a (dim, n) matrix of points) or at N(0, I) draws; later steps
# use those streams, so one rng seed reproduces the whole run.
module TorchEBMAbstractMCMCExt

using TorchEBM: TorchEBM, Energy, LogDensity, Sampler
using AbstractMCMC: AbstractMCMC
# A trigger too: LogDensityModel(energy) needs TorchEBMLogDensityProblemsExt, loaded with it.
using LogDensityProblems: LogDensityProblems
using Random: AbstractRNG, default_rng

# AbstractMCMC dispatches on subtypes of AbstractSampler, which TorchEBM.Sampler cannot be
# without a hard dependency on AbstractMCMC; this wrapper is that subtype. Users pass the
# Sampler itself: the `sample` and `step` methods below wrap it.
struct MCMCSampler <: AbstractMCMC.AbstractSampler
    sampler::Sampler
end

# The state between steps: the chains' states after the sampler's `steps`-th step since its
# chains were initialised. The chains themselves (and momenta, adaptation) live in the library.
struct MCMCState{T <: AbstractFloat}
    X::Matrix{T}
    steps::Int
end

const _EnergyModel = AbstractMCMC.LogDensityModel{<:Union{Energy, LogDensity}}

# --- sample ------------------------------------------------------------------------------

function AbstractMCMC.sample(rng::AbstractRNG, model, s::Sampler, N_or_isdone; kwargs...)
    return AbstractMCMC.sample(rng, model, MCMCSampler(s), N_or_isdone; kwargs...)
end

AbstractMCMC.sample(model, s::Sampler, N_or_isdone; kwargs...) =
    AbstractMCMC.sample(default_rng(), model, s, N_or_isdone; kwargs...)

function AbstractMCMC.sample(rng::AbstractRNG, model, s::Sampler, ::AbstractMCMC.AbstractMCMCEnsemble,
                             N::Integer, nchains::Integer; kwargs...)
    throw(ArgumentError("a TorchEBM sampler runs all its chains as one batch in the library; " *
                        "instead of an ensemble of $nchains chains, call sample(rng, model, sampler, $N; " *
                        "n_chains = $nchains)"))
end

AbstractMCMC.sample(model, s::Sampler, ensemble::AbstractMCMC.AbstractMCMCEnsemble, N::Integer, nchains::Integer;
                    kwargs...) =
    AbstractMCMC.sample(default_rng(), model, s, ensemble, N, nchains; kwargs...)

# TorchEBM.sample (the specification's sample(n_samples, dim, n_steps)) under the ecosystem's name.
AbstractMCMC.sample(s::Sampler, dim::Integer, n::Integer; kwargs...) = TorchEBM.sample(s, dim, n; kwargs...)
AbstractMCMC.sample(rng::AbstractRNG, s::Sampler, dim::Integer, n::Integer; kwargs...) =
    TorchEBM.sample(rng, s, dim, n; kwargs...)

# --- step --------------------------------------------------------------------------------

# The model's log density; it must be of the sampler's own energy (the library evaluates
# that one, not the model).
function _density(model::_EnergyModel, s::Sampler)
    ℓ = LogDensity(model.logdensity)
    ℓ.energy === s.energy ||
        throw(ArgumentError("the model's energy is not the energy the TorchEBM sampler was made for"))
    return ℓ
end

_initial_chains(x::AbstractVector{<:Real}, dim) = _initial_chains(reshape(x, :, 1), dim)
function _initial_chains(X::AbstractMatrix{<:Real}, dim)
    size(X, 1) == dim ||
        throw(DimensionMismatch("initial_params has points of length $(size(X, 1)), the model's dimension is $dim"))
    return X isa Matrix{Float32} ? copy(X) : Matrix{Float64}(X)
end

function _transition(s::Sampler)
    X = TorchEBM.samples(s)
    state = MCMCState(X, Int(TorchEBM.stats(s).steps))
    return (size(X, 2) == 1 ? X[:, 1] : copy(X)), state
end

function AbstractMCMC.step(rng::AbstractRNG, model::_EnergyModel, spl::MCMCSampler;
                           initial_params = nothing, n_chains::Integer = 1, kwargs...)
    s = spl.sampler
    ℓ = _density(model, s)
    TorchEBM.reseed!(s, rng)
    if initial_params === nothing
        TorchEBM.init!(s, ℓ.dim, n_chains)
    else
        TorchEBM.init!(s, _initial_chains(initial_params, ℓ.dim))
    end
    return _transition(s)
end

function AbstractMCMC.step(rng::AbstractRNG, model::_EnergyModel, spl::MCMCSampler, state::MCMCState;
                           kwargs...)
    s = spl.sampler
    _density(model, s)
    if Int(TorchEBM.stats(s).steps) != state.steps
        throw(ArgumentError("this state is not the TorchEBM sampler's latest: its chains live in the " *
                            "library and continue from their last step, not from an older state"))
    end
    TorchEBM.run!(s, 1)
    return _transition(s)
end

# The Sampler itself, for code that calls step directly.
AbstractMCMC.step(rng::AbstractRNG, model::_EnergyModel, s::Sampler; kwargs...) =
    AbstractMCMC.step(rng, model, MCMCSampler(s); kwargs...)
AbstractMCMC.step(rng::AbstractRNG, model::_EnergyModel, s::Sampler, state::MCMCState; kwargs...) =
    AbstractMCMC.step(rng, model, MCMCSampler(s), state; kwargs...)

end # module
