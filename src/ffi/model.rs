//! Neural energy models: MLPs built from C, TorchScript modules, saved models, and their
//! parameters and gradients as flat vectors.

use std::ffi::{c_char, CStr, OsStr};
use std::mem::size_of;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Arc;

use tch::{Device, Kind};

use super::args::{count, handle, handle_mut, input, output};
use super::energy::{ebm_energy, new_energy};
use super::guard::call;
use super::sampler_params::read;
use super::status::ebm_status;
use crate::checkpoint;
use crate::error::{Error, Result};
use crate::model::{self, Activation, Mlp, MlpSpec, Model, TorchScriptEnergy};
use crate::runtime;
use crate::tensor::Real;

/// ebm_mlp_params.activation: x * sigmoid(x).
pub const EBM_ACTIVATION_SILU: i32 = 0;
/// ebm_mlp_params.activation: max(0, x).
pub const EBM_ACTIVATION_RELU: i32 = 1;
/// ebm_mlp_params.activation: tanh(x).
pub const EBM_ACTIVATION_TANH: i32 = 2;
/// ebm_mlp_params.activation: log(1 + exp(x)).
pub const EBM_ACTIVATION_SOFTPLUS: i32 = 3;
/// ebm_mlp_params.activation: x if x > 0 else exp(x) - 1.
pub const EBM_ACTIVATION_ELU: i32 = 4;

/// Element type float: of a model's parameters (ebm_mlp_params.dtype), of an all-reduce's
/// buffer (ebm_allreduce_fn).
pub const EBM_DTYPE_F32: i32 = 0;
/// Element type double: of a model's parameters, of an all-reduce's buffer.
pub const EBM_DTYPE_F64: i32 = 1;

/// The architecture of an MLP energy E(x) = network(x): input_dim -> hidden[0] -> ... ->
/// hidden[n_hidden-1] -> 1, with `activation` after every hidden layer (the specification's
/// EnergyModel(network) for a fully connected network). Get defaults from
/// ebm_mlp_default_params().
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_mlp_params {
    /// sizeof(ebm_mlp_params); set by ebm_mlp_default_params().
    pub struct_size: usize,
    /// Input dimension >= 1. Default 2.
    pub input_dim: i64,
    /// n_hidden widths (each >= 1), copied by ebm_model_mlp_new. Default NULL.
    pub hidden: *const i64,
    /// Number of hidden layers (0: a linear energy). Default 0.
    pub n_hidden: i64,
    /// EBM_ACTIVATION_SILU (default), _RELU, _TANH, _SOFTPLUS or _ELU.
    pub activation: i32,
    /// Nonzero: spectral normalisation of every weight (one power iteration per training
    /// step). Default 0.
    pub spectral_norm: i32,
    /// EBM_DTYPE_F32 (default) or EBM_DTYPE_F64.
    pub dtype: i32,
    /// EBM_DEVICE_CPU (default) or a CUDA index.
    pub device: i32,
    /// Seed of the initial weights: PyTorch's nn.Linear initialisation, drawn exactly as
    /// after torch.manual_seed(seed). Default 0.
    pub seed: u64,
}

