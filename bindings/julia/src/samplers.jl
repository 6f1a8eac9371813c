# Samplers: Langevin, MALA, HMC, kinetic Langevin, NUTS (an `ebm_sampler *`).

"""
    Sampler

A Markov-chain sampler of exp(-E) advancing n chains (`ebm_sampler *`), made by
[`langevin_sampler`](@ref), [`mala_sampler`](@ref), [`hmc_sampler`](@ref) or
[`kinetic_langevin_sampler`](@ref). It holds its energy (and its progress callback and
all-reduce). Chains
are the columns of `(dim, n)` matrices.
"""
mutable struct Sampler
    ptr::Ptr{Cvoid}
    energy::Energy
    progress::Union{Nothing, _Progress}
    eltype::DataType        # Float32 or Float64: the type of the last initialisation
    # No copy of the chains' number or dimension: the library changes them (init with another
    # n, sample, step!, set_samples!, a CD loss's negatives, load_checkpoint); _shape asks it.
    allreduce::Union{Nothing, _AllReduce}   # set_allreduce!, for stats and energy_trace
    function Sampler(ptr::Ptr{Cvoid}, energy::Energy)
        ptr == C_NULL && throw(ArgumentError("Sampler: NULL handle"))
        s = new(ptr, energy, nothing, Float64, nothing)
        return finalizer(_finalize, s)
    end
end

function Base.unsafe_convert(::Type{Ptr{Cvoid}}, s::Sampler)
    s.ptr == C_NULL && throw(ArgumentError("this TorchEBM.Sampler has been freed"))
    return s.ptr
end

function free!(s::Sampler)
    p = s.ptr
    if p != C_NULL
        s.ptr = C_NULL
        ebm_sampler_free(p)
    end
    # s.progress is kept: a CD loss may keep the C sampler, and so its progress callback,
    # alive after this; the loss's calls then still need it (the callback's exception, and
    # _calls_julia, which keeps those calls from being made GC-safe).
    return nothing
end
Base.close(s::Sampler) = free!(s)

Base.show(io::IO, s::Sampler) = s.ptr == C_NULL ? print(io, "TorchEBM.Sampler(freed)") :
    print(io, "TorchEBM.Sampler(", kind(s), ", ", _shape(s)[1], " chains of dim ", _shape(s)[2], ")")

# The chains' (n, dim) as the library has them now, (0, 0) before initialisation.
function _shape(s::Sampler)
    n, dim = Ref{Int64}(0), Ref{Int64}(0)
    check(ebm_sampler_get_shape(s, n, dim))
    return Int(n[]), Int(dim[])
end

# Whether a call on this sampler may run Julia code (so must not be GC-safe).
_calls_julia(s::Sampler) = s.energy.calls_julia || s.progress !== nothing

"The sampler's kind: \"langevin\", \"mala\", \"hmc\" or \"kinetic_langevin\"."
kind(s::Sampler) = unsafe_string(ebm_sampler_name(s))

function _rng_code(rng)
    rng isa Integer && return Int32(rng)
    rng === :per_chain && return EBM_RNG_PER_CHAIN
    rng === :torch && return EBM_RNG_TORCH
    rng isa AbstractRNG && throw(ArgumentError(
        "the keyword rng chooses the library's random streams (:per_chain or :torch); to seed a " *
        "sampler from a Julia random number generator, pass it first: langevin_sampler(rng, e; ...)"))
    throw(ArgumentError("rng must be :per_chain or :torch, got $(repr(rng))"))
end

# The sampler constructors' `f(rng::AbstractRNG, e; kwargs...)` methods seed the library's
# streams with `rand(rng, UInt64)`; a seed keyword as well is a contradiction.
_seed_and_rng(what) = ArgumentError("$what: give either a random number generator or the keyword seed, not both")

function _adapt_mass_code(a)
    a isa Integer && return Int32(a)
    a === :none && return EBM_ADAPT_MASS_NONE
    a === :diagonal && return EBM_ADAPT_MASS_DIAGONAL
    a === :dense && return EBM_ADAPT_MASS_DENSE
    throw(ArgumentError("adapt_mass must be :none, :diagonal or :dense, got $(repr(a))"))
