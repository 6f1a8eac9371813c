//! TorchEBM's 2-D toy datasets, generated into caller buffers.

use std::mem::size_of;

use std::ffi::c_char;

use super::args::{count, element_count, handle, input, output};
use super::energy::ebm_energy;
use super::guard::call;
use super::model::path_arg;
use super::sampler_params::read;
use super::status::ebm_status;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::render::{render_landscape, Frame};
use crate::tensor::Real;

/// ebm_dataset_params.kind: Gaussians on a circle (n_components, std, radius).
pub const EBM_DATASET_GAUSSIAN_MIXTURE: i32 = 0;
/// ebm_dataset_params.kind: eight Gaussians at the compass points (std, scale).
pub const EBM_DATASET_EIGHT_GAUSSIANS: i32 = 1;
/// ebm_dataset_params.kind: two interleaved half circles (noise).
pub const EBM_DATASET_TWO_MOONS: i32 = 2;
/// ebm_dataset_params.kind: a standardised 2-D Swiss roll (noise, arclength).
pub const EBM_DATASET_SWISS_ROLL: i32 = 3;
/// ebm_dataset_params.kind: points on a circle (noise, radius).
pub const EBM_DATASET_CIRCLE: i32 = 4;
/// ebm_dataset_params.kind: a checkerboard over [-range_limit, range_limit]^2 (range_limit,
/// noise).
pub const EBM_DATASET_CHECKERBOARD: i32 = 5;
/// ebm_dataset_params.kind: a pinwheel (n_classes, noise, radial_scale, angular_scale,
/// spiral_scale).
pub const EBM_DATASET_PINWHEEL: i32 = 6;
/// ebm_dataset_params.kind: a grid of points_per_dim^2 points (range_limit, noise).
pub const EBM_DATASET_GRID: i32 = 7;

/// A toy dataset and its parameters, as TorchEBM 0.8.9's *Dataset classes name them; each
/// kind reads only its own fields. Get a kind's defaults (TorchEBM's) from
/// ebm_dataset_default_params(kind).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ebm_dataset_params {
    /// sizeof(ebm_dataset_params); set by ebm_dataset_default_params().
    pub struct_size: usize,
    /// One of the EBM_DATASET_* kinds.
    pub kind: i32,
    /// Seed: the points equal those of the TorchEBM class constructed with seed=seed (same
    /// precision, CPU).
    pub seed: u64,
    /// Standard deviation of the Gaussians (GAUSSIAN_MIXTURE 0.05, EIGHT_GAUSSIANS 0.02).
    pub std: f64,
    /// Radius of the circle of centres (EIGHT_GAUSSIANS 2).
    pub scale: f64,
    /// Radius (GAUSSIAN_MIXTURE 1, CIRCLE 1).
    pub radius: f64,
    /// Additive Gaussian noise (TWO_MOONS, SWISS_ROLL, CIRCLE, PINWHEEL 0.05; CHECKERBOARD 0;
    /// GRID 0.01).
    pub noise: f64,
    /// SWISS_ROLL: number of turns factor (3).
    pub arclength: f64,
    /// CHECKERBOARD (4, from 1 to 1e6) and GRID (1): half-width of the square.
    pub range_limit: f64,
    /// GAUSSIAN_MIXTURE: number of Gaussians (8; 1 to EBM_DATASET_MAX_COMPONENTS).
    pub n_components: i64,
    /// PINWHEEL: number of blades (5; 1 to EBM_DATASET_MAX_COMPONENTS).
    pub n_classes: i64,
    /// PINWHEEL: blade length (2).
    pub radial_scale: f64,
    /// PINWHEEL: angular noise, i.e. blade thickness (0.1).
    pub angular_scale: f64,
    /// PINWHEEL: spiral tightness (5).
    pub spiral_scale: f64,
    /// GRID: points per side (10); the number of points must be its square.
    pub points_per_dim: i64,
}

