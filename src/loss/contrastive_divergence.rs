//! The specification's contrastive divergence: loss = mean E(data) − mean E(negatives), the
//! negatives from k steps of a sampler of the model.

use std::sync::Arc;

use tch::{Device, Kind, Tensor};

use super::replay_buffer::ReplayBuffer;
use super::{backpropagate, data_tensor, training_energy};
use crate::energy::{same_energy, Energy};
use crate::error::{ensure_finite_scalar, Error, Result};
use crate::exclusive::Exclusive;
use crate::sampler::Sampler;
use crate::tensor::{borrow_matrix, copy_to_slice, Real};
use crate::torch_generator::TorchGenerator;

/// Where each step's chains start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ChainStart {
    /// Fresh N(0, I) points, the specification's choice (short-run MCMC).
    Noise,
    /// The data batch itself (classic CD; the number of negatives is the batch size).
    Data,
    /// A persistent replay buffer (PCD) of `buffer_size` points, each chain restarted from
    /// N(0, I) with probability `reinit_fraction`.
    Persistent { buffer_size: usize, reinit_fraction: f64 },
}

impl ChainStart {
    /// PCD before its buffer is chosen: 10000 points, each chain restarted from N(0, I) with
    /// probability 0.05 (TorchEBM's replay-buffer practice).
    pub const DEFAULT_PERSISTENT: ChainStart = ChainStart::Persistent {
        buffer_size: 10_000,
        reinit_fraction: 0.05,
    };
}

/// Contrastive-divergence settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdParams {
    /// Sampler steps per loss (CD-k); the specification's default 1.
    pub k: u64,
    /// Chain starts.
    pub start: ChainStart,
    /// Weight α of the energy-magnitude regulariser α·(mean E(data)² + mean E(neg)²);
    /// TorchEBM's default 0.001.
    pub energy_reg_weight: f64,
    /// Number of negatives (0: as many as data points).
    pub n_negatives: usize,
    /// Seed of the replay buffer's draws and of the data noise.
    pub seed: u64,
    /// PCD: sampler steps run over the whole replay buffer once, when it is first filled
    /// from N(0, I), so that the first negatives start from warmed-up chains (TorchEBM's
    /// init_steps, default 100). Ignored by the other starts.
    pub init_steps: u64,
    /// Perturb each data point by real_noise_scale · N(0, I) before its energy enters the
    /// loss, which smooths the energy around the data (TorchEBM's add_noise_to_real,
    /// default off).
    pub add_noise_to_real: bool,
    /// Standard deviation of that perturbation, >= 0 (TorchEBM's noise_scale, default 1e-4).
    pub real_noise_scale: f64,
}

impl Default for CdParams {
    fn default() -> Self {
        CdParams {
            k: 1,
            start: ChainStart::Noise,
            energy_reg_weight: 0.001,
            n_negatives: 0,
            seed: 0,
            init_steps: 100,
            add_noise_to_real: false,
            real_noise_scale: 1e-4,
        }
    }
}

/// The parts of a CD loss value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CdOutcome {
    /// The loss, regulariser included.
    pub loss: f64,
    /// Mean energy of the data.
    pub data_energy: f64,
    /// Mean energy of the negatives.
    pub negative_energy: f64,
}

/// In a data-parallel step only the loss becomes global; the mean energies stay this
/// process's.
impl crate::optim::LossValue for CdOutcome {
    fn loss(&self) -> f64 {
        self.loss
    }

    fn set_loss(&mut self, loss: f64) {
        self.loss = loss;
    }
}

/// CD-k / PCD for one model and one sampler of it.
pub struct ContrastiveDivergence {
    model: Arc<dyn Energy>,
    sampler: Arc<Exclusive<Sampler>>,
    params: CdParams,
    buffer: Option<ReplayBuffer>,
    generator: TorchGenerator,
    negatives: Option<Tensor>,
}

