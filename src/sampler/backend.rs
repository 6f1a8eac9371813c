//! The operations the sampling algorithms are written in, over a batch of n chains of
//! dimension dim. Two implementations: plain f64 vectors on the host (per-chain random
//! streams, no libtorch dispatch) and libtorch tensors (any device, f32 or f64).

use tch::Kind;

use super::windowed_adaptation::RowMoments;
use crate::error::Result;
use crate::tensor::Real;

/// Batch-level arithmetic and randomness for n chains of dimension dim.
pub(crate) trait Backend {
    /// n × dim values (one row per chain).
    type Batch;
    /// n values (one per chain).
    type Column;
    /// n booleans.
    type Mask;
    /// One number, possibly still on the device.
    type Scalar;

    /// Prepares for `n` chains of dimension `dim` whose caller buffers hold `kind` values.
    fn prepare(&mut self, n: usize, dim: usize, kind: Kind);
    /// Restarts the random streams from `seed`.
    fn reseed(&mut self, seed: u64) -> Result<()>;

    /// Energies and gradients ∇ₓE of the rows.
    fn eval(&mut self, x: &Self::Batch) -> Result<(Self::Column, Self::Batch)>;
    /// Σ cᵢ Xᵢ + diag(noise_factors)·ξ with fresh ξ ~ N(0, I) (one row of draws per chain),
    /// and, when asked, |ξ|² per row. With no terms the base is zero. The deterministic part
    /// and the noise are one pass over memory on the host.
    fn perturb(
        &mut self,
        terms: &[(f64, &Self::Batch)],
        noise_factors: &[f64],
        with_norms: bool,
    ) -> Result<(Self::Batch, Option<Self::Column>)>;
    /// U[0, 1) draws, one per chain.
    fn uniform(&mut self) -> Result<Self::Column>;

    /// Σ cᵢ Xᵢ.
    fn combine(&self, terms: &[(f64, &Self::Batch)]) -> Result<Self::Batch>;
    /// x with column j multiplied by factors[j].
    fn scale_dims(&mut self, x: &Self::Batch, factors: &[f64]) -> Result<Self::Batch>;
    /// Σⱼ wⱼ xᵢⱼ² for every row i.
    fn weighted_square_norms(&mut self, x: &Self::Batch, weights: &[f64]) -> Result<Self::Column>;
    /// x · A for the row-major dim × dim matrix A: row i becomes Σₖ xᵢₖ A[k][·].
    fn multiply_rows(&mut self, x: &Self::Batch, matrix: &[f64]) -> Result<Self::Batch>;
    /// Moments about `shift` of the rows where `mask` holds, on the host: their number,
    /// Σ (x − c) and Σ (x − c)² per dimension, or with `dense` Σ (x − c)(x − c)ᵀ (dim²
    /// values). Only dim or dim² numbers leave the device.
    fn row_moments(&self, x: &Self::Batch, mask: &Self::Mask, shift: &[f64], dense: bool) -> Result<RowMoments>;
    /// Σ cᵢ colᵢ.
    fn combine_columns(&self, terms: &[(f64, &Self::Column)]) -> Result<Self::Column>;
    /// Every coordinate clamped to [lo, hi].
    fn clamp(&self, x: &Self::Batch, lo: f64, hi: f64) -> Result<Self::Batch>;

    /// Rows whose coordinates and energy are all finite.
    fn finite_rows(&self, x: &Self::Batch, energy: &Self::Column) -> Result<Self::Mask>;
    /// Both masks.
    fn and(&self, a: &Self::Mask, b: &Self::Mask) -> Result<Self::Mask>;
    /// Metropolis decisions for log acceptance ratios: accept row i when log uᵢ < log αᵢ
    /// (never for NaN); also returns the acceptance probabilities min(1, αᵢ) (0 for NaN).
    fn metropolis(&mut self, log_alpha: &Self::Column) -> Result<(Self::Mask, Self::Column)>;
    /// Rows of `if_true` where the mask holds, of `if_false` elsewhere (`if_true` is consumed:
    /// on the host only the rows where the mask fails are copied).
    fn select(&self, mask: &Self::Mask, if_true: Self::Batch, if_false: &Self::Batch) -> Result<Self::Batch>;
    /// Column version of `select`.
    fn select_column(&self, mask: &Self::Mask, if_true: Self::Column, if_false: &Self::Column) -> Result<Self::Column>;
    /// 1 where the mask holds, 0 elsewhere.
    fn indicator(&self, mask: &Self::Mask) -> Result<Self::Column>;

    /// The sum of `values` over the rows where `mask` holds, and the number of those rows
    /// (sums and counts, not means, so that processes can add theirs up exactly).
    fn masked_sum(&self, values: &Self::Column, mask: &Self::Mask) -> Result<(Self::Scalar, Self::Scalar)>;
    /// Scalars on the host.
    fn scalars_to_host(&self, scalars: &[Self::Scalar]) -> Result<Vec<f64>>;
    /// A column on the host.
    fn column_to_host(&self, column: &Self::Column) -> Result<Vec<f64>>;
    /// A mask on the host.
    fn mask_to_host(&self, mask: &Self::Mask) -> Result<Vec<bool>>;
    /// A mask from host values, one per chain.
    fn mask_from_host(&self, values: &[bool]) -> Result<Self::Mask>;
    /// n zeros.
    fn zeros_column(&self) -> Result<Self::Column>;
    /// A batch holding caller values (row-major n × dim).
    fn batch_from<T: Real>(&self, values: &[T]) -> Result<Self::Batch>;
    /// Writes a batch into a caller buffer of n × dim values (row-major).
    fn write_batch<T: Real>(&self, batch: &Self::Batch, out: &mut [T]) -> Result<()>;

