# Annealed importance sampling estimates of log Z (ebm_ais_estimate_f32 / _f64).
# ebm_ais_params, ebm_ais_result and EBM_AIS_* are generated (generated/structs.jl, constants.jl).

"Default `ebm_ais_params` (the library's)."
ais_default_params() = ebm_ais_default_params()

function _ais_kwargs(kwargs)
    kw = _sampler_kwargs(kwargs)
    if haskey(kw, :schedule) && kw[:schedule] isa Symbol
        s = kw[:schedule]
        kw[:schedule] = s === :sigmoid ? EBM_AIS_SCHEDULE_SIGMOID : s === :linear ? EBM_AIS_SCHEDULE_LINEAR :
            throw(ArgumentError("schedule must be :sigmoid or :linear, got $(repr(s))"))
    end
    if haskey(kw, :sampler) && kw[:sampler] isa Symbol
        s = kw[:sampler]
        kw[:sampler] = s === :mala ? EBM_AIS_SAMPLER_MALA : s === :hmc ? EBM_AIS_SAMPLER_HMC :
            throw(ArgumentError("sampler must be :mala or :hmc, got $(repr(s))"))
    end
    return kw
end

"""
    ais_estimate(e, n_particles, dim; eltype=Float64, n_temperatures=200, schedule=:sigmoid,
                 sampler=:mala, step_size=0.05, n_leapfrog_steps=10, inner_steps=1,
                 base_std=1, seed=0, device=-1, rng=:per_chain, first_chain=0)

Estimates log Z = log ∫ exp(-E(x)) dx by annealed importance sampling from N(0, base_std² I)
along E_β = (1 - β) E₀ + β E (keywords are the fields of `ebm_ais_params`). Returns a
NamedTuple: `log_z`, `standard_error` (delta method), `effective_sample_size`,
`mean_acceptance`, `log_z_base`, `non_finite_particles`, `log_weights` (n_particles) and
`samples` (the final particles, a `(dim, n_particles)` matrix of `eltype`).
"""
function ais_estimate(e::Energy, n_particles::Integer, dim::Integer; eltype::Type = Float64, kwargs...)
    p = Ref(_with(ais_default_params(); _ais_kwargs(kwargs)...))
    n_particles >= 0 || throw(ArgumentError("ais_estimate: n_particles must be >= 0"))
    dim >= 1 || throw(ArgumentError("ais_estimate: dim must be >= 1"))
    out = Ref{ebm_ais_result}()
    weights = Vector{Float64}(undef, n_particles)
    if eltype === Float64
        X = Matrix{Float64}(undef, dim, n_particles)
        check(ebm_ais_estimate_f64(e, p, n_particles, dim, out, sizeof(ebm_ais_result), weights, X; may_call_julia = e.calls_julia))
    elseif eltype === Float32
        X = Matrix{Float32}(undef, dim, n_particles)
        check(ebm_ais_estimate_f32(e, p, n_particles, dim, out, sizeof(ebm_ais_result), weights, X; may_call_julia = e.calls_julia))
    else
        throw(ArgumentError("ais_estimate: eltype must be Float32 or Float64, got $eltype"))
    end
    r = out[]
    return (log_z = r.log_z, standard_error = r.standard_error,
            effective_sample_size = r.effective_sample_size, mean_acceptance = r.mean_acceptance,
            log_z_base = r.log_z_base, non_finite_particles = r.non_finite_particles,
            log_weights = weights, samples = X)
end
