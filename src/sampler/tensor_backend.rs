//! The libtorch backend: chains as (n, dim) tensors on any device, in f32 or f64, with a
//! private libtorch generator. Nothing is copied to the host during a run except what
//! step-size adaptation and progress reports need.

use std::sync::Arc;

use tch::{Device, Kind, Tensor};

use super::backend::Backend;
use super::windowed_adaptation::RowMoments;
use crate::energy::{sum_rows, Energy};
use crate::error::{Error, Result};
use crate::tensor::{borrow_matrix, copy_to_slice, from_f64, to_f64_vec, Real};
use crate::torch_generator::TorchGenerator;

pub(crate) struct TensorBackend {
    energy: Arc<dyn Energy>,
    device: Device,
    kind: Kind,
    n: usize,
    dim: usize,
    generator: TorchGenerator,
    /// Per-dimension factor vectors already on the device: the run's few mass vectors.
    factors: Vec<(Vec<f64>, Tensor)>,
}

impl TensorBackend {
    pub(crate) fn new(energy: Arc<dyn Energy>, device: Device, seed: u64) -> Result<Self> {
        Ok(TensorBackend {
            energy,
            device,
            kind: Kind::Float,
            n: 0,
            dim: 0,
            generator: TorchGenerator::new(device, seed)?,
            factors: Vec::new(),
        })
    }

    fn factor_tensor(&mut self, factors: &[f64]) -> Result<Tensor> {
        if let Some((_, tensor)) = self.factors.iter().find(|(values, _)| values == factors) {
            return Ok(tensor.shallow_clone());
        }
        let tensor = from_f64(factors, &[factors.len() as i64], self.kind, self.device)?;
        self.factors.push((factors.to_vec(), tensor.shallow_clone()));
        Ok(tensor)
    }

    fn empty(&self, shape: &[i64]) -> Result<Tensor> {
        Ok(Tensor::f_empty(shape, (self.kind, self.device))?)
    }
}

fn shape_error(what: &str, got: Vec<i64>, want: &[i64]) -> Error {
    Error::Torch(tch::TchError::Shape(format!(
        "energy produced a {what} of shape {got:?}, expected {want:?}"
    )))
}

impl Backend for TensorBackend {
    type Batch = Tensor;
    type Column = Tensor;
    type Mask = Tensor;
    type Scalar = Tensor;

    /// Chains are held in the caller buffers' kind.
    fn prepare(&mut self, n: usize, dim: usize, kind: Kind) {
        self.n = n;
        self.dim = dim;
        self.kind = kind;
        self.factors.clear();
    }

    fn reseed(&mut self, seed: u64) -> Result<()> {
        self.generator.reseed(seed)
    }

    fn eval(&mut self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (energy, gradient) = tch::no_grad(|| self.energy.energy_and_gradient(x))?;
        let (n, dim) = (self.n as i64, self.dim as i64);
        if energy.size() != [n] {
            return Err(shape_error("energy", energy.size(), &[n]));
        }
        if gradient.size() != [n, dim] {
            return Err(shape_error("gradient", gradient.size(), &[n, dim]));
        }
        Ok((energy.f_to_kind(self.kind)?, gradient.f_to_kind(self.kind)?))
    }

    fn perturb(
        &mut self,
        terms: &[(f64, &Tensor)],
        noise_factors: &[f64],
        with_norms: bool,
    ) -> Result<(Tensor, Option<Tensor>)> {
        let mut noise = self.empty(&[self.n as i64, self.dim as i64])?;
        self.generator.fill_normal(&mut noise)?;
        let norms = if with_norms {
            Some(sum_rows(&noise.f_square()?)?)
        } else {
            None
        };
        let scaled = if noise_factors.iter().all(|f| *f == noise_factors[0]) {
            noise.f_mul_scalar(noise_factors[0])?
        } else {
            noise.f_mul(&self.factor_tensor(noise_factors)?)?
        };
        let out = if terms.is_empty() {
            scaled
        } else {
            self.combine(terms)?.f_add(&scaled)?
        };
        Ok((out, norms))
    }

