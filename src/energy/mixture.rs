use std::f64::consts::PI;

use tch::Tensor;

use super::evaluate::matvec_host_is_faster;
use super::{DimSpec, Energy, HostKernel};
use crate::error::{ensure_finite, Error, Result};
use crate::linalg::spd_inverse;
use crate::tensor::ParamCache;

/// A Gaussian mixture, E(x) = −log Σₖ wₖ N(x; μₖ, Σₖ) with the weights normalised to sum to
/// one: exactly the negative log-density, normalising constants included.
pub struct GaussianMixture {
    dim: usize,
    components: usize,
    means: Vec<f64>,
    precisions: Vec<f64>,
    /// log wₖ − ½ (d log 2π + log det Σₖ): the log-density of component k at its mean.
    log_peaks: Vec<f64>,
    /// `[means (k, d), precisions (k, d, d), log_peaks (k,)]` on each device used.
    params: ParamCache,
}

impl GaussianMixture {
    /// A mixture of `weights.len()` components in dimension `dim`. `weights` must be
    /// non-negative with a positive sum (they are normalised); `means` holds k rows of `dim`,
    /// `covs` k row-major `dim` × `dim` symmetric positive definite matrices.
    pub fn new(weights: &[f64], means: &[f64], covs: &[f64], dim: usize) -> Result<Self> {
        let k = weights.len();
        if k == 0 {
            return Err(Error::invalid("weights", "a mixture needs at least one component"));
        }
        if dim == 0 {
            return Err(Error::invalid("dim", "must be >= 1"));
        }
        let length_check = |arg: &'static str, got: usize, want: usize, what: &str| {
            if got == want {
                Ok(())
            } else {
                Err(Error::LengthMismatch {
                    arg,
                    reason: format!("has {got} elements, {k} components need {want} ({what})"),
                })
            }
        };
        length_check("means", means.len(), k * dim, "k x dim")?;
        length_check("covs", covs.len(), k * dim * dim, "k x dim x dim")?;
        crate::memory::ensure_allocatable("covs", &[k, dim, dim], std::mem::size_of::<f64>(), 4)?;
        ensure_finite("weights", weights)?;
        ensure_finite("means", means)?;
        ensure_finite("covs", covs)?;
        if let Some(i) = weights.iter().position(|w| *w < 0.0) {
            return Err(Error::invalid(
                "weights",
                format!("element {i} is {}, weights must be >= 0", weights[i]),
            ));
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return Err(Error::invalid("weights", "sum to zero, at least one must be positive"));
        }

        let mut precisions = Vec::with_capacity(k * dim * dim);
        let mut log_peaks = Vec::with_capacity(k);
        for (c, weight) in weights.iter().enumerate() {
            let cov = &covs[c * dim * dim..(c + 1) * dim * dim];
            let inverse = spd_inverse("covs", &format!("component {c}: "), cov, dim)?;
            precisions.extend_from_slice(&inverse.inverse);
            log_peaks.push((weight / total).ln() - 0.5 * (dim as f64 * (2.0 * PI).ln() + inverse.log_det));
        }
        let (k64, d64) = (k as i64, dim as i64);
        let params = ParamCache::new(vec![
            (means.to_vec(), vec![k64, d64]),
            (precisions.clone(), vec![k64, d64, d64]),
            (log_peaks.clone(), vec![k64]),
        ]);
        Ok(GaussianMixture {
            dim,
            components: k,
            means: means.to_vec(),
            precisions,
            log_peaks,
            params,
        })
    }

    /// Component log-densities (k, n) and the pulled offsets Σₖ⁻¹(x − μₖ), shape (k, n, d).
    fn component_terms(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let [means, precisions, log_peaks] = <[Tensor; 3]>::try_from(self.params.get(x.device(), x.kind())?)
            .unwrap_or_else(|_| unreachable!("the mixture caches three parameters"));
        // (k, n, d) offsets from every mean.
        let centered = x.f_unsqueeze(0)?.f_sub(&means.f_unsqueeze(1)?)?;
        let pulled = centered.f_bmm(&precisions)?;
        let quadratic = centered
            .f_mul(&pulled)?
            .f_sum_dim_intlist([2i64].as_slice(), false, None::<tch::Kind>)?;
        let log_densities = quadratic.f_mul_scalar(-0.5)?.f_add(&log_peaks.f_unsqueeze(1)?)?;
        Ok((log_densities, pulled))
    }
}

impl Energy for GaussianMixture {
    fn name(&self) -> &'static str {
        "gaussian_mixture"
    }

    fn dim_spec(&self) -> DimSpec {
        DimSpec::Exactly(self.dim)
    }

    fn energy(&self, x: &Tensor) -> Result<Tensor> {
        let (log_densities, _) = self.component_terms(x)?;
        Ok(log_densities.f_logsumexp([0i64].as_slice(), false)?.f_neg()?)
    }

    fn energy_and_gradient(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let (log_densities, pulled) = self.component_terms(x)?;
        let energy = log_densities.f_logsumexp([0i64].as_slice(), false)?.f_neg()?;
        // ∇E = Σₖ rₖ Σₖ⁻¹(x − μₖ) with responsibilities rₖ = softmaxₖ(log densities).
        let responsibilities = log_densities.f_softmax(0, None::<tch::Kind>)?;
        let gradient = responsibilities.f_unsqueeze(2)?.f_mul(&pulled)?.f_sum_dim_intlist(
            [0i64].as_slice(),
            false,
            None::<tch::Kind>,
        )?;
        Ok((energy, gradient))
    }

    fn host_kernel(&self) -> Option<&dyn HostKernel> {
        Some(self)
    }
}

impl HostKernel for GaussianMixture {
    fn host_is_faster(&self, points: usize, dim: usize) -> bool {
        matvec_host_is_faster(points, dim, self.components)
    }

    fn eval_host(
        &self,
        x: &[f64],
        dim: usize,
        energy_out: &mut [f64],
        mut gradient_out: Option<&mut [f64]>,
    ) -> Result<()> {
        let k = self.components;
        let mut pulled = vec![0.0; k * dim];
        let mut log_densities = vec![0.0; k];
        for (row, point) in x.chunks_exact(dim).enumerate() {
            for c in 0..k {
                let mean = &self.means[c * dim..(c + 1) * dim];
                let precision = &self.precisions[c * dim * dim..(c + 1) * dim * dim];
                let pulled_c = &mut pulled[c * dim..(c + 1) * dim];
                let mut quadratic = 0.0;
                for i in 0..dim {
                    let prow = &precision[i * dim..(i + 1) * dim];
                    let p: f64 = prow
                        .iter()
                        .zip(point)
                        .zip(mean)
                        .map(|((a, xj), mj)| a * (xj - mj))
                        .sum();
                    pulled_c[i] = p;
                    quadratic += (point[i] - mean[i]) * p;
                }
                log_densities[c] = self.log_peaks[c] - 0.5 * quadratic;
            }
            let peak = log_densities.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let total: f64 = log_densities.iter().map(|l| (l - peak).exp()).sum();
            energy_out[row] = -(peak + total.ln());
            if let Some(gradient) = gradient_out.as_deref_mut() {
                let g = &mut gradient[row * dim..(row + 1) * dim];
                g.fill(0.0);
                for c in 0..k {
                    let responsibility = (log_densities[c] - peak).exp() / total;
                    for (gi, pi) in g.iter_mut().zip(&pulled[c * dim..(c + 1) * dim]) {
                        *gi += responsibility * pi;
                    }
                }
            }
        }
        Ok(())
    }
}
