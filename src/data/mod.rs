//! TorchEBM's 2-D toy datasets, generated with a private libtorch generator in exactly the
//! order of operations of TorchEBM 0.8.9, so that a seed gives the same points as
//! `torchebm.datasets.*Dataset(..., seed=seed)` in the same precision.

use std::f64::consts::PI;

use tch::{Device, Kind, Tensor};

use crate::error::{ensure_finite_scalar, Error, Result};
use crate::tensor::{copy_to_slice, Real};
use crate::torch_generator::TorchGenerator;

/// A toy distribution and its parameters (TorchEBM's names and defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Dataset {
    /// `n_components` Gaussians of standard deviation `std` evenly spaced on a circle of
    /// `radius` (defaults 8, 0.05, 1).
    GaussianMixture { n_components: usize, std: f64, radius: f64 },
    /// Eight Gaussians of standard deviation `std` at the compass points of a circle of
    /// radius `scale` (defaults 0.02, 2).
    EightGaussians { std: f64, scale: f64 },
    /// Two interleaved half circles with Gaussian `noise` (default 0.05).
    TwoMoons { noise: f64 },
    /// A standardised 2-D Swiss roll with Gaussian `noise` and `arclength` (0.05, 3).
    SwissRoll { noise: f64, arclength: f64 },
    /// Points on a circle of `radius` with Gaussian `noise` (1, 0.05).
    Circle { noise: f64, radius: f64 },
    /// Uniform points on the dark squares of a checkerboard over [−range, range]², then
    /// Gaussian `noise` (4, 0).
    Checkerboard { range_limit: f64, noise: f64 },
    /// `n_classes` curved blades (5) with `noise` 0.05, `radial_scale` 2, `angular_scale` 0.1,
    /// `spiral_scale` 5.
    Pinwheel {
        n_classes: usize,
        noise: f64,
        radial_scale: f64,
        angular_scale: f64,
        spiral_scale: f64,
    },
    /// A regular grid of `points_per_dim`² points over [−range, range]² with `noise`
    /// (10, 1, 0.01); the number of points must be `points_per_dim`².
    Grid {
        points_per_dim: usize,
        range_limit: f64,
        noise: f64,
    },
}

/// The most components (gaussian_mixture) or blades (pinwheel) a dataset may have: each is
/// generated separately, so a huge count is a near-endless loop, not a dataset.
pub const MAX_COMPONENTS: usize = 1 << 16;

fn positive_count(arg: &'static str, value: usize) -> Result<()> {
    if value == 0 {
        Err(Error::invalid(arg, "must be >= 1"))
    } else {
        Ok(())
    }
}

/// The largest checkerboard half-width: beyond it float32 points have no fractional part,
/// every point lands on an even cell sum, and rejection sampling would never keep one.
pub const MAX_CHECKERBOARD_RANGE: f64 = 1e6;

/// Rejects a parameter that float32 cannot hold, when generating in float32.
fn fits_kind(arg: &'static str, value: f64, kind: Kind) -> Result<()> {
    if kind == Kind::Float && value.abs() > f32::MAX as f64 {
        return Err(Error::invalid(
            arg,
            format!("is {value:e}, beyond float32's range (generate in double precision for such values)"),
        ));
    }
    Ok(())
}

fn component_count(arg: &'static str, value: usize) -> Result<()> {
    positive_count(arg, value)?;
    if value > MAX_COMPONENTS {
        return Err(Error::invalid(
            arg,
            format!("must be at most {MAX_COMPONENTS}, got {value}"),
        ));
    }
    Ok(())
}

fn non_negative(arg: &'static str, value: f64) -> Result<()> {
    ensure_finite_scalar(arg, value)?;
    if value < 0.0 {
        Err(Error::invalid(arg, format!("must be >= 0, got {value}")))
    } else {
        Ok(())
    }
}

