# A Julia function as an energy: a banana-shaped density, sampled with Langevin dynamics.
#
# Run (from the repository root, after `make build`):
#   TORCHEBM_LIB=$PWD/target/release/libtorchebm.so julia --project=bindings/julia examples/julia/user_energy.jl
using TorchEBM

banana(x) = 0.5 * (x[1]^2 / 4 + (x[2] - 0.25 * x[1]^2)^2)
banana_gradient(x) = [x[1] / 4 - 0.5 * x[1] * (x[2] - 0.25 * x[1]^2), x[2] - 0.25 * x[1]^2]

e = user_energy(banana, 2; gradient = banana_gradient)   # omit gradient for finite differences
@assert energy(e, [2.0, 1.0]) ≈ banana([2.0, 1.0])
@assert gradient(e, [1.0, 2.0]) ≈ gradient(user_energy(banana, 2), [1.0, 2.0])   # vs finite differences

s = langevin_sampler(e; step_size = 0.02, seed = 1)
set_progress_callback!(s, (done, total, mean_e) -> (println("step $done/$total: mean energy $(round(mean_e; digits = 3))"); PROGRESS_CONTINUE);
                       interval = 250)
X = sample(s, 2, 2000; n_steps = 1000)
println("E[x1] ≈ $(round(sum(X[1, :]) / size(X, 2); digits = 2)) (0), E[x2] ≈ $(round(sum(X[2, :]) / size(X, 2); digits = 2)) (1)")

# errors raised in Julia come back as TorchEBMError(EBM_ERR_CALLBACK) with their message
bad = user_energy(x -> x[1] > 0 ? error("positive x1 not allowed") : 0.0, 2)
try
    energy(bad, [1.0 -1.0; 0.0 0.0])
catch err
    println("caught: ", sprint(showerror, err))
end
