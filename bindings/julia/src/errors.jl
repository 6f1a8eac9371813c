# Status codes and the exception every failed call turns into.

const EBM_OK = Int32(0)
const EBM_ERR_NULL_POINTER = Int32(1)
const EBM_ERR_INVALID_ARGUMENT = Int32(2)
const EBM_ERR_NON_FINITE = Int32(3)
const EBM_ERR_DIMENSION_MISMATCH = Int32(4)
const EBM_ERR_LENGTH_MISMATCH = Int32(5)
const EBM_ERR_SIZE_OVERFLOW = Int32(6)
const EBM_ERR_NOT_POSITIVE_DEFINITE = Int32(7)
const EBM_ERR_DEVICE_UNAVAILABLE = Int32(8)
const EBM_ERR_CALLBACK = Int32(9)
const EBM_ERR_TORCH = Int32(10)
const EBM_ERR_PANIC = Int32(11)
const EBM_ERR_OUT_OF_MEMORY = Int32(12)
const EBM_ERR_CANCELLED = Int32(13)
const EBM_ERR_IO = Int32(14)
const EBM_ERR_FORMAT = Int32(15)
const EBM_ERR_BUSY = Int32(16)
const EBM_ERR_REMOTE = Int32(17)

"""
    TorchEBMError(status, name, message)

A failed libtorchebm call: `status` is the `ebm_status` code (e.g. `TorchEBM.EBM_ERR_NON_FINITE`),
`name` its fixed description (`ebm_status_string`), `message` the library's one-line message
naming the function and argument at fault (`ebm_last_error_message`).
"""
struct TorchEBMError <: Exception
    status::Int32
    name::String
    message::String
end

function Base.showerror(io::IO, e::TorchEBMError)
    print(io, "TorchEBMError: ", e.message, " (status ", e.status, ": ", e.name, ")")
end

"The fixed description of a status code (`ebm_status_string`)."
status_string(status::Integer) =
    unsafe_string(@ccall libtorchebm.ebm_status_string(status::Int32)::Cstring)

"The message of the last failed call on this thread (`ebm_last_error_message`)."
last_error_message() = unsafe_string(@ccall libtorchebm.ebm_last_error_message()::Cstring)

"""
    check(status)

Returns nothing for `EBM_OK`; otherwise throws a [`TorchEBMError`](@ref). Called right after
every fallible call, before any other library call can replace the thread's message.
"""
@inline function check(status::Integer)
    status == EBM_OK && return nothing
    _throw_status(status)
end

@noinline function _throw_status(status::Integer)
    message = last_error_message()   # first: the next ebm_ call may replace it
    throw(TorchEBMError(Int32(status), status_string(status), message))
end
