# Loads the model saved by train_2d.jl and samples it with MALA.
#
# Run (from the repository root, after train_2d.jl):
#   TORCHEBM_LIB=$PWD/target/release/libtorchebm.so julia --project=bindings/julia examples/julia/load_model.jl [model.safetensors]
using TorchEBM

path = isempty(ARGS) ? "model.safetensors" : ARGS[1]
model = load_model(path)
println("loaded $(TorchEBM.kind(model)) of dim $(TorchEBM.dim(model)) with $(parameter_count(model)) parameters")

sampler = mala_sampler(model; step_size = 0.005, adapt_steps = 100, seed = 7)
X = TorchEBM.sample(sampler, 2, 2000; n_steps = 500)
println("acceptance $(round(TorchEBM.stats(sampler).mean_acceptance; digits = 3))")
println("sample mean ($(round(sum(X[1, :]) / 2000; digits = 2)), $(round(sum(X[2, :]) / 2000; digits = 2))); ",
        "mean energy $(round(sum(energy(model, X)) / 2000; digits = 3))")
