//! The No-U-Turn sampler, multinomial variant (Hoffman & Gelman 2014; Betancourt 2017, "A
//! Conceptual Introduction to Hamiltonian Monte Carlo", §A.3–A.4), batched over chains.
//!
//! All chains double their trajectories in lockstep: at doubling j every chain still going
//! builds a subtree of 2^j leapfrog steps in its own random direction. A chain stops at a
//! U-turn, a divergence, a non-finite point or the maximum depth; from then on it is masked
//! (its rows are neither evaluated on the host nor updated) while the others go on, so each
//! chain has its own tree depth. Random draws are masked the same way, so on per-chain
//! streams a chain's draws depend on its own trajectory only, not on the other chains.
//!
//! Energies are in units of the temperature T: the joint law is exp(−H/T) with
//! H = E + ½pᵀM⁻¹p and p ~ N(0, T·M); a point's multinomial weight is exp(−(H − H₀)/T).

use super::backend::Backend;
use super::chains::Chains;
use super::params::NutsParams;
use crate::error::Result;

/// Stan's divergence threshold on the energy error (H − H₀)/T.
const DIVERGENCE: f64 = 1000.0;

/// A point of the trajectory: position, momentum, gradient and energy.
struct Point<B: Backend> {
    x: B::Batch,
    p: B::Batch,
    g: B::Batch,
    e: B::Column,
}

/// A candidate for the next state: position, energy, gradient.
struct Proposal<B: Backend> {
    x: B::Batch,
    e: B::Column,
    g: B::Batch,
}

/// A subtree, described in the order it was built (first leaf next to where it started).
struct Subtree<B: Backend> {
    /// The momentum of the first leaf.
    first_p: B::Batch,
    /// The last leaf, from which the trajectory continues.
    last: Point<B>,
    /// The sum of the leaves' momenta.
    rho: B::Batch,
    /// ln Σ exp(−(H − H₀)/T) over the leaves.
    log_weight: B::Column,
    proposal: Proposal<B>,
    /// Chains whose subtree was built to the end without a divergence or an inner U-turn.
    valid: B::Mask,
}

/// What every leaf needs and adds to: the transition's constants and per-chain tallies.
struct Transition<'a, B: Backend> {
    /// M⁻¹ (diagonal).
    inverse_mass: &'a [f64],
    temperature: f64,
    /// H₀/T per chain.
    h0: B::Column,
    /// ±ε per chain: the direction of the current doubling.
    step: B::Column,
    /// Σ min(1, exp(−(H − H₀)/T)) over the leaves, and the number of leaves (Stan's
    /// acceptance statistic is their ratio).
    accept_sum: B::Column,
    leaves: B::Column,
    /// Divergent leaves (at most one per chain and step: a chain stops at its first).
    divergences: B::Column,
}

fn copy<B: Backend>(backend: &B, x: &B::Batch) -> Result<B::Batch> {
    backend.combine(&[(1.0, x)])
}

fn copy_column<B: Backend>(backend: &B, x: &B::Column) -> Result<B::Column> {
    backend.combine_columns(&[(1.0, x)])
}

fn copy_point<B: Backend>(backend: &B, point: &Point<B>) -> Result<Point<B>> {
    Ok(Point {
        x: copy(backend, &point.x)?,
        p: copy(backend, &point.p)?,
        g: copy(backend, &point.g)?,
        e: copy_column(backend, &point.e)?,
    })
}

/// Rows of `if_true` where `mask` holds, of `if_false` elsewhere.
fn select_point<B: Backend>(backend: &B, mask: &B::Mask, if_true: Point<B>, if_false: &Point<B>) -> Result<Point<B>> {
    Ok(Point {
        x: backend.select(mask, if_true.x, &if_false.x)?,
        p: backend.select(mask, if_true.p, &if_false.p)?,
        g: backend.select(mask, if_true.g, &if_false.g)?,
        e: backend.select_column(mask, if_true.e, &if_false.e)?,
    })
}

