# Versions, build information, threads, CUDA, datasets, pictures.

"The library's version string, e.g. \"0.1.0\" (`ebm_version`)."
version() = unsafe_string(ebm_version())

"The library's version as major * 1000000 + minor * 1000 + patch."
version_number() = Int(ebm_version_number())

"The version of libtorch the library was built against."
libtorch_version() = unsafe_string(ebm_libtorch_version())

"""
    build_info() -> NamedTuple

Versions and capabilities: `version`, `libtorch_version`, `version_number`, `cuda_compiled`,
`cuda_available`, `cuda_device_count`, `num_threads`.
"""
function build_info()
    out = Ref{ebm_build_info}()
    check(ebm_get_build_info(out, sizeof(ebm_build_info)))
    b = out[]
    return (version = unsafe_string(b.version), libtorch_version = unsafe_string(b.libtorch_version),
            version_number = Int(b.version_number), cuda_compiled = b.cuda_compiled,
            cuda_available = b.cuda_available, cuda_device_count = Int(b.cuda_device_count),
            num_threads = Int(b.num_threads))
end

"Whether a CUDA device is usable."
cuda_available() = ebm_cuda_is_available()

"Number of usable CUDA devices."
cuda_device_count() = Int(ebm_cuda_device_count())

"""
    set_num_threads!(n)

How many threads the library's parallel work may use, for the whole process (1 runs
everything on the calling thread and starts no thread).
"""
function set_num_threads!(n::Integer)
    check(ebm_set_num_threads(n))
    return nothing
end

"The number of threads the library's parallel work may use."
num_threads() = Int(ebm_get_num_threads())

"""
    set_task_runner!(runner::Ptr{Cvoid}, user_data::Ptr{Cvoid} = C_NULL)

Installs a C task runner (an `ebm_task_runner_fn`, e.g. from a C job system, or
`@cfunction` of a Julia function that only calls the given task pointer with `ccall`) for
the library's parallel work; `C_NULL` restores the library's own pool. The library's tasks
are C functions that must not be run on Julia tasks that can be migrated mid-call.
"""
function set_task_runner!(runner::Ptr{Cvoid}, user_data::Ptr{Cvoid} = C_NULL)
    check(ebm_set_task_runner(runner, user_data))
    return nothing
end

# --- datasets --------------------------------------------------------------------------

const _DATASETS = Dict{Symbol, Int32}(
    :gaussian_mixture => EBM_DATASET_GAUSSIAN_MIXTURE, :eight_gaussians => EBM_DATASET_EIGHT_GAUSSIANS,
    :two_moons => EBM_DATASET_TWO_MOONS, :swiss_roll => EBM_DATASET_SWISS_ROLL,
    :circle => EBM_DATASET_CIRCLE, :checkerboard => EBM_DATASET_CHECKERBOARD,
    :pinwheel => EBM_DATASET_PINWHEEL, :grid => EBM_DATASET_GRID)

function _dataset_kind(kind)
    kind isa Integer && return Int32(kind)
    haskey(_DATASETS, kind) && return _DATASETS[kind]
    throw(ArgumentError("unknown dataset $(repr(kind)); one of $(join(sort!(collect(keys(_DATASETS))), ", "))"))
end

"TorchEBM's default `ebm_dataset_params` for a dataset kind."
dataset_default_params(kind) =
    ebm_dataset_default_params(_dataset_kind(kind))

"""
    dataset!(X::Matrix{T}, kind; seed=0, kwargs...)   fills the (2, n) matrix X
    dataset(kind, n; eltype=Float32, seed=0, kwargs...) -> Matrix{T} (2, n)
    dataset(rng::AbstractRNG, kind, n; ...)            seeded with rand(rng, UInt64)

A 2-D toy dataset as TorchEBM 0.8.9 generates it: `kind` is one of `:gaussian_mixture`,
`:eight_gaussians`, `:two_moons`, `:swiss_roll`, `:circle`, `:checkerboard`, `:pinwheel`,
`:grid`; keywords are the fields of `ebm_dataset_params` (`noise`, `std`, ...).
"""
function dataset!(X::Matrix{Float32}, kind; kwargs...)
    size(X, 1) == 2 || throw(ArgumentError("dataset!: X must have 2 rows (2-D points), has $(size(X, 1))"))
    p = Ref(_with(dataset_default_params(kind); kwargs...))
    check(ebm_dataset_generate_f32(p, size(X, 2), X))
    return X
end

function dataset!(X::Matrix{Float64}, kind; kwargs...)
    size(X, 1) == 2 || throw(ArgumentError("dataset!: X must have 2 rows (2-D points), has $(size(X, 1))"))
    p = Ref(_with(dataset_default_params(kind); kwargs...))
    check(ebm_dataset_generate_f64(p, size(X, 2), X))
    return X
end

dataset(kind, n::Integer; eltype::Type{T} = Float32, kwargs...) where {T <: FloatType} =
    dataset!(Matrix{T}(undef, 2, n), kind; kwargs...)

"""
    dataset(rng::AbstractRNG, kind, n; eltype=Float32, kwargs...) -> Matrix{T} (2, n)

`dataset(kind, n; seed = rand(rng, UInt64), ...)`: the points drawn with a seed taken from a
Julia random number generator.
"""
function dataset(rng::AbstractRNG, kind, n::Integer; kwargs...)
    haskey(kwargs, :seed) && throw(ArgumentError("dataset: give either a random number generator or the keyword seed, not both"))
    return dataset(kind, n; seed = rand(rng, UInt64), kwargs...)
end

# --- pictures ----------------------------------------------------------------------------

_points2(::Nothing, what) = (Float64[], 0)
function _points2(X::AbstractMatrix, what)
    size(X, 1) == 2 || throw(ArgumentError("render_png: $what must be a (2, n) matrix"))
    return Matrix{Float64}(X), size(X, 2)
end

"""
    render_png(path, e; data=nothing, samples=nothing, xlim=(-3, 3), ylim=(-3, 3),
               panel_size=256, temperature=1.0)

Writes a PNG of the 2-D energy `e` with `data` (left) and `samples` over the landscape
(right); both `(2, n)` matrices or `nothing`.
"""
function render_png(path::AbstractString, e::Energy; data = nothing, samples = nothing,
                    xlim = (-3.0, 3.0), ylim = (-3.0, 3.0), panel_size::Integer = 256,
                    temperature::Real = 1.0)
    D, nd = _points2(data, "data")
    S, ns = _points2(samples, "samples")
    dptr = nd == 0 ? Ptr{Cdouble}(C_NULL) : D
    sptr = ns == 0 ? Ptr{Cdouble}(C_NULL) : S
    check(ebm_render_png(e, dptr, nd, sptr, ns, xlim[1], xlim[2], ylim[1], ylim[2], panel_size, temperature, path; may_call_julia = e.calls_julia))
    return path
end