/// Default MLP parameters: input_dim 2, no hidden layer, SiLU, no spectral norm, float, CPU,
/// seed 0. Set hidden/n_hidden for a useful network.
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     int64_t hidden[2] = {32, 32};
///     ebm_mlp_params params = ebm_mlp_default_params();
///     params.input_dim = 2;
///     params.hidden = hidden;
///     params.n_hidden = 2;
///     params.seed = 1;
///     ebm_energy *model = NULL, *loaded = NULL;
///     int64_t count = 0;
///     if (ebm_model_mlp_new(&params, &model) || ebm_model_parameter_count(model, &count) ||
///         ebm_model_save(model, "mlp.safetensors") ||
///         ebm_model_load("mlp.safetensors", EBM_DEVICE_CPU, &loaded)) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     // A model is an ebm_energy: evaluate it, sample it, train it.
///     float x[4] = {0.5f, -1.0f, 2.0f, 0.0f}, e[2], e_loaded[2];
///     if (ebm_energy_eval_f32(model, x, 2, 2, e) || ebm_energy_eval_f32(loaded, x, 2, 2, e_loaded))
///         return 1;
///     printf("%lld parameters; E = %g, %g (saved and loaded: %g, %g)\n", (long long)count, e[0], e[1],
///            e_loaded[0], e_loaded[1]);
///     ebm_energy_free(loaded);
///     ebm_energy_free(model);
///     // 2*32 + 32 weights and biases in, 32*32 + 32 between, 32 + 1 out
///     return count == 1185 && e[0] == e_loaded[0] && e[1] == e_loaded[1] ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub extern "C" fn ebm_mlp_default_params() -> ebm_mlp_params {
    let d = MlpSpec::default();
    debug_assert!(d.hidden.is_empty(), "a default hidden width would need static storage");
    ebm_mlp_params {
        struct_size: size_of::<ebm_mlp_params>(),
        input_dim: d.input_dim as i64,
        hidden: std::ptr::null(),
        n_hidden: d.hidden.len() as i64,
        activation: activation_code(d.activation),
        spectral_norm: i32::from(d.spectral_norm),
        dtype: dtype_code(d.kind),
        device: runtime::device_code(Device::Cpu),
        seed: MlpSpec::DEFAULT_SEED,
    }
}

fn activation_code(activation: Activation) -> i32 {
    match activation {
        Activation::Silu => EBM_ACTIVATION_SILU,
        Activation::Relu => EBM_ACTIVATION_RELU,
        Activation::Tanh => EBM_ACTIVATION_TANH,
        Activation::Softplus => EBM_ACTIVATION_SOFTPLUS,
        Activation::Elu => EBM_ACTIVATION_ELU,
    }
}

fn dtype_code(kind: Kind) -> i32 {
    if kind == Kind::Double {
        EBM_DTYPE_F64
    } else {
        EBM_DTYPE_F32
    }
}

fn activation(code: i32) -> Result<Activation> {
    Ok(match code {
        EBM_ACTIVATION_SILU => Activation::Silu,
        EBM_ACTIVATION_RELU => Activation::Relu,
        EBM_ACTIVATION_TANH => Activation::Tanh,
        EBM_ACTIVATION_SOFTPLUS => Activation::Softplus,
        EBM_ACTIVATION_ELU => Activation::Elu,
        other => {
            return Err(Error::invalid(
                "params.activation",
                format!("{other} is not an EBM_ACTIVATION_* value"),
            ))
        }
    })
}

fn dtype(code: i32) -> Result<Kind> {
    match code {
        EBM_DTYPE_F32 => Ok(Kind::Float),
        EBM_DTYPE_F64 => Ok(Kind::Double),
        other => Err(Error::invalid(
            "params.dtype",
            format!("{other} is not EBM_DTYPE_F32 or EBM_DTYPE_F64"),
        )),
    }
}

/// The architecture and device of `params`, checked; errors name `params.<field>`.
unsafe fn mlp_spec(params: *const ebm_mlp_params) -> Result<(MlpSpec, tch::Device)> {
    let p = unsafe { read(params)? };
    let input_dim = usize::try_from(p.input_dim)
        .ok()
        .filter(|d| *d >= 1)
        .ok_or_else(|| Error::invalid("params.input_dim", format!("must be >= 1, got {}", p.input_dim)))?;
    let n_hidden = count("params.n_hidden", p.n_hidden)?;
    let widths = unsafe { input(p.hidden, "params.hidden", n_hidden)? };
    let hidden = widths
        .iter()
        .enumerate()
        .map(|(i, w)| {
            usize::try_from(*w)
                .ok()
                .filter(|w| *w >= 1)
                .ok_or_else(|| Error::invalid("params.hidden", format!("width {i} is {w}, widths must be >= 1")))
        })
        .collect::<Result<Vec<_>>>()?;
    let spec = MlpSpec {
        input_dim,
        hidden,
        activation: activation(p.activation)?,
        spectral_norm: p.spectral_norm != 0,
        kind: dtype(p.dtype)?,
    };
    Ok((spec, runtime::device_from_code("params.device", p.device)?))
}