impl ContrastiveDivergence {
    /// CD for `model` with negatives from `sampler`, which must sample that same model.
    pub fn new(model: Arc<dyn Energy>, sampler: Arc<Exclusive<Sampler>>, params: CdParams) -> Result<Self> {
        if model.as_model().is_none() {
            return Err(Error::invalid(
                "model",
                format!("energy '{}' has no trainable parameters", model.name()),
            ));
        }
        {
            let sampler = sampler.lock("sampler")?;
            if !same_energy(sampler.energy(), &model) {
                return Err(Error::invalid(
                    "sampler",
                    format!(
                        "samples energy '{}', not the model being trained",
                        sampler.energy().name()
                    ),
                ));
            }
        }
        if params.k == 0 {
            return Err(Error::invalid("params.k", "must be >= 1"));
        }
        ensure_finite_scalar("params.energy_reg_weight", params.energy_reg_weight)?;
        if params.energy_reg_weight < 0.0 {
            return Err(Error::invalid("params.energy_reg_weight", "must be >= 0"));
        }
        ensure_finite_scalar("params.real_noise_scale", params.real_noise_scale)?;
        if params.real_noise_scale < 0.0 {
            return Err(Error::invalid(
                "params.real_noise_scale",
                format!("must be >= 0, got {}", params.real_noise_scale),
            ));
        }
        let buffer = match params.start {
            ChainStart::Persistent {
                buffer_size,
                reinit_fraction,
            } => {
                ensure_finite_scalar("params.reinit_fraction", reinit_fraction)?;
                Some(ReplayBuffer::new(buffer_size, reinit_fraction)?)
            }
            _ => None,
        };
        if params.start == ChainStart::Data && params.n_negatives != 0 {
            return Err(Error::invalid(
                "params.n_negatives",
                "must be 0 when chains start at the data",
            ));
        }
        Ok(ContrastiveDivergence {
            model,
            sampler,
            generator: TorchGenerator::new(Device::Cpu, params.seed)?,
            params,
            buffer,
            negatives: None,
        })
    }

    /// The settings.
    pub fn params(&self) -> &CdParams {
        &self.params
    }

    /// The model being trained.
    pub fn model(&self) -> &Arc<dyn Energy> {
        &self.model
    }

    /// The persistent chains, for PCD.
    pub fn buffer(&mut self) -> Option<&mut ReplayBuffer> {
        self.buffer.as_mut()
    }

    /// Restarts the loss's own random draws (the replay buffer's) and its sampler's from
    /// seeds derived from `key`.
    pub fn rekey(&mut self, key: u64) -> Result<()> {
        self.generator = TorchGenerator::new(Device::Cpu, key)?;
        self.sampler
            .lock("sampler")?
            .reseed(key.wrapping_add(0x9E37_79B9_7F4A_7C15))
    }

    /// Computes the loss on the row-major `data` (points of dimension `dim`) and accumulates
    /// its gradient into the model's parameters.
    pub fn compute<T: Real>(&mut self, data: &[T], dim: usize) -> Result<CdOutcome> {
        let data = data_tensor(&self.model, data, dim)?;
        let n = data.size()[0] as usize;
        let m = if self.params.n_negatives == 0 {
            n
        } else {
            self.params.n_negatives
        };
        // The sampler's state plus the training forward and backward over the negatives.
        crate::memory::ensure_allocatable("params.n_negatives", &[m, dim], std::mem::size_of::<f64>(), 16)?;
        let negatives = self.negatives_for(&data, m, dim)?;
        let data = if self.params.add_noise_to_real {
            self.perturbed(&data)?
        } else {
            data
        };
        let reg = self.params.energy_reg_weight;
        let (loss, data_energy, negative_energy) = tch::with_grad(|| -> Result<(Tensor, f64, f64)> {
            // One forward pass over data and negatives together: half the launches and one
            // larger matrix product per layer.
            let energies = training_energy(&self.model, &Tensor::f_cat(&[&data, &negatives], 0)?)?;
            let positive = energies.f_narrow(0, 0, n as i64)?;
            let negative = energies.f_narrow(0, n as i64, m as i64)?;
            let mean = |t: &Tensor| t.f_mean(None::<Kind>);
            let mut loss = mean(&positive)?.f_sub(&mean(&negative)?)?;
            if reg > 0.0 {
                let magnitude = mean(&positive.f_square()?)?.f_add(&mean(&negative.f_square()?)?)?;
                loss = loss.f_add(&magnitude.f_mul_scalar(reg)?)?;
            }
            Ok((
                loss,
                mean(&positive)?.f_double_value(&[])?,
                mean(&negative)?.f_double_value(&[])?,
            ))
        })?;
        let loss = backpropagate(&self.model, &loss)?;
        self.negatives = Some(negatives);
        Ok(CdOutcome {
            loss,
            data_energy,
            negative_energy,
        })
    }

