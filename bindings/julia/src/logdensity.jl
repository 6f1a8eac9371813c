# An energy seen as a log density: p(x) ∝ exp(-E(x)). The package extensions
# (ext/TorchEBMLogDensityProblemsExt.jl, ext/TorchEBMAbstractMCMCExt.jl) give it the
# LogDensityProblems and AbstractMCMC interfaces; nothing here needs those packages.

"""
    LogDensity(e::Energy, dim = TorchEBM.dim(e))

The log density log p(x) = -E(x) (up to its normalising constant) on R^`dim`. An energy of
a fixed dimension is a log density as it is; one that accepts any dimension (a double well, a
harmonic oscillator, ...) needs its dimension fixed here. With LogDensityProblems loaded it
has `logdensity`, `logdensity_and_gradient` (first order) and `dimension`; with AbstractMCMC,
`sample(rng, LogDensity(e, 2), sampler, N)` runs a sampler of `e`.
"""
struct LogDensity
    energy::Energy
    dim::Int
    function LogDensity(e::Energy, dim::Integer = TorchEBM.dim(e))
        dim >= 1 || throw(ArgumentError(
            "LogDensity: the energy accepts any dimension; give one: LogDensity(e, dim)"))
        e.dim == 0 || e.dim == dim ||
            throw(ArgumentError("LogDensity: dim is $dim, but the energy's dimension is $(e.dim)"))
        return new(e, Int(dim))
    end
end

LogDensity(ℓ::LogDensity) = ℓ

Base.show(io::IO, ℓ::LogDensity) = print(io, "TorchEBM.LogDensity(", ℓ.energy, ", dim ", ℓ.dim, ")")

# -E and -∇E at one point x (a vector of length ℓ.dim); the extensions' common core.
function _logdensity(ℓ::LogDensity, x::AbstractVector{<:Real})
    length(x) == ℓ.dim ||
        throw(DimensionMismatch("logdensity: a point of length $(length(x)), expected $(ℓ.dim)"))
    return -energy(ℓ.energy, Vector{Float64}(x))
end

function _logdensity_and_gradient(ℓ::LogDensity, x::AbstractVector{<:Real})
    length(x) == ℓ.dim ||
        throw(DimensionMismatch("logdensity_and_gradient: a point of length $(length(x)), expected $(ℓ.dim)"))
    E, G = energy_and_gradient(ℓ.energy, Vector{Float64}(x))
    return -E, -G
end
