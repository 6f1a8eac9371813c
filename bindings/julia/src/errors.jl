# The exception every failed call turns into (the ebm_status codes EBM_* are generated:
# generated/constants.jl).


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
    unsafe_string(ebm_status_string(status))

"The message of the last failed call on this thread (`ebm_last_error_message`)."
last_error_message() = unsafe_string(ebm_last_error_message())

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