/// TorchEBM 0.8.9's defaults for dataset `kind` (an EBM_DATASET_* value; an unknown kind
/// gets the defaults with that kind, rejected when generating), seed 0. The fields a kind
/// does not read hold the default of a kind that does (std 0.05, noise 0.05, range_limit 1).
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <math.h>
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// int main(void) {
///     ebm_dataset_params params = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
///     params.seed = 3;
///     static double points[2000 * 2]; // row-major (n, 2)
///     if (ebm_dataset_generate_f64(&params, 2000, points) != EBM_OK) {
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     double mean_x = 0, mean_y = 0;
///     for (int i = 0; i < 2000; i++) mean_x += points[2 * i] / 2000, mean_y += points[2 * i + 1] / 2000;
///     printf("eight Gaussians: mean (%.3f, %.3f)\n", mean_x, mean_y); // about (0, 0)
///     return fabs(mean_x) < 0.25 && fabs(mean_y) < 0.25 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub extern "C" fn ebm_dataset_default_params(kind: i32) -> ebm_dataset_params {
    let mut params = ebm_dataset_params {
        struct_size: size_of::<ebm_dataset_params>(),
        kind,
        seed: Dataset::DEFAULT_SEED,
        std: 0.0,
        scale: 0.0,
        radius: 0.0,
        noise: 0.0,
        arclength: 0.0,
        range_limit: 0.0,
        n_components: 0,
        n_classes: 0,
        radial_scale: 0.0,
        angular_scale: 0.0,
        spiral_scale: 0.0,
        points_per_dim: 0,
    };
    // Every field first gets a default of some kind, the majority's written last (std,
    // noise and range_limit are shared); then the chosen kind's own defaults win.
    let others = [
        Dataset::DEFAULT_EIGHT_GAUSSIANS,
        Dataset::DEFAULT_CHECKERBOARD,
        Dataset::DEFAULT_GRID,
        Dataset::DEFAULT_GAUSSIAN_MIXTURE,
        Dataset::DEFAULT_TWO_MOONS,
        Dataset::DEFAULT_SWISS_ROLL,
        Dataset::DEFAULT_CIRCLE,
        Dataset::DEFAULT_PINWHEEL,
    ];
    for dataset in others.into_iter().chain(default_dataset(kind)) {
        write_fields(dataset, &mut params);
    }
    params
}

/// The core's defaults of an EBM_DATASET_* kind.
fn default_dataset(kind: i32) -> Option<Dataset> {
    Some(match kind {
        EBM_DATASET_GAUSSIAN_MIXTURE => Dataset::DEFAULT_GAUSSIAN_MIXTURE,
        EBM_DATASET_EIGHT_GAUSSIANS => Dataset::DEFAULT_EIGHT_GAUSSIANS,
        EBM_DATASET_TWO_MOONS => Dataset::DEFAULT_TWO_MOONS,
        EBM_DATASET_SWISS_ROLL => Dataset::DEFAULT_SWISS_ROLL,
        EBM_DATASET_CIRCLE => Dataset::DEFAULT_CIRCLE,
        EBM_DATASET_CHECKERBOARD => Dataset::DEFAULT_CHECKERBOARD,
        EBM_DATASET_PINWHEEL => Dataset::DEFAULT_PINWHEEL,
        EBM_DATASET_GRID => Dataset::DEFAULT_GRID,
        _ => return None,
    })
}

/// Writes the fields `dataset` reads into `p` (the others are left as they are).
fn write_fields(dataset: Dataset, p: &mut ebm_dataset_params) {
    match dataset {
        Dataset::GaussianMixture {
            n_components,
            std,
            radius,
        } => {
            p.n_components = n_components as i64;
            p.std = std;
            p.radius = radius;
        }
        Dataset::EightGaussians { std, scale } => {
            p.std = std;
            p.scale = scale;
        }
        Dataset::TwoMoons { noise } => p.noise = noise,
        Dataset::SwissRoll { noise, arclength } => {
            p.noise = noise;
            p.arclength = arclength;
        }
        Dataset::Circle { noise, radius } => {
            p.noise = noise;
            p.radius = radius;
        }
        Dataset::Checkerboard { range_limit, noise } => {
            p.range_limit = range_limit;
            p.noise = noise;
        }
        Dataset::Pinwheel {
            n_classes,
            noise,
            radial_scale,
            angular_scale,
            spiral_scale,
        } => {
            p.n_classes = n_classes as i64;
            p.noise = noise;
            p.radial_scale = radial_scale;
            p.angular_scale = angular_scale;
            p.spiral_scale = spiral_scale;
        }
        Dataset::Grid {
            points_per_dim,
            range_limit,
            noise,
        } => {
            p.points_per_dim = points_per_dim as i64;
            p.range_limit = range_limit;
            p.noise = noise;
        }
    }
}

/// The most Gaussians (GAUSSIAN_MIXTURE's n_components) or blades (PINWHEEL's n_classes) a
/// dataset may have.
pub const EBM_DATASET_MAX_COMPONENTS: i64 = 65536;

fn dataset(p: &ebm_dataset_params) -> Result<Dataset> {
    const { assert!(EBM_DATASET_MAX_COMPONENTS as usize == crate::data::MAX_COMPONENTS) };
    Ok(match p.kind {
        EBM_DATASET_GAUSSIAN_MIXTURE => Dataset::GaussianMixture {
            n_components: count("params.n_components", p.n_components)?,
            std: p.std,
            radius: p.radius,
        },
        EBM_DATASET_EIGHT_GAUSSIANS => Dataset::EightGaussians {
            std: p.std,
            scale: p.scale,
        },
        EBM_DATASET_TWO_MOONS => Dataset::TwoMoons { noise: p.noise },
        EBM_DATASET_SWISS_ROLL => Dataset::SwissRoll {
            noise: p.noise,
            arclength: p.arclength,
        },
        EBM_DATASET_CIRCLE => Dataset::Circle {
            noise: p.noise,
            radius: p.radius,
        },
        EBM_DATASET_CHECKERBOARD => Dataset::Checkerboard {
            range_limit: p.range_limit,
            noise: p.noise,
        },
        EBM_DATASET_PINWHEEL => Dataset::Pinwheel {
            n_classes: count("params.n_classes", p.n_classes)?,
            noise: p.noise,
            radial_scale: p.radial_scale,
            angular_scale: p.angular_scale,
            spiral_scale: p.spiral_scale,
        },
        EBM_DATASET_GRID => Dataset::Grid {
            points_per_dim: count("params.points_per_dim", p.points_per_dim)?,
            range_limit: p.range_limit,
            noise: p.noise,
        },
        other => {
            return Err(Error::invalid(
                "params.kind",
                format!("{other} is not an EBM_DATASET_* value"),
            ))
        }
    })
}