end

function _sampler_kwargs(kwargs)
    kw = Dict{Symbol, Any}(kwargs)
    haskey(kw, :rng) && (kw[:rng] = _rng_code(kw[:rng]))
    haskey(kw, :adapt_mass) && (kw[:adapt_mass] = _adapt_mass_code(kw[:adapt_mass]))
    return kw
end

_mass_vector(::Nothing) = Float64[]
_mass_vector(m::Real) = Float64[m]
_mass_vector(m::AbstractVector{<:Real}) = Vector{Float64}(m)
# A dense (dim, dim) mass: symmetric, so its column-major storage is the row-major matrix.
_mass_vector(m::AbstractMatrix{<:Real}) = vec(Matrix{Float64}(m))

"Default `ebm_langevin_params` (the library's)."
langevin_default_params() = ebm_langevin_default_params()
"Default `ebm_mala_params`."
mala_default_params() = ebm_mala_default_params()
"Default `ebm_hmc_params`."
hmc_default_params() = ebm_hmc_default_params()
"Default `ebm_kinetic_langevin_params`."
kinetic_langevin_default_params() =
    ebm_kinetic_langevin_default_params()
"Default `ebm_nuts_params`."
nuts_default_params() = ebm_nuts_default_params()

"""
    langevin_sampler(e; step_size=0.01, noise_scale=1, seed=0, rng=:per_chain, device=-1, first_chain=0,
                     clamp=false, clamp_min, clamp_max, step_size_schedule, noise_scale_schedule)

Unadjusted Langevin dynamics. Keywords are the fields of `ebm_langevin_params`.
"""
function langevin_sampler(e::Energy; kwargs...)
    p = Ref(_with(langevin_default_params(); _sampler_kwargs(kwargs)...))
    out = _out_handle()
    check(ebm_langevin_new(e, p, out))
    return Sampler(out[], e)
end

# Seeded from `rng` (`seed = rand(rng, UInt64)`), for code that passes a Julia AbstractRNG.
function langevin_sampler(rng::AbstractRNG, e::Energy; kwargs...)
    haskey(kwargs, :seed) && throw(_seed_and_rng("langevin_sampler"))
    return langevin_sampler(e; seed = rand(rng, UInt64), kwargs...)
end

"""
    mala_sampler(e; step_size=0.01, temperature=1, adapt_steps=0, target_accept=0.574, seed=0, rng, device)

Metropolis-adjusted Langevin (fields of `ebm_mala_params`).
"""
function mala_sampler(e::Energy; kwargs...)
    p = Ref(_with(mala_default_params(); _sampler_kwargs(kwargs)...))
    out = _out_handle()
    check(ebm_mala_new(e, p, out))
    return Sampler(out[], e)
end

# Seeded from `rng` (`seed = rand(rng, UInt64)`), for code that passes a Julia AbstractRNG.
function mala_sampler(rng::AbstractRNG, e::Energy; kwargs...)
    haskey(kwargs, :seed) && throw(_seed_and_rng("mala_sampler"))
    return mala_sampler(e; seed = rand(rng, UInt64), kwargs...)
end

"""
    hmc_sampler(e; step_size=0.001, n_leapfrog_steps=10, mass=nothing, temperature=1, adapt_steps=0,
                adapt_mass=:none, init_buffer=75, term_buffer=50, base_window=25, ...)

Hamiltonian Monte Carlo (fields of `ebm_hmc_params`); `mass` is `nothing` (identity), a
number, the dim diagonal values, or a symmetric positive definite (dim, dim) matrix (dim <= 100).
`adapt_mass` (`:none`, `:diagonal` or `:dense`, with `adapt_steps > 0`) runs Stan's windowed
warm-up over the `adapt_steps` steps: the step size by dual averaging and the inverse mass from
the positions' variances or covariance at the end of each slow window (fast windows of
`init_buffer` and `term_buffer` steps, slow windows of `base_window`, doubling). Read the
adapted metric with [`inverse_mass`](@ref).
"""
function hmc_sampler(e::Energy; mass = nothing, kwargs...)
    m = _mass_vector(mass)
    out = _out_handle()
    GC.@preserve m begin
        mptr = isempty(m) ? Ptr{Cdouble}(C_NULL) : pointer(m)
        p = Ref(_with(hmc_default_params(); mass = mptr, mass_len = length(m), _sampler_kwargs(kwargs)...))
        check(ebm_hmc_new(e, p, out))
    end
    return Sampler(out[], e)
