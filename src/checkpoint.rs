//! Saved models and training checkpoints in the safetensors format: tensors plus a metadata
//! map holding the architecture, so that loading rebuilds the model without the caller
//! repeating its shape. Truncated, corrupted or mismatched files are errors.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use safetensors::tensor::{Dtype, SafeTensors, View};
use tch::{Device, Kind, Tensor};

use crate::energy::{same_energy, Energy};
use crate::error::{Error, Result};
use crate::files::io_error;
use crate::loss::ContrastiveDivergence;
use crate::model::{Activation, Mlp, MlpSpec, Model};
use crate::optim::Optimizer;

const MODEL_FORMAT: &str = "libtorchebm-mlp";
const CHECKPOINT_FORMAT: &str = "libtorchebm-checkpoint";
const FORMAT_VERSION: &str = "1";

/// A host copy of a tensor, as safetensors writes it.
struct HostTensor {
    bytes: Vec<u8>,
    shape: Vec<usize>,
    dtype: Dtype,
}

impl HostTensor {
    fn new(tensor: &Tensor) -> Result<Self> {
        let host = tensor.f_detach()?.f_to_device(Device::Cpu)?.f_contiguous()?;
        let dtype = Dtype::try_from(host.kind())?;
        let mut bytes = vec![0u8; host.numel() * host.kind().elt_size_in_bytes()];
        host.f_copy_data_u8(&mut bytes, host.numel())?;
        Ok(HostTensor {
            bytes,
            shape: host.size().iter().map(|d| *d as usize).collect(),
            dtype,
        })
    }
}

impl View for &HostTensor {
    fn dtype(&self) -> Dtype {
        self.dtype
    }
    fn shape(&self) -> &[usize] {
        &self.shape
    }
    fn data(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.bytes)
    }
    fn data_len(&self) -> usize {
        self.bytes.len()
    }
}

fn format_error(reason: impl Into<String>) -> Error {
    Error::Format {
        arg: "path",
        reason: reason.into(),
    }
}

fn write(path: &Path, tensors: Vec<(String, Tensor)>, metadata: HashMap<String, String>) -> Result<()> {
    let host: Vec<(String, HostTensor)> = tensors
        .into_iter()
        .map(|(name, t)| Ok((name, HostTensor::new(&t)?)))
        .collect::<Result<_>>()?;
    let views = host.iter().map(|(name, t)| (name.clone(), t));
    let bytes = safetensors::serialize(views, &Some(metadata)).map_err(|e| io_error(path, "encode", e))?;
    crate::files::replace(path, "", |_, file| {
        std::io::Write::write_all(file, &bytes).map_err(|e| io_error(path, "write", e))
    })
}

/// A file's tensors (on the CPU) and metadata.
struct Contents {
    tensors: HashMap<String, Tensor>,
    metadata: HashMap<String, String>,
}

fn read(path: &Path) -> Result<Contents> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, "read", e))?;
    let file = SafeTensors::deserialize(&bytes)
        .map_err(|e| format_error(format!("{} is not a valid safetensors file ({e:?})", path.display())))?;
    let (_, header) = SafeTensors::read_metadata(&bytes)
        .map_err(|e| format_error(format!("{} has an invalid header ({e:?})", path.display())))?;
    let metadata = header.metadata().clone().unwrap_or_default();
    crate::cuda_backend::prepare(); // the file's tensors are libtorch's first
    let mut tensors = HashMap::new();
    for (name, view) in file.tensors() {
        let tensor = Tensor::try_from(view).map_err(|e| format_error(format!("tensor {name}: {e}")))?;
        tensors.insert(name, tensor);
    }
    Ok(Contents { tensors, metadata })
}

/// A safetensors file's tensors (on the CPU), whatever its metadata: e.g. a PyTorch
/// `state_dict` written by `safetensors.torch.save_file`.
pub(crate) fn read_tensors(path: &Path) -> Result<HashMap<String, Tensor>> {
    Ok(read(path)?.tensors)
}

