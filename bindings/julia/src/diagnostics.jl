# Convergence diagnostics of a trajectory: rank-normalised split R-hat, bulk and tail
# effective sample sizes, autocorrelations (ArviZ's definitions; see include/torchebm.h).
#
# A trajectory is an Array{T,3} of size (dim, n_chains, n_draws), as run_trajectory! fills it:
# its bytes are the C library's row-major (n_draws, n_chains, dim) buffer, passed without a copy.
# The generated ebm_diagnostics_* methods pick the _f32 or _f64 function by element type.

"""
    rhat(draws::Array{T,3}) -> Vector{Float64}

Rank-normalised split R-hat of each coordinate of a `(dim, n_chains, n_draws)` trajectory
(ArviZ's `rhat(method="rank")`): the larger of the bulk and the folded (tail) R-hat. `NaN`
with one chain, or for a coordinate whose draws are all equal. Needs `n_draws >= 4`.
"""
function rhat(draws::Array{T, 3}) where {T <: FloatType}
    dim, n_chains, n_draws = size(draws)
    out = Vector{Float64}(undef, dim)
    check(ebm_diagnostics_rhat(draws, n_draws, n_chains, dim, out))
    return out
end

"""
    ess_bulk(draws::Array{T,3}) -> Vector{Float64}

Bulk effective sample size of each coordinate of a `(dim, n_chains, n_draws)` trajectory
(ArviZ's `ess(method="bulk")`). Needs `n_draws >= 4`.
"""
function ess_bulk(draws::Array{T, 3}) where {T <: FloatType}
    dim, n_chains, n_draws = size(draws)
    out = Vector{Float64}(undef, dim)
    check(ebm_diagnostics_ess_bulk(draws, n_draws, n_chains, dim, out))
    return out
end

"""
    ess_tail(draws::Array{T,3}) -> Vector{Float64}

Tail effective sample size of each coordinate of a `(dim, n_chains, n_draws)` trajectory
(ArviZ's `ess(method="tail")`: the smaller of the 5% and 95% quantile ESS). Needs
`n_draws >= 4`.
"""
function ess_tail(draws::Array{T, 3}) where {T <: FloatType}
    dim, n_chains, n_draws = size(draws)
    out = Vector{Float64}(undef, dim)
    check(ebm_diagnostics_ess_tail(draws, n_draws, n_chains, dim, out))
    return out
end

"""
    autocorrelation(draws::Array{T,3}, max_lag) -> Matrix{Float64}

Autocorrelations of each coordinate of a `(dim, n_chains, n_draws)` trajectory at lags
`0:max_lag`, averaged over chains (ArviZ's `autocorr` of each chain): a `(dim, max_lag + 1)`
matrix whose column `k + 1` is lag `k`. Needs `0 <= max_lag < n_draws` and `n_draws >= 4`.
"""
function autocorrelation(draws::Array{T, 3}, max_lag::Integer) where {T <: FloatType}
    dim, n_chains, n_draws = size(draws)
    out = Matrix{Float64}(undef, dim, max(max_lag + 1, 0))
    check(ebm_diagnostics_autocorrelation(draws, n_draws, n_chains, dim, max_lag, out))
    return out
end