end

# Seeded from `rng` (`seed = rand(rng, UInt64)`), for code that passes a Julia AbstractRNG.
function hmc_sampler(rng::AbstractRNG, e::Energy; kwargs...)
    haskey(kwargs, :seed) && throw(_seed_and_rng("hmc_sampler"))
    return hmc_sampler(e; seed = rand(rng, UInt64), kwargs...)
end

"""
    nuts_sampler(e; step_size=0.1, max_tree_depth=10, mass=nothing, temperature=1, adapt_steps=0,
                 target_accept=0.8, adapt_mass=:none, seed=0, rng=:per_chain, device=-1, first_chain=0)

The No-U-Turn sampler, multinomial as in Stan (fields of `ebm_nuts_params`); `mass` is
`nothing` (identity), a number, or the dim diagonal values; `adapt_mass = :diagonal` (with
`adapt_steps > 0`) runs Stan's windowed warm-up as for `hmc_sampler`. `stats` reports its divergences
and mean tree depth, `divergences` the per-chain counts.
"""
function nuts_sampler(e::Energy; mass = nothing, kwargs...)
    m = _mass_vector(mass)
    out = _out_handle()
    GC.@preserve m begin
        mptr = isempty(m) ? Ptr{Cdouble}(C_NULL) : pointer(m)
        p = Ref(_with(nuts_default_params(); mass = mptr, mass_len = length(m), _sampler_kwargs(kwargs)...))
        check(ebm_nuts_new(e, p, out))
    end
    return Sampler(out[], e)
end

# Seeded from `rng` (`seed = rand(rng, UInt64)`), for code that passes a Julia AbstractRNG.
function nuts_sampler(rng::AbstractRNG, e::Energy; kwargs...)
    haskey(kwargs, :seed) && throw(_seed_and_rng("nuts_sampler"))
    return nuts_sampler(e; seed = rand(rng, UInt64), kwargs...)
end

"""
    kinetic_langevin_sampler(e; step_size=0.01, friction=1, mass=nothing, temperature=1, seed=0, ...)

Kinetic (underdamped) Langevin by BAOAB (fields of `ebm_kinetic_langevin_params`).
"""
function kinetic_langevin_sampler(e::Energy; mass = nothing, kwargs...)
    m = _mass_vector(mass)
    out = _out_handle()
    GC.@preserve m begin
        mptr = isempty(m) ? Ptr{Cdouble}(C_NULL) : pointer(m)
        p = Ref(_with(kinetic_langevin_default_params(); mass = mptr, mass_len = length(m),
                      _sampler_kwargs(kwargs)...))
        check(ebm_kinetic_langevin_new(e, p, out))
    end
    return Sampler(out[], e)
end

# Seeded from `rng` (`seed = rand(rng, UInt64)`), for code that passes a Julia AbstractRNG.
function kinetic_langevin_sampler(rng::AbstractRNG, e::Energy; kwargs...)
    haskey(kwargs, :seed) && throw(_seed_and_rng("kinetic_langevin_sampler"))
    return kinetic_langevin_sampler(e; seed = rand(rng, UInt64), kwargs...)
end

"Default `ebm_tempering_params`."
tempering_default_params() = ebm_tempering_default_params()

