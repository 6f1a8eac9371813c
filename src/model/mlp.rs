//! A multilayer-perceptron energy built from C: input dim → hidden widths → 1.

use std::sync::Mutex;

use crate::exclusive::ParameterLock;

use tch::{Device, Kind, Tensor};

use super::Model;
use crate::energy::{DimSpec, Energy};
use crate::error::{Error, Result};
use crate::torch_generator::TorchGenerator;

/// The hidden layers' nonlinearity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// x·σ(x).
    Silu,
    /// max(0, x).
    Relu,
    /// tanh(x).
    Tanh,
    /// log(1 + eˣ).
    Softplus,
    /// x for x > 0, eˣ − 1 otherwise.
    Elu,
}

impl Activation {
    /// Lowercase name, as stored in saved models.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Silu => "silu",
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
            Activation::Softplus => "softplus",
            Activation::Elu => "elu",
        }
    }

    /// The activation called `name`.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Activation::Silu,
            Activation::Relu,
            Activation::Tanh,
            Activation::Softplus,
            Activation::Elu,
        ]
        .into_iter()
        .find(|a| a.name() == name)
    }

    fn apply(self, x: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Activation::Silu => x.f_silu()?,
            Activation::Relu => x.f_relu()?,
            Activation::Tanh => x.f_tanh()?,
            Activation::Softplus => x.f_softplus()?,
            Activation::Elu => x.f_elu()?,
        })
    }

    /// The gradient with respect to the pre-activations `z` given the gradient `grad` with
    /// respect to the activations `a` = self(z): the kernels autograd itself would run.
    /// `z` is overwritten where that saves an allocation (it is not needed afterwards).
    fn backward(self, grad: &Tensor, z: Tensor, a: &Tensor) -> Result<Tensor> {
        Ok(match self {
            Activation::Silu => z.f_silu_backward_grad_input(&z, grad)?,
            Activation::Relu => a.f_threshold_backward(grad, 0.0)?,
            Activation::Tanh => Tensor::f_tanh_backward(grad, a)?,
            Activation::Softplus => z.f_softplus_backward(grad, 1.0, 20.0)?,
            Activation::Elu => Tensor::f_elu_backward(grad, 1.0, 1.0, 1.0, true, a)?,
        })
    }
}

/// The architecture of an [`Mlp`].
#[derive(Debug, Clone, PartialEq)]
pub struct MlpSpec {
    /// Input dimension (≥ 1).
    pub input_dim: usize,
    /// Hidden layer widths (each ≥ 1; may be empty for a linear energy).
    pub hidden: Vec<usize>,
    /// Hidden nonlinearity.
    pub activation: Activation,
    /// Spectral normalisation of every layer's weight (one power iteration per training
    /// step, as `torch.nn.utils.spectral_norm`).
    pub spectral_norm: bool,
    /// Parameter element type: Float or Double.
    pub kind: Kind,
}

/// A linear energy of 2-D points (no hidden layer; choose `hidden` for a useful network), SiLU
/// after hidden layers, no spectral normalisation, float parameters.
impl Default for MlpSpec {
    fn default() -> Self {
        MlpSpec {
            input_dim: 2,
            hidden: Vec::new(),
            activation: Activation::Silu,
            spectral_norm: false,
            kind: Kind::Float,
        }
    }
}

impl MlpSpec {
    /// The seed of the initial weights unless one is chosen.
    pub const DEFAULT_SEED: u64 = 0;

    pub(crate) fn validate(&self) -> Result<()> {
        if self.input_dim == 0 {
            return Err(Error::invalid("input_dim", "must be >= 1"));
        }
        if let Some(i) = self.hidden.iter().position(|w| *w == 0) {
            return Err(Error::invalid("hidden", format!("width {i} is 0, widths must be >= 1")));
        }
        if !matches!(self.kind, Kind::Float | Kind::Double) {
            return Err(Error::invalid("kind", "must be float or double"));
        }
        Ok(())
    }