/// A new MLP energy (an ebm_energy usable with every evaluation function and sampler, and
/// trainable). params and its hidden widths are copied.
///
/// Precision: the network computes in params.dtype whatever the caller's buffers are:
/// ebm_energy_eval_f64 on an EBM_DTYPE_F32 model converts the points to float, so its
/// doubles carry float32 results (1e-7 to 1e-5 relative). For double precision throughout,
/// build the model with EBM_DTYPE_F64, or convert one with ebm_model_to_dtype.
///
/// Errors: EBM_ERR_NULL_POINTER (params, params.hidden with n_hidden > 0, out),
/// EBM_ERR_INVALID_ARGUMENT (struct_size, input_dim < 1, n_hidden < 0, a width < 1, unknown
/// activation or dtype), EBM_ERR_DEVICE_UNAVAILABLE, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_mlp_new(params: *const ebm_mlp_params, out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_model_mlp_new", out, || {
        let p = unsafe { read(params)? };
        let (spec, device) = unsafe { mlp_spec(params)? };
        Ok(Arc::new(Mlp::new(spec, device, p.seed)?))
    })
}

/// A new MLP energy that is a copy of the MLP model with its parameters converted to dtype
/// (EBM_DTYPE_F32 or EBM_DTYPE_F64), on the same device: e.g. to evaluate, sample or keep
/// training a float model in double precision (float to double is exact). The copy is a new,
/// independent handle (free it with ebm_energy_free); model, and the samplers, losses and
/// optimizers that hold it, are untouched. The copy has no gradients and its own optimizer
/// state starts afresh.
///
/// To load a saved float model in double: ebm_model_load, then ebm_model_to_dtype, then free
/// the float one.
///
/// Errors: EBM_ERR_NULL_POINTER (model, out), EBM_ERR_INVALID_ARGUMENT (model not an MLP
/// model, e.g. a TorchScript module: convert it in PyTorch with module.double() before
/// torch.jit.save; unknown dtype), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_to_dtype(
    model: *const ebm_energy,
    dtype: i32,
    out: *mut *mut ebm_energy,
) -> ebm_status {
    new_energy("ebm_model_to_dtype", out, || {
        let energy = unsafe { handle(model, "model")? };
        let kind = match dtype {
            EBM_DTYPE_F32 => Kind::Float,
            EBM_DTYPE_F64 => Kind::Double,
            other => {
                return Err(Error::invalid(
                    "dtype",
                    format!("{other} is not EBM_DTYPE_F32 or EBM_DTYPE_F64"),
                ))
            }
        };
        let not_mlp = || {
            Error::invalid(
                "model",
                format!(
                    "energy '{}' is not an MLP model (convert a TorchScript module in PyTorch: module.double() before torch.jit.save)",
                    energy.energy.name()
                ),
            )
        };
        model_of(energy, "model")?.converted(kind).ok_or_else(not_mlp)?
    })
}

/// A path argument as a filesystem path.
pub(crate) unsafe fn path_arg<'a>(path: *const c_char) -> Result<&'a Path> {
    if path.is_null() {
        return Err(Error::null("path"));
    }
    // SAFETY: a NUL-terminated string (header contract).
    let bytes = unsafe { CStr::from_ptr(path) }.to_bytes();
    if bytes.is_empty() {
        return Err(Error::invalid("path", "is empty"));
    }
    Ok(Path::new(OsStr::from_bytes(bytes)))
}