fn select_proposal<B: Backend>(
    backend: &B,
    mask: &B::Mask,
    if_true: Proposal<B>,
    if_false: &Proposal<B>,
) -> Result<Proposal<B>> {
    Ok(Proposal {
        x: backend.select(mask, if_true.x, &if_false.x)?,
        e: backend.select_column(mask, if_true.e, &if_false.e)?,
        g: backend.select(mask, if_true.g, &if_false.g)?,
    })
}

/// The generalised no-U-turn criterion of a trajectory with momentum sum ρ and end momenta
/// a and b: it may go on while ρ·M⁻¹a > 0 and ρ·M⁻¹b > 0.
fn no_u_turn<B: Backend>(
    backend: &mut B,
    inverse_mass: &[f64],
    rho: &B::Batch,
    a: &B::Batch,
    b: &B::Batch,
) -> Result<B::Mask> {
    let along_a = backend.weighted_dots(rho, a, inverse_mass)?;
    let along_b = backend.weighted_dots(rho, b, inverse_mass)?;
    backend.and(&backend.above(&along_a, 0.0)?, &backend.above(&along_b, 0.0)?)
}

/// The three checks of a trajectory made of `front` (built first) then `back`: the whole,
/// and each part extended by the other's adjacent leaf (Stan's extra checks, which catch
/// U-turns between the parts that neither part's own check sees).
#[allow(clippy::too_many_arguments)]
fn merged_no_u_turn<B: Backend>(
    backend: &mut B,
    inverse_mass: &[f64],
    front_rho: &B::Batch,
    front_first: &B::Batch,
    front_last: &B::Batch,
    back_rho: &B::Batch,
    back_first: &B::Batch,
    back_last: &B::Batch,
) -> Result<B::Mask> {
    let rho = backend.combine(&[(1.0, front_rho), (1.0, back_rho)])?;
    let whole = no_u_turn(backend, inverse_mass, &rho, front_first, back_last)?;
    let front_extended = backend.combine(&[(1.0, front_rho), (1.0, back_first)])?;
    let front = no_u_turn(backend, inverse_mass, &front_extended, front_first, back_first)?;
    let back_extended = backend.combine(&[(1.0, back_rho), (1.0, front_last)])?;
    let back = no_u_turn(backend, inverse_mass, &back_extended, front_last, back_last)?;
    backend.and(&backend.and(&whole, &front)?, &back)
}

/// One leapfrog step of ±ε (per chain) from `start`, for the chains in `live`.
fn leaf<B: Backend>(
    backend: &mut B,
    t: &mut Transition<'_, B>,
    start: &Point<B>,
    live: &B::Mask,
) -> Result<Subtree<B>> {
    let half = backend.add_scaled_rows(&start.p, -0.5, &t.step, &start.g)?;
    let velocity = backend.scale_dims(&half, t.inverse_mass)?;
    let x = backend.add_scaled_rows(&start.x, 1.0, &t.step, &velocity)?;
    let (e, g) = backend.eval_where(&x, live)?;
    let p = backend.add_scaled_rows(&half, -0.5, &t.step, &g)?;
    let kinetic = backend.weighted_square_norms(&p, t.inverse_mass)?;
    let inverse_t = 1.0 / t.temperature;
    // (H − H₀)/T; NaN when the point is not finite.
    let error = backend.combine_columns(&[(inverse_t, &e), (0.5 * inverse_t, &kinetic), (-1.0, &t.h0)])?;
    let finite = backend.finite_rows(&x, &e)?;
    let bounded = backend.below(&error, DIVERGENCE)?;
    let valid = backend.and(&backend.and(&finite, &bounded)?, live)?;
    let log_weight = backend.combine_columns(&[(-1.0, &error)])?;

    let zeros = backend.zeros_column()?;
    let probability = backend.select_column(live, backend.clamped_exp(&log_weight)?, &zeros)?;
    t.accept_sum = backend.combine_columns(&[(1.0, &t.accept_sum), (1.0, &probability)])?;
    t.leaves = backend.combine_columns(&[(1.0, &t.leaves), (1.0, &backend.indicator(live)?)])?;
    let divergent = backend.and(live, &backend.not(&valid)?)?;
    t.divergences = backend.combine_columns(&[(1.0, &t.divergences), (1.0, &backend.indicator(&divergent)?)])?;

    Ok(Subtree {
        first_p: copy(backend, &p)?,
        rho: copy(backend, &p)?,
        proposal: Proposal {
            x: copy(backend, &x)?,
            e: copy_column(backend, &e)?,
            g: copy(backend, &g)?,
        },
        last: Point { x, p, g, e },
        log_weight,
        valid,
    })
}