"""
    parallel_tempering(inner; n_temperatures=8, max_temperature=10, temperatures=nothing, swap_interval=1)

Replica exchange with the sampler `inner` as the template of every replica (inner stays
independent): K copies of the chains at temperatures T·ladder, neighbours exchanging states
every `swap_interval` steps; the new sampler's chains are the T replica's. `temperatures` is an
explicit ladder of multipliers starting at 1, else a geometric one from 1 to `max_temperature`.
"""
function parallel_tempering(inner::Sampler; temperatures = nothing, kwargs...)
    ladder = temperatures === nothing ? Float64[] : Vector{Float64}(temperatures)
    out = _out_handle()
    GC.@preserve ladder begin
        lptr = isempty(ladder) ? Ptr{Cdouble}(C_NULL) : pointer(ladder)
        p = Ref(_with(tempering_default_params(); temperatures = lptr, temperatures_len = length(ladder),
                      kwargs...))
        check(ebm_parallel_tempering_new(inner, p, out))
    end
    return Sampler(out[], inner.energy)
end

"The replicas' temperatures of a replica-exchange sampler, its own chains first."
function temperatures(s::Sampler)
    len = Ref{Int64}(0)
    check(ebm_sampler_get_temperatures(s, C_NULL, 0, len))
    out = Vector{Float64}(undef, len[])
    check(ebm_sampler_get_temperatures(s, out, length(out), len))
    return out
end

"Per neighbour pair of replicas, exchanges accepted over attempted since initialisation."
function swap_acceptance(s::Sampler)
    k = length(temperatures(s))
    out = Vector{Float64}(undef, k - 1)
    check(ebm_sampler_get_swap_acceptance(s, out, (k - 1)))
    return out
end

function _chain_dims(s::Sampler, d::Integer, n::Integer, what)
    d >= 1 || throw(ArgumentError("$what: dim must be >= 1, got $d"))
    n >= 0 || throw(ArgumentError("$what: n must be >= 0, got $n"))
    if s.energy.dim != 0 && d != s.energy.dim
        throw(ArgumentError("$what: dimension $d, but the energy's dimension is $(s.energy.dim)"))
    end
    return nothing
end

function _initialised(s::Sampler, what)
    _shape(s)[1] > 0 || throw(ArgumentError("$what: the chains are not initialised (call init!, TorchEBM.sample or sample_chain first)"))
    return nothing
end

# check() for calls that ran the progress callback: its exception is rethrown as is.
function _check_run(s::Sampler, status::Integer)
    if status == EBM_ERR_CANCELLED && s.progress !== nothing && s.progress.err !== nothing
        err = s.progress.err
        s.progress.err = nothing
        last_error_message()
        throw(err)
    end
    return check(status)
end

"""
    init!(s, X0::Matrix{T})       chains start at the columns of X0 (copied)
    init!(s, dim, n; eltype=Float64)   chains start at N(0, I) draws

Starts the chains; resets step count, diagnostics and adaptation.
"""
function init!(s::Sampler, X0::Matrix{Float64})
    d, n = size(X0)
    _chain_dims(s, d, n, "init!")
    check(ebm_sampler_init_f64(s, X0, n, d; may_call_julia = _calls_julia(s)))
    s.eltype = Float64
    return s
end

function init!(s::Sampler, X0::Matrix{Float32})
    d, n = size(X0)
    _chain_dims(s, d, n, "init!")
    check(ebm_sampler_init_f32(s, X0, n, d; may_call_julia = _calls_julia(s)))
    s.eltype = Float32
    return s
end

function init!(s::Sampler, dim::Integer, n::Integer; eltype::Type{T} = Float64) where {T <: FloatType}
    _chain_dims(s, dim, n, "init!")
    if T === Float64
        check(ebm_sampler_init_f64(s, C_NULL, n, dim; may_call_julia = _calls_julia(s)))
    else
        check(ebm_sampler_init_f32(s, C_NULL, n, dim; may_call_julia = _calls_julia(s)))
    end
    s.eltype = T
    return s
end

