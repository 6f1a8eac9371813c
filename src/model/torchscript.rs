//! An energy defined by a TorchScript module (e.g. a network trained in PyTorch or TorchEBM
//! and saved with `torch.jit.save(torch.jit.script(model), path)`).

use std::path::Path;

use crate::exclusive::ParameterLock;
use tch::{CModule, Device, Kind, TchError, Tensor};

use super::{archive, autograd_energy_and_gradient, Model};
use crate::energy::{DimSpec, Energy};
use crate::error::{torch_message, Error, Result};

/// E(x) = module(x) for a TorchScript module mapping (n, dim) to (n,) or (n, 1).
///
/// The module always receives a private copy of its input: user code may write into it
/// (`x.mul_(2)`), and the points may be a caller's read-only buffer or a sampler's state.
pub struct TorchScriptEnergy {
    module: CModule,
    dim: usize,
    device: Device,
    kind: Kind,
    parameters_lock: ParameterLock,
}

/// A run-time failure of the module, as libtorch's one-line message naming the energy.
fn module_error(what: impl std::fmt::Display) -> Error {
    Error::Torch(TchError::Torch(format!("energy (TorchScript module): {what}")))
}

impl TorchScriptEnergy {
    /// Loads `path` onto `device` for points of dimension `dim`, and checks that the module
    /// maps a (2, dim) batch to 2 floating-point energies. The archive's structure and
    /// checksums are verified before libtorch reads it.
    pub fn load(path: &Path, dim: usize, device: Device) -> Result<Self> {
        if dim == 0 {
            return Err(Error::invalid("dim", "must be >= 1"));
        }
        if !path.is_file() {
            return Err(Error::invalid(
                "path",
                format!("{} is not a readable file", path.display()),
            ));
        }
        archive::validate(path)?;
        crate::cuda_backend::prepare(); // before libtorch reads the module (maybe saved on CUDA)
        let module = CModule::load_on_device(path, device).map_err(|e| {
            Error::invalid(
                "path",
                format!("{} is not a TorchScript module: {}", path.display(), torch_message(&e)),
            )
        })?;
        let kind = module
            .named_parameters()?
            .first()
            .map(|(_, p)| p.kind())
            .filter(|k| matches!(k, Kind::Float | Kind::Double))
            .unwrap_or(Kind::Float);
        let energy = TorchScriptEnergy {
            parameters_lock: ParameterLock::new(),
            module,
            dim,
            device,
            kind,
        };
        let probe = Tensor::f_zeros([2, dim as i64], (kind, device))?;
        let out = tch::no_grad(|| energy.module.forward_ts(&[probe])).map_err(|e| {
            Error::dimension(
                "dim",
                format!("the module rejects (2, {dim}) inputs: {}", torch_message(&e)),
            )
        })?;
        if out.size() != [2] && out.size() != [2, 1] {
            return Err(Error::dimension(
                "path",
                format!(
                    "the module maps (2, {dim}) inputs to shape {:?}; an energy needs (n,) or (n, 1)",
                    out.size()
                ),
            ));
        }
        if !out.is_floating_point() {
            return Err(Error::invalid(
                "path",
                format!(
                    "the module returns {:?} energies; an energy must be floating point",
                    out.kind()
                ),
            ));
        }
        Ok(energy)
    }

    /// The module's energies for x (n, dim), checked to be n floating-point values, and
    /// differentiable with respect to x whenever x's gradient is being tracked.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let _reading = self.parameters_lock.read();
        // A private copy even when kind and device already match (see the type's doc).
        let input = x.f_to_device_(self.device, self.kind, false, true)?;
        let tracking = input.requires_grad();
        let n = input.size().first().copied().unwrap_or(0);
        let out = self
            .module
            .forward_ts(&[input])
            .map_err(|e| module_error(torch_message(&e)))?;
        if !out.is_floating_point() {
            return Err(module_error(format!(
                "returned {:?} energies; an energy must be floating point",
                out.kind()
            )));
        }
        let out = match out.size().as_slice() {
            [m] if *m == n => out,
            [m, 1] if *m == n => out.f_squeeze_dim(1)?,
            shape => {
                return Err(module_error(format!(
                    "mapped {n} points to shape {shape:?}; an energy needs ({n},) or ({n}, 1)"
                )))
            }
        };
        // Without a graph, autograd would run from a null node (a crash inside libtorch).
        if tracking && !out.requires_grad() {
            return Err(module_error(
                "its energies have no autograd graph (detached, or computed under no_grad), so x has no gradient",
            ));
        }
        Ok(out)
    }
}

impl Energy for TorchScriptEnergy {
    fn name(&self) -> &'static str {
        "torchscript"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::Exactly(self.dim)
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        self.forward(x)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        // The backward pass reads the parameters too.
        let _reading = self.parameters_lock.read();
        autograd_energy_and_gradient(x, |input| self.forward(input))
    }

    fn as_model(&self) -> Option<&dyn Model> {
        Some(self)
    }
}

impl Model for TorchScriptEnergy {
    fn parameter_lock(&self) -> &ParameterLock {
        &self.parameters_lock
    }

    fn parameters(&self) -> Result<Vec<Tensor>> {
        Ok(self
            .module
            .named_parameters()?
            .into_iter()
            .map(|(_, p)| p)
            .filter(Tensor::requires_grad)
            .collect())
    }

    fn training_energy(&self, x: &Tensor) -> Result<Tensor> {
        self.forward(x)
    }

    fn kind(&self) -> Kind {
        self.kind
    }

    fn device(&self) -> Device {
        self.device
    }
}
