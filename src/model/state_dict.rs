//! A PyTorch `state_dict` of an MLP, written with `safetensors.torch.save_file`, loaded into an
//! [`Mlp`] whose architecture the caller gives.
//!
//! A `state_dict` names tensors after the modules that hold them: for
//! `nn.Sequential(nn.Linear(2, 64), nn.SiLU(), nn.Linear(64, 1))` they are `0.weight`,
//! `0.bias`, `2.weight`, `2.bias` (the activations hold nothing but take indices), and a model
//! that keeps the network as an attribute `net` prefixes them with `net.`. So the file must
//! hold exactly the tensors `<prefix><k>.weight` and `<prefix><k>.bias`, with one prefix and
//! integers k whose increasing order is the order of the layers; names and shapes are checked
//! against the architecture, and every error names the tensor at fault.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use tch::{Device, Tensor};

use super::{Mlp, MlpSpec};
use crate::checkpoint::read_tensors;
use crate::error::{Error, Result};

fn format_error(reason: impl Into<String>) -> Error {
    Error::Format {
        arg: "path",
        reason: reason.into(),
    }
}

/// `name` split as (prefix, k, "weight" or "bias"), for `<prefix><k>.weight|bias`.
fn split_name(name: &str) -> Option<(&str, u64, &str)> {
    let (module, part) = name.rsplit_once('.')?;
    if part != "weight" && part != "bias" {
        return None;
    }
    let digits = module.len() - module.bytes().rev().take_while(u8::is_ascii_digit).count();
    let (prefix, index) = module.split_at(digits);
    if !(prefix.is_empty() || prefix.ends_with('.')) {
        return None;
    }
    Some((prefix, index.parse().ok()?, part))
}

/// The (weight, bias) pairs of `tensors`, in layer order, checked against `spec`.
fn layers_of(mut tensors: HashMap<String, Tensor>, spec: &MlpSpec, path: &Path) -> Result<Vec<(Tensor, Tensor)>> {
    let mut names: Vec<String> = tensors.keys().cloned().collect();
    names.sort();
    let mut prefix: Option<&str> = None;
    // k -> (weight name, bias name), in increasing k.
    let mut modules: BTreeMap<u64, [Option<String>; 2]> = BTreeMap::new();
    for name in &names {
        let (this_prefix, k, part) = split_name(name).ok_or_else(|| {
            format_error(format!(
                "tensor '{name}' of {} is not a layer's <k>.weight or <k>.bias (k an integer, as nn.Sequential names its layers): the file does not hold an MLP of this architecture",
                path.display()
            ))
        })?;
        match prefix {
            Some(p) if p != this_prefix => {
                return Err(format_error(format!(
                    "tensor '{name}' lies under '{this_prefix}', the others under '{p}': one network per file"
                )))
            }
            _ => prefix = Some(this_prefix),
        }
        modules.entry(k).or_default()[usize::from(part == "bias")] = Some(name.clone());
    }
    let expected = spec.layers();
    let describe = || {
        let hidden: Vec<String> = spec.hidden.iter().map(usize::to_string).collect();
        format!("input_dim {}, hidden [{}]", spec.input_dim, hidden.join(", "))
    };
    if modules.len() != expected.len() {
        let found: Vec<String> = modules.keys().map(|k| format!("{}{k}", prefix.unwrap_or(""))).collect();
        return Err(format_error(format!(
            "{} holds {} linear layers ({}), the architecture ({}) has {}",
            path.display(),
            modules.len(),
            found.join(", "),
            describe(),
            expected.len()
        )));
    }
    let mut layers = Vec::with_capacity(expected.len());
    for (layer, ((k, [weight, bias]), (fan_in, fan_out))) in modules.into_iter().zip(expected).enumerate() {
        let module = format!("{}{k}", prefix.unwrap_or(""));
        let (weight, bias) = match (weight, bias) {
            (Some(w), Some(b)) => (w, b),
            (Some(_), None) => {
                return Err(format_error(format!(
                    "tensor '{module}.bias' is missing (bias=False layers are not supported)"
                )))
            }
            _ => return Err(format_error(format!("tensor '{module}.weight' is missing"))),
        };
        let (fan_in, fan_out) = (fan_in as i64, fan_out as i64);
        let position = if layer + 1 == spec.hidden.len() + 1 {
            "the output layer".to_string()
        } else {
            format!("hidden layer {layer}")
        };
        let mut take = |name: &str, shape: Vec<i64>| -> Result<Tensor> {
            let tensor = tensors.remove(name).expect("a name of the file");
            if !tensor.is_floating_point() {
                return Err(format_error(format!(
                    "tensor '{name}' is {:?}, not floating point",
                    tensor.kind()
                )));
            }
            if tensor.size() != shape {
                return Err(Error::dimension(
                    "params",
                    format!(
                        "tensor '{name}' has shape {:?}, {position} of the architecture ({}) needs {shape:?}",
                        tensor.size(),
                        describe()
                    ),
                ));
            }
            Ok(tensor)
        };
        layers.push((take(&weight, vec![fan_out, fan_in])?, take(&bias, vec![fan_out])?));
    }
    Ok(layers)
}

/// Whether `path` starts as a zip archive does (what torch.save writes); unreadable files are
/// left to the safetensors reader's error.
fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok_and(|()| magic == *b"PK\x03\x04")
}

/// The MLP of architecture `spec` (its kind the parameters' element type) on `device`, with
/// the weights of the `state_dict` saved at `path`.
pub fn load_state_dict(path: &Path, spec: MlpSpec, device: Device) -> Result<Mlp> {
    spec.validate()?;
    if spec.spectral_norm {
        return Err(Error::invalid(
            "params.spectral_norm",
            "must be 0: a state_dict of a spectrally normalised network (weight_orig, weight_u, ...) cannot be loaded; load its plain weights (torch.nn.utils.remove_spectral_norm) instead",
        ));
    }
    if is_zip(path) {
        return Err(format_error(format!(
            "{} is a zip archive (torch.save's .pt format?), not safetensors: convert it in Python with \
             safetensors.torch.save_file(torch.load(pt_path), path)",
            path.display()
        )));
    }
    let layers = layers_of(read_tensors(path)?, &spec, path)?;
    Mlp::with_layers(spec, device, &layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sequential_and_prefixed_names() {
        assert_eq!(split_name("0.weight"), Some(("", 0, "weight")));
        assert_eq!(split_name("net.12.bias"), Some(("net.", 12, "bias")));
        assert_eq!(split_name("layers.3.weight"), Some(("layers.", 3, "weight")));
        assert_eq!(split_name("fc1.weight"), None, "no module index after a dot");
        assert_eq!(split_name("0.running_mean"), None);
        assert_eq!(split_name("weight"), None);
        assert_eq!(split_name("layers.0.spectral_u"), None);
    }
}