/// A subtree of 2^depth leaves from `start` for the chains in `live`: two subtrees of half
/// the depth, the proposal drawn between them in proportion to their weights.
fn build<B: Backend>(
    backend: &mut B,
    t: &mut Transition<'_, B>,
    start: &Point<B>,
    depth: u32,
    live: &B::Mask,
) -> Result<Subtree<B>> {
    if depth == 0 {
        return leaf(backend, t, start, live);
    }
    let front = build(backend, t, start, depth - 1, live)?;
    let back = build(backend, t, &front.last, depth - 1, &front.valid)?;
    let log_weight = backend.log_add_exp(&front.log_weight, &back.log_weight)?;
    // Multinomial within the subtree: the back half's proposal with probability w_back / w.
    let log_u = backend.log_uniform_where(&back.valid)?;
    let share = backend.combine_columns(&[(1.0, &back.log_weight), (-1.0, &log_weight)])?;
    let take = backend.and(&backend.less(&log_u, &share)?, &back.valid)?;
    let proposal = select_proposal(backend, &take, back.proposal, &front.proposal)?;
    let persist = merged_no_u_turn(
        backend,
        t.inverse_mass,
        &front.rho,
        &front.first_p,
        &front.last.p,
        &back.rho,
        &back.first_p,
        &back.last.p,
    )?;
    let valid = backend.and(&back.valid, &persist)?;
    let rho = backend.combine(&[(1.0, &front.rho), (1.0, &back.rho)])?;
    Ok(Subtree {
        first_p: front.first_p,
        last: back.last,
        rho,
        log_weight,
        proposal,
        valid,
    })
}

