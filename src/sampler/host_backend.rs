//! The CPU backend: chains as row-major f64 vectors, one xoroshiro128++ stream per chain keyed
//! by (seed, global chain index), energies through their host kernels (or libtorch where BLAS
//! wins), no tensor dispatch per operation. Arithmetic is in double precision whatever the
//! caller's buffer type.

use std::sync::Arc;

use rand::{Rng, RngCore, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::{SplitMix64, Xoroshiro128PlusPlus};
use tch::{Device, Kind};

use super::backend::{langevin_update_by_parts, Backend, ChainState};
use super::windowed_adaptation::RowMoments;
use crate::energy::{evaluate, Energy, LangevinRows};
use crate::error::Result;
use crate::host;
use crate::parallel;
use crate::tensor::Real;

/// Chains per parallel task: enough work per task to amortise its dispatch. Every chain
/// draws from its own stream, so results do not depend on this or on the threads.
const CHAINS_PER_TASK: usize = 256;

/// A chain's random stream: xoroshiro128++ (period 2^128 − 1), whose 16 bytes of state per
/// chain keep the per-step memory traffic of a million chains small.
pub(crate) type ChainStream = Xoroshiro128PlusPlus;

/// The stream of the chain with global index `chain` for `seed`: a state of one SplitMix64
/// output of the seed and one of the chain index. SplitMix64 is a bijection of its seed, so
/// distinct (seed, chain) pairs give distinct states, and a chain's draws depend on nothing
/// else (not on the number of chains, nor on where it runs).
pub(crate) fn chain_stream(seed: u64, chain: u64) -> ChainStream {
    let mut state = [0u8; 16];
    let words = [
        SplitMix64::seed_from_u64(seed).next_u64(),
        SplitMix64::seed_from_u64(chain).next_u64(),
    ];
    for (bytes, word) in state.chunks_exact_mut(8).zip(words) {
        bytes.copy_from_slice(&word.to_le_bytes());
    }
    ChainStream::from_seed(state)
}

/// Fills row i of `rows` (`width` values each) with `draw` from stream i.
fn fill_rows(streams: &mut [ChainStream], rows: &mut [f64], width: usize, draw: &impl Fn(&mut ChainStream) -> f64) {
    for (stream, row) in streams.iter_mut().zip(rows.chunks_mut(width)) {
        // A local copy keeps the state in registers while the row is drawn.
        let mut local = stream.clone();
        row.iter_mut().for_each(|v| *v = draw(&mut local));
        *stream = local;
    }
}

/// One task of the fused Langevin step: ((x, gradient), draws) and (energies, live flags).
type RowsTask<'a> = (
    ((&'a mut [f64], &'a mut [f64]), (&'a mut [f64], &'a mut [ChainStream])),
    (&'a mut [f64], &'a mut [bool]),
);

pub(crate) struct HostBackend {
    energy: Arc<dyn Energy>,
    n: usize,
    dim: usize,
    seed: u64,
    /// The global index of chain 0 (chains of a sharded run start at their shard's offset).
    first_chain: u64,
    /// Streams of chains 0, 1, …; kept across re-initialisations so that each draws anew.
    streams: Vec<ChainStream>,
    /// Reused buffer for the fused Langevin step's draws: large per-step allocations would
    /// each cost fresh pages.
    draws: Vec<f64>,
}

impl HostBackend {
    pub(crate) fn new(energy: Arc<dyn Energy>, seed: u64, first_chain: u64) -> Self {
        HostBackend {
            energy,
            n: 0,
            dim: 0,
            seed,
            first_chain,
            streams: Vec::new(),
            draws: Vec::new(),
        }
    }

    fn add_streams(&mut self) {
        while self.streams.len() < self.n {
            let chain = self.first_chain + self.streams.len() as u64;
            self.streams.push(chain_stream(self.seed, chain));
        }
    }

