//! Pictures of 2-D energies: the data beside the learned landscape with samples over it,
//! written as a PNG (libtorch's stb_image_write). For looking at toy models, not a plotting
//! library.

use std::path::Path;

use tch::{Device, Tensor};

use crate::energy::{evaluate, Energy};
use crate::error::{ensure_finite, Error, Result};
use crate::files::io_error;

/// The plotted square of the plane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Frame {
    pub x_min: f64,
    pub x_max: f64,
    pub y_min: f64,
    pub y_max: f64,
}

/// Viridis anchors, from low energy (high density: bright) to high energy (dark).
const PALETTE: [[f64; 3]; 5] = [
    [253.0, 231.0, 37.0],
    [94.0, 201.0, 98.0],
    [33.0, 145.0, 140.0],
    [59.0, 82.0, 139.0],
    [68.0, 1.0, 84.0],
];
const BACKGROUND: [u8; 3] = [250, 250, 250];
const DATA_COLOUR: [u8; 3] = [31, 73, 125];
const SAMPLE_COLOUR: [u8; 3] = [220, 40, 40];
const GAP: usize = 8;

fn palette(t: f64) -> [u8; 3] {
    let t = t.clamp(0.0, 1.0) * (PALETTE.len() - 1) as f64;
    let i = (t.floor() as usize).min(PALETTE.len() - 2);
    let f = t - i as f64;
    let mix = |k: usize| (PALETTE[i][k] * (1.0 - f) + PALETTE[i + 1][k] * f).round() as u8;
    [mix(0), mix(1), mix(2)]
}

/// An RGB image, row-major, 3 bytes per pixel.
struct Canvas {
    width: usize,
    height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    fn set(&mut self, x: usize, y: usize, colour: [u8; 3]) {
        if x < self.width && y < self.height {
            let at = 3 * (y * self.width + x);
            self.pixels[at..at + 3].copy_from_slice(&colour);
        }
    }

    /// A 3 × 3 dot at the point, in the panel whose left edge is `left`.
    fn dot(&mut self, frame: &Frame, size: usize, left: usize, point: &[f64], colour: [u8; 3]) {
        let px = (point[0] - frame.x_min) / (frame.x_max - frame.x_min) * size as f64;
        let py = (frame.y_max - point[1]) / (frame.y_max - frame.y_min) * size as f64;
        if !(0.0..size as f64).contains(&px) || !(0.0..size as f64).contains(&py) {
            return;
        }
        let (cx, cy) = (px as usize, py as usize);
        for y in cy.saturating_sub(1)..=(cy + 1).min(size - 1) {
            for x in cx.saturating_sub(1)..=(cx + 1).min(size - 1) {
                self.set(left + x, y, colour);
            }
        }
    }
}

/// Writes a PNG of two `size` × `size` panels: `data` (n × 2, row-major) on the left; on the
/// right the energy over the frame with `samples` over it. With `temperature` > 0 the colour
/// shows the unnormalised density exp(−(E − min E)/temperature) (bright where high);
/// otherwise E itself, bright where low, spread over its 1st–95th percentiles.
pub fn render_landscape(
    energy: &dyn Energy,
    data: &[f64],
    samples: &[f64],
    frame: Frame,
    size: usize,
    temperature: f64,
    path: &Path,
) -> Result<()> {
    crate::error::ensure_finite_scalar("temperature", temperature)?;
    ensure_finite("frame", &[frame.x_min, frame.x_max, frame.y_min, frame.y_max])?;
    if frame.x_min >= frame.x_max || frame.y_min >= frame.y_max {
        return Err(Error::invalid("frame", "needs x_min < x_max and y_min < y_max"));
    }
    if !(16..=4096).contains(&size) {
        return Err(Error::invalid(
            "size",
            format!("must be in [16, 4096] pixels, got {size}"),
        ));
    }
    energy.dim_spec().check("energy", energy.name(), 2)?;
    let (dx, dy) = (
        (frame.x_max - frame.x_min) / size as f64,
        (frame.y_max - frame.y_min) / size as f64,
    );
    let grid: Vec<f64> = (0..size * size)
        .flat_map(|k| {
            let (row, column) = (k / size, k % size);
            [
                frame.x_min + (column as f64 + 0.5) * dx,
                frame.y_max - (row as f64 + 0.5) * dy,
            ]
        })
        .collect();
    let mut energies = vec![0.0; size * size];
    evaluate(energy, Device::Cpu, &grid, 2, Some(&mut energies), None)?;
    let mut sorted: Vec<f64> = energies.iter().copied().filter(|e| e.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let (low, high) = match sorted.len() {
        0 => (0.0, 1.0),
        len => (sorted[len / 100], sorted[(len * 95 / 100).min(len - 1)]),
    };
    let span = if high > low { high - low } else { 1.0 };
    let minimum = sorted.first().copied().unwrap_or(0.0);
    let shade = |e: f64| {
        if temperature > 0.0 {
            1.0 - (-(e - minimum) / temperature).exp()
        } else {
            (e - low) / span
        }
    };

    let width = 2 * size + GAP;
    let mut canvas = Canvas {
        width,
        height: size,
        pixels: BACKGROUND.repeat(width * size),
    };
    for (k, e) in energies.iter().enumerate() {
        let colour = if e.is_finite() {
            palette(shade(*e))
        } else {
            PALETTE[PALETTE.len() - 1].map(|c| c as u8)
        };
        canvas.set(size + GAP + k % size, k / size, colour);
    }
    for point in data.chunks_exact(2) {
        canvas.dot(&frame, size, 0, point, DATA_COLOUR);
    }
    for point in samples.chunks_exact(2) {
        canvas.dot(&frame, size, size + GAP, point, SAMPLE_COLOUR);
    }
    crate::cuda_backend::prepare(); // the encoder takes a libtorch tensor
    let image = Tensor::f_from_slice(&canvas.pixels)?
        .f_reshape([size as i64, width as i64, 3])?
        .f_permute([2, 0, 1])?;
    // stb_image_write reports no failure through tch: the picture is written to a temporary
    // file and checked before it replaces `path`.
    crate::files::replace(path, ".png", |temporary, _| {
        tch::vision::image::save(&image, temporary).map_err(|e| io_error(path, "write", e))?;
        let written = std::fs::read(temporary).map_err(|e| io_error(path, "write", e))?;
        if !written.starts_with(b"\x89PNG\r\n\x1a\n") || written.len() < 64 {
            return Err(io_error(path, "write", "the PNG encoder wrote nothing"));
        }
        Ok(())
    })
}