impl Dataset {
    /// TorchEBM 0.8.9's `GaussianMixtureDataset` defaults.
    pub const DEFAULT_GAUSSIAN_MIXTURE: Dataset = Dataset::GaussianMixture {
        n_components: 8,
        std: 0.05,
        radius: 1.0,
    };
    /// TorchEBM 0.8.9's `EightGaussiansDataset` defaults.
    pub const DEFAULT_EIGHT_GAUSSIANS: Dataset = Dataset::EightGaussians { std: 0.02, scale: 2.0 };
    /// TorchEBM 0.8.9's `TwoMoonsDataset` defaults.
    pub const DEFAULT_TWO_MOONS: Dataset = Dataset::TwoMoons { noise: 0.05 };
    /// TorchEBM 0.8.9's `SwissRollDataset` defaults.
    pub const DEFAULT_SWISS_ROLL: Dataset = Dataset::SwissRoll {
        noise: 0.05,
        arclength: 3.0,
    };
    /// TorchEBM 0.8.9's `CircleDataset` defaults.
    pub const DEFAULT_CIRCLE: Dataset = Dataset::Circle {
        noise: 0.05,
        radius: 1.0,
    };
    /// TorchEBM 0.8.9's `CheckerboardDataset` defaults.
    pub const DEFAULT_CHECKERBOARD: Dataset = Dataset::Checkerboard {
        range_limit: 4.0,
        noise: 0.0,
    };
    /// TorchEBM 0.8.9's `PinwheelDataset` defaults.
    pub const DEFAULT_PINWHEEL: Dataset = Dataset::Pinwheel {
        n_classes: 5,
        noise: 0.05,
        radial_scale: 2.0,
        angular_scale: 0.1,
        spiral_scale: 5.0,
    };
    /// TorchEBM 0.8.9's `GridDataset` defaults.
    pub const DEFAULT_GRID: Dataset = Dataset::Grid {
        points_per_dim: 10,
        range_limit: 1.0,
        noise: 0.01,
    };
    /// The seed a dataset is generated with unless one is chosen.
    pub const DEFAULT_SEED: u64 = 0;