    /// Fills each chain's row of `width` values in `out` with `draw` from the chain's own
    /// stream, in parallel when `out` is large.
    fn draw_rows(&mut self, out: &mut [f64], width: usize, draw: impl Fn(&mut ChainStream) -> f64 + Sync) {
        let streams = &mut self.streams[..self.n];
        let fill = |(streams, rows): (&mut [ChainStream], &mut [f64])| fill_rows(streams, rows, width, &draw);
        if parallel::worth_splitting(out.len(), parallel::MIN_PARALLEL_VALUES) {
            let tasks = streams
                .chunks_mut(CHAINS_PER_TASK)
                .zip(out.chunks_mut(CHAINS_PER_TASK * width));
            parallel::for_each(tasks.collect(), fill);
        } else {
            fill((streams, out));
        }
    }

    fn draw_normals(&mut self, out: &mut [f64], width: usize) {
        self.draw_rows(out, width, |stream| StandardNormal.sample(stream));
    }
}

impl Backend for HostBackend {
    type Batch = Vec<f64>;
    type Column = Vec<f64>;
    type Mask = Vec<bool>;
    type Scalar = f64;

    /// Chains are f64 on the host whatever the buffers' kind.
    fn prepare(&mut self, n: usize, dim: usize, _kind: Kind) {
        self.n = n;
        self.dim = dim;
        self.add_streams();
    }

    fn reseed(&mut self, seed: u64) -> Result<()> {
        self.seed = seed;
        self.streams.clear();
        self.add_streams();
        Ok(())
    }

    fn eval(&mut self, x: &Vec<f64>) -> Result<(Vec<f64>, Vec<f64>)> {
        let mut energy = host::zeroed("chains", self.n)?;
        let mut gradient = host::zeroed("chains", x.len())?;
        evaluate(
            self.energy.as_ref(),
            Device::Cpu,
            x,
            self.dim,
            Some(&mut energy),
            Some(&mut gradient),
        )?;
        Ok((energy, gradient))
    }

    fn perturb(
        &mut self,
        terms: &[(f64, &Vec<f64>)],
        noise_factors: &[f64],
        with_norms: bool,
    ) -> Result<(Vec<f64>, Option<Vec<f64>>)> {
        let dim = self.dim;
        let mut out = host::zeroed("chains", self.n * dim)?;
        // Draws first, block by block in tight loops; then the deterministic combination.
        self.draw_normals(&mut out, dim);
        let norms = if with_norms {
            Some(out.chunks(dim).map(|row| row.iter().map(|xi| xi * xi).sum()).collect())
        } else {
            None
        };
        if noise_factors.iter().all(|f| *f == noise_factors[0]) {
            let factor = noise_factors[0];
            if factor != 1.0 {
                out.iter_mut().for_each(|v| *v *= factor);
            }
        } else {
            out.chunks_mut(dim)
                .for_each(|row| row.iter_mut().zip(noise_factors).for_each(|(v, f)| *v *= f));
        }
        for (weight, term) in terms {
            out.iter_mut().zip(term.iter()).for_each(|(v, t)| *v += weight * t);
        }
        Ok((out, norms))
    }

    fn uniform(&mut self) -> Result<Vec<f64>> {
        let mut out = host::zeroed("chains", self.n)?;
        self.draw_rows(&mut out, 1, |stream| stream.random::<f64>());
        Ok(out)
    }

    fn combine(&self, terms: &[(f64, &Vec<f64>)]) -> Result<Vec<f64>> {
        let (first_weight, first) = terms[0];
        let mut out = host::with_capacity("chains", first.len())?;
        out.extend(first.iter().map(|v| first_weight * v));
        for (weight, term) in &terms[1..] {
            out.iter_mut().zip(term.iter()).for_each(|(o, v)| *o += weight * v);
        }
        Ok(out)
    }

    fn scale_dims(&mut self, x: &Vec<f64>, factors: &[f64]) -> Result<Vec<f64>> {
        let mut out = x.clone();
        out.chunks_mut(self.dim)
            .for_each(|row| row.iter_mut().zip(factors).for_each(|(v, f)| *v *= f));
        Ok(out)
    }

    fn weighted_square_norms(&mut self, x: &Vec<f64>, weights: &[f64]) -> Result<Vec<f64>> {
        Ok(x.chunks(self.dim)
            .map(|row| row.iter().zip(weights).map(|(v, w)| w * v * v).sum())
            .collect())
    }