    /// k sampler steps from the configured starts; the final states, detached, in the model's
    /// precision and device.
    fn negatives_for(&mut self, data: &Tensor, m: usize, dim: usize) -> Result<Tensor> {
        let mut sampler = self.sampler.lock("sampler")?;
        let rows = match self.params.start {
            ChainStart::Noise => {
                sampler.init::<f64>(None, m, dim)?;
                None
            }
            ChainStart::Data => {
                let starts = crate::tensor::to_f64_vec(data)?;
                sampler.init(Some(&starts), m, dim)?;
                None
            }
            ChainStart::Persistent { .. } => {
                let buffer = self.buffer.as_mut().expect("persistent CD has a buffer");
                buffer.ensure_holds(m)?;
                if buffer.fill_if_empty(&mut self.generator, dim)? && self.params.init_steps > 0 {
                    if let Err(error) = warm_up(&mut sampler, buffer, self.params.init_steps, dim) {
                        // The next loss fills and warms up the buffer again.
                        buffer.empty();
                        return Err(error);
                    }
                }
                let (starts, rows) = buffer.draw(&mut self.generator, m, dim)?;
                sampler.init(Some(&starts), m, dim)?;
                Some(rows)
            }
        };
        sampler.run::<f64>(self.params.k, 1, None)?;
        let mut states = vec![0.0; m * dim];
        sampler.samples(&mut states)?;
        let negatives = borrow_matrix(&states, m, dim)?;
        if let (Some(rows), Some(buffer)) = (rows, self.buffer.as_mut()) {
            buffer.store(&rows, &negatives)?;
        }
        let (kind, device) = (data.kind(), data.device());
        Ok(negatives.f_to_kind(kind)?.f_to_device(device)?.f_detach_copy()?)
    }

    /// `data` + real_noise_scale · N(0, I), from the loss's own random stream.
    fn perturbed(&mut self, data: &Tensor) -> Result<Tensor> {
        let mut noise = Tensor::f_empty(data.size(), (Kind::Double, Device::Cpu))?;
        self.generator.fill_normal(&mut noise)?;
        let noise = noise
            .f_mul_scalar(self.params.real_noise_scale)?
            .f_to_kind(data.kind())?
            .f_to_device(data.device())?;
        Ok(data.f_add(&noise)?)
    }

    /// The negatives of the last computed loss (n_negatives × dim, row-major) into `out`.
    pub fn last_negatives<T: Real>(&self, out: &mut [T]) -> Result<()> {
        let negatives = self
            .negatives
            .as_ref()
            .ok_or_else(|| Error::invalid("loss", "has not been computed yet"))?;
        if out.len() != negatives.numel() {
            return Err(Error::LengthMismatch {
                arg: "negatives_out",
                reason: format!(
                    "has {} values, the last negatives have {}",
                    out.len(),
                    negatives.numel()
                ),
            });
        }
        copy_to_slice(negatives, out)
    }

    /// The shape (n, dim) of the last negatives.
    pub fn last_negatives_shape(&self) -> Option<(usize, usize)> {
        self.negatives
            .as_ref()
            .map(|t| (t.size()[0] as usize, t.size()[1] as usize))
    }
}

/// Runs `steps` sampler steps over every point of a freshly filled replay buffer and keeps
/// the final states: TorchEBM's init_steps warm-up.
fn warm_up(sampler: &mut Sampler, buffer: &mut ReplayBuffer, steps: u64, dim: usize) -> Result<()> {
    let points = buffer
        .samples()
        .map(crate::tensor::to_f64_vec)
        .ok_or_else(|| Error::invalid("buffer", "is not initialised"))??;
    let capacity = buffer.capacity();
    sampler.init(Some(&points), capacity, dim)?;
    sampler.run::<f64>(steps, 1, None)?;
    let mut states = vec![0.0; capacity * dim];
    sampler.samples(&mut states)?;
    buffer.restore(borrow_matrix(&states, capacity, dim)?.f_detach_copy()?)
}
