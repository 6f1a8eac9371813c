//! Stan-style windowed warm-up: dual averaging of the step size throughout, and the inverse
//! mass (Stan's inverse metric) re-estimated from the chains' positions at the end of each
//! slow window, whose lengths double. Written against host numbers only (the step's mean
//! acceptance statistic and the positions' pooled moments), so any sampler with a step size
//! and a mass (HMC, NUTS) can drive it.

use std::ops::Range;

use super::dual_averaging::DualAveraging;
use crate::error::{Error, Result};

/// The largest dimension a dense mass may have: its factorisations and the per-step row
/// products cost dim² per chain.
pub const MAX_DENSE_DIM: usize = 100;

/// What the warm-up adapts besides the step size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MassAdaptationKind {
    /// Nothing: plain dual averaging of the step size over the adapted steps.
    #[default]
    None,
    /// The diagonal of the inverse mass, from the positions' variances.
    Diagonal,
    /// The full inverse mass, from the positions' covariance (dim ≤ [`MAX_DENSE_DIM`]).
    Dense,
}

/// Lengths of Stan's warm-up windows, in steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// The first fast window, where only the step size adapts (Stan's 75).
    pub init_buffer: u64,
    /// The last fast window (Stan's 50).
    pub term_buffer: u64,
    /// The first slow window; each next one is twice as long (Stan's 25).
    pub base_window: u64,
}

impl Default for Windows {
    fn default() -> Self {
        Windows {
            init_buffer: 75,
            term_buffer: 50,
            base_window: 25,
        }
    }
}

/// Mass adaptation settings of a sampler with a mass (HMC, NUTS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MassAdaptation {
    /// What is adapted.
    pub kind: MassAdaptationKind,
    /// The windows' lengths.
    pub windows: Windows,
}

impl MassAdaptation {
    /// Checks the settings for `adapt_steps` adapted steps.
    pub(crate) fn validate(&self, adapt_steps: u64) -> Result<()> {
        let w = &self.windows;
        for (arg, value) in [
            ("params.init_buffer", w.init_buffer),
            ("params.term_buffer", w.term_buffer),
            ("params.base_window", w.base_window),
        ] {
            if value == 0 {
                return Err(Error::invalid(arg, "must be >= 1, got 0"));
            }
        }
        if self.kind != MassAdaptationKind::None && adapt_steps == 0 {
            return Err(Error::invalid(
                "params.adapt_mass",
                "needs adapt_steps > 0 (the mass is adapted during the adapted steps)",
            ));
        }
        Ok(())
    }
}

/// The slow windows (step ranges, 0-based) of `adapt_steps` adapted steps, as Stan lays them
/// out: after the initial buffer, windows of base_window, 2·base_window, … steps, the last one
/// stretched to the terminal buffer when the next would not fit twice before it. When the
/// three default lengths do not fit, 15% / 75% / 10% of the steps; fewer than 20 steps have
/// no slow window.
pub fn slow_windows(adapt_steps: u64, windows: &Windows) -> Vec<Range<u64>> {
    let n = adapt_steps;
    if n < 20 {
        return Vec::new();
    }
    let (init, term, base) = if windows.init_buffer + windows.term_buffer + windows.base_window > n {
        let init = n * 15 / 100;
        let term = n / 10;
        (init, term, n - init - term)
    } else {
        (windows.init_buffer, windows.term_buffer, windows.base_window)
    };
    let slow_end = n - term;
    let mut out = Vec::new();
    let (mut start, mut size) = (init, base);
    while start < slow_end {
        let mut end = (start + size).min(slow_end);
        // The first window keeps its length; a later one absorbs the rest when the window
        // after it would not fit.
        if !out.is_empty() && end + 2 * size >= slow_end {
            end = slow_end;
        }
        out.push(start..end);
        start = end;
        size *= 2;
    }
    out
}

/// An inverse mass Σ = M⁻¹ (Stan's inverse metric).
#[derive(Debug, Clone, PartialEq)]
pub enum InverseMass {
    /// diag(Σ), dim values.
    Diagonal(Vec<f64>),
    /// Σ, dim × dim row-major, symmetric positive definite.
    Dense(Vec<f64>),
}