/// Loads a TorchScript module (torch.jit.save of a scripted or traced module) as an energy on
/// points of dimension dim: E(x) = module(x) for x of shape (n, dim), its output of shape (n,)
/// or (n, 1), floating point (checked on load with a probe batch, and on every call). Its
/// parameters are trainable. The module always receives a private copy of the points, so it
/// may modify its input in place without touching the caller's buffers. Gradients (and the
/// samplers that need them) fail with EBM_ERR_TORCH when the module's output has no autograd
/// graph (detached, or computed under no_grad); errors raised inside the module come back as
/// EBM_ERR_TORCH with their one-line reason.
///
/// Before libtorch reads the file, its zip structure is checked (end records, central
/// directory, local headers and data descriptors consistent with it, every offset and size
/// within the file, the CRC-32 of every entry, the records a TorchScript module needs), so a
/// truncated or corrupted file is an EBM_ERR_FORMAT rather than a crash. Residual risk: a
/// structurally valid archive with consistent checksums but deliberately crafted contents (its
/// pickles or code) still reaches libtorch's deserializer and TorchScript compiler, which are
/// not hardened against malicious input; load only files you trust, as with torch.jit.load.
/// libtorch also leaks about 1.4 KB for each archive it refuses after opening it.
///
/// Errors: EBM_ERR_NULL_POINTER (path, out), EBM_ERR_INVALID_ARGUMENT (dim < 1, path not a
/// readable TorchScript file, integer outputs), EBM_ERR_IO (path unreadable), EBM_ERR_FORMAT
/// (path truncated, corrupted, or not a TorchScript archive), EBM_ERR_DIMENSION_MISMATCH (the
/// module does not map (n, dim) to n energies), EBM_ERR_DEVICE_UNAVAILABLE, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_torchscript_load(
    path: *const c_char,
    dim: i64,
    device: i32,
    out: *mut *mut ebm_energy,
) -> ebm_status {
    new_energy("ebm_model_torchscript_load", out, || {
        let path = unsafe { path_arg(path)? };
        let dim = usize::try_from(dim)
            .ok()
            .filter(|d| *d >= 1)
            .ok_or_else(|| Error::invalid("dim", format!("must be >= 1, got {dim}")))?;
        let device = runtime::device_from_code("device", device)?;
        Ok(Arc::new(TorchScriptEnergy::load(path, dim, device)?))
    })
}

/// The model behind an energy handle, or an error naming `arg`.
pub(crate) fn model_of<'a>(energy: &'a ebm_energy, arg: &'static str) -> Result<&'a dyn Model> {
    energy.energy.as_model().ok_or_else(|| {
        Error::invalid(
            arg,
            format!("energy '{}' has no trainable parameters", energy.energy.name()),
        )
    })
}

/// Saves an MLP model to path as a safetensors file (https://huggingface.co/docs/safetensors),
/// its weights plus its architecture in the metadata, so that ebm_model_load rebuilds it from
/// the file alone. The file is replaced atomically.
///
/// Layout, for layers i = 0 .. n_hidden (the output layer last, n_hidden + 1 layers), in the
/// parameters' dtype (F32 or F64):
///   layers.<i>.weight   shape [fan_out, fan_in], as torch.nn.Linear.weight (row-major)
///   layers.<i>.bias     shape [fan_out]
///   layers.<i>.spectral_u  shape [fan_out], only with spectral_norm: the power iteration's
///                       left singular vector estimate
/// where fan_in of layer 0 is input_dim, fan_in of layer i > 0 is hidden[i-1], fan_out is
/// hidden[i] and 1 for the output layer. Metadata (all values strings):
///   format "libtorchebm-mlp", format_version "1", library_version (e.g. "0.1.0"),
///   input_dim (e.g. "2"), hidden (comma-separated widths, e.g. "64,64"; "" for none),
///   activation ("silu", "relu", "tanh", "softplus" or "elu"), spectral_norm ("true" or
///   "false"), dtype ("float32" or "float64").
/// E(x) is the network applied to x: h = x; h = act(h W_i^T + b_i) for every hidden layer;
/// E = h W_out^T + b_out. From Python (pip install safetensors), such a file is written by
///   safetensors.torch.save_file({"layers.0.weight": w0, "layers.0.bias": b0, ...},
///       path, metadata={"format": "libtorchebm-mlp", "format_version": "1", ...})
/// and read by safetensors.torch.load_file(path) (tensors) and safetensors.safe_open(path,
/// "pt").metadata() (architecture). A plain PyTorch state_dict loads with
/// ebm_model_load_state_dict instead.
///
/// Errors: EBM_ERR_NULL_POINTER (model, path), EBM_ERR_INVALID_ARGUMENT (not an MLP model; a
/// TorchScript module, which only PyTorch can write: the message says how to keep its trained
/// parameters), EBM_ERR_IO.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_save(model: *const ebm_energy, path: *const c_char) -> ebm_status {
    call("ebm_model_save", || {
        let model = model_of(unsafe { handle(model, "model")? }, "model")?;
        checkpoint::save_model(model, unsafe { path_arg(path)? })
    })
}