"Advances the chains by `n_steps` steps."
function run!(s::Sampler, n_steps::Integer)
    n_steps >= 0 || throw(ArgumentError("run!: n_steps must be >= 0"))
    _initialised(s, "run!")
    _check_run(s, ebm_sampler_run(s, n_steps; may_call_julia = _calls_julia(s)))
    return s
end

"""
    run_trajectory!(traj::Array{T,3}, s, n_steps; thin=1)
    run_trajectory!(s, n_steps; thin=1) -> Array{T,3}

Runs `n_steps` steps keeping every `thin`-th state: `traj[:, i, k]` is chain i after step
`k * thin`; `traj` is `(dim, n, n_steps ÷ thin)`.
"""
function run_trajectory!(traj::Array{Float64, 3}, s::Sampler, n_steps::Integer; thin::Integer = 1)
    _trajectory_checks(traj, s, n_steps, thin)
    _check_run(s, ebm_sampler_run_trajectory_f64(s, n_steps, thin, traj, length(traj); may_call_julia = _calls_julia(s)))
    return traj
end

function run_trajectory!(traj::Array{Float32, 3}, s::Sampler, n_steps::Integer; thin::Integer = 1)
    _trajectory_checks(traj, s, n_steps, thin)
    _check_run(s, ebm_sampler_run_trajectory_f32(s, n_steps, thin, traj, length(traj); may_call_julia = _calls_julia(s)))
    return traj
end

function run_trajectory!(s::Sampler, n_steps::Integer; thin::Integer = 1)
    _initialised(s, "run_trajectory!")
    n, dim = _shape(s)
    thin >= 1 || throw(ArgumentError("run_trajectory!: thin must be >= 1"))
    traj = Array{s.eltype, 3}(undef, dim, n, n_steps ÷ thin)
    return run_trajectory!(traj, s, n_steps; thin = thin)
end

function _trajectory_checks(traj, s, n_steps, thin)
    _initialised(s, "run_trajectory!")
    n, dim = _shape(s)
    n_steps >= 0 || throw(ArgumentError("run_trajectory!: n_steps must be >= 0"))
    thin >= 1 || throw(ArgumentError("run_trajectory!: thin must be >= 1"))
    _check_len("run_trajectory!", "trajectory", size(traj), (dim, n, n_steps ÷ thin))
    return nothing
end

"""
    samples!(X::Matrix{T}, s) / samples(s)

The chains' current states, `(dim, n)`.
"""
function samples!(X::Matrix{Float64}, s::Sampler)
    _initialised(s, "samples!")
    n, dim = _shape(s)
    _check_len("samples!", "X", size(X), (dim, n))
    check(ebm_sampler_get_samples_f64(s, X, n, dim))
    return X
end

function samples!(X::Matrix{Float32}, s::Sampler)
    _initialised(s, "samples!")
    n, dim = _shape(s)
    _check_len("samples!", "X", size(X), (dim, n))
    check(ebm_sampler_get_samples_f32(s, X, n, dim))
    return X
end

function samples(s::Sampler)
    _initialised(s, "samples")
    n, dim = _shape(s)
    return samples!(Matrix{s.eltype}(undef, dim, n), s)
end

"""
    TorchEBM.sample!(X::Matrix{T}, s; n_steps)   chains from N(0, I), final states into X (dim, n)
    TorchEBM.sample(s, dim, n; n_steps, eltype=Float64) -> Matrix
    TorchEBM.sample(rng::AbstractRNG, s, dim, n; n_steps, eltype=Float64)   reseeded from rng first

The specification's `sample(n_samples, dim, n_steps)`. Not exported: `sample` is the
ecosystem's verb (`StatsBase.sample`, which AbstractMCMC re-exports), so write
`TorchEBM.sample`, or load AbstractMCMC, whose `sample` then has these methods too and
steps a sampler as an `AbstractMCMC.AbstractSampler` (ext/TorchEBMAbstractMCMCExt.jl).
"""
function sample!(X::Matrix{Float64}, s::Sampler; n_steps::Integer)
    d, n = size(X)
    _chain_dims(s, d, n, "sample!")
    _check_run(s, ebm_sampler_sample_f64(s, n, d, n_steps, X; may_call_julia = _calls_julia(s)))
    s.eltype = Float64
    return X