/// Moments of a batch of positions about a shift c, summed over the rows that count:
/// the number of rows k, Σ (x − c) (dim values) and Σ (x − c)² (dim values) or
/// Σ (x − c)(x − c)ᵀ (dim² values, row-major).
#[derive(Debug, Clone, PartialEq)]
pub struct RowMoments {
    pub count: f64,
    pub sums: Vec<f64>,
    pub second: Vec<f64>,
}

/// Running mean and centred second moments (Welford, merged batch by batch as Chan et al.).
#[derive(Debug, Clone)]
struct Welford {
    count: f64,
    mean: Vec<f64>,
    /// Σ (x − mean)² per dimension, or the full matrix of centred cross products.
    m2: Vec<f64>,
    dense: bool,
}

impl Welford {
    fn new(dim: usize, dense: bool) -> Self {
        Welford {
            count: 0.0,
            mean: vec![0.0; dim],
            m2: vec![0.0; if dense { dim * dim } else { dim }],
            dense,
        }
    }

    /// Merges a batch whose moments were taken about `shift`.
    fn merge(&mut self, shift: &[f64], batch: &RowMoments) {
        let k = batch.count;
        if k <= 0.0 {
            return;
        }
        let dim = self.mean.len();
        let offset: Vec<f64> = batch.sums.iter().map(|s| s / k).collect();
        let batch_mean: Vec<f64> = shift.iter().zip(&offset).map(|(c, o)| c + o).collect();
        let delta: Vec<f64> = batch_mean.iter().zip(&self.mean).map(|(b, m)| b - m).collect();
        let total = self.count + k;
        let cross = self.count * k / total;
        for i in 0..dim {
            if self.dense {
                for j in 0..dim {
                    // The batch's own centred products: about c, then moved to its mean.
                    let own = batch.second[i * dim + j] - k * offset[i] * offset[j];
                    self.m2[i * dim + j] += own + cross * delta[i] * delta[j];
                }
            } else {
                let own = batch.second[i] - k * offset[i] * offset[i];
                self.m2[i] += own + cross * delta[i] * delta[i];
            }
        }
        for (m, d) in self.mean.iter_mut().zip(&delta) {
            *m += d * k / total;
        }
        self.count = total;
    }

    /// Stan's regularised estimate: (n/(n+5))·S + 1e-3·(5/(n+5))·I, S the sample covariance.
    fn regularised(&self) -> InverseMass {
        let n = self.count;
        let dim = self.mean.len();
        let weight = n / (n + 5.0);
        let ridge = 1e-3 * 5.0 / (n + 5.0);
        let denominator = (n - 1.0).max(1.0);
        let mut values: Vec<f64> = self.m2.iter().map(|m| weight * m / denominator).collect();
        if self.dense {
            for i in 0..dim {
                values[i * dim + i] += ridge;
            }
            // Exact symmetry, which the Cholesky factorisation relies on.
            for i in 0..dim {
                for j in (i + 1)..dim {
                    let mean = 0.5 * (values[i * dim + j] + values[j * dim + i]);
                    values[i * dim + j] = mean;
                    values[j * dim + i] = mean;
                }
            }
            InverseMass::Dense(values)
        } else {
            values.iter_mut().for_each(|v| *v += ridge);
            InverseMass::Diagonal(values)
        }
    }
}

/// What the sampler must use from its next step on.
#[derive(Debug, Clone, PartialEq)]
pub struct Update {
    /// The step size of the next step (the averaged one once warm-up is over).
    pub step_size: f64,
    /// A new inverse mass, at the end of a slow window.
    pub inverse_mass: Option<InverseMass>,
    /// Whether warm-up ended with this step.
    pub finished: bool,
}

/// Windowed warm-up of one sampler (one step size and one mass shared by its chains).
#[derive(Debug, Clone)]
pub struct WindowedAdaptation {
    target: f64,
    adapt_steps: u64,
    windows: Vec<Range<u64>>,
    dense: bool,
    dim: usize,
    dual: DualAveraging,
    estimate: Welford,
    /// Steps observed so far.
    steps: u64,
}

