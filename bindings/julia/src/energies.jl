# Energy handles: analytic energies, composites, models (models.jl) and user energies
# (callbacks.jl) are all an `Energy`.

"""
    Energy

An energy function E: R^dim -> R (an `ebm_energy *`). Created by the `*_energy` functions,
[`mlp_model`](@ref), [`load_model`](@ref), [`torchscript_model`](@ref) or
[`user_energy`](@ref); released by [`free!`](@ref) / `close` (idempotent) or, failing that,
by its finalizer. Passed to `ccall` as itself (`Base.unsafe_convert`), so it stays alive for
the duration of every call.
"""
mutable struct Energy
    ptr::Ptr{Cvoid}
    dim::Int                # the dimension it requires, 0 when it accepts a range
    calls_julia::Bool       # evaluating it may run Julia code (a user energy inside)
    deps::Vector{Any}       # Julia objects it uses (parts of a composite)
    function Energy(ptr::Ptr{Cvoid}; calls_julia::Bool = false, deps::Vector{Any} = Any[])
        ptr == C_NULL && throw(ArgumentError("Energy: NULL handle"))
        e = new(ptr, 0, calls_julia, deps)
        finalizer(_finalize, e)
        dim = Ref{Int64}(0)
        check(ebm_energy_dim(e, dim))
        e.dim = Int(dim[])
        return e
    end
end

function Base.unsafe_convert(::Type{Ptr{Cvoid}}, e::Energy)
    e.ptr == C_NULL && throw(ArgumentError("this TorchEBM.Energy has been freed"))
    return e.ptr
end

"""
    free!(handle)

Releases the C handle now (also `close(handle)`); later calls are no-ops. Handles that use it
(a sampler of this energy, a composite) keep the underlying object alive.
"""
function free!(e::Energy)
    p = e.ptr
    if p != C_NULL
        e.ptr = C_NULL
        ebm_energy_free(p)
    end
    empty!(e.deps)
    return nothing
end
Base.close(e::Energy) = free!(e)
isopen_handle(e::Energy) = e.ptr != C_NULL

function Base.show(io::IO, e::Energy)
    if e.ptr == C_NULL
        print(io, "TorchEBM.Energy(freed)")
    else
        print(io, "TorchEBM.Energy(", kind(e), e.dim == 0 ? ", any dim" : ", dim $(e.dim)", ")")
    end
end

"The energy's kind, e.g. \"double_well\" (`ebm_energy_name`)."
kind(e::Energy) = unsafe_string(ebm_energy_name(e))

"The dimension the energy requires, or 0 when it accepts a range of dimensions."
dim(e::Energy) = e.dim

"Moves evaluation to `device` (`-1` = CPU, `k >= 0` = CUDA device k)."
function set_device!(e::Energy, device::Integer)
    check(ebm_energy_set_device(e, device))
    return e
end

"The device the energy evaluates on (`-1` = CPU)."
function device(e::Energy)
    out = Ref{Int32}(0)
    check(ebm_energy_get_device(e, out))
    return Int(out[])
end

# --- constructors ---------------------------------------------------------------------

_out_handle() = Ref{Ptr{Cvoid}}(C_NULL)

"""
    gaussian_energy(mean, cov)

E(x) = 1/2 (x - mean)' inv(cov) (x - mean); `cov` a symmetric positive definite
`length(mean) x length(mean)` matrix.
"""
function gaussian_energy(mean::AbstractVector{<:Real}, cov::AbstractMatrix{<:Real})
    d = length(mean)
    d >= 1 || throw(ArgumentError("gaussian_energy: mean is empty"))
    size(cov) == (d, d) || throw(ArgumentError("gaussian_energy: cov is $(size(cov)), expected ($d, $d)"))
    m = Vector{Float64}(mean)
    c = Matrix{Float64}(permutedims(cov))        # row-major for C
    out = _out_handle()
    check(ebm_energy_gaussian_new(m, c, d, out))
    return Energy(out[])
end

"Double well E(x) = a * sum_i (x_i^2 - b)^2 (defaults a = 1, b = 2), any dim."
function double_well_energy(; a::Real = EBM_DOUBLE_WELL_DEFAULT_A, b::Real = EBM_DOUBLE_WELL_DEFAULT_B)
    out = _out_handle()
    check(ebm_energy_double_well_new(a, b, out))
    return Energy(out[])
end

"Harmonic oscillator E(x) = k/2 * |x|^2 (default k = 1), any dim."
function harmonic_energy(; k::Real = EBM_HARMONIC_DEFAULT_K)
    out = _out_handle()
    check(ebm_energy_harmonic_new(k, out))
    return Energy(out[])