impl Contents {
    fn field(&self, key: &str) -> Result<&str> {
        self.metadata
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| format_error(format!("metadata field {key} is missing")))
    }

    fn expect(&self, key: &str, want: &str) -> Result<()> {
        let got = self.field(key)?;
        if got == want {
            Ok(())
        } else {
            Err(format_error(format!("metadata {key} is {got:?}, expected {want:?}")))
        }
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> Result<T> {
        let text = self.field(key)?;
        text.parse()
            .map_err(|_| format_error(format!("metadata {key} = {text:?} is not a number")))
    }

    fn tensor(&self, name: &str) -> Result<&Tensor> {
        self.tensors
            .get(name)
            .ok_or_else(|| format_error(format!("tensor {name} is missing")))
    }
}

fn kind_name(kind: Kind) -> &'static str {
    if kind == Kind::Double {
        "float64"
    } else {
        "float32"
    }
}

fn spec_metadata(spec: &MlpSpec, prefix: &str, metadata: &mut HashMap<String, String>) {
    let hidden: Vec<String> = spec.hidden.iter().map(usize::to_string).collect();
    metadata.insert(format!("{prefix}input_dim"), spec.input_dim.to_string());
    metadata.insert(format!("{prefix}hidden"), hidden.join(","));
    metadata.insert(format!("{prefix}activation"), spec.activation.name().to_string());
    metadata.insert(format!("{prefix}spectral_norm"), spec.spectral_norm.to_string());
    metadata.insert(format!("{prefix}dtype"), kind_name(spec.kind).to_string());
}

fn spec_from(contents: &Contents, prefix: &str) -> Result<MlpSpec> {
    let hidden_text = contents.field(&format!("{prefix}hidden"))?;
    let hidden = if hidden_text.is_empty() {
        Vec::new()
    } else {
        hidden_text
            .split(',')
            .map(|w| {
                w.parse()
                    .map_err(|_| format_error(format!("metadata hidden = {hidden_text:?} is not a width list")))
            })
            .collect::<Result<Vec<usize>>>()?
    };
    let activation_name = contents.field(&format!("{prefix}activation"))?;
    let activation = Activation::from_name(activation_name)
        .ok_or_else(|| format_error(format!("metadata activation {activation_name:?} is unknown")))?;
    let spectral_norm = match contents.field(&format!("{prefix}spectral_norm"))? {
        "true" => true,
        "false" => false,
        other => {
            return Err(format_error(format!(
                "metadata spectral_norm {other:?} is not true or false"
            )))
        }
    };
    let kind = match contents.field(&format!("{prefix}dtype"))? {
        "float32" => Kind::Float,
        "float64" => Kind::Double,
        other => {
            return Err(format_error(format!(
                "metadata dtype {other:?} is not float32 or float64"
            )))
        }
    };
    Ok(MlpSpec {
        input_dim: contents.number(&format!("{prefix}input_dim"))?,
        hidden,
        activation,
        spectral_norm,
        kind,
    })
}

/// The model's weights and buffers under `prefix`.
fn model_tensors(model: &dyn Model, prefix: &str) -> Result<Vec<(String, Tensor)>> {
    let mut tensors = Vec::new();
    for (i, pair) in model.parameters()?.chunks(2).enumerate() {
        tensors.push((format!("{prefix}layers.{i}.weight"), pair[0].shallow_clone()));
        tensors.push((format!("{prefix}layers.{i}.bias"), pair[1].shallow_clone()));
    }
    for (name, t) in model.buffers()? {
        tensors.push((format!("{prefix}{name}"), t));
    }
    Ok(tensors)
}

