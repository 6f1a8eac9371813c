# Helpers over the C structs of include/torchebm.h, whose Julia mirrors and constants are
# generated (generated/structs.jl, generated/constants.jl: scripts/generate_bindings.py).

"The library's `ebm_schedule` of kind `code` (an `EBM_SCHEDULE_*` value) before its fields are chosen."
schedule_default(code::Integer) = ebm_schedule_default(code)

"""
    schedule(kind; end_value, decay_rate, min_value, n_steps) -> ebm_schedule

A step-size or noise schedule: `kind` is `:constant`, `:exponential_decay`, `:linear` or
`:cosine` (see `ebm_schedule` in the header for the formulas). Keywords not given keep the
library's defaults for the kind (`ebm_schedule_default`: decay_rate 1, min_value 1e-12,
end_value 1, n_steps 1).
"""
function schedule(kind::Symbol = :constant; kwargs...)
    code = kind === :constant ? EBM_SCHEDULE_CONSTANT :
           kind === :exponential_decay ? EBM_SCHEDULE_EXPONENTIAL_DECAY :
           kind === :linear ? EBM_SCHEDULE_LINEAR :
           kind === :cosine ? EBM_SCHEDULE_COSINE :
           throw(ArgumentError("schedule: unknown kind $(repr(kind)); use :constant, :exponential_decay, :linear or :cosine"))
    return _with(schedule_default(code); kwargs...)
end

# A copy of the params struct `p` with the fields named in `kwargs` replaced (struct_size,
# set by the library's default_params function, cannot be). Unknown names are an error.
function _with(p::T; kwargs...) where {T}
    names = fieldnames(T)
    for k in keys(kwargs)
        if !(k in names) || k === :struct_size
            valid = join((string(n) for n in names if n !== :struct_size), ", ")
            throw(ArgumentError("unknown parameter `$k` for $T; valid: $valid"))
        end
    end
    values = Any[haskey(kwargs, k) ? convert(fieldtype(T, k), kwargs[k]) : getfield(p, k) for k in names]
    return T(values...)::T
end

const FloatType = Union{Float32, Float64}
