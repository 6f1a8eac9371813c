# Losses (contrastive divergence, score matching), optimizers, checkpoints.

"""
    CDLoss

A contrastive-divergence loss (`ebm_cd_loss *`) of a model with negatives from a sampler of
that same model; holds both. Made by [`cd_loss`](@ref).
"""
mutable struct CDLoss
    ptr::Ptr{Cvoid}
    model::Energy
    sampler::Sampler
    # No copy of the negatives' count: the library has it (ebm_cd_loss_get_negatives_shape).
    function CDLoss(ptr::Ptr{Cvoid}, model::Energy, sampler::Sampler)
        ptr == C_NULL && throw(ArgumentError("CDLoss: NULL handle"))
        return finalizer(_finalize, new(ptr, model, sampler))
    end
end

"""
    ScoreMatching

A score-matching loss (`ebm_score_matching *`) of an energy, which it holds. Made by
[`score_matching`](@ref).
"""
mutable struct ScoreMatching
    ptr::Ptr{Cvoid}
    energy::Energy
    function ScoreMatching(ptr::Ptr{Cvoid}, energy::Energy)
        ptr == C_NULL && throw(ArgumentError("ScoreMatching: NULL handle"))
        return finalizer(_finalize, new(ptr, energy))
    end
end

"""
    Optimizer

An SGD or Adam optimizer (`ebm_optimizer *`) of one model's parameters; holds the model.
Made by [`sgd`](@ref) or [`adam`](@ref).
"""
mutable struct Optimizer
    ptr::Ptr{Cvoid}
    model::Energy
    allreduce::Union{Nothing, _AllReduce}   # set_allreduce!: data-parallel steps
    function Optimizer(ptr::Ptr{Cvoid}, model::Energy)
        ptr == C_NULL && throw(ArgumentError("Optimizer: NULL handle"))
        return finalizer(_finalize, new(ptr, model, nothing))
    end
end

# Whether the optimizer's steps may run Julia code (an all-reduce), so must not be GC-safe.
_calls_julia(o::Optimizer) = o.allreduce !== nothing

function Base.unsafe_convert(::Type{Ptr{Cvoid}}, l::CDLoss)
    l.ptr == C_NULL && throw(ArgumentError("this TorchEBM.CDLoss has been freed"))
    return l.ptr
end

function Base.unsafe_convert(::Type{Ptr{Cvoid}}, l::ScoreMatching)
    l.ptr == C_NULL && throw(ArgumentError("this TorchEBM.ScoreMatching has been freed"))
    return l.ptr
end

function Base.unsafe_convert(::Type{Ptr{Cvoid}}, o::Optimizer)
    o.ptr == C_NULL && throw(ArgumentError("this TorchEBM.Optimizer has been freed"))
    return o.ptr
end

Base.close(l::CDLoss) = free!(l)
Base.close(l::ScoreMatching) = free!(l)
Base.close(o::Optimizer) = free!(o)

function free!(l::CDLoss)
    p = l.ptr
    if p != C_NULL
        l.ptr = C_NULL
        ebm_cd_loss_free(p)
    end
    return nothing
end

function free!(l::ScoreMatching)
    p = l.ptr
    if p != C_NULL
        l.ptr = C_NULL
        ebm_score_matching_free(p)
    end
    return nothing
end

function free!(o::Optimizer)
    p = o.ptr
    if p != C_NULL
        o.ptr = C_NULL
        ebm_optimizer_free(p)
    end
    return nothing
end

# --- contrastive divergence ----------------------------------------------------------------

"Default `ebm_cd_params`."
cd_default_params() = ebm_cd_default_params()

function _cd_start(start)
    start isa Integer && return Int32(start)
    start === :noise && return EBM_CD_START_NOISE
    start === :data && return EBM_CD_START_DATA
    start === :persistent && return EBM_CD_START_PERSISTENT
    throw(ArgumentError("start must be :noise, :data or :persistent, got $(repr(start))"))
end