end

"Rosenbrock E(x) = sum_i (a - x_i)^2 + b (x_{i+1} - x_i^2)^2 (defaults 1, 100), dim >= 2."
function rosenbrock_energy(; a::Real = EBM_ROSENBROCK_DEFAULT_A, b::Real = EBM_ROSENBROCK_DEFAULT_B)
    out = _out_handle()
    check(ebm_energy_rosenbrock_new(a, b, out))
    return Energy(out[])
end

"Ackley function (defaults a = 20, b = 0.2, c = 2pi), any dim."
function ackley_energy(; a::Real = EBM_ACKLEY_DEFAULT_A, b::Real = EBM_ACKLEY_DEFAULT_B, c::Real = EBM_ACKLEY_DEFAULT_C)
    out = _out_handle()
    check(ebm_energy_ackley_new(a, b, c, out))
    return Energy(out[])
end

"Rastrigin E(x) = a d + sum_i (x_i^2 - a cos(2 pi x_i)) (default a = 10), any dim."
function rastrigin_energy(; a::Real = EBM_RASTRIGIN_DEFAULT_A)
    out = _out_handle()
    check(ebm_energy_rastrigin_new(a, out))
    return Energy(out[])
end

"Himmelblau's function, dim 2."
function himmelblau_energy()
    out = _out_handle()
    check(ebm_energy_himmelblau_new(out))
    return Energy(out[])
end

"Booth's function, dim 2."
function booth_energy()
    out = _out_handle()
    check(ebm_energy_booth_new(out))
    return Energy(out[])
end

"Styblinski-Tang E(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i), any dim."
function styblinski_tang_energy()
    out = _out_handle()
    check(ebm_energy_styblinski_tang_new(out))
    return Energy(out[])
end

"""
    gaussian_mixture_energy(weights, means, covs)

E(x) = -log sum_k w_k N(x; mean_k, cov_k). `means` is `(dim, K)` (component k's mean in
column k), `covs` is `(dim, dim, K)`, `weights` has K entries (normalised by the library).
"""
function gaussian_mixture_energy(weights::AbstractVector{<:Real}, means::AbstractMatrix{<:Real},
                                 covs::AbstractArray{<:Real, 3})
    d, k = size(means)
    length(weights) == k || throw(ArgumentError("gaussian_mixture_energy: $(length(weights)) weights for $k components"))
    size(covs) == (d, d, k) || throw(ArgumentError("gaussian_mixture_energy: covs is $(size(covs)), expected ($d, $d, $k)"))
    w = Vector{Float64}(weights)
    m = Matrix{Float64}(means)                           # (dim, K) = C's row-major (K, dim)
    c = Array{Float64, 3}(permutedims(covs, (2, 1, 3)))  # each matrix row-major
    out = _out_handle()
    check(ebm_energy_gaussian_mixture_new(w, m, c, k, d, out))
    return Energy(out[])
end

"""
    composite_energy(energies, weights = nothing)

E(x) = sum_i weights[i] * E_i(x) (weights all 1 when `nothing`). The composite keeps its parts
alive, in C and in Julia.
"""
function composite_energy(energies::AbstractVector{Energy}, weights::Union{Nothing, AbstractVector{<:Real}} = nothing)
    isempty(energies) && throw(ArgumentError("composite_energy: no energies"))
    if weights !== nothing && length(weights) != length(energies)
        throw(ArgumentError("composite_energy: $(length(weights)) weights for $(length(energies)) energies"))
    end
    parts = collect(energies)
    w = weights === nothing ? Float64[] : Vector{Float64}(weights)
    wptr = weights === nothing ? Ptr{Cdouble}(C_NULL) : pointer(w)
    out = _out_handle()
    GC.@preserve parts w begin
        ptrs = Ptr{Cvoid}[Base.unsafe_convert(Ptr{Cvoid}, p) for p in parts]
        check(ebm_energy_composite_new(ptrs, length(ptrs), wptr, length(w), out))
    end
    return Energy(out[]; calls_julia = any(p -> p.calls_julia, parts), deps = Any[parts...])
end

# --- evaluation -----------------------------------------------------------------------

# Checks that X holds points of a dimension the energy accepts; returns (dim, n).
function _points(e::Energy, X::AbstractMatrix, what::AbstractString)
    d, n = size(X)
    d >= 1 || throw(ArgumentError("$what: points have dimension 0"))
    if e.dim != 0 && d != e.dim
        throw(ArgumentError("$what: points of dimension $d (size(X, 1)), but the energy's dimension is $(e.dim)"))
    end
    return d, n
