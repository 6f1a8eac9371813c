//! The persistent chains of PCD: a buffer of past negatives from which each step's chains
//! start, a fraction of them restarted from noise (Du & Mordatch 2019).

use tch::{Device, Kind, Tensor};

use crate::error::{Error, Result};
use crate::tensor::to_f64_vec;
use crate::torch_generator::TorchGenerator;

/// Past negatives, kept in f64 on the host.
pub struct ReplayBuffer {
    capacity: usize,
    reinit_fraction: f64,
    dim: usize,
    /// capacity × dim values, row-major; None until the first batch fixes dim.
    samples: Option<Tensor>,
}

impl ReplayBuffer {
    /// A buffer of `capacity` points; each step restarts each chain from N(0, I) with
    /// probability `reinit_fraction`.
    pub fn new(capacity: usize, reinit_fraction: f64) -> Result<Self> {
        if capacity == 0 {
            return Err(Error::invalid("params.buffer_size", "must be >= 1"));
        }
        if !(0.0..=1.0).contains(&reinit_fraction) {
            return Err(Error::invalid(
                "params.reinit_fraction",
                format!("must be in [0, 1], got {reinit_fraction}"),
            ));
        }
        Ok(ReplayBuffer {
            capacity,
            reinit_fraction,
            dim: 0,
            samples: None,
        })
    }

    /// The number of points held.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The buffer's points (capacity × dim), if initialised.
    pub fn samples(&self) -> Option<&Tensor> {
        self.samples.as_ref()
    }

    /// Replaces the points (e.g. from a checkpoint).
    pub fn restore(&mut self, samples: Tensor) -> Result<()> {
        let size = samples.size();
        if size.len() != 2 || size[0] as usize != self.capacity {
            return Err(Error::dimension(
                "checkpoint",
                format!("replay buffer has shape {size:?}, expected ({}, dim)", self.capacity),
            ));
        }
        self.dim = size[1] as usize;
        self.samples = Some(samples.f_to_kind(Kind::Double)?);
        Ok(())
    }

    /// Forgets the points (after a failed warm-up): the next draw fills the buffer again.
    pub(crate) fn empty(&mut self) {
        self.samples = None;
    }

    /// Refuses to draw `m` distinct chains from fewer points.
    pub(crate) fn ensure_holds(&self, m: usize) -> Result<()> {
        if m > self.capacity {
            return Err(Error::invalid(
                "params.buffer_size",
                format!("is {}, smaller than the {m} chains drawn from it", self.capacity),
            ));
        }
        Ok(())
    }

    /// Fills an empty buffer with N(0, I) points of dimension `dim` and says whether it did;
    /// a filled buffer must hold points of dimension `dim`.
    pub(crate) fn fill_if_empty(&mut self, generator: &mut TorchGenerator, dim: usize) -> Result<bool> {
        if self.samples.is_some() {
            if self.dim != dim {
                return Err(Error::dimension(
                    "dim",
                    format!("is {dim}, the replay buffer holds dim {}", self.dim),
                ));
            }
            return Ok(false);
        }
        crate::memory::ensure_allocatable("params.buffer_size", &[self.capacity, dim], 8, 2)?;
        let mut noise = Tensor::f_empty([self.capacity as i64, dim as i64], (Kind::Double, Device::Cpu))?;
        generator.fill_normal(&mut noise)?;
        self.samples = Some(noise);
        self.dim = dim;
        Ok(true)
    }

    /// Start points for `m` chains of dimension `dim` (distinct rows, restarted from N(0, I)
    /// with probability reinit_fraction) and the buffer rows they came from.
    pub(crate) fn draw(&mut self, generator: &mut TorchGenerator, m: usize, dim: usize) -> Result<(Vec<f64>, Tensor)> {
        self.ensure_holds(m)?;
        self.fill_if_empty(generator, dim)?;
        let samples = self.samples.as_ref().expect("initialised above");
        let rows = generator.randperm(self.capacity)?.f_narrow(0, 0, m as i64)?;
        let starts = samples.f_index_select(0, &rows)?;
        let mut restart = Tensor::f_empty([m as i64], (Kind::Double, Device::Cpu))?;
        generator.fill_uniform(&mut restart)?;
        let mut noise = Tensor::f_empty([m as i64, dim as i64], (Kind::Double, Device::Cpu))?;
        generator.fill_normal(&mut noise)?;
        let restart = restart.f_lt(self.reinit_fraction)?.f_unsqueeze(1)?;
        let starts = noise.f_where_self(&restart, &starts)?;
        Ok((to_f64_vec(&starts)?, rows))
    }

    /// Writes the chains' final states back into the rows they started from.
    pub(crate) fn store(&mut self, rows: &Tensor, negatives: &Tensor) -> Result<()> {
        let samples = self
            .samples
            .as_mut()
            .ok_or_else(|| Error::invalid("buffer", "is not initialised"))?;
        let negatives = negatives.f_to_kind(Kind::Double)?.f_to_device(Device::Cpu)?;
        let _ = samples.f_index_copy_(0, rows, &negatives)?;
        Ok(())
    }
}