"""
    cd_loss(model, sampler; k, start, buffer_size, reinit_fraction, energy_reg_weight,
            n_negatives, seed, init_steps, add_noise_to_real, real_noise_scale) -> CDLoss

Contrastive divergence of `model` with negatives after `k` steps of `sampler` (a sampler
built with `model` as its energy). `start` is `:noise`, `:data` or `:persistent` (PCD; also
an `EBM_CD_START_*` code).
With PCD the buffer's chains are first warmed up by `init_steps` sampler steps;
`add_noise_to_real` perturbs the data by `real_noise_scale`·N(0, I) (TorchEBM's options).
Keywords are the fields of `ebm_cd_params`; those not given keep the library's defaults
(`cd_default_params()`). The library refuses a sampler of another energy.
"""
function cd_loss(model::Energy, sampler::Sampler; start = nothing, kwargs...)
    defaults = cd_default_params()
    p = Ref(start === nothing ? _with(defaults; kwargs...) : _with(defaults; start = _cd_start(start), kwargs...))
    out = _out_handle()
    check(ebm_cd_loss_new(model, sampler, p, out))
    return CDLoss(out[], model, sampler)
end

"`cd_loss(model, sampler; seed = rand(rng, UInt64), kwargs...)`, seeded from a Julia `rng`."
function cd_loss(rng::AbstractRNG, model::Energy, sampler::Sampler; kwargs...)
    haskey(kwargs, :seed) && throw(ArgumentError("cd_loss: give either a random number generator or the keyword seed, not both"))
    return cd_loss(model, sampler; seed = rand(rng, UInt64), kwargs...)
end

_calls_julia(l::CDLoss) = l.model.calls_julia || _calls_julia(l.sampler)

function _batch(l, X::AbstractMatrix, what)
    d, n = size(X)
    n >= 1 || throw(ArgumentError("$what: empty batch"))
    md = l isa CDLoss ? l.model.dim : l.energy.dim
    md == 0 || d == md || throw(ArgumentError("$what: data of dimension $d, but the model's dimension is $md"))
    return d, n
end

# After a successful CD loss: it re-initialised the sampler's chains in double precision
# (their shape, like the negatives', is asked of the library when needed).
function _cd_computed!(l::CDLoss)
    l.sampler.eltype = Float64
    return nothing
end

# check() for losses whose sampler may have run a progress callback.
_check_loss(l::CDLoss, status) = _check_run(l.sampler, status)
_check_loss(l::ScoreMatching, status) = check(status)

"""
    loss!(l, X::Matrix{T}) -> Float64

Computes the loss on the batch (columns of X) and ACCUMULATES its gradient into the model's
parameters (zero them first with `zero_grad!`).
"""
function loss!(l::CDLoss, X::Matrix{Float64})
    d, n = _batch(l, X, "loss!")
    out = Ref{Cdouble}(NaN)
    _check_loss(l, ebm_cd_loss_compute_f64(l, X, n, d, out; may_call_julia = _calls_julia(l)))
    _cd_computed!(l)
    return out[]
end

function loss!(l::CDLoss, X::Matrix{Float32})
    d, n = _batch(l, X, "loss!")
    out = Ref{Cdouble}(NaN)
    _check_loss(l, ebm_cd_loss_compute_f32(l, X, n, d, out; may_call_julia = _calls_julia(l)))
    _cd_computed!(l)
    return out[]
end

"""
    negatives!(N::Matrix{T}, l::CDLoss) / negatives(l; eltype=Float32)

The negatives of the last computed CD loss, `(dim, n_negatives)`.
"""
# (dim, n) of the last computed loss's negatives, asked of the library; (0, 0) before.
function _negatives_shape(l::CDLoss)
    n, dim = Ref{Int64}(0), Ref{Int64}(0)
    check(ebm_cd_loss_get_negatives_shape(l, n, dim))
    return Int(dim[]), Int(n[])
end

function negatives!(N::Matrix{Float32}, l::CDLoss)
    d, n = _negatives_shape(l)
    n > 0 || throw(ArgumentError("negatives!: no loss computed yet"))
    _check_len("negatives!", "N", size(N), (d, n))
    check(ebm_cd_loss_get_negatives_f32(l, N, n, d))
    return N
