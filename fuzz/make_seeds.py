"""Writes the seed corpora of the file-loader fuzz targets (fuzz/corpus/load_*/): models and
checkpoints saved through libtorchebm's C API (ctypes), TorchScript modules saved by PyTorch.

Usage (from the repository root, after make build):
    $(scripts/setup-libtorch.sh --python) fuzz/make_seeds.py target/release/libtorchebm.so

The seeds of the other targets are structured (arbitrary) inputs: see fuzz/README.md.
Every file is small (a few KB); the output is deterministic for a given library and torch.
"""

import ctypes
import os
import sys

import torch
from torch import nn

root = os.path.dirname(os.path.abspath(__file__))
lib = ctypes.CDLL(sys.argv[1])
lib.ebm_last_error_message.restype = ctypes.c_char_p


class MlpParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("input_dim", ctypes.c_int64),
                ("hidden", ctypes.POINTER(ctypes.c_int64)), ("n_hidden", ctypes.c_int64),
                ("activation", ctypes.c_int32), ("spectral_norm", ctypes.c_int32), ("dtype", ctypes.c_int32),
                ("device", ctypes.c_int32), ("seed", ctypes.c_uint64)]


class Schedule(ctypes.Structure):
    _fields_ = [("kind", ctypes.c_int32), ("end_value", ctypes.c_double), ("decay_rate", ctypes.c_double),
                ("min_value", ctypes.c_double), ("n_steps", ctypes.c_int64)]


class LangevinParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("step_size", ctypes.c_double), ("noise_scale", ctypes.c_double),
                ("step_size_schedule", Schedule), ("noise_scale_schedule", Schedule), ("clamp", ctypes.c_int32),
                ("clamp_min", ctypes.c_double), ("clamp_max", ctypes.c_double), ("seed", ctypes.c_uint64),
                ("device", ctypes.c_int32), ("rng", ctypes.c_int32)]


class CdParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("k", ctypes.c_int64), ("start", ctypes.c_int32),
                ("buffer_size", ctypes.c_int64), ("reinit_fraction", ctypes.c_double),
                ("energy_reg_weight", ctypes.c_double), ("n_negatives", ctypes.c_int64), ("seed", ctypes.c_uint64)]


class AdamParams(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("learning_rate", ctypes.c_double), ("beta1", ctypes.c_double),
                ("beta2", ctypes.c_double), ("eps", ctypes.c_double), ("weight_decay", ctypes.c_double),
                ("decoupled_weight_decay", ctypes.c_int32), ("max_grad_norm", ctypes.c_double)]


for name, struct in [("ebm_mlp_default_params", MlpParams), ("ebm_langevin_default_params", LangevinParams),
                     ("ebm_cd_default_params", CdParams), ("ebm_adam_default_params", AdamParams)]:
    getattr(lib, name).restype = struct
for name in ("ebm_energy_free", "ebm_sampler_free", "ebm_cd_loss_free", "ebm_optimizer_free"):
    getattr(lib, name).argtypes = [ctypes.c_void_p]


def check(status):
    if status != 0:
        raise SystemExit(f"make_seeds: status {status}: {lib.ebm_last_error_message().decode()}")


def corpus(target):
    path = os.path.join(root, "corpus", target)
    os.makedirs(path, exist_ok=True)
    return path


def mlp(input_dim, hidden, activation=0, dtype=0, spectral_norm=0, seed=0):
    p = lib.ebm_mlp_default_params()
    widths = (ctypes.c_int64 * max(1, len(hidden)))(*hidden)
    p.input_dim, p.hidden, p.n_hidden = input_dim, widths, len(hidden)
    p.activation, p.dtype, p.spectral_norm, p.seed = activation, dtype, spectral_norm, seed
    model = ctypes.c_void_p()
    check(lib.ebm_model_mlp_new(ctypes.byref(p), ctypes.byref(model)))
    return model


def train_handles(model):
    """Adam, and a PCD loss of a Langevin sampler, as fuzz_targets/load_checkpoint.rs builds them."""
    adam = lib.ebm_adam_default_params()
    opt = ctypes.c_void_p()
    check(lib.ebm_optimizer_adam_new(model, ctypes.byref(adam), ctypes.byref(opt)))
    lp = lib.ebm_langevin_default_params()
    sampler = ctypes.c_void_p()
    check(lib.ebm_langevin_new(model, ctypes.byref(lp), ctypes.byref(sampler)))
    cp = lib.ebm_cd_default_params()
    cp.start, cp.buffer_size = 2, 32
    loss = ctypes.c_void_p()
    check(lib.ebm_cd_loss_new(model, sampler, ctypes.byref(cp), ctypes.byref(loss)))
    lib.ebm_sampler_free(sampler)
    return opt, loss


def train_step(model, opt, loss):
    batch = (ctypes.c_float * 16)(*[i * 0.1 - 0.8 for i in range(16)])
    value = ctypes.c_double()
    check(lib.ebm_cd_loss_train_step_f32(loss, opt, batch, ctypes.c_int64(8), ctypes.c_int64(2), ctypes.byref(value)))


# ebm_model_load: models of a few architectures.
out = corpus("load_model")
for name, args in [("mlp_2_8_8_silu.safetensors", (2, [8, 8])),
                   ("mlp_3_relu_f64.safetensors", (3, [4], 1, 1)),
                   ("mlp_2_linear.safetensors", (2, [])),
                   ("mlp_2_4_tanh_sn.safetensors", (2, [4], 2, 0, 1))]:
    model = mlp(*args)
    check(lib.ebm_model_save(model, os.path.join(out, name).encode()))
    lib.ebm_energy_free(model)

# ebm_checkpoint_load: with and without optimizer state and replay buffer.
out = corpus("load_checkpoint")
for name, with_opt, with_loss, steps in [("mlp_adam_pcd_0.ckpt", True, True, 0),
                                          ("mlp_adam_pcd_2.ckpt", True, True, 2),
                                          ("mlp_only.ckpt", False, False, 0),
                                          ("mlp_adam.ckpt", True, False, 1)]:
    model = mlp(2, [8, 8])
    opt, loss = train_handles(model)
    for _ in range(steps):
        train_step(model, opt, loss)
    check(lib.ebm_checkpoint_save(os.path.join(out, name).encode(), model,
                                  opt if with_opt else None, loss if with_loss else None))
    lib.ebm_cd_loss_free(loss)
    lib.ebm_optimizer_free(opt)
    lib.ebm_energy_free(model)

# ebm_model_torchscript_load (dim 2): a scripted MLP, a traced one, a scripted function of x.
out = corpus("load_torchscript")
torch.manual_seed(0)


class Quadratic(nn.Module):
    def forward(self, x):
        return 0.5 * (x * x).sum(dim=-1)


net = nn.Sequential(nn.Linear(2, 4), nn.SiLU(), nn.Linear(4, 1))
torch.jit.save(torch.jit.script(net), os.path.join(out, "scripted_mlp.pt"))
torch.jit.save(torch.jit.trace(nn.Sequential(nn.Linear(2, 1)), torch.zeros(3, 2)), os.path.join(out, "traced_linear.pt"))
torch.jit.save(torch.jit.script(Quadratic()), os.path.join(out, "quadratic.pt"))

for target in ("load_model", "load_checkpoint", "load_torchscript"):
    for name in sorted(os.listdir(corpus(target))):
        size = os.path.getsize(os.path.join(corpus(target), name))
        assert size < 100_000, (name, size)
        print(f"{target}/{name}: {size} bytes")
