# Neural energy models: MLPs, TorchScript modules; parameters and gradients.

"Default `ebm_mlp_params`."
mlp_default_params() = ebm_mlp_default_params()

function _activation_code(a)
    a isa Integer && return Int32(a)
    a === :silu && return EBM_ACTIVATION_SILU
    a === :relu && return EBM_ACTIVATION_RELU
    a === :tanh && return EBM_ACTIVATION_TANH
    a === :softplus && return EBM_ACTIVATION_SOFTPLUS
    a === :elu && return EBM_ACTIVATION_ELU
    throw(ArgumentError("unknown activation $(repr(a)); use :silu, :relu, :tanh, :softplus or :elu"))
end

function _dtype_code(T)
    T === Float32 && return EBM_DTYPE_F32
    T === Float64 && return EBM_DTYPE_F64
    throw(ArgumentError("dtype must be Float32 or Float64, got $T"))
end

function _mlp_kwargs(kwargs)
    kw = Dict{Symbol, Any}(kwargs)
    haskey(kw, :activation) && (kw[:activation] = _activation_code(kw[:activation]))
    haskey(kw, :spectral_norm) && (kw[:spectral_norm] = Int32(kw[:spectral_norm]))
    haskey(kw, :dtype) && kw[:dtype] isa Type && (kw[:dtype] = _dtype_code(kw[:dtype]))
    return kw
end

# Calls f(pointer, count) with the hidden widths as a C array (NULL when empty), kept alive
# during the call.
function _with_widths(f, hidden)
    widths = Vector{Int64}(hidden)
    GC.@preserve widths begin
        return f(isempty(widths) ? Ptr{Int64}(C_NULL) : pointer(widths), length(widths))
    end
end

"""
    mlp_model(; input_dim, hidden=Int[], activation, spectral_norm, dtype, device, seed) -> Energy

An MLP energy input_dim -> hidden... -> 1 (trainable), seeded as PyTorch's nn.Linear after
`torch.manual_seed(seed)`. Keywords are the fields of `ebm_mlp_params` (`activation` also as
`:silu`, `:relu`, `:tanh`, `:softplus`, `:elu`; `dtype` also as `Float32` or `Float64`); those
not given keep the library's defaults (`mlp_default_params()`). It computes in `dtype`
whatever the points' element type: a Float32 model evaluated on Float64 points gives Float32
results (see [`model_to_dtype`](@ref)).
"""
function mlp_model(; hidden::AbstractVector{<:Integer} = Int[], kwargs...)
    out = _out_handle()
    _with_widths(hidden) do wptr, n_hidden
        p = Ref(_with(mlp_default_params(); hidden = wptr, n_hidden = n_hidden, _mlp_kwargs(kwargs)...))
        check(ebm_model_mlp_new(p, out))
    end
    return Energy(out[])
end

"`mlp_model(; seed = rand(rng, UInt64), kwargs...)`: the initial weights drawn with a seed from `rng`."
function mlp_model(rng::AbstractRNG; kwargs...)
    haskey(kwargs, :seed) && throw(ArgumentError("mlp_model: give either a random number generator or the keyword seed, not both"))
    return mlp_model(; seed = rand(rng, UInt64), kwargs...)
end

"""
    load_state_dict(path; input_dim, hidden=Int[], activation, dtype, device) -> Energy

A new MLP energy of the given architecture with the weights of a PyTorch MLP's `state_dict`
saved by `safetensors.torch.save_file(net.state_dict(), path)` (tensors `<prefix><k>.weight`
and `<prefix><k>.bias`, as `nn.Sequential` names them); names and shapes are checked against
the architecture (`ebm_model_load_state_dict`). Keywords are the fields of `ebm_mlp_params`,
as for [`mlp_model`](@ref); those not given keep the library's defaults.
"""
function load_state_dict(path::AbstractString; hidden::AbstractVector{<:Integer} = Int[], kwargs...)
    out = _out_handle()
    _with_widths(hidden) do wptr, n_hidden
        p = Ref(_with(mlp_default_params(); hidden = wptr, n_hidden = n_hidden, _mlp_kwargs(kwargs)...))
        check(ebm_model_load_state_dict(path, p, out))
    end
    return Energy(out[])