unsafe fn generate<T: Real>(params: *const ebm_dataset_params, n: i64, out: *mut T) -> Result<()> {
    let p = unsafe { read(params)? };
    let dataset = dataset(&p)?;
    let n = count("n", n)?;
    let len = element_count::<T>("n", &[n, 2])?;
    let out = unsafe { output(out, "out", len)? };
    dataset.generate(n, p.seed, out)
}

/// Generates n points of a 2-D toy dataset into out (n*2 floats, row-major), computed in
/// single precision exactly as TorchEBM does with the same seed.
///
/// Errors: EBM_ERR_NULL_POINTER (params, out), EBM_ERR_INVALID_ARGUMENT (struct_size, unknown
/// kind, n < 1, a count < 1, n_components or n_classes above EBM_DATASET_MAX_COMPONENTS, a
/// negative noise or std, a CHECKERBOARD range_limit outside [1, 1e6], a parameter beyond
/// float32's range for the _f32 variant), EBM_ERR_LENGTH_MISMATCH (GRID
/// with n != points_per_dim^2), EBM_ERR_NON_FINITE, EBM_ERR_SIZE_OVERFLOW (n*2 values do not
/// fit in this machine's memory), EBM_ERR_OUT_OF_MEMORY (not enough memory free for n
/// points).
#[no_mangle]
pub unsafe extern "C" fn ebm_dataset_generate_f32(
    params: *const ebm_dataset_params,
    n: i64,
    out: *mut f32,
) -> ebm_status {
    call("ebm_dataset_generate_f32", || unsafe { generate(params, n, out) })
}

/// ebm_dataset_generate_f32 in double precision (TorchEBM's dtype=torch.float64).
#[no_mangle]
pub unsafe extern "C" fn ebm_dataset_generate_f64(
    params: *const ebm_dataset_params,
    n: i64,
    out: *mut f64,
) -> ebm_status {
    call("ebm_dataset_generate_f64", || unsafe { generate(params, n, out) })
}

/// Writes a PNG picture of a 2-D energy to path (".png"): two panel_size x panel_size panels,
/// the n_data points of data (n_data*2 doubles, row-major; may be NULL with n_data 0) on the
/// left, and on the right the landscape over [x_min, x_max] x [y_min, y_max] with the
/// n_samples points of samples over it. With temperature > 0 the colours show the density
/// exp(-(E - min E) / temperature) (bright where high); with 0, E itself (bright where low).
/// For looking at toy models.
///
/// Errors: EBM_ERR_NULL_POINTER (energy, path, data or samples with a nonzero count),
/// EBM_ERR_INVALID_ARGUMENT (an empty frame, panel_size outside [16, 4096], negative counts),
/// EBM_ERR_DIMENSION_MISMATCH (an energy not of dim 2), EBM_ERR_NON_FINITE (frame,
/// temperature), EBM_ERR_IO.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn ebm_render_png(
    energy: *const ebm_energy,
    data: *const f64,
    n_data: i64,
    samples: *const f64,
    n_samples: i64,
    x_min: f64,
    x_max: f64,
    y_min: f64,
    y_max: f64,
    panel_size: i64,
    temperature: f64,
    path: *const c_char,
) -> ebm_status {
    call("ebm_render_png", || {
        let energy = unsafe { handle(energy, "energy")? };
        let data = unsafe {
            input(
                data,
                "data",
                element_count::<f64>("n_data", &[count("n_data", n_data)?, 2])?,
            )?
        };
        let samples = unsafe {
            input(
                samples,
                "samples",
                element_count::<f64>("n_samples", &[count("n_samples", n_samples)?, 2])?,
            )?
        };
        let size = usize::try_from(panel_size)
            .map_err(|_| Error::invalid("panel_size", format!("must be >= 16, got {panel_size}")))?;
        let frame = Frame {
            x_min,
            x_max,
            y_min,
            y_max,
        };
        let path = unsafe { path_arg(path)? };
        render_landscape(energy.energy.as_ref(), data, samples, frame, size, temperature, path)
    })
}
