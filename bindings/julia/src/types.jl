# Helpers over the C structs of include/torchebm.h, whose Julia mirrors and constants are
# generated (generated/structs.jl, generated/constants.jl: scripts/generate_bindings.py).

"""
    schedule(kind; end_value=0, decay_rate=1, min_value=0, n_steps=1) -> ebm_schedule

A step-size or noise schedule: `kind` is `:constant`, `:exponential_decay`, `:linear` or
`:cosine` (see `ebm_schedule` in the header for the formulas).
"""
function schedule(kind::Symbol = :constant; end_value::Real = 0.0, decay_rate::Real = 1.0,
                  min_value::Real = 0.0, n_steps::Integer = 1)
    code = kind === :constant ? EBM_SCHEDULE_CONSTANT :
           kind === :exponential_decay ? EBM_SCHEDULE_EXPONENTIAL_DECAY :
           kind === :linear ? EBM_SCHEDULE_LINEAR :
           kind === :cosine ? EBM_SCHEDULE_COSINE :
           throw(ArgumentError("schedule: unknown kind $(repr(kind)); use :constant, :exponential_decay, :linear or :cosine"))
    return ebm_schedule(code, end_value, decay_rate, min_value, n_steps)
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
