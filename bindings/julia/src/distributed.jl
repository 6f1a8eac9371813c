# Several processes (MPI ranks): data-parallel training and sharded sampling through the
# host's all-reduce (`ebm_optimizer_set_allreduce`, `ebm_sampler_set_allreduce`). The package
# does not depend on MPI.jl: it takes any Julia function that sums a buffer across processes.

# The C function pointers of an all-reduce's trampoline and of the release of its data (checked
# by check_julia.py against ebm_allreduce_fn and ebm_free_fn where they are passed).
_allreduce_cfunction() = @cfunction(_allreduce_trampoline, Int32, (Ptr{Cvoid}, Csize_t, Int32, Ptr{Cvoid}))
_free_user_data_cfunction() = @cfunction(_free_user_data, Cvoid, (Ptr{Cvoid},))

# Sets the all-reduce f through `setter(user_data)`, a call of ebm_*_set_allreduce.
function _set_allreduce(setter, f)
    a = _AllReduce(f)
    # Rooted until the library releases it: when replaced or removed, or when the C handle goes.
    _root!(a)
    status = GC.@preserve a setter(pointer_from_objref(a))
    status == EBM_OK || _unroot!(a)    # on failure free_fn is not called: the root is ours
    check(status)
    return a
end

"""
    set_allreduce!(opt::Optimizer, f)
    set_allreduce!(opt::Optimizer, nothing)

Data-parallel training: every process (MPI rank) trains a copy of the same model on its own
share of the data, and `f(buffer)` sums `buffer` in place across all processes — a
`Vector{Float32}` or `Vector{Float64}` valid only during the call. With MPI.jl:

```julia
using MPI, TorchEBM
MPI.Init()
comm = MPI.COMM_WORLD
rank, nranks = MPI.Comm_rank(comm), MPI.Comm_size(comm)
model = mlp_model(hidden = [64, 64], seed = 7)        # the same seed on every rank
opt = adam(model; learning_rate = 1e-3)
set_allreduce!(opt, buf -> MPI.Allreduce!(buf, +, comm))
sampler = langevin_sampler(model; step_size = 0.01, seed = 3, first_chain = rank * 128)
loss = cd_loss(model, sampler; k = 20)
for B in batches                                      # B: a 2×(128·nranks) Matrix, the same on every rank
    mine = B[:, rank*128+1:(rank+1)*128]              # this rank's 128 points
    train_step!(loss, opt, mine)                      # the loss over all of B, on every rank
end
```

[`train_step!`](@ref) and [`step!`](@ref) with `opt` then become collective: every process
must call them, in the same order. A train step combines the gradients weighted by each
process's batch size, sum_p n_p g_p / sum_p n_p, so P processes with batches n_p take the
step of one process with all of them, and returns the loss over all batches on every
process; `step!` averages the processes' gradients with equal weights. Start every process
from the same parameters (same model seed) and settings; give each sampler its global
`first_chain` so that CD negatives are its chains of one big run. PCD replay buffers stay
each process's own. When one process fails (NaN data, ...), it throws its own error and the
others a `TorchEBMError` with status `EBM_ERR_REMOTE`; nobody updates. An exception thrown by
`f` fails the call with `EBM_ERR_CALLBACK`. See `ebm_optimizer_set_allreduce` in torchebm.h.
`nothing` removes the all-reduce.
"""
function set_allreduce!(o::Optimizer, f)
    a = _set_allreduce(f) do user_data
        ebm_optimizer_set_allreduce(o, _allreduce_cfunction(), user_data, _free_user_data_cfunction())
    end
    o.allreduce = a     # for the GC-safety decision of its steps
    return o
end

function set_allreduce!(o::Optimizer, ::Nothing)
    check(ebm_optimizer_set_allreduce(o, C_NULL, C_NULL, C_NULL))
    o.allreduce = nothing
    return o
end

"""
    set_allreduce!(s::Sampler, f)
    set_allreduce!(s::Sampler, nothing)

Sharded sampling: every process runs its own share of the chains (same seed, `first_chain` =
the global index of its first chain, so that its chains are those of one big run) and
[`stats`](@ref) and [`energy_trace`](@ref) combine them through `f(buffer)`, which sums
`buffer` (a `Vector{Float64}`) in place across all processes. With MPI.jl:

```julia
comm = MPI.COMM_WORLD
rank, nranks = MPI.Comm_rank(comm), MPI.Comm_size(comm)
n = 1000 ÷ nranks                                     # chains per rank
s = mala_sampler(double_well_energy(); step_size = 0.05, seed = 1, first_chain = rank * n)
set_allreduce!(s, buf -> MPI.Allreduce!(buf, +, comm))
X = TorchEBM.sample(s, 2, n; n_steps = 500)           # this rank's chains
st = stats(s)                                         # all 1000 chains: st.n_chains == 1000
```

`stats` and `energy_trace` then become collective calls (every process, same order): chain
counts are totals, acceptance and mean energies are over every process's chains. Sampling
itself, per-chain results and progress callbacks stay local; step-size adaptation follows
this process's chains only. See `ebm_sampler_set_allreduce` in torchebm.h. `nothing` removes
the all-reduce.
"""
function set_allreduce!(s::Sampler, f)
    a = _set_allreduce(f) do user_data
        ebm_sampler_set_allreduce(s, _allreduce_cfunction(), user_data, _free_user_data_cfunction())
    end
    s.allreduce = a
    return s
end

function set_allreduce!(s::Sampler, ::Nothing)
    check(ebm_sampler_set_allreduce(s, C_NULL, C_NULL, C_NULL))
    s.allreduce = nothing
    return s
end