impl<B: Backend> Chains<B> {
    /// One NUTS transition of every chain with step ε. Returns the chains' acceptance
    /// statistics (the mean over the trajectory's leaves of min(1, exp(−(H − H₀)/T))), and
    /// counts divergences, tree depths and the statistics as accepted proposals.
    pub(crate) fn nuts_step(&mut self, backend: &mut B, epsilon: f64, params: &NutsParams) -> Result<B::Column> {
        let mass = self.mass.as_ref().expect("NUTS chains carry a mass");
        let inverse_mass = mass.inverse.clone();
        let temperature = params.temperature;
        let noise: Vec<f64> = mass.sqrt.iter().map(|s| s * temperature.sqrt()).collect();
        let (p0, _) = backend.perturb(&[], &noise, false)?;
        let kinetic = backend.weighted_square_norms(&p0, &inverse_mass)?;
        let h0 = backend.combine_columns(&[(1.0 / temperature, &self.energy), (0.5 / temperature, &kinetic)])?;
        let zeros = backend.zeros_column()?;
        let mut t = Transition {
            inverse_mass: &inverse_mass,
            temperature,
            h0,
            step: copy_column(backend, &zeros)?,
            accept_sum: copy_column(backend, &zeros)?,
            leaves: copy_column(backend, &zeros)?,
            divergences: copy_column(backend, &zeros)?,
        };
        let origin = Point {
            x: copy(backend, &self.x)?,
            p: p0,
            g: copy(backend, &self.gradient)?,
            e: copy_column(backend, &self.energy)?,
        };
        let mut sample = Proposal {
            x: copy(backend, &self.x)?,
            e: copy_column(backend, &self.energy)?,
            g: copy(backend, &self.gradient)?,
        };
        let mut rho = copy(backend, &origin.p)?;
        let mut right = copy_point(backend, &origin)?;
        let mut left = origin;
        // The initial point's weight is exp(0).
        let mut log_weight = copy_column(backend, &zeros)?;
        let mut depths = copy_column(backend, &zeros)?;
        let mut active = backend.and(&self.alive, &self.alive)?;
        let (forward_step, backward_step) = (backend.full_column(epsilon)?, backend.full_column(-epsilon)?);
        for depth in 0..params.max_tree_depth {
            if !backend.any(&active)? {
                break;
            }
            let log_u = backend.log_uniform_where(&active)?;
            let forward = backend.below(&log_u, 0.5f64.ln())?;
            t.step = backend.select_column(&forward, copy_column(backend, &forward_step)?, &backward_step)?;
            let start = select_point(backend, &forward, copy_point(backend, &right)?, &left)?;
            let subtree = build(backend, &mut t, &start, depth, &active)?;
            let grown = subtree.valid;
            depths = backend.combine_columns(&[(1.0, &depths), (1.0, &backend.indicator(&grown)?)])?;

            // Biased progressive sampling: the new subtree's proposal replaces the sample
            // with probability min(1, w_new / w_old), which favours moving far.
            let log_u = backend.log_uniform_where(&grown)?;
            let gain = backend.combine_columns(&[(1.0, &subtree.log_weight), (-1.0, &log_weight)])?;
            let take = backend.and(&backend.less(&log_u, &gain)?, &grown)?;
            sample = select_proposal(backend, &take, subtree.proposal, &sample)?;
            let merged_weight = backend.log_add_exp(&log_weight, &subtree.log_weight)?;
            log_weight = backend.select_column(&grown, merged_weight, &log_weight)?;

            // The old tree, seen from the new subtree: its far end and the end it grew from.
            let far = backend.select(&forward, copy(backend, &left.p)?, &right.p)?;
            let persist = merged_no_u_turn(
                backend,
                &inverse_mass,
                &rho,
                &far,
                &start.p,
                &subtree.rho,
                &subtree.first_p,
                &subtree.last.p,
            )?;
            let merged_rho = backend.combine(&[(1.0, &rho), (1.0, &subtree.rho)])?;
            rho = backend.select(&grown, merged_rho, &rho)?;
            let grow_right = backend.and(&grown, &forward)?;
            let grow_left = backend.and(&grown, &backend.not(&forward)?)?;
            right = select_point(backend, &grow_right, copy_point(backend, &subtree.last)?, &right)?;
            left = select_point(backend, &grow_left, subtree.last, &left)?;
            active = backend.and(&grown, &persist)?;
        }
        self.x = sample.x;
        self.energy = sample.e;
        self.gradient = sample.g;

        let statistic = backend.quotient(&t.accept_sum, &t.leaves)?;
        let (statistic_sum, _) = backend.masked_sum(&statistic, &self.alive)?;
        self.accepted_trace.push(statistic_sum);
        if let Some(accepted) = &self.accepted {
            self.accepted = Some(backend.combine_columns(&[(1.0, accepted), (1.0, &statistic)])?);
        }
        if let Some(divergences) = &self.divergences {
            self.divergences = Some(backend.combine_columns(&[(1.0, divergences), (1.0, &t.divergences)])?);
        }
        if let Some(total) = &self.tree_depths {
            self.tree_depths = Some(backend.combine_columns(&[(1.0, total), (1.0, &depths)])?);
        }
        Ok(statistic)
    }
}
