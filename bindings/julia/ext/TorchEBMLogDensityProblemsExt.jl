# An energy as a LogDensityProblems log density: p(x) ∝ exp(-E(x)), so log p = -E up to a
# constant and ∇ log p = -∇E. Loaded with LogDensityProblems (a Julia >= 1.9 package
# extension); nothing is evaluated in Julia, each call is one library evaluation.
module TorchEBMLogDensityProblemsExt

using TorchEBM: TorchEBM, Energy, LogDensity
using LogDensityProblems: LogDensityProblems

# An Energy of a fixed dimension is a log density as it is; LogDensity(e, dim) fixes the
# dimension of one that accepts any (LogDensity(e) says so when it is not fixed).
const _Density = Union{Energy, LogDensity}

# First order: the library computes energies and their gradients in one pass.
LogDensityProblems.capabilities(::Type{<:_Density}) = LogDensityProblems.LogDensityOrder{1}()

# The dimension the library reports for the energy (ebm_energy_dim), or the one fixed.
LogDensityProblems.dimension(ℓ::_Density) = LogDensity(ℓ).dim

LogDensityProblems.logdensity(ℓ::_Density, x::AbstractVector) = TorchEBM._logdensity(LogDensity(ℓ), x)

LogDensityProblems.logdensity_and_gradient(ℓ::_Density, x::AbstractVector) =
    TorchEBM._logdensity_and_gradient(LogDensity(ℓ), x)

end # module
