//! Host kernels of energies that are evaluated one point at a time.

use super::HostKernel;
use crate::error::Result;
use crate::parallel;

/// An energy with a closed-form value and gradient for a single point: the building block
/// of host kernels, and what fused CPU sampler steps call chain by chain.
pub trait PointKernel: Send + Sync {
    /// E(x) for one point; writes ∇ₓE(x) into `gradient` (overwriting it) when given.
    fn eval_point(&self, x: &[f64], gradient: Option<&mut [f64]>) -> f64;

    /// See [`HostKernel::host_is_faster`].
    fn host_is_faster(&self, points: usize, dim: usize) -> bool {
        let _ = (points, dim);
        true
    }

    /// One unadjusted Langevin move of each live row, fused with its evaluation (see
    /// [`LangevinRows`]). Provided, and compiled for each kernel, so that `eval_point` inlines.
    fn langevin_rows(&self, rows: LangevinRows<'_>) {
        let LangevinRows {
            x,
            gradient,
            energy,
            alive,
            noise,
            h,
            sigma,
            lo,
            hi,
            dim,
        } = rows;
        // The moves as one flat, vectorisable loop (over the draws, which become the moved
        // points); then each row is evaluated and checked.
        for ((xi, x), g) in noise.iter_mut().zip(x.iter()).zip(gradient.iter()) {
            *xi = (x - h * g + sigma * *xi).max(lo).min(hi);
        }
        let moved = noise;
        let mut grad = vec![0.0; dim];
        let rows = x
            .chunks_exact_mut(dim)
            .zip(gradient.chunks_exact_mut(dim))
            .zip(moved.chunks_exact(dim));
        for (((x_row, g_row), point), (e, live)) in rows.zip(energy.iter_mut().zip(alive.iter_mut())) {
            if !*live {
                continue;
            }
            let e_new = self.eval_point(point, Some(&mut grad));
            if e_new.is_finite() && point.iter().all(|v| v.is_finite()) {
                // Element loops: rows are short, and a memcpy call per row costs more.
                x_row.iter_mut().zip(point).for_each(|(x, p)| *x = *p);
                g_row.iter_mut().zip(&grad).for_each(|(g, d)| *g = *d);
                *e = e_new;
            } else {
                *live = false;
            }
        }
    }
}

/// Rows moved by one unadjusted Langevin step: every live row (`alive[i]`) becomes
/// x' = clamp(x − h·∇E(x) + σ·ξ, lo, hi) with its E(x') and ∇E(x') written over `energy` and
/// `gradient`; a row whose x' or E(x') is not finite keeps its state and its `alive` turns
/// false. `noise` holds the draws ξ, row-major like `x`.
pub struct LangevinRows<'a> {
    /// Positions, row-major, dim per row.
    pub x: &'a mut [f64],
    /// ∇E at the positions.
    pub gradient: &'a mut [f64],
    /// E at the positions.
    pub energy: &'a mut [f64],
    /// Rows still moving.
    pub alive: &'a mut [bool],
    /// Standard normal draws, like `x`; overwritten.
    pub noise: &'a mut [f64],
    /// Step size.
    pub h: f64,
    /// Noise scale √(2hT).
    pub sigma: f64,
    /// Lower clamp bound (−∞ for none).
    pub lo: f64,
    /// Upper clamp bound (+∞ for none).
    pub hi: f64,
    /// Row length.
    pub dim: usize,
}

/// Rows per parallel task: large enough to amortise scheduling.
const ROWS_PER_TASK: usize = 256;

impl<R: PointKernel> HostKernel for R {
    fn eval_host(&self, x: &[f64], dim: usize, energy_out: &mut [f64], gradient_out: Option<&mut [f64]>) -> Result<()> {
        if !parallel::worth_splitting(x.len(), parallel::MIN_PARALLEL_VALUES) {
            eval_rows(self, x, dim, energy_out, gradient_out);
            return Ok(());
        }
        let rows = x.chunks(dim * ROWS_PER_TASK).zip(energy_out.chunks_mut(ROWS_PER_TASK));
        match gradient_out {
            Some(gradient) => parallel::for_each(
                rows.zip(gradient.chunks_mut(dim * ROWS_PER_TASK)).collect(),
                |((x, e), g)| eval_rows(self, x, dim, e, Some(g)),
            ),
            None => parallel::for_each(rows.collect(), |(x, e)| eval_rows(self, x, dim, e, None)),
        }
        Ok(())
    }

    fn host_is_faster(&self, points: usize, dim: usize) -> bool {
        PointKernel::host_is_faster(self, points, dim)
    }

    fn point_kernel(&self) -> Option<&dyn PointKernel> {
        Some(self)
    }
}

fn eval_rows<R: PointKernel>(
    kernel: &R,
    x: &[f64],
    dim: usize,
    energy_out: &mut [f64],
    gradient_out: Option<&mut [f64]>,
) {
    let rows = x.chunks_exact(dim);
    match gradient_out {
        Some(gradient) => {
            for ((point, grad), energy) in rows.zip(gradient.chunks_exact_mut(dim)).zip(energy_out) {
                *energy = kernel.eval_point(point, Some(grad));
            }
        }
        None => {
            for (point, energy) in rows.zip(energy_out) {
                *energy = kernel.eval_point(point, None);
            }
        }
    }
}

/// Σⱼ fⱼ over the coordinates of one point for a separable energy, where term(xⱼ) is
/// (fⱼ, ∂fⱼ/∂xⱼ); the derivatives go into `gradient` when given. Four partial sums let the
/// additions overlap instead of waiting on each other (the order stays fixed, so results are
/// deterministic).
#[inline]
pub(crate) fn separable_sum(x: &[f64], gradient: Option<&mut [f64]>, term: impl Fn(f64) -> (f64, f64)) -> f64 {
    let mut lanes = [0.0; 4];
    match gradient {
        Some(gradient) => {
            let mut xs = x.chunks_exact(4);
            let mut gs = gradient.chunks_exact_mut(4);
            for (x4, g4) in (&mut xs).zip(&mut gs) {
                for k in 0..4 {
                    let (value, derivative) = term(x4[k]);
                    lanes[k] += value;
                    g4[k] = derivative;
                }
            }
            for (k, (x, g)) in xs.remainder().iter().zip(gs.into_remainder()).enumerate() {
                let (value, derivative) = term(*x);
                lanes[k] += value;
                *g = derivative;
            }
        }
        None => {
            let mut xs = x.chunks_exact(4);
            for x4 in &mut xs {
                for k in 0..4 {
                    lanes[k] += term(x4[k]).0;
                }
            }
            for (k, x) in xs.remainder().iter().enumerate() {
                lanes[k] += term(*x).0;
            }
        }
    }
    (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
}