end

function sample!(X::Matrix{Float32}, s::Sampler; n_steps::Integer)
    d, n = size(X)
    _chain_dims(s, d, n, "sample!")
    _check_run(s, ebm_sampler_sample_f32(s, n, d, n_steps, X; may_call_julia = _calls_julia(s)))
    s.eltype = Float32
    return X
end

sample(s::Sampler, dim::Integer, n::Integer; n_steps::Integer, eltype::Type{T} = Float64) where {T <: FloatType} =
    sample!(Matrix{T}(undef, dim, n), s; n_steps = n_steps)
sample(rng::AbstractRNG, s::Sampler, dim::Integer, n::Integer; n_steps::Integer,
       eltype::Type{T} = Float64) where {T <: FloatType} =
    sample(reseed!(s, rng), dim, n; n_steps = n_steps, eltype = eltype)

"""
    sample_chain(s, X0::Matrix{T}; n_steps, thin=0) -> (X, trajectory)
    sample_chain(s, dim, n; n_steps, thin=0, eltype=Float64) -> (X, trajectory)

The specification's `sample_chain`: chains from X0 (or N(0, I)), `n_steps` steps; `X` the
final states and, when `thin > 0`, `trajectory` the `(dim, n, n_steps ÷ thin)` kept states
(else `nothing`).
"""
function sample_chain(s::Sampler, X0::Union{Nothing, Matrix{Float64}}, d::Integer, n::Integer,
                      n_steps::Integer, thin::Integer, ::Type{Float64})
    _chain_dims(s, d, n, "sample_chain")
    X = Matrix{Float64}(undef, d, n)
    traj = thin > 0 ? Array{Float64, 3}(undef, d, n, n_steps ÷ thin) : nothing
    init = X0 === nothing ? Ptr{Cdouble}(C_NULL) : X0
    tbuf = traj === nothing ? Ptr{Cdouble}(C_NULL) : traj
    tlen = traj === nothing ? 0 : length(traj)
    _check_run(s, ebm_sampler_sample_chain_f64(s, init, n, d, n_steps, max(thin, 1), X, tbuf, tlen; may_call_julia = _calls_julia(s)))
    s.eltype = Float64
    return X, traj
end

function sample_chain(s::Sampler, X0::Union{Nothing, Matrix{Float32}}, d::Integer, n::Integer,
                      n_steps::Integer, thin::Integer, ::Type{Float32})
    _chain_dims(s, d, n, "sample_chain")
    X = Matrix{Float32}(undef, d, n)
    traj = thin > 0 ? Array{Float32, 3}(undef, d, n, n_steps ÷ thin) : nothing
    init = X0 === nothing ? Ptr{Cfloat}(C_NULL) : X0
    tbuf = traj === nothing ? Ptr{Cfloat}(C_NULL) : traj
    tlen = traj === nothing ? 0 : length(traj)
    _check_run(s, ebm_sampler_sample_chain_f32(s, init, n, d, n_steps, max(thin, 1), X, tbuf, tlen; may_call_julia = _calls_julia(s)))
    s.eltype = Float32
    return X, traj
end

sample_chain(s::Sampler, X0::Matrix{T}; n_steps::Integer, thin::Integer = 0) where {T <: FloatType} =
    sample_chain(s, X0, size(X0, 1), size(X0, 2), n_steps, thin, T)
sample_chain(s::Sampler, dim::Integer, n::Integer; n_steps::Integer, thin::Integer = 0,
             eltype::Type{T} = Float64) where {T <: FloatType} =
    sample_chain(s, nothing, dim, n, n_steps, thin, T)

"""
    step!(s, X::Matrix{T})

The specification's `sample_step`: one step from the columns of X, written back into X.
"""
function step!(s::Sampler, X::Matrix{Float64})
    d, n = size(X)
    _chain_dims(s, d, n, "step!")
    _check_run(s, ebm_sampler_step_f64(s, X, n, d; may_call_julia = _calls_julia(s)))
    s.eltype = Float64
    return X