/// Copies the weights and buffers saved under `prefix` into `model` (same architecture).
fn restore_model(model: &dyn Model, contents: &Contents, prefix: &str) -> Result<()> {
    let parameters = model.parameters()?;
    let mut values = Vec::new();
    for (i, pair) in parameters.chunks(2).enumerate() {
        for (p, part) in pair.iter().zip(["weight", "bias"]) {
            let name = format!("{prefix}layers.{i}.{part}");
            let saved = contents.tensor(&name)?;
            if saved.size() != p.size() {
                return Err(format_error(format!(
                    "tensor {name} has shape {:?}, the model {:?}",
                    saved.size(),
                    p.size()
                )));
            }
            values.push((p.shallow_clone(), saved.shallow_clone()));
        }
    }
    let _writing = model.parameter_lock().write("model")?;
    tch::no_grad(|| -> Result<()> {
        for (mut p, saved) in values {
            p.f_copy_(&saved.f_to_kind(p.kind())?.f_to_device(p.device())?)?;
        }
        Ok(())
    })?;
    let buffers: Vec<(String, Tensor)> = model
        .buffers()?
        .into_iter()
        .map(|(name, _)| {
            Ok((
                name.clone(),
                contents.tensor(&format!("{prefix}{name}"))?.shallow_clone(),
            ))
        })
        .collect::<Result<_>>()?;
    model.set_buffers(&buffers)
}

fn saveable_spec(model: &dyn Model) -> Result<MlpSpec> {
    model.spec().ok_or_else(|| {
        let reason = if model.name() == "torchscript" {
            "is a TorchScript module, which only PyTorch can write: keep the .pt file it was loaded \
             from, and to keep trained parameters copy them out with ebm_model_get_parameters_* \
             (the order of module.parameters()), write them into the module in PyTorch with \
             torch.nn.utils.vector_to_parameters, and torch.jit.save it"
                .to_string()
        } else {
            format!(
                "energy '{}' is not an MLP model: only MLP models can be saved",
                model.name()
            )
        };
        Error::invalid("model", reason)
    })
}

/// Saves an MLP model's architecture and weights to `path`.
pub fn save_model(model: &dyn Model, path: &Path) -> Result<()> {
    let spec = saveable_spec(model)?;
    let mut metadata = HashMap::from([
        ("format".to_string(), MODEL_FORMAT.to_string()),
        ("format_version".to_string(), FORMAT_VERSION.to_string()),
        ("library_version".to_string(), crate::runtime::VERSION.to_string()),
    ]);
    spec_metadata(&spec, "", &mut metadata);
    write(path, model_tensors(model, "")?, metadata)
}

/// Rebuilds the MLP saved at `path`, on `device`.
pub fn load_model(path: &Path, device: Device) -> Result<Mlp> {
    let contents = read(path)?;
    contents.expect("format", MODEL_FORMAT)?;
    contents.expect("format_version", FORMAT_VERSION)?;
    let spec = spec_from(&contents, "")?;
    let model =
        Mlp::new(spec, device, 0).map_err(|e| format_error(format!("the saved architecture is invalid: {e}")))?;
    restore_model(&model, &contents, "")?;
    Ok(model)
}

/// The re-keying seed of a checkpoint taken after `steps` optimizer steps of a loss seeded
/// with `seed`: the same in the run that saves and the run that resumes.
/// The model of a checkpoint, checked to be trainable and to be the one that `optimizer`
/// updates and `loss` trains: the rule for saving and loading alike.
fn training_set<'a>(
    model: &'a Arc<dyn Energy>,
    optimizer: Option<&Optimizer>,
    loss: Option<&ContrastiveDivergence>,
) -> Result<&'a dyn Model> {
    let trainable = model.as_model().ok_or_else(|| {
        Error::invalid(
            "model",
            format!("energy '{}' has no trainable parameters", model.name()),
        )
    })?;
    if optimizer.is_some_and(|o| !same_energy(o.model(), model)) {
        return Err(Error::invalid(
            "optimizer",
            "updates another model than the one given as model",
        ));
    }
    if loss.is_some_and(|l| !same_energy(l.model(), model)) {
        return Err(Error::invalid(
            "loss",
            "trains another model than the one given as model",
        ));
    }
    Ok(trainable)
}