end

function negatives!(N::Matrix{Float64}, l::CDLoss)
    d, n = _negatives_shape(l)
    n > 0 || throw(ArgumentError("negatives!: no loss computed yet"))
    _check_len("negatives!", "N", size(N), (d, n))
    check(ebm_cd_loss_get_negatives_f64(l, N, n, d))
    return N
end

negatives(l::CDLoss; eltype::Type{T} = Float32) where {T <: FloatType} =
    negatives!(Matrix{T}(undef, _negatives_shape(l)...), l)

# --- score matching ----------------------------------------------------------------------

"Default `ebm_score_matching_params`."
score_matching_default_params() =
    ebm_score_matching_default_params()

function _sm_method(m)
    m isa Integer && return Int32(m)
    m === :exact && return EBM_SCORE_MATCHING_EXACT
    m === :sliced && return EBM_SCORE_MATCHING_SLICED
    m === :denoising && return EBM_SCORE_MATCHING_DENOISING
    throw(ArgumentError("method must be :exact, :sliced or :denoising, got $(repr(m))"))
end

function _projection(p)
    p isa Integer && return Int32(p)
    p === :rademacher && return EBM_PROJECTION_RADEMACHER
    p === :gaussian && return EBM_PROJECTION_GAUSSIAN
    throw(ArgumentError("projection must be :rademacher or :gaussian, got $(repr(p))"))
end

"""
    score_matching(energy; method=:exact, n_projections=1, projection=:rademacher,
                   noise_scale=0.1, seed=0) -> ScoreMatching
"""
function score_matching(e::Energy; method = :exact, projection = :rademacher, kwargs...)
    p = Ref(_with(score_matching_default_params(); method = _sm_method(method),
                  projection = _projection(projection), kwargs...))
    out = _out_handle()
    check(ebm_score_matching_new(e, p, out))
    return ScoreMatching(out[], e)
end

"`score_matching(e; seed = rand(rng, UInt64), kwargs...)`, seeded from a Julia `rng`."
function score_matching(rng::AbstractRNG, e::Energy; kwargs...)
    haskey(kwargs, :seed) && throw(ArgumentError("score_matching: give either a random number generator or the keyword seed, not both"))
    return score_matching(e; seed = rand(rng, UInt64), kwargs...)
end

function loss!(l::ScoreMatching, X::Matrix{Float64})
    d, n = _batch(l, X, "loss!")
    out = Ref{Cdouble}(NaN)
    check(ebm_score_matching_compute_f64(l, X, n, d, out; may_call_julia = l.energy.calls_julia))
    return out[]
end

function loss!(l::ScoreMatching, X::Matrix{Float32})
    d, n = _batch(l, X, "loss!")
    out = Ref{Cdouble}(NaN)
    check(ebm_score_matching_compute_f32(l, X, n, d, out; may_call_julia = l.energy.calls_julia))
    return out[]
end

# --- optimizers --------------------------------------------------------------------------

"Default `ebm_sgd_params`."
sgd_default_params() = ebm_sgd_default_params()
"Default `ebm_adam_params`."
adam_default_params() = ebm_adam_default_params()

"""
    sgd(model; learning_rate=0.01, momentum=0, dampening=0, nesterov=false, weight_decay=0,
        max_grad_norm=0) -> Optimizer
"""
function sgd(model::Energy; kwargs...)
    p = Ref(_with(sgd_default_params(); kwargs...))
    out = _out_handle()
    check(ebm_optimizer_sgd_new(model, p, out))
    return Optimizer(out[], model)
end

"""
    adam(model; learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0,
         decoupled_weight_decay=false, max_grad_norm=0) -> Optimizer
"""
function adam(model::Energy; kwargs...)
    p = Ref(_with(adam_default_params(); kwargs...))
    out = _out_handle()
    check(ebm_optimizer_adam_new(model, p, out))
    return Optimizer(out[], model)
end

"Sets the gradients of the optimizer's model to zero."
function zero_grad!(o::Optimizer)
    check(ebm_optimizer_zero_grad(o))
    return o