impl WindowedAdaptation {
    /// Warm-up over `adapt_steps` steps from `initial_step`, toward the mean acceptance
    /// statistic `target`, for chains of dimension `dim`. Dense adaptation is refused above
    /// [`MAX_DENSE_DIM`] dimensions; `MassAdaptationKind::None` adapts the step size only.
    pub fn new(
        settings: &MassAdaptation,
        adapt_steps: u64,
        initial_step: f64,
        target: f64,
        dim: usize,
    ) -> Result<Self> {
        let dense = settings.kind == MassAdaptationKind::Dense;
        if dense && dim > MAX_DENSE_DIM {
            return Err(Error::invalid(
                "params.adapt_mass",
                format!("dense mass adaptation is limited to dim <= {MAX_DENSE_DIM}, the chains have dim {dim}"),
            ));
        }
        let windows = if settings.kind == MassAdaptationKind::None {
            Vec::new()
        } else {
            slow_windows(adapt_steps, &settings.windows)
        };
        Ok(WindowedAdaptation {
            target,
            adapt_steps,
            windows,
            dense,
            dim,
            dual: DualAveraging::new(initial_step, target),
            estimate: Welford::new(dim, dense),
            steps: 0,
        })
    }

    /// The step size of the next step.
    pub fn step_size(&self) -> f64 {
        self.dual.step_size()
    }

    /// Whether the warm-up needs the positions' moments after the next step (it is in a
    /// slow window), and with full cross products.
    pub fn wants_moments(&self) -> Option<bool> {
        self.windows
            .iter()
            .any(|w| w.contains(&self.steps))
            .then_some(self.dense)
    }

    /// The shift the moments should be taken about (the running mean, so that sums of
    /// squares do not cancel).
    pub fn shift(&self) -> &[f64] {
        &self.estimate.mean
    }

    /// The slow windows.
    pub fn windows(&self) -> &[Range<u64>] {
        &self.windows
    }

    /// Feeds the step just taken: its mean acceptance statistic over the chains and, when
    /// [`wants_moments`](Self::wants_moments) asked for them, the positions' moments after
    /// it, taken about [`shift`](Self::shift).
    pub fn observe(&mut self, mean_accept: f64, moments: Option<&RowMoments>) -> Update {
        let step = self.steps;
        self.steps += 1;
        self.dual.update(mean_accept);
        if let Some(moments) = moments {
            debug_assert_eq!(moments.sums.len(), self.dim);
            let shift = self.estimate.mean.clone();
            self.estimate.merge(&shift, moments);
        }
        let mut inverse_mass = None;
        if self.windows.iter().any(|w| w.end == step + 1) && self.estimate.count > 1.0 {
            inverse_mass = Some(self.estimate.regularised());
            self.estimate = Welford::new(self.dim, self.dense);
            // As Stan: averaging restarts around ten times the current step.
            self.dual = DualAveraging::new(self.dual.step_size(), self.target);
        }
        let finished = self.steps >= self.adapt_steps;
        Update {
            step_size: if finished {
                self.dual.final_step_size()
            } else {
                self.dual.step_size()
            },
            inverse_mass,
            finished,
        }
    }
}

/// The lower Cholesky factor L of the row-major SPD `matrix` (A = LLᵀ), None when it is not
/// numerically positive definite.
pub(crate) fn cholesky(matrix: &[f64], dim: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; dim * dim];
    for i in 0..dim {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * dim + k] * l[j * dim + k]).sum();
            let value = matrix[i * dim + j] - dot;
            if i == j {
                if value.is_nan() || value <= 0.0 || value.is_infinite() {
                    return None;
                }
                l[i * dim + i] = value.sqrt();
            } else {
                l[i * dim + j] = value / l[j * dim + j];
            }
        }
    }
    Some(l)
}

/// The inverse of a lower-triangular row-major matrix (lower-triangular too).
pub(crate) fn lower_inverse(l: &[f64], dim: usize) -> Vec<f64> {
    let mut inv = vec![0.0; dim * dim];
    for j in 0..dim {
        inv[j * dim + j] = 1.0 / l[j * dim + j];
        for i in (j + 1)..dim {
            let sum: f64 = (j..i).map(|k| l[i * dim + k] * inv[k * dim + j]).sum();
            inv[i * dim + j] = -sum / l[i * dim + i];
        }
    }
    inv
}