    /// (fan_in, fan_out) of each layer, the output layer last.
    pub(crate) fn layers(&self) -> Vec<(usize, usize)> {
        let mut widths = vec![self.input_dim];
        widths.extend(&self.hidden);
        widths.push(1);
        widths.windows(2).map(|w| (w[0], w[1])).collect()
    }
}

struct MlpState {
    weights: Vec<Tensor>,
    biases: Vec<Tensor>,
    /// Spectral normalisation's left singular vector estimates, one per layer.
    singular_vectors: Vec<Tensor>,
}

/// E(x) = network(x) for a fully connected network with one output.
pub struct Mlp {
    spec: MlpSpec,
    device: Device,
    state: Mutex<MlpState>,
    parameters_lock: ParameterLock,
}

fn normalized(v: &Tensor) -> Result<Tensor> {
    Ok(v.f_div(&v.f_norm()?.f_clamp_min(1e-12)?)?)
}

impl Mlp {
    /// A network with PyTorch's `nn.Linear` initialisation drawn from a generator seeded with
    /// `seed`: the weights equal those of the same `nn.Sequential` built after
    /// `torch.manual_seed(seed)` (in float32, then cast to the spec's kind).
    pub fn new(spec: MlpSpec, device: Device, seed: u64) -> Result<Self> {
        spec.validate()?;
        let mut generator = TorchGenerator::new(Device::Cpu, seed)?;
        let (mut weights, mut biases, mut singular_vectors) = (Vec::new(), Vec::new(), Vec::new());
        for (fan_in, fan_out) in spec.layers() {
            let bound = 1.0 / (fan_in as f64).sqrt();
            let mut weight = Tensor::f_empty([fan_out as i64, fan_in as i64], (Kind::Float, Device::Cpu))?;
            generator.fill_uniform_range(&mut weight, -bound, bound)?;
            let mut bias = Tensor::f_empty([fan_out as i64], (Kind::Float, Device::Cpu))?;
            generator.fill_uniform_range(&mut bias, -bound, bound)?;
            weights.push(weight);
            biases.push(bias);
        }
        if spec.spectral_norm {
            for w in &weights {
                let mut u = Tensor::f_empty([w.size()[0]], (Kind::Float, Device::Cpu))?;
                generator.fill_normal(&mut u)?;
                singular_vectors.push(normalized(&u)?);
            }
        }
        let place = |t: Tensor, trainable: bool| -> Result<Tensor> {
            Ok(t.f_to_kind(spec.kind)?
                .f_to_device(device)?
                .f_set_requires_grad(trainable)?)
        };
        let state = MlpState {
            weights: weights.into_iter().map(|t| place(t, true)).collect::<Result<_>>()?,
            biases: biases.into_iter().map(|t| place(t, true)).collect::<Result<_>>()?,
            singular_vectors: singular_vectors
                .into_iter()
                .map(|t| place(t, false))
                .collect::<Result<_>>()?,
        };
        Ok(Mlp {
            spec,
            device,
            state: Mutex::new(state),
            parameters_lock: ParameterLock::new(),
        })
    }