end

"""
    step!(opt)

Updates the model's parameters from their gradients. With an all-reduce set
([`set_allreduce!`](@ref)) this is collective: the processes' gradients are averaged with
equal weights first.
"""
function step!(o::Optimizer)
    check(ebm_optimizer_step(o; may_call_julia = _calls_julia(o)))
    return o
end

"Changes the learning rate of the next steps."
function set_learning_rate!(o::Optimizer, lr::Real)
    check(ebm_optimizer_set_learning_rate(o, lr))
    return o
end

function _optimizer_state(o::Optimizer)
    lr = Ref{Cdouble}(NaN)
    steps = Ref{Int64}(0)
    check(ebm_optimizer_get_state(o, lr, steps))
    return lr[], Int(steps[])
end

"The current learning rate."
learning_rate(o::Optimizer) = _optimizer_state(o)[1]
"The number of steps taken."
optimizer_steps(o::Optimizer) = _optimizer_state(o)[2]

"""
    train_step!(l, opt, X::Matrix{T}) -> Float64

One step: zero the gradients, compute the loss on the batch with its gradient, step the
optimizer. Returns the loss. With an all-reduce set on `opt` ([`set_allreduce!`](@ref)) the
step is collective and data-parallel: gradients and loss are those of every process's batch
together.
"""
function train_step!(l::CDLoss, o::Optimizer, X::Matrix{Float64})
    d, n = _batch(l, X, "train_step!")
    out = Ref{Cdouble}(NaN)
    _check_loss(l, ebm_cd_loss_train_step_f64(l, o, X, n, d, out; may_call_julia = (_calls_julia(l) || _calls_julia(o))))
    _cd_computed!(l)
    return out[]
end

function train_step!(l::CDLoss, o::Optimizer, X::Matrix{Float32})
    d, n = _batch(l, X, "train_step!")
    out = Ref{Cdouble}(NaN)
    _check_loss(l, ebm_cd_loss_train_step_f32(l, o, X, n, d, out; may_call_julia = (_calls_julia(l) || _calls_julia(o))))
    _cd_computed!(l)
    return out[]
end

function train_step!(l::ScoreMatching, o::Optimizer, X::Matrix{Float64})
    d, n = _batch(l, X, "train_step!")
    out = Ref{Cdouble}(NaN)
    check(ebm_score_matching_train_step_f64(l, o, X, n, d, out; may_call_julia = (l.energy.calls_julia || _calls_julia(o))))
    return out[]
end

function train_step!(l::ScoreMatching, o::Optimizer, X::Matrix{Float32})
    d, n = _batch(l, X, "train_step!")
    out = Ref{Cdouble}(NaN)
    check(ebm_score_matching_train_step_f32(l, o, X, n, d, out; may_call_julia = (l.energy.calls_julia || _calls_julia(o))))
    return out[]
end

# --- checkpoints ---------------------------------------------------------------------------

_handle_or_null(::Nothing) = C_NULL
_handle_or_null(h) = h

"""
    save_checkpoint(path, model; optimizer=nothing, loss=nothing)

Saves the model and, when given, the optimizer's state and the CD loss's replay buffer.
"""
function save_checkpoint(path::AbstractString, model::Energy;
                         optimizer::Union{Nothing, Optimizer} = nothing, loss::Union{Nothing, CDLoss} = nothing)
    opt = _handle_or_null(optimizer)
    lss = _handle_or_null(loss)
    check(ebm_checkpoint_save(path, model, opt, lss))
    return path
end

"""
    load_checkpoint(path, model; optimizer=nothing, loss=nothing)

Restores a checkpoint into handles of the same configuration.
"""
function load_checkpoint(path::AbstractString, model::Energy;
                         optimizer::Union{Nothing, Optimizer} = nothing, loss::Union{Nothing, CDLoss} = nothing)
    opt = _handle_or_null(optimizer)
    lss = _handle_or_null(loss)
    check(ebm_checkpoint_load(path, model, opt, lss))
    return model
end