end

function step!(s::Sampler, X::Matrix{Float32})
    d, n = size(X)
    _chain_dims(s, d, n, "step!")
    _check_run(s, ebm_sampler_step_f32(s, X, n, d; may_call_julia = _calls_julia(s)))
    s.eltype = Float32
    return X
end

"The chains' summary since initialisation (an `ebm_sampler_stats`)."
function stats(s::Sampler)
    out = Ref{ebm_sampler_stats}()
    check(ebm_sampler_get_stats(s, out, sizeof(ebm_sampler_stats)))
    return out[]
end

"Per-chain acceptance rates (MALA, HMC; NUTS: the mean acceptance statistic)."
function acceptance_rates(s::Sampler)
    _initialised(s, "acceptance_rates")
    n, dim = _shape(s)
    rates = Vector{Float64}(undef, n)
    check(ebm_sampler_get_acceptance_rates(s, rates, n))
    return rates
end

"Per-chain divergent trajectories since initialisation (HMC, NUTS)."
function divergences(s::Sampler)
    _initialised(s, "divergences")
    n, dim = _shape(s)
    counts = Vector{Int64}(undef, n)
    check(ebm_sampler_get_divergences(s, counts, n))
    return counts
end

"Per-chain flags: true when the chain turned non-finite (and was frozen)."
function non_finite_chains(s::Sampler)
    _initialised(s, "non_finite_chains")
    n, dim = _shape(s)
    flags = Vector{UInt8}(undef, n)
    check(ebm_sampler_get_non_finite_chains(s, flags, n))
    return flags .!= 0
end

"Mean energy of the finite chains after each step since initialisation."
function energy_trace(s::Sampler)
    len = Ref{Int64}(0)
    check(ebm_sampler_get_energy_trace(s, C_NULL, 0, len))
    trace = Vector{Float64}(undef, len[])
    check(ebm_sampler_get_energy_trace(s, trace, length(trace), len))
    return resize!(trace, min(length(trace), Int(len[])))
end

"Accepted over proposed proposals at each step since initialisation, all chains together (MALA, HMC)."
function acceptance_trace(s::Sampler)
    len = Ref{Int64}(0)
    check(ebm_sampler_get_acceptance_trace(s, C_NULL, 0, len))
    trace = Vector{Float64}(undef, len[])
    check(ebm_sampler_get_acceptance_trace(s, trace, length(trace), len))
    return resize!(trace, min(length(trace), Int(len[])))
end

"Per chain, the energy of its current state."
function energies(s::Sampler)
    _initialised(s, "energies")
    n, dim = _shape(s)
    out = Vector{Float64}(undef, n)
    check(ebm_sampler_get_energies(s, out, n))
    return out
end

"""
    inverse_mass(s)

The inverse mass M⁻¹ the next step uses (HMC, kinetic Langevin; after any windowed adaptation):
a vector of the dim diagonal values, or for a dense mass the symmetric (dim, dim) matrix.
"""
function inverse_mass(s::Sampler)
    _initialised(s, "inverse_mass")
    n, dim = _shape(s)
    for len in (dim, dim * dim)
        out = Vector{Float64}(undef, len)
        status = ebm_sampler_get_inverse_mass(s, out, len)
        status == EBM_ERR_LENGTH_MISMATCH && len == dim && dim > 1 && continue
        check(status)
        return len == dim ? out : reshape(out, dim, dim)
    end
end

"""
    momenta(s; eltype=Float64)

The chains' momenta as a (dim, n) matrix: HMC's from its last transition, kinetic
Langevin's p = M v.
"""
function momenta(s::Sampler; eltype::Type{T} = Float64) where {T <: FloatType}
    _initialised(s, "momenta")
    n, dim = _shape(s)
    P = Matrix{T}(undef, dim, n)
    if T === Float64
        check(ebm_sampler_get_momenta_f64(s, P, n, dim))
    else
        check(ebm_sampler_get_momenta_f32(s, P, n, dim))
    end
    return P
