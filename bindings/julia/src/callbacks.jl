# Julia functions called by the library: user energies, progress callbacks and all-reduces.
#
# The C side gets a @cfunction trampoline and, as user_data, a pointer to a Julia object. That
# object is rooted in _ROOTS for as long as the C handle may call it: a user energy's data is
# released by the library's free_fn (when the energy and every composite or sampler using it
# are gone), and so is a progress callback's or an all-reduce's (when it is replaced or
# removed, or its sampler or optimizer is gone). Exceptions never unwind into C: the
# trampolines catch them, report them with ebm_callback_set_error, and return the failure
# code (nonzero) that the header specifies.

const _ROOTS = IdDict{Any, Nothing}()
const _ROOTS_LOCK = Threads.SpinLock()

# Finalizers are disabled while the lock is held, so a finalizer that frees a user energy
# (and so runs _free_user_data on this thread) cannot deadlock on it.
function _root!(x)
    GC.enable_finalizers(false)
    lock(_ROOTS_LOCK)
    try
        _ROOTS[x] = nothing
    finally
        unlock(_ROOTS_LOCK)
        GC.enable_finalizers(true)
    end
    return x
end

function _unroot!(x)
    GC.enable_finalizers(false)
    lock(_ROOTS_LOCK)
    try
        delete!(_ROOTS, x)
    finally
        unlock(_ROOTS_LOCK)
        GC.enable_finalizers(true)
    end
    return nothing
end

"Number of Julia objects currently rooted for the library (user energies alive in C)."
rooted_count() = (lock(_ROOTS_LOCK); try length(_ROOTS) finally unlock(_ROOTS_LOCK) end)

mutable struct _UserEnergy
    f::Any          # x::AbstractVector{Float64} -> energy
    grad::Any       # x -> gradient vector (length dim), or nothing for finite differences
    dim::Int
end

function _report_callback_error(what::AbstractString, err)
    msg = try
        string(what, ": ", sprint(showerror, err))
    catch
        string(what, ": a Julia exception")
    end
    msg = replace(msg, '\0' => ' ', '\n' => ' ')
    length(msg) > 500 && (msg = first(msg, 500) * "...")
    ebm_callback_set_error(msg)
    return nothing
end

function _energy_trampoline(x::Ptr{Cdouble}, n::Int64, dim::Int64, energy_out::Ptr{Cdouble},
                            user_data::Ptr{Cvoid})::Int32
    try
        n == 0 && return Int32(0)
        data = unsafe_pointer_to_objref(user_data)::_UserEnergy
        X = unsafe_wrap(Array, x, (Int(dim), Int(n)))
        E = unsafe_wrap(Array, energy_out, Int(n))
        for i in 1:Int(n)
            E[i] = Float64(data.f(view(X, :, i)))
        end
        return Int32(0)
    catch err
        _report_callback_error("Julia energy", err)
        return Int32(1)
    end
end

function _energy_gradient_trampoline(x::Ptr{Cdouble}, n::Int64, dim::Int64, energy_out::Ptr{Cdouble},
                                     gradient_out::Ptr{Cdouble}, user_data::Ptr{Cvoid})::Int32
    try
        n == 0 && return Int32(0)
        data = unsafe_pointer_to_objref(user_data)::_UserEnergy
        X = unsafe_wrap(Array, x, (Int(dim), Int(n)))
        E = unsafe_wrap(Array, energy_out, Int(n))
        G = unsafe_wrap(Array, gradient_out, (Int(dim), Int(n)))
        for i in 1:Int(n)
            xi = view(X, :, i)
            E[i] = Float64(data.f(xi))
            g = data.grad(xi)
            length(g) == dim || throw(DimensionMismatch("gradient returned $(length(g)) values, expected $dim"))
            G[:, i] .= g
        end
        return Int32(0)
    catch err
        _report_callback_error("Julia gradient", err)
        return Int32(1)
    end
end

function _free_user_data(user_data::Ptr{Cvoid})::Cvoid
    try
        _unroot!(unsafe_pointer_to_objref(user_data))
    catch
    end
    return nothing
end

"""
    user_energy(f, dim; gradient = nothing) -> Energy

A Julia function as an energy of points of dimension `dim`: `f(x)` gets one point `x` (an
`AbstractVector{Float64}` view, valid only during the call) and returns its energy;
`gradient(x)`, when given, returns grad_x E at x (a vector of length dim); without it the
library uses finite differences. An exception thrown by `f` or `gradient` makes the library
call fail with a [`TorchEBMError`](@ref) of status `EBM_ERR_CALLBACK` whose message contains
the exception. `f` may be called from several threads at once when the energy is evaluated
concurrently. Calls that evaluate a user energy are never made GC-safe (see `@ebm_blocking`).
"""
function user_energy(f, dim::Integer; gradient = nothing)
    dim >= 1 || throw(ArgumentError("user_energy: dim must be >= 1, got $dim"))
    data = _UserEnergy(f, gradient, Int(dim))
    efn = @cfunction(_energy_trampoline, Int32, (Ptr{Cdouble}, Int64, Int64, Ptr{Cdouble}, Ptr{Cvoid}))
    gfn = gradient === nothing ? C_NULL :
          @cfunction(_energy_gradient_trampoline, Int32,
                     (Ptr{Cdouble}, Int64, Int64, Ptr{Cdouble}, Ptr{Cdouble}, Ptr{Cvoid}))
    ffn = @cfunction(_free_user_data, Cvoid, (Ptr{Cvoid},))
    _root!(data)
    out = _out_handle()
    status = GC.@preserve data begin
        ud = pointer_from_objref(data)
        ebm_energy_callback_new(dim, efn, gfn, ud, ffn, out)
    end
    status == EBM_OK || _unroot!(data)    # on failure free_fn is not called: the root is ours
    check(status)
    return Energy(out[]; calls_julia = true)
end

# --- progress callbacks ------------------------------------------------------------------

mutable struct _Progress
    f::Any          # (steps_done, steps_total, mean_energy) -> false to cancel
    err::Any        # an exception thrown by f, rethrown when the run returns
end

function _progress_trampoline(steps_done::Int64, steps_total::Int64, mean_energy::Cdouble,
                              user_data::Ptr{Cvoid})::Int32
    p = unsafe_pointer_to_objref(user_data)::_Progress
    try
        return p.f(steps_done, steps_total, mean_energy) === false ? Int32(1) : Int32(0)
    catch err
        p.err = err
        return Int32(1)
    end
end

# --- all-reduces (distributed.jl) ---------------------------------------------------------

mutable struct _AllReduce
    f::Any          # f(buffer::Vector{Float32 or Float64}) sums buffer in place across processes
end

function _allreduce_trampoline(values::Ptr{Cvoid}, count::Csize_t, dtype::Int32, user_data::Ptr{Cvoid})::Int32
    try
        a = unsafe_pointer_to_objref(user_data)::_AllReduce
        if dtype == EBM_DTYPE_F32
            a.f(unsafe_wrap(Array, Ptr{Float32}(values), Int(count)))
        elseif dtype == EBM_DTYPE_F64
            a.f(unsafe_wrap(Array, Ptr{Float64}(values), Int(count)))
        else
            throw(ArgumentError("unknown dtype $dtype"))
        end
        return Int32(0)
    catch err
        _report_callback_error("Julia all-reduce", err)
        return Int32(1)
    end
end