    /// A network of architecture `spec` with the given (weight, bias) of every layer, the
    /// output layer last, converted to the spec's kind: weight i of shape (fan_out, fan_in) and
    /// bias i of shape (fan_out,), as `nn.Linear` holds them. Callers check names and shapes
    /// against the spec first (their errors name the tensors); a mismatch here is an error
    /// naming `layers`. Spectral normalisation's vectors start as those of seed 0.
    pub fn with_layers(spec: MlpSpec, device: Device, layers: &[(Tensor, Tensor)]) -> Result<Self> {
        let model = Mlp::new(spec, device, 0)?;
        let expected = model.spec.layers();
        if layers.len() != expected.len() {
            return Err(Error::invalid(
                "layers",
                format!("{} layers given, the architecture has {}", layers.len(), expected.len()),
            ));
        }
        {
            let state = model.lock();
            tch::no_grad(|| -> Result<()> {
                for (i, ((weight, bias), (fan_in, fan_out))) in layers.iter().zip(expected).enumerate() {
                    let (fan_in, fan_out) = (fan_in as i64, fan_out as i64);
                    if weight.size() != [fan_out, fan_in] || bias.size() != [fan_out] {
                        return Err(Error::dimension(
                            "layers",
                            format!(
                                "layer {i} has weight {:?} and bias {:?}, the architecture [{fan_out}, {fan_in}] and [{fan_out}]",
                                weight.size(),
                                bias.size()
                            ),
                        ));
                    }
                    let place =
                        |t: &Tensor| -> Result<Tensor> { Ok(t.f_to_kind(model.spec.kind)?.f_to_device(device)?) };
                    state.weights[i].shallow_clone().f_copy_(&place(weight)?)?;
                    state.biases[i].shallow_clone().f_copy_(&place(bias)?)?;
                }
                Ok(())
            })?;
        }
        Ok(model)
    }

    /// An independent copy whose parameters (and spectral normalisation vectors) have element
    /// type `kind` (Float or Double), on the same device; the copy has no gradients. Values
    /// are converted once: from float to double exactly, from double to float rounded.
    pub fn to_kind(&self, kind: Kind) -> Result<Mlp> {
        let spec = MlpSpec {
            kind,
            ..self.spec.clone()
        };
        spec.validate()?;
        let _reading = self.parameters_lock.read();
        let state = self.lock();
        let copy = |tensors: &[Tensor], trainable: bool| -> Result<Vec<Tensor>> {
            tensors
                .iter()
                .map(|t| {
                    Ok(t.f_detach()?
                        .f_to_dtype(kind, false, true)?
                        .f_set_requires_grad(trainable)?)
                })
                .collect()
        };
        let copied = MlpState {
            weights: copy(&state.weights, true)?,
            biases: copy(&state.biases, true)?,
            singular_vectors: copy(&state.singular_vectors, false)?,
        };
        Ok(Mlp {
            spec,
            device: self.device,
            state: Mutex::new(copied),
            parameters_lock: ParameterLock::new(),
        })
    }