    /// The dataset's TorchEBM class name without "Dataset", e.g. "eight_gaussians".
    pub fn name(&self) -> &'static str {
        match self {
            Dataset::GaussianMixture { .. } => "gaussian_mixture",
            Dataset::EightGaussians { .. } => "eight_gaussians",
            Dataset::TwoMoons { .. } => "two_moons",
            Dataset::SwissRoll { .. } => "swiss_roll",
            Dataset::Circle { .. } => "circle",
            Dataset::Checkerboard { .. } => "checkerboard",
            Dataset::Pinwheel { .. } => "pinwheel",
            Dataset::Grid { .. } => "grid",
        }
    }

    /// Every float parameter with its argument name.
    fn float_parameters(&self) -> Vec<(&'static str, f64)> {
        match *self {
            Dataset::GaussianMixture { std, radius, .. } => vec![("params.std", std), ("params.radius", radius)],
            Dataset::EightGaussians { std, scale } => vec![("params.std", std), ("params.scale", scale)],
            Dataset::TwoMoons { noise } => vec![("params.noise", noise)],
            Dataset::SwissRoll { noise, arclength } => vec![("params.noise", noise), ("params.arclength", arclength)],
            Dataset::Circle { noise, radius } => vec![("params.noise", noise), ("params.radius", radius)],
            Dataset::Checkerboard { range_limit, noise } => {
                vec![("params.range_limit", range_limit), ("params.noise", noise)]
            }
            Dataset::Pinwheel {
                noise,
                radial_scale,
                angular_scale,
                spiral_scale,
                ..
            } => vec![
                ("params.noise", noise),
                ("params.radial_scale", radial_scale),
                ("params.angular_scale", angular_scale),
                ("params.spiral_scale", spiral_scale),
            ],
            Dataset::Grid { range_limit, noise, .. } => {
                vec![("params.range_limit", range_limit), ("params.noise", noise)]
            }
        }
    }

    fn validate(&self, n: usize, kind: Kind) -> Result<()> {
        for (arg, value) in self.float_parameters() {
            fits_kind(arg, value, kind)?;
        }
        positive_count("n", n)?;
        // The points, their noise and TorchEBM's intermediate tensors.
        crate::memory::ensure_allocatable("n", &[n, 2], std::mem::size_of::<f64>(), 8)?;
        match *self {
            Dataset::GaussianMixture {
                n_components,
                std,
                radius,
            } => {
                component_count("params.n_components", n_components)?;
                non_negative("params.std", std)?;
                ensure_finite_scalar("params.radius", radius)
            }
            Dataset::EightGaussians { std, scale } => {
                non_negative("params.std", std)?;
                ensure_finite_scalar("params.scale", scale)
            }
            Dataset::TwoMoons { noise } => non_negative("params.noise", noise),
            Dataset::SwissRoll { noise, arclength } => {
                non_negative("params.noise", noise)?;
                ensure_finite_scalar("params.arclength", arclength)
            }
            Dataset::Circle { noise, radius } => {
                non_negative("params.noise", noise)?;
                ensure_finite_scalar("params.radius", radius)
            }
            Dataset::Checkerboard { range_limit, noise } => {
                non_negative("params.noise", noise)?;
                ensure_finite_scalar("params.range_limit", range_limit)?;
                if !(1.0..=MAX_CHECKERBOARD_RANGE).contains(&range_limit) {
                    // Smaller boxes hold no dark square whole, and in larger ones points have
                    // no fractional part: either way rejection could loop forever.
                    return Err(Error::invalid(
                        "params.range_limit",
                        format!("must be between 1 and {MAX_CHECKERBOARD_RANGE:e}, got {range_limit}"),
                    ));
                }
                Ok(())
            }
            Dataset::Pinwheel {
                n_classes,
                noise,
                radial_scale,
                angular_scale,
                spiral_scale,
            } => {
                component_count("params.n_classes", n_classes)?;
                non_negative("params.noise", noise)?;
                ensure_finite_scalar("params.radial_scale", radial_scale)?;
                non_negative("params.angular_scale", angular_scale)?;
                ensure_finite_scalar("params.spiral_scale", spiral_scale)
            }
            Dataset::Grid {
                points_per_dim,
                range_limit,
                noise,
            } => {
                positive_count("params.points_per_dim", points_per_dim)?;
                non_negative("params.noise", noise)?;
                ensure_finite_scalar("params.range_limit", range_limit)?;
                if points_per_dim.checked_mul(points_per_dim) != Some(n) {
                    return Err(Error::LengthMismatch {
                        arg: "n",
                        reason: format!(
                            "is {n}, a grid of {points_per_dim} points per dim has {}",
                            points_per_dim
                                .checked_mul(points_per_dim)
                                .map_or_else(|| "more than can be counted".to_string(), |c| c.to_string())
                        ),
                    });
                }
                Ok(())
            }
        }
    }

    /// `n` points (row-major n × 2) generated from `seed` into `out`, computed in the
    /// precision of `T` as TorchEBM computes in its `dtype`.
    pub fn generate<T: Real>(&self, n: usize, seed: u64, out: &mut [T]) -> Result<()> {
        self.validate(n, T::KIND)?;
        if out.len() != 2 * n {
            return Err(Error::LengthMismatch {
                arg: "out",
                reason: format!("has {} values, {n} points of dim 2 need {}", out.len(), 2 * n),
            });
        }
        let mut draws = Draws {
            generator: TorchGenerator::new(Device::Cpu, seed)?,
            kind: T::KIND,
        };
        let data = self.points(&mut draws, n)?;
        copy_to_slice(&data, out)
    }

    fn points(&self, draws: &mut Draws, n: usize) -> Result<Tensor> {
        let kind = draws.kind;
        match *self {
            Dataset::GaussianMixture {
                n_components,
                std,
                radius,
            } => {
                let thetas = linspace(0.0, 2.0 * PI, n_components + 1, kind)?.f_narrow(0, 0, n_components as i64)?;
                let centers = Tensor::f_stack(
                    &[
                        thetas.f_cos()?.f_mul_scalar(radius)?,
                        thetas.f_sin()?.f_mul_scalar(radius)?,
                    ],
                    1,
                )?;
                draws.clustered(&centers, n, std)
            }
            Dataset::EightGaussians { std, scale } => {
                let diag = 1.0 / 2f64.sqrt();
                let units = [
                    (1.0, 0.0),
                    (-1.0, 0.0),
                    (0.0, 1.0),
                    (0.0, -1.0),
                    (diag, diag),
                    (diag, -diag),
                    (-diag, diag),
                    (-diag, -diag),
                ];
                let flat: Vec<f32> = units.iter().flat_map(|(x, y)| [*x as f32, *y as f32]).collect();
                // TorchEBM builds the centres in float32 and scales them before the cast.
                let centers = Tensor::f_from_slice(&flat)?
                    .f_reshape([8, 2])?
                    .f_mul_scalar(scale)?
                    .f_to_kind(kind)?;
                draws.clustered(&centers, n, std)
            }
            Dataset::TwoMoons { noise } => {
                let (outer_n, inner_n) = (n / 2, n - n / 2);
                let outer = linspace(0.0, PI, outer_n, kind)?;
                let inner = linspace(0.0, PI, inner_n, kind)?;
                let xs = Tensor::f_cat(&[outer.f_cos()?, inner.f_cos()?.f_neg()?.f_add_scalar(1.0)?], 0)?;
                let ys = Tensor::f_cat(
                    &[
                        outer.f_sin()?,
                        inner.f_sin()?.f_neg()?.f_add_scalar(1.0)?.f_sub_scalar(0.5)?,
                    ],
                    0,
                )?;
                draws.add_noise(Tensor::f_stack(&[xs, ys], 1)?, noise)
            }
            Dataset::SwissRoll { noise, arclength } => {
                let u = draws.uniform(&[n as i64])?;
                let t = u.f_mul_scalar(2.0)?.f_add_scalar(1.0)?.f_mul_scalar(arclength * PI)?;
                let data = Tensor::f_stack(&[t.f_mul(&t.f_cos()?)?, t.f_mul(&t.f_sin()?)?], 1)?;
                let data = draws.add_noise(data, noise)?;
                let mean = data.f_mean_dim(0, false, None::<Kind>)?;
                let spread = data
                    .f_std_dim(0, true, false)?
                    .f_mean(None::<Kind>)?
                    .f_mul_scalar(2.0)?;
                Ok(data.f_sub(&mean)?.f_div(&spread)?)
            }
            Dataset::Circle { noise, radius } => {
                let angles = draws.uniform(&[n as i64])?.f_mul_scalar(2.0 * PI)?;
                let data = Tensor::f_stack(
                    &[
                        angles.f_cos()?.f_mul_scalar(radius)?,
                        angles.f_sin()?.f_mul_scalar(radius)?,
                    ],
                    1,
                )?;
                draws.add_noise(data, noise)
            }
            Dataset::Checkerboard { range_limit, noise } => {
                let batch = 1000.max((n as f64 * 2.5) as usize) as i64;
                let mut parts = Vec::new();
                let mut collected = 0usize;
                let mut empty_batches = 0;
                while collected < n {
                    let xy = draws
                        .uniform(&[batch, 2])?
                        .f_mul_scalar(2.0)?
                        .f_sub_scalar(1.0)?
                        .f_mul_scalar(range_limit)?;
                    let cells = xy.f_select(1, 0)?.f_floor()?.f_add(&xy.f_select(1, 1)?.f_floor()?)?;
                    let keep = cells.f_remainder(2.0)?.f_ne(0.0)?.f_nonzero()?.f_squeeze_dim(1)?;
                    let valid = xy.f_index_select(0, &keep)?;
                    // A batch of 1000 or more uniform points keeps about half of them; several
                    // empty batches in a row mean the parameters leave no dark square.
                    empty_batches = if valid.size()[0] == 0 { empty_batches + 1 } else { 0 };
                    if empty_batches == 8 {
                        return Err(Error::invalid(
                            "params.range_limit",
                            format!("{range_limit} leaves no dark square to draw points from"),
                        ));
                    }
                    let take = valid.size()[0].min((n - collected) as i64);
                    parts.push(valid.f_narrow(0, 0, take)?);
                    collected += take as usize;
                }
                draws.add_noise(Tensor::f_cat(&parts, 0)?, noise)
            }
            Dataset::Pinwheel {
                n_classes,
                noise,
                radial_scale,
                angular_scale,
                spiral_scale,
            } => {
                let (per_class, remainder) = (n / n_classes, n % n_classes);
                let mut blades = Vec::new();
                for class in 0..n_classes {
                    let count = per_class + usize::from(class < remainder);
                    if count == 0 {
                        continue;
                    }
                    let t = draws.uniform(&[count as i64])?.f_sqrt()?;
                    let radii = t.f_mul_scalar(radial_scale)?;
                    let base_angle = class as f64 * (2.0 * PI / n_classes as f64);
                    let angle_noise = draws.normal(&[count as i64])?.f_mul_scalar(angular_scale)?;
                    let thetas = t
                        .f_mul_scalar(spiral_scale)?
                        .f_add_scalar(base_angle)?
                        .f_add(&angle_noise)?;
                    blades.push(Tensor::f_stack(
                        &[radii.f_mul(&thetas.f_cos()?)?, radii.f_mul(&thetas.f_sin()?)?],
                        1,
                    )?);
                }
                let data = draws.shuffled(&Tensor::f_cat(&blades, 0)?)?;
                if noise > 0.0 {
                    draws.add_noise(data, noise)
                } else {
                    Ok(data)
                }
            }
            Dataset::Grid {
                points_per_dim,
                range_limit,
                noise,
            } => {
                let coords = linspace(-range_limit, range_limit, points_per_dim, kind)?;
                let grid = Tensor::f_meshgrid_indexing(&[&coords, &coords], "ij")?;
                let points = Tensor::f_stack(&[grid[0].f_flatten(0, -1)?, grid[1].f_flatten(0, -1)?], 1)?;
                if noise > 0.0 {
                    draws.add_noise(points, noise)
                } else {
                    Ok(points)
                }
            }
        }
    }
}