/// Loads a model saved by ebm_model_save (layout there) onto device, rebuilding its
/// architecture; its parameters keep the saved dtype (metadata dtype). A float32 model
/// computes in float even through the _f64 functions: convert it with ebm_model_to_dtype
/// for double precision.
///
/// Errors: EBM_ERR_NULL_POINTER (path, out), EBM_ERR_IO (unreadable), EBM_ERR_FORMAT
/// (truncated, corrupted, not a libtorchebm model), EBM_ERR_DEVICE_UNAVAILABLE.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_load(path: *const c_char, device: i32, out: *mut *mut ebm_energy) -> ebm_status {
    new_energy("ebm_model_load", out, || {
        let path = unsafe { path_arg(path)? };
        let device = runtime::device_from_code("device", device)?;
        Ok(Arc::new(checkpoint::load_model(path, device)?))
    })
}

/// Loads the weights of a plain PyTorch MLP into a new MLP energy of the architecture params
/// describes (input_dim, hidden, activation; params.dtype the parameters' element type,
/// params.device where they live; seed unused): path is a safetensors file of the network's
/// state_dict, as written by
///   net = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.SiLU(), torch.nn.Linear(64, 1))
///   safetensors.torch.save_file(net.state_dict(), path)
/// The file must hold exactly the tensors <prefix><k>.weight [fan_out, fan_in] and
/// <prefix><k>.bias [fan_out] of the n_hidden + 1 linear layers, k integers whose increasing
/// order is the layers' order (nn.Sequential's 0, 2, 4, ... with activations between) and
/// one common prefix (e.g. "net." for a module holding the Sequential as self.net); its
/// metadata is ignored. Tensors of any floating dtype are converted to params.dtype. The
/// network must compute what this library's MLP does (see ebm_model_save): Linear layers
/// with params.activation between them and one output. Every error names the tensor at fault.
/// (torch.save's pickled .pt files are not read: convert them with
/// safetensors.torch.save_file(torch.load(pt_path), path).)
///
/// Errors: EBM_ERR_NULL_POINTER (path, params, params.hidden, out), EBM_ERR_INVALID_ARGUMENT
/// (as ebm_model_mlp_new; params.spectral_norm nonzero), EBM_ERR_IO (unreadable),
/// EBM_ERR_FORMAT (not a safetensors file, e.g. a torch.save .pt file; a tensor not named
/// <prefix><k>.weight|bias, or under another prefix; more or fewer layers than the
/// architecture; a missing weight or bias; an integer tensor), EBM_ERR_DIMENSION_MISMATCH (a
/// tensor's shape differs from the architecture's), EBM_ERR_DEVICE_UNAVAILABLE, EBM_ERR_TORCH.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_load_state_dict(
    path: *const c_char,
    params: *const ebm_mlp_params,
    out: *mut *mut ebm_energy,
) -> ebm_status {
    new_energy("ebm_model_load_state_dict", out, || {
        let path = unsafe { path_arg(path)? };
        let (spec, device) = unsafe { mlp_spec(params)? };
        Ok(Arc::new(model::load_state_dict(path, spec, device)?))
    })
}

/// Writes the number of scalar trainable parameters into *count_out.
///
/// Errors: EBM_ERR_NULL_POINTER (model, count_out), EBM_ERR_INVALID_ARGUMENT (not a model).
#[no_mangle]
pub unsafe extern "C" fn ebm_model_parameter_count(model: *const ebm_energy, count_out: *mut i64) -> ebm_status {
    call("ebm_model_parameter_count", || {
        let model = model_of(unsafe { handle(model, "model")? }, "model")?;
        let out = unsafe { count_out.as_mut() }.ok_or(Error::null("count_out"))?;
        *out = i64::try_from(model::parameter_count(model)?).unwrap_or(i64::MAX);
        Ok(())
    })
}

unsafe fn flat_out<T: Real>(
    model: *const ebm_energy,
    out: *mut T,
    len: i64,
    copy: fn(&dyn Model, &mut [T]) -> Result<()>,
) -> Result<()> {
    let model = model_of(unsafe { handle(model, "model")? }, "model")?;
    let len = count("len", len)?;
    copy(model, unsafe { output(out, "out", len)? })
}

unsafe fn flat_in<T: Real>(
    model: *const ebm_energy,
    values: *const T,
    len: i64,
    set: fn(&dyn Model, &[T]) -> Result<()>,
) -> Result<()> {
    let model = model_of(unsafe { handle(model, "model")? }, "model")?;
    let len = count("len", len)?;
    set(model, unsafe { input(values, "values", len)? })
}