    fn multiply_rows(&mut self, x: &Vec<f64>, matrix: &[f64]) -> Result<Vec<f64>> {
        let dim = self.dim;
        let mut out = host::zeroed("chains", x.len())?;
        for (row, out) in x.chunks(dim).zip(out.chunks_mut(dim)) {
            for (k, v) in row.iter().enumerate() {
                out.iter_mut()
                    .zip(&matrix[k * dim..(k + 1) * dim])
                    .for_each(|(o, a)| *o += v * a);
            }
        }
        Ok(out)
    }

    fn row_moments(&self, x: &Vec<f64>, mask: &Vec<bool>, shift: &[f64], dense: bool) -> Result<RowMoments> {
        let dim = self.dim;
        let mut moments = RowMoments {
            count: 0.0,
            sums: vec![0.0; dim],
            second: vec![0.0; if dense { dim * dim } else { dim }],
        };
        let mut centred = vec![0.0; dim];
        for (row, _) in x.chunks(dim).zip(mask).filter(|(_, keep)| **keep) {
            moments.count += 1.0;
            centred
                .iter_mut()
                .zip(row.iter().zip(shift))
                .for_each(|(c, (v, s))| *c = v - s);
            moments.sums.iter_mut().zip(&centred).for_each(|(s, c)| *s += c);
            if dense {
                for (i, ci) in centred.iter().enumerate() {
                    moments.second[i * dim..(i + 1) * dim]
                        .iter_mut()
                        .zip(&centred)
                        .for_each(|(m, cj)| *m += ci * cj);
                }
            } else {
                moments.second.iter_mut().zip(&centred).for_each(|(m, c)| *m += c * c);
            }
        }
        Ok(moments)
    }

    fn combine_columns(&self, terms: &[(f64, &Vec<f64>)]) -> Result<Vec<f64>> {
        self.combine(terms)
    }

    fn clamp(&self, x: &Vec<f64>, lo: f64, hi: f64) -> Result<Vec<f64>> {
        Ok(x.iter().map(|v| v.clamp(lo, hi)).collect())
    }

    fn finite_rows(&self, x: &Vec<f64>, energy: &Vec<f64>) -> Result<Vec<bool>> {
        Ok(x.chunks(self.dim)
            .zip(energy)
            .map(|(row, e)| e.is_finite() && row.iter().all(|v| v.is_finite()))
            .collect())
    }

    fn and(&self, a: &Vec<bool>, b: &Vec<bool>) -> Result<Vec<bool>> {
        Ok(a.iter().zip(b).map(|(p, q)| *p && *q).collect())
    }

    fn metropolis(&mut self, log_alpha: &Vec<f64>) -> Result<(Vec<bool>, Vec<f64>)> {
        let uniforms = self.uniform()?;
        let accept = uniforms.iter().zip(log_alpha).map(|(u, la)| u.ln() < *la).collect();
        let probability = log_alpha
            .iter()
            .map(|la| if la.is_nan() { 0.0 } else { la.min(0.0).exp() })
            .collect();
        Ok((accept, probability))
    }

    fn select(&self, mask: &Vec<bool>, if_true: Vec<f64>, if_false: &Vec<f64>) -> Result<Vec<f64>> {
        let width = if_true.len() / mask.len().max(1);
        let mut out = if_true;
        for ((keep, row), old) in mask.iter().zip(out.chunks_mut(width)).zip(if_false.chunks(width)) {
            if !*keep {
                row.copy_from_slice(old);
            }
        }
        Ok(out)
    }

    fn select_column(&self, mask: &Vec<bool>, if_true: Vec<f64>, if_false: &Vec<f64>) -> Result<Vec<f64>> {
        self.select(mask, if_true, if_false)
    }

    fn indicator(&self, mask: &Vec<bool>) -> Result<Vec<f64>> {
        Ok(mask.iter().map(|m| if *m { 1.0 } else { 0.0 }).collect())
    }

    fn masked_sum(&self, values: &Vec<f64>, mask: &Vec<bool>) -> Result<(f64, f64)> {
        // Branch-free selection, so the loop does not stall on the mask.
        let (sum, count) = values.iter().zip(mask).fold((0.0, 0usize), |(s, c), (v, m)| {
            (s + if *m { *v } else { 0.0 }, c + usize::from(*m))
        });
        Ok((sum, count as f64))
    }