fn linspace(start: f64, end: f64, steps: usize, kind: Kind) -> Result<Tensor> {
    Ok(Tensor::f_linspace(start, end, steps as i64, (kind, Device::Cpu))?)
}

/// Random draws in TorchEBM's order, from one generator, in one precision.
struct Draws {
    generator: TorchGenerator,
    kind: Kind,
}

impl Draws {
    fn normal(&mut self, shape: &[i64]) -> Result<Tensor> {
        let mut t = Tensor::f_empty(shape, (self.kind, Device::Cpu))?;
        self.generator.fill_normal(&mut t)?;
        Ok(t)
    }

    fn uniform(&mut self, shape: &[i64]) -> Result<Tensor> {
        let mut t = Tensor::f_empty(shape, (self.kind, Device::Cpu))?;
        self.generator.fill_uniform(&mut t)?;
        Ok(t)
    }

    /// data + noise · N(0, I), as `data += torch.randn_like(data) * noise`.
    fn add_noise(&mut self, data: Tensor, noise: f64) -> Result<Tensor> {
        let draws = self.normal(&data.size())?;
        Ok(data.f_add(&draws.f_mul_scalar(noise)?)?)
    }

    fn shuffled(&mut self, data: &Tensor) -> Result<Tensor> {
        let order = self.generator.randperm(data.size()[0] as usize)?;
        Ok(data.f_index_select(0, &order)?)
    }

    /// n points split evenly (the first n mod k one more) between the k centres with
    /// N(0, std²) offsets, then shuffled.
    fn clustered(&mut self, centers: &Tensor, n: usize, std: f64) -> Result<Tensor> {
        let k = centers.size()[0] as usize;
        let (per, remainder) = (n / k, n % k);
        let mut parts = Vec::new();
        for i in 0..k {
            let count = per + usize::from(i < remainder);
            if count == 0 {
                continue;
            }
            let offsets = self.normal(&[count as i64, 2])?.f_mul_scalar(std)?;
            parts.push(offsets.f_add(&centers.f_get(i as i64)?)?);
        }
        self.shuffled(&Tensor::f_cat(&parts, 0)?)
    }
}
