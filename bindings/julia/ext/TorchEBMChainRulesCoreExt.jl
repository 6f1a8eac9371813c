# Reverse-mode rules for energy evaluation, so that Zygote (and Turing through it) can
# differentiate Julia code through `TorchEBM.energy`. Loaded with ChainRulesCore (a Julia >=
# 1.9 package extension).
#
# The pullback of y = energy(e, X) (y[i] = E(X[:, i])) is X̄[:, i] = ∇E(X[:, i]) ȳ[i]; the
# gradients come from the same library call as the energies (energy_and_gradient), so the
# backward pass evaluates nothing. The Energy gets NoTangent(): a handle is not a
# differentiable value here (a model's parameters are trained by the library's losses and
# optimizers, not through Julia AD).
module TorchEBMChainRulesCoreExt

using TorchEBM: TorchEBM, Energy
using ChainRulesCore: ChainRulesCore, NoTangent, ZeroTangent, AbstractZero, unthunk

function ChainRulesCore.rrule(::typeof(TorchEBM.energy), e::Energy, X::AbstractMatrix{<:Real})
    E, G = TorchEBM.energy_and_gradient(e, X)
    function energy_pullback(ȳ)
        Ȳ = unthunk(ȳ)
        Ȳ isa AbstractZero && return NoTangent(), NoTangent(), ZeroTangent()
        return NoTangent(), NoTangent(), G .* reshape(Ȳ, 1, :)     # column i scaled by ȳ[i]
    end
    return E, energy_pullback
end

function ChainRulesCore.rrule(::typeof(TorchEBM.energy), e::Energy, x::AbstractVector{<:Real})
    E, g = TorchEBM.energy_and_gradient(e, x)
    function energy_pullback(ȳ)
        Ȳ = unthunk(ȳ)
        Ȳ isa AbstractZero && return NoTangent(), NoTangent(), ZeroTangent()
        return NoTangent(), NoTangent(), Ȳ .* g
    end
    return E, energy_pullback
end

end # module