fn checkpoint_key(seed: u64, steps: u64) -> u64 {
    let mut z = seed ^ steps.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Saves the model, the optimizer's state and the CD loss's replay buffer. Saving also
/// restarts the loss's (and its sampler's) random streams from a key stored in the file, so
/// that a run resumed with [`load_training`] continues exactly as this one.
pub fn save_training(
    path: &Path,
    model: &Arc<dyn Energy>,
    optimizer: Option<&Optimizer>,
    mut loss: Option<&mut ContrastiveDivergence>,
) -> Result<()> {
    let model = training_set(model, optimizer, loss.as_deref())?;
    let spec = saveable_spec(model)?;
    let seed = loss.as_ref().map_or(0, |l| l.params().seed);
    let key = checkpoint_key(seed, optimizer.map_or(0, Optimizer::steps));
    let mut metadata = HashMap::from([
        ("format".to_string(), CHECKPOINT_FORMAT.to_string()),
        ("format_version".to_string(), FORMAT_VERSION.to_string()),
        ("library_version".to_string(), crate::runtime::VERSION.to_string()),
        ("key".to_string(), key.to_string()),
    ]);
    spec_metadata(&spec, "model.", &mut metadata);
    let mut tensors = model_tensors(model, "model.")?;
    if let Some(optimizer) = optimizer {
        metadata.insert("optimizer.rule".into(), optimizer.rule().name().into());
        metadata.insert("optimizer.steps".into(), optimizer.steps().to_string());
        metadata.insert(
            "optimizer.learning_rate".into(),
            format!("{:e}", optimizer.learning_rate()),
        );
        tensors.extend(
            optimizer
                .state()?
                .into_iter()
                .map(|(name, t)| (format!("optimizer.{name}"), t)),
        );
    }
    if let Some(buffer) = loss
        .as_deref_mut()
        .and_then(|l| l.buffer())
        .and_then(|b| b.samples().map(Tensor::shallow_clone))
    {
        tensors.push(("loss.replay_buffer".into(), buffer));
    }
    write(path, tensors, metadata)?;
    match loss {
        Some(loss) => loss.rekey(key),
        None => Ok(()),
    }
}

/// Restores a training checkpoint into existing objects of the same configuration and
/// re-keys the loss's random streams as the saving run did.
pub fn load_training(
    path: &Path,
    model: &Arc<dyn Energy>,
    optimizer: Option<&mut Optimizer>,
    mut loss: Option<&mut ContrastiveDivergence>,
) -> Result<()> {
    let model = training_set(model, optimizer.as_deref(), loss.as_deref())?;
    let contents = read(path)?;
    contents.expect("format", CHECKPOINT_FORMAT)?;
    contents.expect("format_version", FORMAT_VERSION)?;
    let saved = spec_from(&contents, "model.")?;
    let current = saveable_spec(model)?;
    if saved != current {
        return Err(format_error(format!(
            "the checkpoint's model is {saved:?}, the model given is {current:?}"
        )));
    }
    if let Some(optimizer) = &optimizer {
        contents.expect("optimizer.rule", optimizer.rule().name())?;
    }
    restore_model(model, &contents, "model.")?;
    if let Some(optimizer) = optimizer {
        let state: Vec<(String, Tensor)> = contents
            .tensors
            .iter()
            .filter_map(|(name, t)| {
                name.strip_prefix("optimizer.")
                    .map(|n| (n.to_string(), t.shallow_clone()))
            })
            .collect();
        optimizer.restore(
            contents.number("optimizer.steps")?,
            contents.number("optimizer.learning_rate")?,
            &state,
        )?;
    }
    if let Some(buffer) = loss.as_deref_mut().and_then(|l| l.buffer()) {
        if let Some(samples) = contents.tensors.get("loss.replay_buffer") {
            buffer.restore(samples.shallow_clone())?;
        }
    }
    let key: u64 = contents.number("key")?;
    match loss {
        Some(loss) => loss.rekey(key),
        None => Ok(()),
    }
}