    /// One unadjusted Langevin update of the chains (x, E(x), ∇E(x)), in place:
    /// x ← clamp(x − h∇E(x) + σξ), then E and ∇E at the new points. Chains that turn
    /// non-finite keep their previous state and leave `alive`. Backends may fuse it.
    #[allow(clippy::too_many_arguments)]
    fn langevin_update(
        &mut self,
        state: ChainState<'_, Self>,
        h: f64,
        sigma: f64,
        clamp: Option<(f64, f64)>,
        dim: usize,
    ) -> Result<()>
    where
        Self: Sized,
    {
        langevin_update_by_parts(self, state, h, sigma, clamp, dim)
    }

    // The No-U-Turn sampler's primitives: per-row coefficients, comparisons and masked work.

    /// Energies and gradients of the rows where `mask` holds; the other rows' values are
    /// unspecified and must not be used (the host evaluates only the masked rows).
    fn eval_where(&mut self, x: &Self::Batch, mask: &Self::Mask) -> Result<(Self::Column, Self::Batch)> {
        let _ = mask;
        self.eval(x)
    }
    /// ln u, u ~ U(0, 1), for the rows where `mask` holds (other rows unspecified). With
    /// per-chain streams only those rows' streams advance, so that a chain's draws depend on
    /// its own history alone.
    fn log_uniform_where(&mut self, mask: &Self::Mask) -> Result<Self::Column>;
    /// base + weight · cᵢ · termᵢ, row i scaled by cᵢ.
    fn add_scaled_rows(
        &self,
        base: &Self::Batch,
        weight: f64,
        coefficients: &Self::Column,
        term: &Self::Batch,
    ) -> Result<Self::Batch>;
    /// Σⱼ wⱼ aᵢⱼ bᵢⱼ for every row i.
    fn weighted_dots(&mut self, a: &Self::Batch, b: &Self::Batch, weights: &[f64]) -> Result<Self::Column>;
    /// ln(eᵃ + eᵇ) elementwise (−∞ when both are −∞).
    fn log_add_exp(&self, a: &Self::Column, b: &Self::Column) -> Result<Self::Column>;
    /// min(1, eᵃ) elementwise, 0 for NaN.
    fn clamped_exp(&self, a: &Self::Column) -> Result<Self::Column>;
    /// a / b elementwise, 0 where b is 0.
    fn quotient(&self, a: &Self::Column, b: &Self::Column) -> Result<Self::Column>;
    /// aᵢ < bᵢ (false when either is NaN).
    fn less(&self, a: &Self::Column, b: &Self::Column) -> Result<Self::Mask>;
    /// aᵢ > value (false for NaN).
    fn above(&self, a: &Self::Column, value: f64) -> Result<Self::Mask>;
    /// aᵢ < value (false for NaN).
    fn below(&self, a: &Self::Column, value: f64) -> Result<Self::Mask>;
    /// The mask negated.
    fn not(&self, a: &Self::Mask) -> Result<Self::Mask>;
    /// Whether the mask holds anywhere (a synchronisation on devices).
    fn any(&self, mask: &Self::Mask) -> Result<bool>;
    /// n copies of `value`.
    fn full_column(&self, value: f64) -> Result<Self::Column>;
}

/// Mutable views of the chains' positions, energies, gradients and live mask.
pub(crate) struct ChainState<'a, B: Backend> {
    pub(crate) x: &'a mut B::Batch,
    pub(crate) energy: &'a mut B::Column,
    pub(crate) gradient: &'a mut B::Batch,
    pub(crate) alive: &'a mut B::Mask,
}

/// Keeps the new state of live chains that stayed finite; the others keep their previous
/// state and leave `alive`. Returns the mask of rows that took the new state.
pub(crate) fn commit_finite<B: Backend>(
    backend: &mut B,
    state: ChainState<'_, B>,
    x: B::Batch,
    energy: B::Column,
    gradient: B::Batch,
) -> Result<B::Mask> {
    let finite = backend.finite_rows(&x, &energy)?;
    let keep = backend.and(&finite, state.alive)?;
    *state.x = backend.select(&keep, x, state.x)?;
    *state.energy = backend.select_column(&keep, energy, state.energy)?;
    *state.gradient = backend.select(&keep, gradient, state.gradient)?;
    *state.alive = backend.and(&keep, &keep)?;
    Ok(keep)
}

/// [`Backend::langevin_update`] from the backend's primitive operations.
pub(crate) fn langevin_update_by_parts<B: Backend>(
    backend: &mut B,
    state: ChainState<'_, B>,
    h: f64,
    sigma: f64,
    clamp: Option<(f64, f64)>,
    dim: usize,
) -> Result<()> {
    let (mut x, _) = backend.perturb(&[(1.0, &*state.x), (-h, &*state.gradient)], &vec![sigma; dim], false)?;
    if let Some((lo, hi)) = clamp {
        x = backend.clamp(&x, lo, hi)?;
    }
    let (energy, gradient) = backend.eval(&x)?;
    commit_finite(backend, state, x, energy, gradient)?;
    Ok(())
}