/// Copies the parameters, flattened in a fixed order (layer by layer, weight then bias,
/// row-major), into out (len = ebm_model_parameter_count floats).
///
/// Errors: EBM_ERR_NULL_POINTER (model, out), EBM_ERR_INVALID_ARGUMENT (not a model, len < 0),
/// EBM_ERR_LENGTH_MISMATCH (len).
#[no_mangle]
pub unsafe extern "C" fn ebm_model_get_parameters_f32(model: *const ebm_energy, out: *mut f32, len: i64) -> ebm_status {
    call("ebm_model_get_parameters_f32", || unsafe {
        flat_out(model, out, len, model::copy_parameters)
    })
}

/// ebm_model_get_parameters_f32 into len doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_get_parameters_f64(model: *const ebm_energy, out: *mut f64, len: i64) -> ebm_status {
    call("ebm_model_get_parameters_f64", || unsafe {
        flat_out(model, out, len, model::copy_parameters)
    })
}

/// Replaces the parameters by values (len floats, the order of ebm_model_get_parameters).
/// Safe while other threads evaluate, sample or train the model (its own handle included):
/// it waits for evaluations in progress, and each evaluation sees the old or the new
/// parameters, never a mix (see THREAD SAFETY).
///
/// Errors: as ebm_model_get_parameters_f32, plus EBM_ERR_NON_FINITE (values), EBM_ERR_BUSY
/// (called from a callback of a call that is evaluating or training this model).
#[no_mangle]
pub unsafe extern "C" fn ebm_model_set_parameters_f32(
    model: *const ebm_energy,
    values: *const f32,
    len: i64,
) -> ebm_status {
    call("ebm_model_set_parameters_f32", || unsafe {
        flat_in(model, values, len, model::set_parameters)
    })
}

/// ebm_model_set_parameters_f32 from len doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_set_parameters_f64(
    model: *const ebm_energy,
    values: *const f64,
    len: i64,
) -> ebm_status {
    call("ebm_model_set_parameters_f64", || unsafe {
        flat_in(model, values, len, model::set_parameters)
    })
}

/// Copies the accumulated parameter gradients (same order and length as the parameters; 0
/// before any loss) into out: e.g. to average them across processes.
///
/// Errors: as ebm_model_get_parameters_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_get_gradients_f32(model: *const ebm_energy, out: *mut f32, len: i64) -> ebm_status {
    call("ebm_model_get_gradients_f32", || unsafe {
        flat_out(model, out, len, model::copy_gradients)
    })
}

/// ebm_model_get_gradients_f32 into len doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_get_gradients_f64(model: *const ebm_energy, out: *mut f64, len: i64) -> ebm_status {
    call("ebm_model_get_gradients_f64", || unsafe {
        flat_out(model, out, len, model::copy_gradients)
    })
}

/// Replaces the parameter gradients by values (e.g. the all-reduced average), before an
/// ebm_optimizer_step.
///
/// Errors: as ebm_model_set_parameters_f32.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_set_gradients_f32(
    model: *mut ebm_energy,
    values: *const f32,
    len: i64,
) -> ebm_status {
    call("ebm_model_set_gradients_f32", || unsafe {
        flat_in(model, values, len, model::set_gradients)
    })
}

/// ebm_model_set_gradients_f32 from len doubles.
#[no_mangle]
pub unsafe extern "C" fn ebm_model_set_gradients_f64(
    model: *mut ebm_energy,
    values: *const f64,
    len: i64,
) -> ebm_status {
    call("ebm_model_set_gradients_f64", || unsafe {
        flat_in(model, values, len, model::set_gradients)
    })
}

/// Sets every parameter gradient to zero.
///
/// Errors: EBM_ERR_NULL_POINTER (model), EBM_ERR_INVALID_ARGUMENT (not a model).
#[no_mangle]
pub unsafe extern "C" fn ebm_model_zero_grad(model: *mut ebm_energy) -> ebm_status {
    call("ebm_model_zero_grad", || {
        model::zero_gradients(model_of(unsafe { handle_mut(model, "model")? }, "model")?)
    })
}