    /// The architecture.
    pub fn architecture(&self) -> &MlpSpec {
        &self.spec
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MlpState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// W/σ(W) with σ estimated by one power iteration from the stored vector u (kept when
    /// `training`).
    fn normalized_weight(state: &mut MlpState, layer: usize, training: bool) -> Result<Tensor> {
        let weight = &state.weights[layer];
        let (u, v) = tch::no_grad(|| -> Result<(Tensor, Tensor)> {
            let w = weight.f_detach()?;
            let v = normalized(&w.f_tr()?.f_mv(&state.singular_vectors[layer])?)?;
            let u = normalized(&w.f_mv(&v)?)?;
            Ok((u, v))
        })?;
        let sigma = u.f_dot(&weight.f_mv(&v)?)?;
        if training {
            state.singular_vectors[layer] = u;
        }
        Ok(weight.f_div(&sigma)?)
    }

    fn forward(&self, x: &Tensor, training: bool) -> Result<Tensor> {
        let _reading = self.parameters_lock.read();
        let mut state = self.lock();
        let mut h = x.f_to_kind(self.spec.kind)?.f_to_device(self.device)?;
        let layers = state.weights.len();
        for layer in 0..layers {
            let weight = if self.spec.spectral_norm {
                Self::normalized_weight(&mut state, layer, training)?
            } else {
                state.weights[layer].shallow_clone()
            };
            h = h.f_linear(&weight, Some(&state.biases[layer]))?;
            if layer + 1 < layers {
                h = self.spec.activation.apply(&h)?;
            }
        }
        Ok(h.f_squeeze_dim(-1)?)
    }

    /// Energies and ∇ₓE by the chain rule written out (the network is known), without an
    /// autograd graph: samplers call this every step, and the graph's bookkeeping would cost
    /// more than the arithmetic at the sizes samplers use.
    fn forward_and_input_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let _reading = self.parameters_lock.read();
        let mut state = self.lock();
        let layers = state.weights.len();
        let weights = (0..layers)
            .map(|layer| {
                if self.spec.spectral_norm {
                    Self::normalized_weight(&mut state, layer, false)
                } else {
                    Ok(state.weights[layer].shallow_clone())
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let mut h = x.f_to_kind(self.spec.kind)?.f_to_device(self.device)?;
        // (pre-activation, activation) of each hidden layer, for the backward pass.
        let mut hidden = Vec::with_capacity(layers.saturating_sub(1));
        for (layer, weight) in weights.iter().enumerate() {
            let z = h.f_linear(weight, Some(&state.biases[layer]))?;
            if layer + 1 < layers {
                h = self.spec.activation.apply(&z)?;
                hidden.push((z, h.shallow_clone()));
            } else {
                h = z;
            }
        }
        let energy = h.f_squeeze_dim(-1)?;
        let n = energy.size()[0];
        // ∂E/∂(last layer's input) is the output weight row, the same for every point.
        let mut gradient = weights[layers - 1].f_expand([n, weights[layers - 1].size()[1]], false)?;
        for (layer, (z, a)) in hidden.into_iter().enumerate().rev() {
            gradient = self.spec.activation.backward(&gradient, z, &a)?;
            gradient = gradient.f_mm(&weights[layer])?;
        }
        if layers == 1 {
            gradient = gradient.f_contiguous()?;
        }
        Ok((energy, gradient.f_to_kind(x.kind())?))
    }
}

impl Energy for Mlp {
    fn name(&self) -> &'static str {
        "mlp"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::Exactly(self.spec.input_dim)
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        self.forward(x, false)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        tch::no_grad(|| self.forward_and_input_gradient(x))
    }

    fn as_model(&self) -> Option<&dyn Model> {
        Some(self)
    }
}

impl Model for Mlp {
    fn parameter_lock(&self) -> &ParameterLock {
        &self.parameters_lock
    }

    fn parameters(&self) -> Result<Vec<Tensor>> {
        let state = self.lock();
        Ok(state
            .weights
            .iter()
            .zip(&state.biases)
            .flat_map(|(w, b)| [w.shallow_clone(), b.shallow_clone()])
            .collect())
    }

    fn training_energy(&self, x: &Tensor) -> Result<Tensor> {
        self.forward(x, true)
    }

    fn kind(&self) -> Kind {
        self.spec.kind
    }

    fn device(&self) -> Device {
        self.device
    }

    fn spec(&self) -> Option<MlpSpec> {
        Some(self.spec.clone())
    }

    fn converted(&self, kind: Kind) -> Option<Result<std::sync::Arc<dyn Energy>>> {
        Some(
            self.to_kind(kind)
                .map(|copy| std::sync::Arc::new(copy) as std::sync::Arc<dyn Energy>),
        )
    }

    fn buffers(&self) -> Result<Vec<(String, Tensor)>> {
        let state = self.lock();
        Ok(state
            .singular_vectors
            .iter()
            .enumerate()
            .map(|(i, u)| (format!("layers.{i}.spectral_u"), u.shallow_clone()))
            .collect())
    }

    fn set_buffers(&self, buffers: &[(String, Tensor)]) -> Result<()> {
        let mut state = self.lock();
        for (i, slot) in state.singular_vectors.iter_mut().enumerate() {
            let name = format!("layers.{i}.spectral_u");
            let (_, value) = buffers
                .iter()
                .find(|(n, _)| *n == name)
                .ok_or_else(|| Error::invalid("buffers", format!("{name} is missing")))?;
            if value.size() != slot.size() {
                return Err(Error::dimension(
                    "buffers",
                    format!("{name} has shape {:?}, expected {:?}", value.size(), slot.size()),
                ));
            }
            *slot = value.f_to_kind(self.spec.kind)?.f_to_device(self.device)?;
        }
        Ok(())
    }
}
