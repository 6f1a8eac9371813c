# Trains a small MLP energy on the two-moons dataset with persistent contrastive divergence and
# Adam, then saves the model (model.safetensors) and a picture (train_2d.png).
#
# Run (from the repository root, after `make build`):
#   TORCHEBM_LIB=$PWD/target/release/libtorchebm.so julia --project=bindings/julia examples/julia/train_2d.jl [outdir]
using TorchEBM

outdir = isempty(ARGS) ? "." : ARGS[1]
model = mlp_model(input_dim = 2, hidden = [64, 64], activation = :silu, seed = 0)
sampler = langevin_sampler(model; step_size = 0.01, noise_scale = 0.01, seed = 0)
loss = cd_loss(model, sampler; k = 20, start = :persistent, buffer_size = 10_000)
opt = adam(model; learning_rate = 1e-3)

data = dataset(:two_moons, 20_000; seed = 0, noise = 0.05)       # (2, 20000) Float32
batch = Matrix{Float32}(undef, 2, 256)
for step in 1:500
    cols = rand(1:size(data, 2), size(batch, 2))
    batch .= view(data, :, cols)
    l = train_step!(loss, opt, batch)
    step % 100 == 0 && println("step $step: loss $(round(l; digits = 4))")
end

path = joinpath(outdir, "model.safetensors")
save_model(model, path)
render_png(joinpath(outdir, "train_2d.png"), model; data = Float64.(data[:, 1:1000]),
           samples = Float64.(negatives(loss)), xlim = (-2.0, 3.0), ylim = (-1.5, 2.0))
println("saved $path ($(parameter_count(model)) parameters)")