    fn scalars_to_host(&self, scalars: &[f64]) -> Result<Vec<f64>> {
        Ok(scalars.to_vec())
    }

    fn column_to_host(&self, column: &Vec<f64>) -> Result<Vec<f64>> {
        Ok(column.clone())
    }

    fn mask_to_host(&self, mask: &Vec<bool>) -> Result<Vec<bool>> {
        Ok(mask.clone())
    }

    fn mask_from_host(&self, values: &[bool]) -> Result<Vec<bool>> {
        Ok(values.to_vec())
    }

    fn zeros_column(&self) -> Result<Vec<f64>> {
        host::zeroed("chains", self.n)
    }

    fn batch_from<T: Real>(&self, values: &[T]) -> Result<Vec<f64>> {
        let mut out = host::with_capacity("initial", values.len())?;
        out.extend(values.iter().map(|v| v.to_f64()));
        Ok(out)
    }

    fn write_batch<T: Real>(&self, batch: &Vec<f64>, out: &mut [T]) -> Result<()> {
        out.iter_mut().zip(batch).for_each(|(o, v)| *o = T::from_f64(*v));
        Ok(())
    }

    /// Fused when the energy has a single-point kernel that beats BLAS here: after the draws,
    /// each live chain moves, is evaluated and is checked in one pass, in place.
    fn langevin_update(
        &mut self,
        state: ChainState<'_, Self>,
        h: f64,
        sigma: f64,
        clamp: Option<(f64, f64)>,
        dim: usize,
    ) -> Result<()> {
        let energy = Arc::clone(&self.energy);
        let kernel = match energy.host_kernel() {
            Some(kernel) if kernel.host_is_faster(self.n, dim) => kernel.point_kernel(),
            _ => None,
        };
        let Some(kernel) = kernel else {
            return langevin_update_by_parts(self, state, h, sigma, clamp, dim);
        };
        let (lo, hi) = clamp.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
        // Per task: the draws (a tight loop per chain's stream), then the fused
        // move-and-evaluate; one parallel region per step.
        let mut noise = std::mem::take(&mut self.draws);
        if noise.len() != self.n * dim {
            noise = host::zeroed("chains", self.n * dim)?;
        }
        let streams = &mut self.streams[..self.n];
        let ChainState {
            x,
            energy,
            gradient,
            alive,
        } = state;
        let task = |(((x, gradient), (noise, streams)), (energy, alive)): RowsTask<'_>| {
            fill_rows(streams, noise, dim, &|stream| StandardNormal.sample(stream));
            kernel.langevin_rows(LangevinRows {
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
            })
        };
        if parallel::worth_splitting(x.len(), parallel::MIN_PARALLEL_VALUES) {
            let width = dim * CHAINS_PER_TASK;
            let tasks = x
                .chunks_mut(width)
                .zip(gradient.chunks_mut(width))
                .zip(noise.chunks_mut(width).zip(streams.chunks_mut(CHAINS_PER_TASK)))
                .zip(
                    energy
                        .chunks_mut(CHAINS_PER_TASK)
                        .zip(alive.chunks_mut(CHAINS_PER_TASK)),
                );
            parallel::for_each(tasks.collect(), task);
        } else {
            task((
                (
                    (x.as_mut_slice(), gradient.as_mut_slice()),
                    (noise.as_mut_slice(), streams),
                ),
                (energy.as_mut_slice(), alive.as_mut_slice()),
            ));
        }
        self.draws = noise;
        Ok(())
    }

    /// Only the masked rows are gathered and evaluated: chains whose trajectory has stopped
    /// cost nothing. The others get NaN energies and zero gradients.
    fn eval_where(&mut self, x: &Vec<f64>, mask: &Vec<bool>) -> Result<(Vec<f64>, Vec<f64>)> {
        let live = mask.iter().filter(|m| **m).count();
        if live == self.n {
            return self.eval(x);
        }
        let dim = self.dim;
        let mut energy = vec![f64::NAN; self.n];
        let mut gradient = host::zeroed("chains", x.len())?;
        if live == 0 {
            return Ok((energy, gradient));
        }
        let mut rows = host::with_capacity("chains", live * dim)?;
        for (row, _) in x.chunks(dim).zip(mask).filter(|(_, m)| **m) {
            rows.extend_from_slice(row);
        }
        let mut live_energy = host::zeroed("chains", live)?;
        let mut live_gradient = host::zeroed("chains", live * dim)?;
        evaluate(
            self.energy.as_ref(),
            Device::Cpu,
            &rows,
            dim,
            Some(&mut live_energy),
            Some(&mut live_gradient),
        )?;
        let targets = energy
            .iter_mut()
            .zip(gradient.chunks_mut(dim))
            .zip(mask)
            .filter(|(_, m)| **m);
        for (((e, g), _), (le, lg)) in targets.zip(live_energy.iter().zip(live_gradient.chunks(dim))) {
            *e = *le;
            g.copy_from_slice(lg);
        }
        Ok((energy, gradient))
    }

    fn log_uniform_where(&mut self, mask: &Vec<bool>) -> Result<Vec<f64>> {
        Ok(self.streams[..self.n]
            .iter_mut()
            .zip(mask)
            .map(|(stream, m)| if *m { stream.random::<f64>().ln() } else { f64::NAN })
            .collect())
    }

    fn add_scaled_rows(
        &self,
        base: &Vec<f64>,
        weight: f64,
        coefficients: &Vec<f64>,
        term: &Vec<f64>,
    ) -> Result<Vec<f64>> {
        let mut out = base.clone();
        for ((row, c), t) in out.chunks_mut(self.dim).zip(coefficients).zip(term.chunks(self.dim)) {
            let factor = weight * c;
            row.iter_mut().zip(t).for_each(|(o, v)| *o += factor * v);
        }
        Ok(out)
    }

    fn weighted_dots(&mut self, a: &Vec<f64>, b: &Vec<f64>, weights: &[f64]) -> Result<Vec<f64>> {
        Ok(a.chunks(self.dim)
            .zip(b.chunks(self.dim))
            .map(|(ra, rb)| ra.iter().zip(rb).zip(weights).map(|((x, y), w)| w * x * y).sum())
            .collect())
    }

    fn log_add_exp(&self, a: &Vec<f64>, b: &Vec<f64>) -> Result<Vec<f64>> {
        Ok(a.iter()
            .zip(b)
            .map(|(x, y)| {
                let (hi, lo) = if x > y { (*x, *y) } else { (*y, *x) };
                if hi == f64::NEG_INFINITY {
                    hi
                } else {
                    hi + (lo - hi).exp().ln_1p()
                }
            })
            .collect())
    }

    fn clamped_exp(&self, a: &Vec<f64>) -> Result<Vec<f64>> {
        Ok(a.iter()
            .map(|v| if v.is_nan() { 0.0 } else { v.min(0.0).exp() })
            .collect())
    }

    fn quotient(&self, a: &Vec<f64>, b: &Vec<f64>) -> Result<Vec<f64>> {
        Ok(a.iter()
            .zip(b)
            .map(|(x, y)| if *y == 0.0 { 0.0 } else { x / y })
            .collect())
    }

    fn less(&self, a: &Vec<f64>, b: &Vec<f64>) -> Result<Vec<bool>> {
        Ok(a.iter().zip(b).map(|(x, y)| x < y).collect())
    }

    fn above(&self, a: &Vec<f64>, value: f64) -> Result<Vec<bool>> {
        Ok(a.iter().map(|x| *x > value).collect())
    }

    fn below(&self, a: &Vec<f64>, value: f64) -> Result<Vec<bool>> {
        Ok(a.iter().map(|x| *x < value).collect())
    }

    fn not(&self, a: &Vec<bool>) -> Result<Vec<bool>> {
        Ok(a.iter().map(|m| !m).collect())
    }

    fn any(&self, mask: &Vec<bool>) -> Result<bool> {
        Ok(mask.iter().any(|m| *m))
    }

    fn full_column(&self, value: f64) -> Result<Vec<f64>> {
        Ok(vec![value; self.n])
    }
}