end

function _check_len(what, name, actual, expected)
    actual == expected || throw(ArgumentError("$what: $name has length/size $actual, expected $expected"))
    return nothing
end

"""
    energy!(E::Vector{T}, e::Energy, X::Matrix{T})   (T = Float32 or Float64)

Writes E[i] = e(X[:, i]) for the n columns of X (a `(dim, n)` matrix) into `E`; returns `E`.
"""
function energy!(out::Vector{Float64}, e::Energy, X::Matrix{Float64})
    d, n = _points(e, X, "energy!")
    _check_len("energy!", "E", length(out), n)
    check(ebm_energy_eval_f64(e, X, n, d, out; may_call_julia = e.calls_julia))
    return out
end

function energy!(out::Vector{Float32}, e::Energy, X::Matrix{Float32})
    d, n = _points(e, X, "energy!")
    _check_len("energy!", "E", length(out), n)
    check(ebm_energy_eval_f32(e, X, n, d, out; may_call_julia = e.calls_julia))
    return out
end

"""
    energy(e, X::Matrix{T}) -> Vector{T}
    energy(e, x::Vector{T}) -> T

Energies of the columns of X, or of one point.
"""
energy(e::Energy, X::Matrix{T}) where {T <: FloatType} = energy!(Vector{T}(undef, size(X, 2)), e, X)
energy(e::Energy, x::Vector{T}) where {T <: FloatType} = energy(e, reshape(x, :, 1))[1]
energy(e::Energy, X::AbstractVecOrMat{<:Real}) = energy(e, _float64(X))

_float64(X::AbstractMatrix) = Matrix{Float64}(X)
_float64(x::AbstractVector) = Vector{Float64}(x)

"""
    energy_gradient!(G::Matrix{T}, e::Energy, X::Matrix{T})

Writes grad_x E (the gradient of the ENERGY, not the score) at each column of X into G, a
matrix of the same size; returns G. (Not named `gradient!`, so that it does not collide with
the automatic-differentiation packages' `gradient`; with ChainRulesCore loaded, Zygote's
`gradient` differentiates through [`energy`](@ref) using it.)
"""
function energy_gradient!(G::Matrix{Float64}, e::Energy, X::Matrix{Float64})
    d, n = _points(e, X, "energy_gradient!")
    _check_len("energy_gradient!", "G", size(G), size(X))
    check(ebm_energy_gradient_f64(e, X, n, d, G; may_call_julia = e.calls_julia))
    return G
end

function energy_gradient!(G::Matrix{Float32}, e::Energy, X::Matrix{Float32})
    d, n = _points(e, X, "energy_gradient!")
    _check_len("energy_gradient!", "G", size(G), size(X))
    check(ebm_energy_gradient_f32(e, X, n, d, G; may_call_julia = e.calls_julia))
    return G
end

"Energy gradients grad_x E at the columns of X (or at one point x)."
energy_gradient(e::Energy, X::Matrix{T}) where {T <: FloatType} = energy_gradient!(similar(X), e, X)
energy_gradient(e::Energy, x::Vector{T}) where {T <: FloatType} = vec(energy_gradient(e, reshape(x, :, 1)))
energy_gradient(e::Energy, X::AbstractVecOrMat{<:Real}) = energy_gradient(e, _float64(X))

"""
    energy_and_gradient!(E, G, e, X) -> (E, G)

Energies and energy gradients in one pass.
"""
function energy_and_gradient!(E::Vector{Float64}, G::Matrix{Float64}, e::Energy, X::Matrix{Float64})
    d, n = _points(e, X, "energy_and_gradient!")
    _check_len("energy_and_gradient!", "E", length(E), n)
    _check_len("energy_and_gradient!", "G", size(G), size(X))
    check(ebm_energy_eval_and_gradient_f64(e, X, n, d, E, G; may_call_julia = e.calls_julia))
    return E, G
end

function energy_and_gradient!(E::Vector{Float32}, G::Matrix{Float32}, e::Energy, X::Matrix{Float32})
    d, n = _points(e, X, "energy_and_gradient!")
    _check_len("energy_and_gradient!", "E", length(E), n)
    _check_len("energy_and_gradient!", "G", size(G), size(X))
    check(ebm_energy_eval_and_gradient_f32(e, X, n, d, E, G; may_call_julia = e.calls_julia))
    return E, G
end

