# Samples a 2-D double well with MALA and prints where the chains went.
#
# Run (from the repository root, after `make build`):
#   TORCHEBM_LIB=$PWD/target/release/libtorchebm.so julia --project=bindings/julia examples/julia/sample_double_well.jl
using TorchEBM

well = double_well_energy(a = 1.0, b = 2.0)          # E(x) = sum_i (x_i^2 - 2)^2
sampler = mala_sampler(well; step_size = 0.05, adapt_steps = 200, seed = 42)

X = TorchEBM.sample(sampler, 2, 1000; n_steps = 2000)           # (dim, n): one chain per column
st = TorchEBM.stats(sampler)
println("acceptance $(round(st.mean_acceptance; digits = 3)), step size $(round(st.step_size; digits = 4))")

# the modes are at x_i = ±sqrt(2): count the chains near each of the four corners
for sx in (-1, 1), sy in (-1, 1)
    near = count(i -> sign(X[1, i]) == sx && sign(X[2, i]) == sy, 1:size(X, 2))
    println("mode ($(sx > 0 ? "+" : "-")√2, $(sy > 0 ? "+" : "-")√2): $near chains")
end
println("mean energy $(round(sum(energy(well, X)) / size(X, 2); digits = 3))")