    fn uniform(&mut self) -> Result<Tensor> {
        let mut out = self.empty(&[self.n as i64])?;
        self.generator.fill_uniform(&mut out)?;
        Ok(out)
    }

    fn combine(&self, terms: &[(f64, &Tensor)]) -> Result<Tensor> {
        let (first_weight, first) = terms[0];
        let mut out = if first_weight == 1.0 {
            first.shallow_clone()
        } else {
            first.f_mul_scalar(first_weight)?
        };
        for (weight, term) in &terms[1..] {
            out = out.f_add(&term.f_mul_scalar(*weight)?)?;
        }
        Ok(out)
    }

    fn scale_dims(&mut self, x: &Tensor, factors: &[f64]) -> Result<Tensor> {
        Ok(x.f_mul(&self.factor_tensor(factors)?)?)
    }

    fn weighted_square_norms(&mut self, x: &Tensor, weights: &[f64]) -> Result<Tensor> {
        sum_rows(&x.f_square()?.f_mul(&self.factor_tensor(weights)?)?)
    }

    fn multiply_rows(&mut self, x: &Tensor, matrix: &[f64]) -> Result<Tensor> {
        let dim = self.dim as i64;
        Ok(x.f_matmul(&self.factor_tensor(matrix)?.f_reshape([dim, dim])?)?)
    }

    fn row_moments(&self, x: &Tensor, mask: &Tensor, shift: &[f64], dense: bool) -> Result<RowMoments> {
        let dim = self.dim;
        // In double precision whatever the chains' kind: sums over many rows.
        let x = x.f_to_kind(Kind::Double)?;
        let shift = from_f64(shift, &[dim as i64], Kind::Double, self.device)?;
        let weight = mask.f_to_kind(Kind::Double)?.f_unsqueeze(1)?;
        let centred = x.f_sub(&shift)?.f_mul(&weight)?;
        let sums = centred.f_sum_dim_intlist(0, false, Kind::Double)?;
        let second = if dense {
            centred.f_tr()?.f_matmul(&centred)?.f_reshape([-1])?
        } else {
            centred.f_square()?.f_sum_dim_intlist(0, false, Kind::Double)?
        };
        let count = weight.f_sum(Kind::Double)?.f_reshape([1])?;
        // One transfer: count, sums, second moments.
        let values = to_f64_vec(&Tensor::f_cat(&[count, sums, second], 0)?)?;
        Ok(RowMoments {
            count: values[0],
            sums: values[1..1 + dim].to_vec(),
            second: values[1 + dim..].to_vec(),
        })
    }

    fn combine_columns(&self, terms: &[(f64, &Tensor)]) -> Result<Tensor> {
        self.combine(terms)
    }

    fn clamp(&self, x: &Tensor, lo: f64, hi: f64) -> Result<Tensor> {
        Ok(x.f_clamp(lo, hi)?)
    }

    fn finite_rows(&self, x: &Tensor, energy: &Tensor) -> Result<Tensor> {
        Ok(x.f_isfinite()?
            .f_all_dim(1, false)?
            .f_logical_and(&energy.f_isfinite()?)?)
    }

    fn and(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        Ok(a.f_logical_and(b)?)
    }

    fn metropolis(&mut self, log_alpha: &Tensor) -> Result<(Tensor, Tensor)> {
        let uniforms = self.uniform()?;
        let accept = uniforms.f_log()?.f_lt_tensor(log_alpha)?;
        let probability = log_alpha.f_clamp_max(0.0)?.f_exp()?.f_nan_to_num(0.0, None, None)?;
        Ok((accept, probability))
    }

    fn select(&self, mask: &Tensor, if_true: Tensor, if_false: &Tensor) -> Result<Tensor> {
        let mask = if if_true.dim() == 2 {
            mask.f_unsqueeze(1)?
        } else {
            mask.shallow_clone()
        };
        Ok(if_true.f_where_self(&mask, if_false)?)
    }

    fn select_column(&self, mask: &Tensor, if_true: Tensor, if_false: &Tensor) -> Result<Tensor> {
        self.select(mask, if_true, if_false)
    }

