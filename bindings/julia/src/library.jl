# Where the library is, how ccall reaches it, and the version check.
#
# Every call site names the library through the typed global `libtorchebm`. Since Julia 1.6
# the library part of `ccall((:sym, lib), ...)` / `@ccall lib.sym(...)` may be an expression
# involving global variables; it is evaluated when the call first executes and then cached.
# `__init__` therefore sets `libtorchebm` before any call can run, and changing the library
# (TORCHEBM_LIB or `set_library!`) takes effect at the next start of Julia.

"The EBM_VERSION_* of the `include/torchebm.h` this package was written for."
const HEADER_VERSION_MAJOR = Int(EBM_VERSION_MAJOR)
const HEADER_VERSION_MINOR = Int(EBM_VERSION_MINOR)
const HEADER_VERSION_PATCH = Int(EBM_VERSION_PATCH)
const HEADER_VERSION_NUMBER = UInt32(HEADER_VERSION_MAJOR * 1_000_000 + HEADER_VERSION_MINOR * 1_000 + HEADER_VERSION_PATCH)

"Path (or soname) of libtorchebm that every `ccall` uses; set once by `__init__`."
global libtorchebm::String = "libtorchebm"

# Why the library could not be loaded, or "" when it was.
const _load_problem = Ref{String}("")

const _PREFERENCE = "libtorchebm"

function _library_candidate()
    env = get(ENV, "TORCHEBM_LIB", "")
    isempty(env) || return (env, "the environment variable TORCHEBM_LIB")
    pref = @load_preference(_PREFERENCE, nothing)
    pref === nothing || return (String(pref), "the preference set by TorchEBM.set_library!")
    return ("libtorchebm", "the system's library search path")
end

function __init__()
    path, origin = _library_candidate()
    global libtorchebm = path
    handle = Libdl.dlopen(path; throw_error = false)
    if handle === nothing
        _load_problem[] = "TorchEBM: libtorchebm could not be loaded from $(repr(path)) " *
                          "(taken from $origin). Set TORCHEBM_LIB=/path/to/libtorchebm.so, " *
                          "or call TorchEBM.set_library!(path) and restart Julia."
        @warn _load_problem[]
        return nothing
    end
    _load_problem[] = ""
    _check_version(path, origin)
    return nothing
end

"""
    check_version(number) -> Bool

Whether a library of version `number` (`major * 1000000 + minor * 1000 + patch`) can be used
with this package: the same major version, and for 0.x the same minor version (0.x minor
releases may break the ABI); for 1.x and later a minor version at least the header's.
"""
function check_version(number::Integer)
    major = Int(number) ÷ 1_000_000
    minor = (Int(number) ÷ 1_000) % 1_000
    major == HEADER_VERSION_MAJOR || return false
    return major == 0 ? minor == HEADER_VERSION_MINOR : minor >= HEADER_VERSION_MINOR
end

function _check_version(path, origin)
    number = ebm_version_number()
    if !check_version(number)
        found = "$(number ÷ 1_000_000).$((number ÷ 1_000) % 1_000).$(number % 1_000)"
        error("TorchEBM: the library $(repr(path)) (from $origin) is version $found, but this " *
              "package was written for libtorchebm $(HEADER_VERSION_MAJOR).$(HEADER_VERSION_MINOR)." *
              "$(HEADER_VERSION_PATCH) (include/torchebm.h); use a matching library or package.")
    end
    return nothing
end

"""
    set_library!(path)
    set_library!(nothing)

Stores `path` (a libtorchebm.so) as this package's preference (LocalPreferences.toml of the
active project), or removes it. Takes effect when Julia restarts; the environment variable
TORCHEBM_LIB, when set, takes precedence.
"""
function set_library!(path::AbstractString)
    isfile(path) || throw(ArgumentError("set_library!: no file at $(repr(path))"))
    @set_preferences!(_PREFERENCE => abspath(path))
    @info "TorchEBM: library set to $(abspath(path)); restart Julia to use it."
    return nothing
end

function set_library!(::Nothing)
    @delete_preferences!(_PREFERENCE)
    @info "TorchEBM: library preference removed; restart Julia for it to take effect."
    return nothing
end

"The library path in use (as given to `ccall`)."
library_path() = libtorchebm

"""
    @ebm_blocking may_call_julia lib.sym(arg::T, ...)::R

A long-running library call (sampling, evaluation, training). It expands to
`@ccall gc_safe=true lib.sym(...)::R` on Julia 1.12 and later when `may_call_julia` is
false at run time, so that the garbage collector of other Julia threads need not wait for it,
and to a plain `@ccall` otherwise: a call that may run Julia code through a callback (a user
energy, a progress callback) must not be made GC-safe. Before 1.12 it is always the plain
`@ccall`. tests/bindings/check_julia.py checks these calls like `@ccall`.
"""
macro ebm_blocking(may_call_julia, call)
    plain = Expr(:macrocall, Symbol("@ccall"), __source__, call)
    if VERSION >= v"1.12"
        safe = Expr(:macrocall, Symbol("@ccall"), __source__, Expr(:(=), :gc_safe, true), call)
        return esc(:($may_call_julia ? $plain : $safe))
    else
        return esc(plain)
    end
end