end

"""
    set_momenta!(s, P::Matrix)

Sets the momenta from the columns of P (dim, n): HMC's next transition starts from them;
kinetic Langevin continues with velocities M⁻¹p.
"""
function set_momenta!(s::Sampler, P::Matrix{Float64})
    d, n = size(P)
    check(ebm_sampler_set_momenta_f64(s, P, n, d))
    return s
end

function set_momenta!(s::Sampler, P::Matrix{Float32})
    d, n = size(P)
    check(ebm_sampler_set_momenta_f32(s, P, n, d))
    return s
end

"""
    set_samples!(s, X::Matrix)

Moves the chains to the columns of X (dim, n) without re-initialising them: counts,
statistics, adaptation and momenta continue.
"""
function set_samples!(s::Sampler, X::Matrix{Float64})
    d, n = size(X)
    _check_run(s, ebm_sampler_set_samples_f64(s, X, n, d; may_call_julia = _calls_julia(s)))
    return s
end

function set_samples!(s::Sampler, X::Matrix{Float32})
    d, n = size(X)
    _check_run(s, ebm_sampler_set_samples_f32(s, X, n, d; may_call_julia = _calls_julia(s)))
    return s
end

"Evaluates the energy again at the chains' states (after the energy changed between runs)."
function refresh!(s::Sampler)
    _check_run(s, ebm_sampler_refresh(s; may_call_julia = _calls_julia(s)))
    return s
end

"""
    reseed!(s, seed::Integer)
    reseed!(s, rng::AbstractRNG)

Restarts the sampler's random streams from `seed`, or from `rand(rng, UInt64)`; the chains
keep their states.
"""
function reseed!(s::Sampler, seed::Integer)
    check(ebm_sampler_reseed(s, seed))
    return s
end

reseed!(s::Sampler, rng::AbstractRNG) = reseed!(s, rand(rng, UInt64))

"""
    set_progress_callback!(s, f; interval=1)
    set_progress_callback!(s, nothing)

Calls `f(steps_done, steps_total, mean_energy)` after every `interval`-th step of each run
and after its last step. `f` returns [`PROGRESS_CONTINUE`](@ref) (or `nothing`) to go on,
[`PROGRESS_CANCEL`](@ref) to cancel the run (`EBM_ERR_CANCELLED`). Any other result — a
`Bool` included, since C reads true as "cancel" and a Julia predicate as "go on" — cancels the
run with an `ArgumentError` saying so; an exception thrown by `f` cancels it too. Either is
rethrown by the call that ran the sampler. While a callback is installed, calls on this
sampler are not GC-safe.

```julia
set_progress_callback!(s, (done, total, mean_e) -> done < 100 ? PROGRESS_CONTINUE : PROGRESS_CANCEL)
```
"""
function set_progress_callback!(s::Sampler, f; interval::Integer = 1)
    interval >= 1 || throw(ArgumentError("set_progress_callback!: interval must be >= 1"))
    p = _Progress(f, nothing)
    fn = @cfunction(_progress_trampoline, Int32, (Int64, Int64, Cdouble, Ptr{Cvoid}))
    ffn = @cfunction(_free_user_data, Cvoid, (Ptr{Cvoid},))
    # Rooted until the library releases it: when replaced or removed, or when the C sampler
    # goes (a CD loss may keep it, and so this callback, alive after free!(s)).
    _root!(p)
    status = GC.@preserve p begin
        ebm_sampler_set_progress_callback(s, fn, interval, pointer_from_objref(p), ffn)
    end
    status == EBM_OK || _unroot!(p)    # on failure free_fn is not called: the root is ours
    check(status)
    s.progress = p      # for its exception and for the GC-safety decision
    return s
end

function set_progress_callback!(s::Sampler, ::Nothing; interval::Integer = 1)
    check(ebm_sampler_set_progress_callback(s, C_NULL, 0, C_NULL, C_NULL))
    s.progress = nothing
    return s
end