energy_and_gradient(e::Energy, X::Matrix{T}) where {T <: FloatType} =
    energy_and_gradient!(Vector{T}(undef, size(X, 2)), similar(X), e, X)
function energy_and_gradient(e::Energy, x::Vector{T}) where {T <: FloatType}
    E, G = energy_and_gradient(e, reshape(x, :, 1))
    return E[1], vec(G)
end
energy_and_gradient(e::Energy, X::AbstractVecOrMat{<:Real}) = energy_and_gradient(e, _float64(X))

"""
    hvp!(H::Matrix{T}, e::Energy, X::Matrix{T}, V::Matrix{T})   (T = Float32 or Float64)

Writes the Hessian-vector products H[:, i] = ∇²E(X[:, i]) V[:, i] for the n columns of X
(a `(dim, n)` matrix; V and H the same size) into H; returns H. Callback (user) energies have
no second derivatives and throw (EBM_ERR_INVALID_ARGUMENT).
"""
function hvp!(H::Matrix{Float64}, e::Energy, X::Matrix{Float64}, V::Matrix{Float64})
    d, n = _points(e, X, "hvp!")
    _check_len("hvp!", "V", size(V), size(X))
    _check_len("hvp!", "H", size(H), size(X))
    check(ebm_energy_hvp_f64(e, X, V, n, d, H, C_NULL, C_NULL; may_call_julia = e.calls_julia))
    return H
end

function hvp!(H::Matrix{Float32}, e::Energy, X::Matrix{Float32}, V::Matrix{Float32})
    d, n = _points(e, X, "hvp!")
    _check_len("hvp!", "V", size(V), size(X))
    _check_len("hvp!", "H", size(H), size(X))
    check(ebm_energy_hvp_f32(e, X, V, n, d, H, C_NULL, C_NULL; may_call_julia = e.calls_julia))
    return H
end

"""
    hvp(e, X::Matrix{T}, V::Matrix{T}) -> Matrix{T}
    hvp(e, x::Vector{T}, v::Vector{T}) -> Vector{T}

Hessian-vector products ∇²E(x) v at the columns of X along the columns of V (or at one point).
"""
hvp(e::Energy, X::Matrix{T}, V::Matrix{T}) where {T <: FloatType} = hvp!(similar(X), e, X, V)
hvp(e::Energy, x::Vector{T}, v::Vector{T}) where {T <: FloatType} = vec(hvp(e, reshape(x, :, 1), reshape(v, :, 1)))
hvp(e::Energy, X::AbstractVecOrMat{<:Real}, V::AbstractVecOrMat{<:Real}) = hvp(e, _float64(X), _float64(V))

"""
    energy_gradient_hvp!(E, G, H, e, X, V) -> (E, G, H)

Energies, energy gradients and Hessian-vector products ∇²E(X[:, i]) V[:, i] in one pass.
"""
function energy_gradient_hvp!(E::Vector{Float64}, G::Matrix{Float64}, H::Matrix{Float64}, e::Energy,
                              X::Matrix{Float64}, V::Matrix{Float64})
    d, n = _points(e, X, "energy_gradient_hvp!")
    _check_len("energy_gradient_hvp!", "E", length(E), n)
    _check_len("energy_gradient_hvp!", "G", size(G), size(X))
    _check_len("energy_gradient_hvp!", "H", size(H), size(X))
    _check_len("energy_gradient_hvp!", "V", size(V), size(X))
    check(ebm_energy_hvp_f64(e, X, V, n, d, H, E, G; may_call_julia = e.calls_julia))
    return E, G, H
end

function energy_gradient_hvp!(E::Vector{Float32}, G::Matrix{Float32}, H::Matrix{Float32}, e::Energy,
                              X::Matrix{Float32}, V::Matrix{Float32})
    d, n = _points(e, X, "energy_gradient_hvp!")
    _check_len("energy_gradient_hvp!", "E", length(E), n)
    _check_len("energy_gradient_hvp!", "G", size(G), size(X))
    _check_len("energy_gradient_hvp!", "H", size(H), size(X))
    _check_len("energy_gradient_hvp!", "V", size(V), size(X))
    check(ebm_energy_hvp_f32(e, X, V, n, d, H, E, G; may_call_julia = e.calls_julia))
    return E, G, H
end

energy_gradient_hvp(e::Energy, X::Matrix{T}, V::Matrix{T}) where {T <: FloatType} =
    energy_gradient_hvp!(Vector{T}(undef, size(X, 2)), similar(X), similar(X), e, X, V)