    fn indicator(&self, mask: &Tensor) -> Result<Tensor> {
        Ok(mask.f_to_kind(self.kind)?)
    }

    fn masked_sum(&self, values: &Tensor, mask: &Tensor) -> Result<(Tensor, Tensor)> {
        let zeros = values.f_zeros_like()?;
        let total = values.f_where_self(mask, &zeros)?.f_sum(Kind::Double)?;
        Ok((total, mask.f_sum(Kind::Double)?))
    }

    fn scalars_to_host(&self, scalars: &[Tensor]) -> Result<Vec<f64>> {
        if scalars.is_empty() {
            return Ok(Vec::new());
        }
        to_f64_vec(&Tensor::f_stack(scalars, 0)?)
    }

    fn column_to_host(&self, column: &Tensor) -> Result<Vec<f64>> {
        to_f64_vec(column)
    }

    fn mask_to_host(&self, mask: &Tensor) -> Result<Vec<bool>> {
        Ok(to_f64_vec(&mask.f_to_kind(Kind::Double)?)?
            .into_iter()
            .map(|v| v != 0.0)
            .collect())
    }

    fn mask_from_host(&self, values: &[bool]) -> Result<Tensor> {
        Ok(Tensor::f_from_slice(values)?.f_to_device(self.device)?)
    }

    fn zeros_column(&self) -> Result<Tensor> {
        Ok(Tensor::f_zeros([self.n as i64], (self.kind, self.device))?)
    }

    fn batch_from<T: Real>(&self, values: &[T]) -> Result<Tensor> {
        let borrowed = borrow_matrix(values, self.n, self.dim)?;
        // A copy: the chains must not alias the caller's buffer after this call.
        Ok(borrowed
            .f_to_kind(self.kind)?
            .f_to_device(self.device)?
            .f_contiguous()?
            .f_detach_copy()?)
    }

    fn write_batch<T: Real>(&self, batch: &Tensor, out: &mut [T]) -> Result<()> {
        copy_to_slice(batch, out)
    }

    /// One generator for all chains: every row draws, whatever the mask.
    fn log_uniform_where(&mut self, _mask: &Tensor) -> Result<Tensor> {
        Ok(self.uniform()?.f_log()?)
    }

    fn add_scaled_rows(&self, base: &Tensor, weight: f64, coefficients: &Tensor, term: &Tensor) -> Result<Tensor> {
        let scaled = term.f_mul(&coefficients.f_unsqueeze(1)?)?.f_mul_scalar(weight)?;
        Ok(base.f_add(&scaled)?)
    }

    fn weighted_dots(&mut self, a: &Tensor, b: &Tensor, weights: &[f64]) -> Result<Tensor> {
        sum_rows(&a.f_mul(b)?.f_mul(&self.factor_tensor(weights)?)?)
    }

    fn log_add_exp(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        Ok(a.f_logaddexp(b)?)
    }

    fn clamped_exp(&self, a: &Tensor) -> Result<Tensor> {
        Ok(a.f_clamp_max(0.0)?.f_exp()?.f_nan_to_num(0.0, None, None)?)
    }

    fn quotient(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let zero = b.f_eq(0.0)?;
        let safe = b.f_masked_fill(&zero, 1.0)?;
        Ok(a.f_div(&safe)?.f_masked_fill(&zero, 0.0)?)
    }

    fn less(&self, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        Ok(a.f_lt_tensor(b)?)
    }

    fn above(&self, a: &Tensor, value: f64) -> Result<Tensor> {
        Ok(a.f_gt(value)?)
    }

    fn below(&self, a: &Tensor, value: f64) -> Result<Tensor> {
        Ok(a.f_lt(value)?)
    }

    fn not(&self, a: &Tensor) -> Result<Tensor> {
        Ok(a.f_logical_not()?)
    }

    fn any(&self, mask: &Tensor) -> Result<bool> {
        Ok(mask.f_any()?.f_int64_value(&[])? != 0)
    }

    fn full_column(&self, value: f64) -> Result<Tensor> {
        Ok(Tensor::f_full([self.n as i64], value, (self.kind, self.device))?)
    }
}