end

"""
    model_to_dtype(model, T) -> Energy

A new, independent copy of an MLP model with parameters of element type `T` (Float32 or
Float64), e.g. to evaluate or sample a Float32 model in double precision
(`ebm_model_to_dtype`); `model` is untouched.
"""
function model_to_dtype(model::Energy, ::Type{T}) where {T <: FloatType}
    out = _out_handle()
    check(ebm_model_to_dtype(model, _dtype_code(T), out))
    return Energy(out[])
end

"""
    torchscript_model(path, dim; device=-1) -> Energy

A TorchScript module (torch.jit.save) mapping `(n, dim)` points to n energies.
"""
function torchscript_model(path::AbstractString, dim::Integer; device::Integer = -1)
    dim >= 1 || throw(ArgumentError("torchscript_model: dim must be >= 1"))
    out = _out_handle()
    check(ebm_model_torchscript_load(path, dim, device, out))
    return Energy(out[])
end

"Saves an MLP model (safetensors with its architecture) to `path`."
function save_model(model::Energy, path::AbstractString)
    check(ebm_model_save(model, path))
    return path
end

"Loads a model saved by [`save_model`](@ref) onto `device`."
function load_model(path::AbstractString; device::Integer = -1)
    out = _out_handle()
    check(ebm_model_load(path, device, out))
    return Energy(out[])
end

"Number of scalar trainable parameters of a model."
function parameter_count(model::Energy)
    count = Ref{Int64}(0)
    check(ebm_model_parameter_count(model, count))
    return Int(count[])
end

_check_params(what, model, v) = _check_len(what, "the vector", length(v), parameter_count(model))

"""
    parameters!(v::Vector{T}, model) / parameters(model; eltype=Float32)

The parameters, flattened layer by layer (weight then bias, row-major).
"""
function parameters!(v::Vector{Float32}, model::Energy)
    _check_params("parameters!", model, v)
    check(ebm_model_get_parameters_f32(model, v, length(v)))
    return v
end

function parameters!(v::Vector{Float64}, model::Energy)
    _check_params("parameters!", model, v)
    check(ebm_model_get_parameters_f64(model, v, length(v)))
    return v
end

parameters(model::Energy; eltype::Type{T} = Float32) where {T <: FloatType} =
    parameters!(Vector{T}(undef, parameter_count(model)), model)

"Replaces the parameters (same order and length as [`parameters`](@ref))."
function set_parameters!(model::Energy, v::Vector{Float32})
    _check_params("set_parameters!", model, v)
    check(ebm_model_set_parameters_f32(model, v, length(v)))
    return model
end

function set_parameters!(model::Energy, v::Vector{Float64})
    _check_params("set_parameters!", model, v)
    check(ebm_model_set_parameters_f64(model, v, length(v)))
    return model
end

"""
    gradients!(v::Vector{T}, model) / gradients(model; eltype=Float32)

The accumulated parameter gradients (0 before any loss).
"""
function gradients!(v::Vector{Float32}, model::Energy)
    _check_params("gradients!", model, v)
    check(ebm_model_get_gradients_f32(model, v, length(v)))
    return v
end

function gradients!(v::Vector{Float64}, model::Energy)
    _check_params("gradients!", model, v)
    check(ebm_model_get_gradients_f64(model, v, length(v)))
    return v
end

gradients(model::Energy; eltype::Type{T} = Float32) where {T <: FloatType} =
    gradients!(Vector{T}(undef, parameter_count(model)), model)

"Replaces the parameter gradients (e.g. by an all-reduced average) before an optimizer step."
function set_gradients!(model::Energy, v::Vector{Float32})
    _check_params("set_gradients!", model, v)
    check(ebm_model_set_gradients_f32(model, v, length(v)))
    return model
end

function set_gradients!(model::Energy, v::Vector{Float64})
    _check_params("set_gradients!", model, v)
    check(ebm_model_set_gradients_f64(model, v, length(v)))
    return model
end

"Sets a model's parameter gradients to zero."
function zero_grad!(model::Energy)
    check(ebm_model_zero_grad(model))
    return model
end
