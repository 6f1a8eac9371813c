# Julia mirrors of the C structs of include/torchebm.h: same names, field order and types
# (tests/bindings/check_julia.py compares them with the header). All are isbits, so Julia lays
# them out as C does; they are passed by value or through Ref.

# Constants (#define EBM_* in the header).
const EBM_DEVICE_CPU = Int32(-1)
const EBM_SCHEDULE_CONSTANT = Int32(0)
const EBM_SCHEDULE_EXPONENTIAL_DECAY = Int32(1)
const EBM_SCHEDULE_LINEAR = Int32(2)
const EBM_SCHEDULE_COSINE = Int32(3)
const EBM_RNG_PER_CHAIN = Int32(0)
const EBM_RNG_TORCH = Int32(1)
const EBM_ADAPT_MASS_NONE = Int32(0)
const EBM_ADAPT_MASS_DIAGONAL = Int32(1)
const EBM_ADAPT_MASS_DENSE = Int32(2)
const EBM_ACTIVATION_SILU = Int32(0)
const EBM_ACTIVATION_RELU = Int32(1)
const EBM_ACTIVATION_TANH = Int32(2)
const EBM_ACTIVATION_SOFTPLUS = Int32(3)
const EBM_ACTIVATION_ELU = Int32(4)
const EBM_DTYPE_F32 = Int32(0)
const EBM_DTYPE_F64 = Int32(1)
const EBM_CD_START_NOISE = Int32(0)
const EBM_CD_START_DATA = Int32(1)
const EBM_CD_START_PERSISTENT = Int32(2)
const EBM_SCORE_MATCHING_EXACT = Int32(0)
const EBM_SCORE_MATCHING_SLICED = Int32(1)
const EBM_SCORE_MATCHING_DENOISING = Int32(2)
const EBM_PROJECTION_RADEMACHER = Int32(0)
const EBM_PROJECTION_GAUSSIAN = Int32(1)
const EBM_DATASET_GAUSSIAN_MIXTURE = Int32(0)
const EBM_DATASET_EIGHT_GAUSSIANS = Int32(1)
const EBM_DATASET_TWO_MOONS = Int32(2)
const EBM_DATASET_SWISS_ROLL = Int32(3)
const EBM_DATASET_CIRCLE = Int32(4)
const EBM_DATASET_CHECKERBOARD = Int32(5)
const EBM_DATASET_PINWHEEL = Int32(6)
const EBM_DATASET_GRID = Int32(7)

struct ebm_build_info
    version::Ptr{UInt8}
    libtorch_version::Ptr{UInt8}
    version_number::UInt32
    cuda_compiled::Bool
    cuda_available::Bool
    cuda_device_count::Int32
    num_threads::Int32
end

struct ebm_schedule
    kind::Int32
    end_value::Cdouble
    decay_rate::Cdouble
    min_value::Cdouble
    n_steps::Int64
end

struct ebm_langevin_params
    struct_size::Csize_t
    step_size::Cdouble
    noise_scale::Cdouble
    step_size_schedule::ebm_schedule
    noise_scale_schedule::ebm_schedule
    clamp::Int32
    clamp_min::Cdouble
    clamp_max::Cdouble
    seed::UInt64
    device::Int32
    rng::Int32
    first_chain::UInt64
end

struct ebm_mala_params
    struct_size::Csize_t
    step_size::Cdouble
    step_size_schedule::ebm_schedule
    adapt_steps::Int64
    target_accept::Cdouble
    seed::UInt64
    device::Int32
    rng::Int32
    first_chain::UInt64
    temperature::Cdouble
end

struct ebm_hmc_params
    struct_size::Csize_t
    step_size::Cdouble
    n_leapfrog_steps::Int64
    mass::Ptr{Cdouble}
    mass_len::Int64
    step_size_schedule::ebm_schedule
    adapt_steps::Int64
    target_accept::Cdouble
    seed::UInt64
    device::Int32
    rng::Int32
    first_chain::UInt64
    temperature::Cdouble
    adapt_mass::Int32
    init_buffer::Int64
    term_buffer::Int64
    base_window::Int64
end

struct ebm_kinetic_langevin_params
    struct_size::Csize_t
    step_size::Cdouble
    friction::Cdouble
    mass::Ptr{Cdouble}
    mass_len::Int64
    step_size_schedule::ebm_schedule
    seed::UInt64
    device::Int32
    rng::Int32
    first_chain::UInt64
    temperature::Cdouble
end

struct ebm_tempering_params
    struct_size::Csize_t
    n_temperatures::Int64
    max_temperature::Cdouble
    temperatures::Ptr{Cdouble}
    temperatures_len::Int64
    swap_interval::Int64
end

struct ebm_nuts_params
    struct_size::Csize_t
    step_size::Cdouble
    max_tree_depth::Int64
    mass::Ptr{Cdouble}
    mass_len::Int64
    temperature::Cdouble
    step_size_schedule::ebm_schedule
    adapt_steps::Int64
    target_accept::Cdouble
    seed::UInt64
    device::Int32
    rng::Int32
    first_chain::UInt64
    adapt_mass::Int32
    init_buffer::Int64
    term_buffer::Int64
    base_window::Int64
end

struct ebm_sampler_stats
    n_chains::Int64
    dim::Int64
    steps::Int64
    non_finite_chains::Int64
    mean_acceptance::Cdouble
    step_size::Cdouble
    mean_energy::Cdouble
    divergences::Int64
    mean_tree_depth::Cdouble
end

struct ebm_mlp_params
    struct_size::Csize_t
    input_dim::Int64
    hidden::Ptr{Int64}
    n_hidden::Int64
    activation::Int32
    spectral_norm::Int32
    dtype::Int32
    device::Int32
    seed::UInt64
end

struct ebm_cd_params
    struct_size::Csize_t
    k::Int64
    start::Int32
    buffer_size::Int64
    reinit_fraction::Cdouble
    energy_reg_weight::Cdouble
    n_negatives::Int64
    seed::UInt64
    init_steps::Int64
    add_noise_to_real::Int32
    real_noise_scale::Cdouble
end

struct ebm_score_matching_params
    struct_size::Csize_t
    method::Int32
    n_projections::Int64
    projection::Int32
    noise_scale::Cdouble
    seed::UInt64
end

struct ebm_sgd_params
    struct_size::Csize_t
    learning_rate::Cdouble
    momentum::Cdouble
    dampening::Cdouble
    nesterov::Int32
    weight_decay::Cdouble
    max_grad_norm::Cdouble
end

struct ebm_adam_params
    struct_size::Csize_t
    learning_rate::Cdouble
    beta1::Cdouble
    beta2::Cdouble
    eps::Cdouble
    weight_decay::Cdouble
    decoupled_weight_decay::Int32
    max_grad_norm::Cdouble
end

struct ebm_dataset_params
    struct_size::Csize_t
    kind::Int32
    seed::UInt64
    std::Cdouble
    scale::Cdouble
    radius::Cdouble
    noise::Cdouble
    arclength::Cdouble
    range_limit::Cdouble
    n_components::Int64
    n_classes::Int64
    radial_scale::Cdouble
    angular_scale::Cdouble
    spiral_scale::Cdouble
    points_per_dim::Int64
end

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
