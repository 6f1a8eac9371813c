//! An energy defined by a TorchScript module (e.g. a network trained in PyTorch or TorchEBM
//! and saved with `torch.jit.save(torch.jit.script(model), path)`).

use std::path::Path;

use tch::{CModule, Device, Kind, Tensor};

use super::{autograd_energy_and_gradient, Model};
use crate::energy::{DimSpec, Energy};
use crate::error::{Error, Result};

/// E(x) = module(x) for a TorchScript module mapping (n, dim) to (n,) or (n, 1).
pub struct TorchScriptEnergy {
    module: CModule,
    dim: usize,
    device: Device,
    kind: Kind,
}

impl TorchScriptEnergy {
    /// Loads `path` onto `device` for points of dimension `dim`, and checks that the module
    /// maps a (2, dim) batch to 2 energies.
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
        let module = CModule::load_on_device(path, device)
            .map_err(|e| Error::invalid("path", format!("{} is not a TorchScript module: {e}", path.display())))?;
        let kind = module
            .named_parameters()?
            .first()
            .map(|(_, p)| p.kind())
            .filter(|k| matches!(k, Kind::Float | Kind::Double))
            .unwrap_or(Kind::Float);
        let energy = TorchScriptEnergy {
            module,
            dim,
            device,
            kind,
        };
        let probe = Tensor::f_zeros([2, dim as i64], (kind, device))?;
        let out = tch::no_grad(|| energy.module.forward_ts(&[probe]))
            .map_err(|e| Error::dimension("dim", format!("the module rejects (2, {dim}) inputs: {e}")))?;
        if out.size() != [2] && out.size() != [2, 1] {
            return Err(Error::dimension(
                "path",
                format!(
                    "the module maps (2, {dim}) inputs to shape {:?}; an energy needs (n,) or (n, 1)",
                    out.size()
                ),
            ));
        }
        Ok(energy)
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let x = x.f_to_kind(self.kind)?.f_to_device(self.device)?;
        let out = self.module.forward_ts(&[x])?;
        Ok(if out.dim() == 2 { out.f_squeeze_dim(1)? } else { out })
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
        autograd_energy_and_gradient(x, |input| self.forward(input))
    }

    fn as_model(&self) -> Option<&dyn Model> {
        Some(self)
    }
}

impl Model for TorchScriptEnergy {
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
