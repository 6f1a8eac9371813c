//! Neural energy models: the specification's `EnergyModel(network)`, E(x) = network(x), as
//! energies every sampler can use, with trainable parameters.

mod archive;
mod flat;
mod mlp;
mod state_dict;
mod torchscript;

use crate::exclusive::ParameterLock;
use tch::{Device, Kind, Tensor};

use crate::energy::Energy;
use crate::error::{Error, Result};

pub use flat::{
    assign_gradient, copy_gradients, copy_parameters, parameter_count, set_gradients, set_parameters, zero_gradients,
};
pub use mlp::{Activation, Mlp, MlpSpec};
pub use state_dict::load_state_dict;
pub use torchscript::TorchScriptEnergy;

/// An energy with trainable parameters.
///
/// Concurrency: evaluations hold [`Model::parameter_lock`] for reading (re-entrantly: a CD
/// step samples the model it trains, inside the step's own read), and everything that
/// writes parameter values (setting them, optimizer updates, restoring a file) holds it for
/// writing, so an evaluation sees the parameters wholly before or wholly after a write,
/// never a mix.
pub trait Model: Energy {
    /// Guards the parameter values; see the trait's documentation.
    fn parameter_lock(&self) -> &ParameterLock;

    /// The trainable tensors in a fixed order (leaf tensors that track gradients); shallow
    /// copies, so gradients accumulated through them land on the model.
    fn parameters(&self) -> Result<Vec<Tensor>>;

    /// Energies for training: differentiable with respect to the parameters (and `x`), and
    /// allowed to advance training-only state such as spectral normalisation's power
    /// iteration. Plain evaluation (`Energy::energy`) never changes the model.
    fn training_energy(&self, x: &Tensor) -> Result<Tensor>;

    /// The parameters' element type.
    fn kind(&self) -> Kind;

    /// Where the parameters live.
    fn device(&self) -> Device;

    /// The architecture, for models that can be saved and rebuilt from a file.
    fn spec(&self) -> Option<MlpSpec> {
        None
    }

    /// Non-trainable state to save with the weights (name, tensor).
    fn buffers(&self) -> Result<Vec<(String, Tensor)>> {
        Ok(Vec::new())
    }

    /// An independent copy whose parameters have element type `kind`, for models that can
    /// convert themselves (MLPs); None for the others.
    fn converted(&self, kind: Kind) -> Option<Result<std::sync::Arc<dyn Energy>>> {
        let _ = kind;
        None
    }

    /// Restores state saved by `buffers`.
    fn set_buffers(&self, buffers: &[(String, Tensor)]) -> Result<()> {
        let _ = buffers;
        Ok(())
    }
}

/// ∇ₓE through autograd for a model evaluated by `forward`: energies (n,) and gradients
/// (n, dim), both detached. The parameters' gradients are left untouched.
pub(crate) fn autograd_energy_and_gradient(
    x: &Tensor,
    forward: impl FnOnce(&Tensor) -> Result<Tensor>,
) -> Result<(Tensor, Tensor)> {
    tch::with_grad(|| {
        let input = x.f_detach()?.f_set_requires_grad(true)?;
        let energy = forward(&input)?;
        // libtorch's backward dereferences the grad_fn of its roots: without one (an integer
        // or detached output) it would crash rather than raise.
        if !energy.requires_grad() {
            return Err(Error::Torch(tch::TchError::Torch(format!(
                "energy: its {:?} output has no autograd graph, so x has no gradient",
                energy.kind()
            ))));
        }
        let gradient = Tensor::f_run_backward(&[&energy], &[&input], false, false)?.remove(0);
        let gradient = if gradient.defined() {
            gradient
        } else {
            input.f_zeros_like()?
        };
        Ok((energy.f_detach()?, gradient.f_detach()?))
    })
}
