# A Julia function as an energy: a banana-shaped density, sampled with Langevin dynamics.
# The library calls the function with a whole batch of points, a (dim, n) matrix, at a time.
#
# Run (from the repository root, after `make build`):
#   TORCHEBM_LIB=$PWD/target/release/libtorchebm.so julia --project=bindings/julia examples/julia/user_energy.jl
using TorchEBM

# E(x) = 1/2 (x1^2 / 4 + (x2 - x1^2 / 4)^2) for each column x of X
banana(X) = @views 0.5 .* (X[1, :] .^ 2 ./ 4 .+ (X[2, :] .- 0.25 .* X[1, :] .^ 2) .^ 2)

# energies and gradients grad_x E in one pass, written into the library's buffers
function banana_and_gradient!(E, G, X)
    x1, x2 = view(X, 1, :), view(X, 2, :)
    r = x2 .- 0.25 .* x1 .^ 2
    E .= 0.5 .* (x1 .^ 2 ./ 4 .+ r .^ 2)
    G[1, :] .= x1 ./ 4 .- 0.5 .* x1 .* r
    G[2, :] .= r
    return nothing
end

e = user_energy(banana, 2; energy_and_gradient = banana_and_gradient!)   # omit it for finite differences
@assert energy(e, [2.0, 1.0]) ≈ banana(reshape([2.0, 1.0], 2, 1))[1]
@assert energy_gradient(e, [1.0, 2.0]) ≈ energy_gradient(user_energy(banana, 2), [1.0, 2.0])   # vs finite differences

s = langevin_sampler(e; step_size = 0.02, seed = 1)
set_progress_callback!(s, (done, total, mean_e) -> (println("step $done/$total: mean energy $(round(mean_e; digits = 3))"); PROGRESS_CONTINUE);
                       interval = 250)
X = TorchEBM.sample(s, 2, 2000; n_steps = 1000)
println("E[x1] ≈ $(round(sum(X[1, :]) / size(X, 2); digits = 2)) (0), E[x2] ≈ $(round(sum(X[2, :]) / size(X, 2); digits = 2)) (1)")

# errors raised in Julia come back as TorchEBMError(EBM_ERR_CALLBACK) with their message
bad = user_energy(X -> any(X[1, :] .> 0) ? error("positive x1 not allowed") : zeros(size(X, 2)), 2)
try
    energy(bad, [1.0 -1.0; 0.0 0.0])
catch err
    println("caught: ", sprint(showerror, err))
end
