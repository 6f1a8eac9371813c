//! The four samplers: every params field arbitrary (struct_size included), chains initialised
//! with arbitrary n, dim and values, a few steps through every running entry point, and the
//! read-outs (stats, samples, acceptance, non-finite flags, energy trace), with a progress
//! callback that may cancel.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use common::*;
use libfuzzer_sys::fuzz_target;
use std::ptr;

#[derive(Arbitrary, Debug, Clone, Copy)]
struct ScheduleSpec {
    kind: u8,
    end_value: Num,
    decay_rate: Num,
    min_value: Num,
    n_steps: Count,
}

impl ScheduleSpec {
    fn get(self) -> ebm_schedule {
        ebm_schedule {
            // Mostly the four kinds, sometimes an unknown one.
            kind: i32::from(self.kind % 6) - 1,
            end_value: self.end_value.get(),
            decay_rate: self.decay_rate.get(),
            min_value: self.min_value.get(),
            n_steps: self.n_steps.get(),
        }
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum StructSize {
    Default,
    Zero,
    Smaller(u8),
}

fn struct_size(s: StructSize, default: usize) -> usize {
    match s {
        StructSize::Default => default,
        StructSize::Zero => 0,
        StructSize::Smaller(k) => default.saturating_sub(usize::from(k) % default + 1),
    }
}

#[derive(Arbitrary, Debug, Clone)]
struct Common {
    struct_size: StructSize,
    step_size: Num,
    schedule: Option<ScheduleSpec>,
    seed: u64,
    device: Option<i32>,
    rng: Option<i32>,
}

#[derive(Arbitrary, Debug, Clone)]
enum Mass {
    Identity,
    Values(Vec<Num>),
    /// NULL with this length (must be rejected when > 0).
    Null(Count),
    /// A negative or absurd length with a one-element buffer.
    BadLen(Count),
}

#[derive(Arbitrary, Debug, Clone)]
enum SamplerSpec {
    Langevin { c: Common, noise_scale: Num, noise_schedule: Option<ScheduleSpec>, clamp: Option<(Num, Num)> },
    Mala { c: Common, adapt_steps: Option<Count>, target_accept: Option<Num> },
    Hmc { c: Common, leapfrog: Count, mass: Mass, adapt_steps: Option<Count>, target_accept: Option<Num> },
    Kinetic { c: Common, friction: Num, mass: Mass },
}

/// Mass pointer and length; the Vec keeps the values alive; true when new must fail.
fn mass(m: &Mass) -> (Vec<f64>, *const f64, i64, bool) {
    match m {
        Mass::Identity => (Vec::new(), ptr::null(), 0, false),
        Mass::Values(v) => {
            let v: Vec<f64> = to_f64(v).into_iter().take(8).collect();
            let p = if v.is_empty() { ptr::null() } else { v.as_ptr() };
            let len = v.len() as i64;
            (v, p, len, false)
        }
        Mass::Null(c) => (Vec::new(), ptr::null(), c.get(), c.get() != 0),
        Mass::BadLen(c) => {
            let len = c.get();
            if (0..ABSURD).contains(&len) {
                (Vec::new(), ptr::null(), 0, false)
            } else {
                (vec![1.0], [1.0f64].as_ptr(), len, true)
            }
        }
    }
}

fn build(energy: &Energy, spec: &SamplerSpec) -> Option<Sampler> {
    macro_rules! common {
        ($p:ident, $c:expr) => {
            $p.struct_size = struct_size($c.struct_size, $p.struct_size);
            $p.step_size = $c.step_size.get();
            if let Some(s) = $c.schedule {
                $p.step_size_schedule = s.get();
            }
            $p.seed = $c.seed;
            if let Some(d) = $c.device {
                $p.device = d;
            }
            if let Some(r) = $c.rng {
                $p.rng = r;
            }
        };
    }
    let sampler = match spec {
        SamplerSpec::Langevin { c, noise_scale, noise_schedule, clamp } => {
            let mut p = ebm_langevin_default_params();
            common!(p, c);
            p.noise_scale = noise_scale.get();
            if let Some(s) = noise_schedule {
                p.noise_scale_schedule = s.get();
            }
            if let Some((lo, hi)) = clamp {
                p.clamp = 1;
                p.clamp_min = lo.get();
                p.clamp_max = hi.get();
            }
            new_handle!(ebm_langevin_new(energy.0, &p))
        }
        SamplerSpec::Mala { c, adapt_steps, target_accept } => {
            let mut p = ebm_mala_default_params();
            common!(p, c);
            if let Some(a) = adapt_steps {
                p.adapt_steps = a.get();
            }
            if let Some(t) = target_accept {
                p.target_accept = t.get();
            }
            new_handle!(ebm_mala_new(energy.0, &p))
        }
        SamplerSpec::Hmc { c, leapfrog, mass: m, adapt_steps, target_accept } => {
            let mut p = ebm_hmc_default_params();
            common!(p, c);
            // Leapfrog steps cost time: few, or invalid.
            let l = leapfrog.get();
            p.n_leapfrog_steps = if l > 0 { l % 6 + 1 } else { l };
            let (_values, mp, ml, must_fail) = mass(m);
            p.mass = mp;
            p.mass_len = ml;
            if let Some(a) = adapt_steps {
                p.adapt_steps = a.get();
            }
            if let Some(t) = target_accept {
                p.target_accept = t.get();
            }
            let s = new_handle!(ebm_hmc_new(energy.0, &p));
            assert!(!(must_fail && s.is_some()), "ebm_hmc_new accepted mass {mp:?} with mass_len {ml}");
            s
        }
        SamplerSpec::Kinetic { c, friction, mass: m } => {
            let mut p = ebm_kinetic_langevin_default_params();
            common!(p, c);
            p.friction = friction.get();
            let (_values, mp, ml, must_fail) = mass(m);
            p.mass = mp;
            p.mass_len = ml;
            let s = new_handle!(ebm_kinetic_langevin_new(energy.0, &p));
            assert!(!(must_fail && s.is_some()), "ebm_kinetic_langevin_new accepted mass {mp:?} with mass_len {ml}");
            s
        }
    };
    sampler.map(Sampler)
}

#[derive(Arbitrary, Debug)]
enum Op {
    Init { f64: bool, n: Count, dim: Option<Count>, initial: Option<Vec<Num>>, mode: BufMode },
    Run(Count),
    Trajectory { f64: bool, n_steps: Count, thin: Count, len: Len },
    GetSamples { f64: bool, n: Option<Count>, dim: Option<Count>, mode: BufMode },
    SampleChain { f64: bool, n: Count, dim: Option<Count>, n_steps: Count, thin: Count, initial: Option<Vec<Num>>, trajectory: bool },
    Sample { f64: bool, n: Count, dim: Option<Count>, n_steps: Count },
    Step { f64: bool, n: Count, dim: Option<Count>, x: Vec<Num> },
    Stats(u8),
    Acceptance(Option<Count>),
    NonFinite(Option<Count>),
    Trace(u8),
    Reseed(u64),
    Progress { interval: Count, cancel_at: Option<u8> },
    RemoveProgress,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Len {
    Exact,
    Less(u8),
    More(u8),
}

/// Steps cost time: at most 5, or the invalid negative values.
fn steps(c: Count) -> i64 {
    let s = c.get();
    if s > 0 {
        s % 6
    } else {
        s
    }
}

/// What the fuzzer knows about the sampler's chains.
#[derive(Default)]
struct Chains {
    n: i64,
    dim: i64,
    /// Started from finite points: every read-out must then stay finite.
    finite: bool,
}

struct ProgressData {
    cancel_at: Option<u8>,
    calls: u32,
}

extern "C" fn progress(done: i64, total: i64, _mean_energy: f64, user: *mut std::ffi::c_void) -> i32 {
    let data = unsafe { &mut *(user as *mut ProgressData) };
    assert!(1 <= done && done <= total, "progress callback: steps_done {done} of {total}");
    data.calls += 1;
    i32::from(data.cancel_at.is_some_and(|c| u32::from(c % 4) < data.calls))
}

extern "C" fn progress_free(user: *mut std::ffi::c_void) {
    drop(unsafe { Box::from_raw(user as *mut ProgressData) });
}

fn dim_of(d: Option<Count>, own: i64) -> i64 {
    d.map_or(own, |d| d.get())
}

fn finite<T: Into<f64> + Copy>(values: &[T]) -> bool {
    values.iter().all(|v| (*v).into().is_finite())
}

fuzz_target!(init: init(), |input: (EnergySpec, SamplerSpec, Vec<Op>)| {
    let (energy_spec, sampler_spec, ops) = input;
    let Some(energy) = energy_spec.build(0) else { return };
    let own = energy_dim(&energy).unwrap_or(2);
    let Some(sampler) = build(&energy, &sampler_spec) else { return };
    // The sampler keeps its energy alive.
    drop(energy);
    let s = sampler.0;
    // Known chains; None before the first initialisation, and after a failed call that may
    // or may not have re-initialised them (then `unknown`).
    let mut chains: Option<Chains> = None;
    let mut unknown = false;
    for op in ops.iter().take(10) {
        match op {
            Op::Init { f64, n, dim, initial, mode } => {
                let (n, dim) = (n.get(), dim_of(*dim, own));
                let len = honest_len(&[n, dim]);
                if len == Honest::TooBig && initial.is_some() {
                    continue;
                }
                if let Honest::Len(l) = len {
                    if l > 256 {
                        continue;
                    }
                }
                let must_reject = n < 1 || dim < 1 || len == Honest::MustReject;
                let (ok, fin) = match initial {
                    None if *f64 => (ebm!(ebm_sampler_init_f64(s, ptr::null(), n, dim)), true),
                    None => (ebm!(ebm_sampler_init_f32(s, ptr::null(), n, dim)), true),
                    Some(v) if *f64 => {
                        let b = Buf::new(len, &to_f64(v), *mode);
                        let ok = ebm!(ebm_sampler_init_f64(s, b.ptr(), n, dim));
                        // NULL initial points are valid: N(0, I) draws.
                        assert!(!(ok && b.misaligned()), "ebm_sampler_init_f64 accepted a misaligned buffer");
                        (ok, b.ptr().is_null() || finite(b.values()))
                    }
                    Some(v) => {
                        let b = Buf::new(len, &to_f32(v), *mode);
                        let ok = ebm!(ebm_sampler_init_f32(s, b.ptr(), n, dim));
                        // NULL initial points are valid: N(0, I) draws.
                        assert!(!(ok && b.misaligned()), "ebm_sampler_init_f32 accepted a misaligned buffer");
                        (ok, b.ptr().is_null() || finite(b.values()))
                    }
                };
                assert!(!(ok && must_reject), "ebm_sampler_init accepted n {n}, dim {dim}");
                if ok {
                    chains = Some(Chains { n, dim, finite: fin });
                }
                unknown = !ok;
            }
            Op::Run(k) => {
                let k = steps(*k);
                let ok = ebm!(ebm_sampler_run(s, k));
                assert!(!(ok && (k < 0 || (chains.is_none() && !unknown))), "ebm_sampler_run accepted {k} steps (initialised: {})", chains.is_some());
            }
            Op::Trajectory { f64, n_steps, thin, len } => {
                let (k, thin) = (steps(*n_steps), thin.get());
                let Some(c) = &chains else {
                    if !unknown {
                        let mut buf = [0.0f64; 4];
                        assert!(!ebm!(ebm_sampler_run_trajectory_f64(s, k, thin, buf.as_mut_ptr(), 4)));
                    }
                    continue;
                };
                let kept = if thin >= 1 && k >= 0 { k / thin } else { 0 };
                let needed = (kept * c.n * c.dim) as usize;
                let l = match len {
                    Len::Exact => needed,
                    Len::Less(d) => needed.saturating_sub(usize::from(*d) + 1),
                    Len::More(d) => needed + usize::from(*d),
                };
                let ok = if *f64 {
                    let mut t = vec![0.0f64; l];
                    ebm!(ebm_sampler_run_trajectory_f64(s, k, thin, t.as_mut_ptr(), l as i64))
                } else {
                    let mut t = vec![0.0f32; l];
                    ebm!(ebm_sampler_run_trajectory_f32(s, k, thin, t.as_mut_ptr(), l as i64))
                };
                assert!(!(ok && (k < 0 || thin < 1 || l < needed)), "run_trajectory accepted {k} steps, thin {thin}, len {l} < {needed}");
            }
            Op::GetSamples { f64, n, dim, mode } => {
                let n = n.map_or(chains.as_ref().map_or(1, |c| c.n), |n| n.get());
                let dim = dim.map_or(chains.as_ref().map_or(own, |c| c.dim), |d| d.get());
                let len = honest_len(&[n, dim]);
                if len == Honest::TooBig {
                    continue;
                }
                let right = chains.as_ref().is_some_and(|c| c.n == n && c.dim == dim);
                let (ok, fin) = if *f64 {
                    let mut b = Buf::<f64>::new(len, &[], *mode);
                    let ok = ebm!(ebm_sampler_get_samples_f64(s, b.mut_ptr(), n, dim));
                    assert!(!(ok && b.bad()), "get_samples accepted a bad buffer");
                    (ok, finite(b.values()))
                } else {
                    let mut b = Buf::<f32>::new(len, &[], *mode);
                    let ok = ebm!(ebm_sampler_get_samples_f32(s, b.mut_ptr(), n, dim));
                    assert!(!(ok && b.bad()), "get_samples accepted a bad buffer");
                    (ok, finite(b.values()))
                };
                assert!(!ok || right || unknown, "get_samples accepted n {n}, dim {dim} for other chains");
                // Only doubles: finite chains may legitimately exceed FLT_MAX.
                if ok && *f64 && chains.as_ref().is_some_and(|c| c.finite) {
                    assert!(fin, "a non-finite sample from chains started at finite points");
                }
            }
            Op::SampleChain { f64, n, dim, n_steps, thin, initial, trajectory } => {
                let (n, dim, k, thin) = (n.get(), dim_of(*dim, own), steps(*n_steps), thin.get());
                let Honest::Len(len) = honest_len(&[n, dim]) else { continue };
                if len > 256 {
                    continue;
                }
                let kept = if thin >= 1 && k >= 0 { k / thin } else { 0 };
                let tl = if *trajectory { (kept as usize) * len } else { 0 };
                let ok = if *f64 {
                    let init = initial.as_ref().map(|v| Buf::new(Honest::Len(len), &to_f64(v), BufMode::Honest));
                    let mut out = vec![0.0f64; len];
                    let mut t = vec![0.0f64; tl];
                    let tp = if *trajectory { t.as_mut_ptr() } else { ptr::null_mut() };
                    let ip = init.as_ref().map_or(ptr::null(), |b| b.ptr());
                    ebm!(ebm_sampler_sample_chain_f64(s, ip, n, dim, k, thin, out.as_mut_ptr(), tp, tl as i64))
                } else {
                    let init = initial.as_ref().map(|v| Buf::new(Honest::Len(len), &to_f32(v), BufMode::Honest));
                    let mut out = vec![0.0f32; len];
                    let mut t = vec![0.0f32; tl];
                    let tp = if *trajectory { t.as_mut_ptr() } else { ptr::null_mut() };
                    let ip = init.as_ref().map_or(ptr::null(), |b| b.ptr());
                    ebm!(ebm_sampler_sample_chain_f32(s, ip, n, dim, k, thin, out.as_mut_ptr(), tp, tl as i64))
                };
                // A failure may leave the chains initialised or not: the fuzzer forgets them.
                unknown = !ok;
                chains = ok.then(|| Chains { n, dim, finite: initial.is_none() });
            }
            Op::Sample { f64, n, dim, n_steps } => {
                let (n, dim, k) = (n.get(), dim_of(*dim, own), steps(*n_steps));
                let len = honest_len(&[n, dim]);
                let l = match len {
                    Honest::Len(l) if l <= 256 => l,
                    Honest::MustReject => 1,
                    _ => continue,
                };
                let ok = if *f64 {
                    let mut out = vec![0.0f64; l];
                    ebm!(ebm_sampler_sample_f64(s, n, dim, k, out.as_mut_ptr()))
                } else {
                    let mut out = vec![0.0f32; l];
                    ebm!(ebm_sampler_sample_f32(s, n, dim, k, out.as_mut_ptr()))
                };
                assert!(!(ok && (len == Honest::MustReject || n < 1 || k < 0)), "sample accepted n {n}, dim {dim}, {k} steps");
                unknown = !ok;
                chains = ok.then(|| Chains { n, dim, finite: true });
            }
            Op::Step { f64, n, dim, x } => {
                let (n, dim) = (n.get(), dim_of(*dim, own));
                let len = honest_len(&[n, dim]);
                match len {
                    Honest::Len(l) if l <= 256 => {}
                    Honest::MustReject => {}
                    _ => continue,
                }
                let (ok, fin) = if *f64 {
                    let mut b = Buf::new(len, &to_f64(x), BufMode::Honest);
                    let fin = finite(b.values());
                    (ebm!(ebm_sampler_step_f64(s, b.mut_ptr(), n, dim)), fin)
                } else {
                    let mut b = Buf::new(len, &to_f32(x), BufMode::Honest);
                    let fin = finite(b.values());
                    (ebm!(ebm_sampler_step_f32(s, b.mut_ptr(), n, dim)), fin)
                };
                assert!(!(ok && len == Honest::MustReject), "step accepted n {n}, dim {dim}");
                unknown = !ok;
                chains = ok.then(|| Chains { n, dim, finite: fin });
            }
            Op::Stats(size) => {
                #[repr(C)]
                struct Larger {
                    stats: ebm_sampler_stats,
                    extra: [u8; 32],
                }
                let mut out: Larger = unsafe { std::mem::zeroed() };
                let full = std::mem::size_of::<ebm_sampler_stats>();
                let size = match size % 3 {
                    0 => full,
                    1 => full + usize::from(*size % 32),
                    _ => usize::from(*size) % full,
                };
                let ok = ebm!(ebm_sampler_get_stats(s, &mut out.stats, size));
                assert!(!(ok && size < full), "get_stats accepted out_size {size}");
                assert!(!ok || chains.is_some() || unknown, "get_stats succeeded before the chains were initialised");
                if let (true, Some(c)) = (ok, &chains) {
                    assert_eq!((out.stats.n_chains, out.stats.dim), (c.n, c.dim), "get_stats: other chains");
                    assert!(0 <= out.stats.non_finite_chains && out.stats.non_finite_chains <= c.n);
                }
            }
            Op::Acceptance(n) => {
                let n = n.map_or(chains.as_ref().map_or(1, |c| c.n), |n| n.get());
                let Honest::Len(l) = honest_len(&[n]) else { continue };
                let mut rates = vec![0.0f64; l];
                let ok = ebm!(ebm_sampler_get_acceptance_rates(s, rates.as_mut_ptr(), n));
                assert!(!ok || unknown || chains.as_ref().is_some_and(|c| c.n == n), "acceptance rates for {n} chains accepted");
                assert!(rates.iter().all(|r| r.is_nan() || (0.0..=1.0).contains(r)), "acceptance rate outside [0, 1]: {rates:?}");
            }
            Op::NonFinite(n) => {
                let n = n.map_or(chains.as_ref().map_or(1, |c| c.n), |n| n.get());
                let Honest::Len(l) = honest_len(&[n]) else { continue };
                let mut flags = vec![7u8; l];
                let ok = ebm!(ebm_sampler_get_non_finite_chains(s, flags.as_mut_ptr(), n));
                assert!(!ok || unknown || chains.as_ref().is_some_and(|c| c.n == n), "non-finite flags for {n} chains accepted");
                assert!(!ok || flags.iter().all(|f| *f <= 1), "non-finite flag not 0/1: {flags:?}");
            }
            Op::Trace(capacity) => {
                let capacity = i64::from(*capacity % 8);
                let mut trace = vec![0.0f64; capacity as usize];
                let mut length = -5i64;
                let tp = if capacity == 0 { ptr::null_mut() } else { trace.as_mut_ptr() };
                if ebm!(ebm_sampler_get_energy_trace(s, tp, capacity, &mut length)) {
                    assert!(length >= 0, "energy trace length {length}");
                }
            }
            Op::Reseed(seed) => {
                assert!(ebm!(ebm_sampler_reseed(s, *seed)));
            }
            Op::Progress { interval, cancel_at } => {
                let interval = interval.get();
                let data = Box::into_raw(Box::new(ProgressData { cancel_at: *cancel_at, calls: 0 })) as *mut std::ffi::c_void;
                let ok = ebm!(ebm_sampler_set_progress_callback(s, Some(progress), interval, data, Some(progress_free)));
                assert!(!(ok && interval < 1), "set_progress_callback accepted interval {interval}");
                if !ok {
                    progress_free(data);
                }
            }
            Op::RemoveProgress => {
                assert!(ebm!(ebm_sampler_set_progress_callback(s, None, 0, ptr::null_mut(), None)));
            }
        }
    }
    let name = unsafe { ebm_sampler_name(s) };
    assert!(!name.is_null());
});
