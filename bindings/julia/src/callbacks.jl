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
# A ReentrantLock: waiting for it yields to other tasks instead of spinning, it disables
# finalizers on its task while held, and a task that holds it may take it again. That last
# property is what the handles' finalizers rely on (see _finalize).
const _ROOTS_LOCK = ReentrantLock()

function _root!(x)
    lock(_ROOTS_LOCK) do
        _ROOTS[x] = nothing
    end
    return x
end

function _unroot!(x)
    lock(_ROOTS_LOCK) do
        delete!(_ROOTS, x)
    end
    return nothing
end

"Number of Julia objects currently rooted for the library (user energies alive in C)."
rooted_count() = lock(() -> length(_ROOTS), _ROOTS_LOCK)

# The finalizer of every handle type. Freeing a handle may make the library call free_fn
# (_free_user_data), which takes _ROOTS_LOCK; a finalizer must not wait for a lock (it may
# not yield), so it takes the lock only if it is free now and otherwise re-registers itself
# to run at a later collection (the strategy of the Julia manual's "Safe use of
# Finalizers"). While it holds the lock, the nested lock in _unroot! is a re-entry.
function _finalize(handle)
    if !trylock(_ROOTS_LOCK)
        finalizer(_finalize, handle)
        return nothing
    end
    try
        free!(handle)
    finally
        unlock(_ROOTS_LOCK)
    end
    return nothing
end

# A user energy: `f(X)` returns the energies of the columns of X; `fg!(E, G, X)`, when given,
# writes energies and gradients. Both are called once per batch of points.
mutable struct _UserEnergy
    f::Any
    energy_and_gradient::Any    # fg!, or nothing: the library uses finite differences of f
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

# Function barriers: the trampolines look the user's function up once per batch (one dynamic
# call); these are compiled for its concrete type.
function _batch_energies!(E::Vector{Float64}, f::F, X::Matrix{Float64}) where {F}
    values = f(X)
    length(values) == length(E) ||
        throw(DimensionMismatch("the energy function returned $(length(values)) values for $(length(E)) points " *
                                "(it gets a (dim, n) matrix and returns the n energies)"))
    E .= values
    return nothing
end

function _batch_energies_and_gradients!(E::Vector{Float64}, G::Matrix{Float64}, fg!::F,
                                        X::Matrix{Float64}) where {F}
    fg!(E, G, X)
    return nothing
end

function _energy_trampoline(x::Ptr{Cdouble}, n::Int64, dim::Int64, energy_out::Ptr{Cdouble},
                            user_data::Ptr{Cvoid})::Int32
    try
        n == 0 && return Int32(0)
        data = unsafe_pointer_to_objref(user_data)::_UserEnergy
        X = unsafe_wrap(Array, x, (Int(dim), Int(n)))          # read-only: the library's buffer
        E = unsafe_wrap(Array, energy_out, Int(n))
        _batch_energies!(E, data.f, X)
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
        _batch_energies_and_gradients!(E, G, data.energy_and_gradient, X)
        return Int32(0)
    catch err
        _report_callback_error("Julia energy and gradient", err)
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
    user_energy(f, dim; energy_and_gradient = nothing) -> Energy

A Julia function as an energy of points of dimension `dim`, called with a batch of points
at a time, never once per point (the library passes all the points of an evaluation, or for
large evaluations a few large parts of them, possibly concurrently):

  * `f(X)` gets a `(dim, n)` `Matrix{Float64}` (point i is column i) and returns the `n`
    energies (any `AbstractVector` of length n), e.g. `X -> vec(sum(abs2, X; dims = 1)) ./ 2`.
    A function of one point `g(x)` becomes one with `X -> map(g, eachcol(X))`.
  * `energy_and_gradient`, when given, is `fg!(E, G, X)`: it writes the n energies into the
    `Vector{Float64}` `E` and the energy gradients grad_x E (not the scores) into the
    `(dim, n)` `Matrix{Float64}` `G`, column i for point i. Without it the library takes
    finite differences of `f`.

`X`, `E` and `G` are the library's buffers, valid only during the call; do not keep them or
write into `X`. An exception thrown by `f` or `fg!` makes the library call fail with a
[`TorchEBMError`](@ref) of status `EBM_ERR_CALLBACK` whose message contains it. The functions
may be called from several threads at once when the energy is evaluated concurrently. Calls
that evaluate a user energy are never made GC-safe (see `@ebm_blocking`).
"""
function user_energy(f, dim::Integer; energy_and_gradient = nothing)
    dim >= 1 || throw(ArgumentError("user_energy: dim must be >= 1, got $dim"))
    data = _UserEnergy(f, energy_and_gradient, Int(dim))
    efn = @cfunction(_energy_trampoline, Int32, (Ptr{Cdouble}, Int64, Int64, Ptr{Cdouble}, Ptr{Cvoid}))
    gfn = energy_and_gradient === nothing ? C_NULL :
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

"""
    ProgressAction

What a progress callback returns: [`PROGRESS_CONTINUE`](@ref) or [`PROGRESS_CANCEL`](@ref)
(or `nothing`, which continues). Its own type rather than `Bool`, because C's callback
cancels on a nonzero (true) value while a Julia predicate would mean "go on" by `true`; a
callback returning a `Bool` (or anything else) cancels the run with an `ArgumentError` that
says so, rather than being guessed at.
"""
struct ProgressAction
    code::Int32
end

"Returned by a progress callback to let the run go on (C's `EBM_PROGRESS_CONTINUE`)."
const PROGRESS_CONTINUE = ProgressAction(EBM_PROGRESS_CONTINUE)
"Returned by a progress callback to stop the run: `EBM_ERR_CANCELLED` (C's `EBM_PROGRESS_CANCEL`)."
const PROGRESS_CANCEL = ProgressAction(EBM_PROGRESS_CANCEL)

mutable struct _Progress
    f::Any          # (steps_done, steps_total, mean_energy) -> PROGRESS_CONTINUE / PROGRESS_CANCEL
    err::Any        # an exception thrown by f, rethrown when the run returns
end

# The C code for what a progress callback returned; anything but a ProgressAction or nothing
# throws (the trampoline cancels the run and keeps the error for the caller).
_progress_code(::Nothing) = EBM_PROGRESS_CONTINUE
_progress_code(action::ProgressAction) = action.code
_progress_code(result) =
    throw(ArgumentError("progress callback returned $(repr(result))::$(typeof(result)); return " *
                        "PROGRESS_CONTINUE or PROGRESS_CANCEL (or nothing, to continue). A Bool is " *
                        "refused: C's callback cancels on nonzero, a Julia predicate means \"go on\" " *
                        "by true, and the library does not guess which was meant"))

function _progress_trampoline(steps_done::Int64, steps_total::Int64, mean_energy::Cdouble,
                              user_data::Ptr{Cvoid})::Int32
    p = unsafe_pointer_to_objref(user_data)::_Progress
    try
        return _progress_code(p.f(steps_done, steps_total, mean_energy))
    catch err
        p.err = err
        return EBM_PROGRESS_CANCEL
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
