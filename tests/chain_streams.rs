//! Per-chain random streams: chain i's trajectory depends only on (seed, first_chain + i),
//! not on how many chains run, how they are split into shards, or how many threads run them.

use std::sync::Arc;

use torchebm::energy::{DoubleWell, Energy, Gaussian};
use torchebm::sampler::{
    HmcParams, KineticLangevinParams, LangevinParams, MalaParams, Method, NutsParams, RngKind, Sampler, SamplerOptions,
};
use torchebm::Error;

const DIM: usize = 2;
const STEPS: u64 = 12;
const SEED: u64 = 2024;

fn methods() -> Vec<Method> {
    vec![
        Method::Langevin(LangevinParams {
            step_size: 0.05,
            ..Default::default()
        }),
        Method::Mala(MalaParams {
            step_size: 0.3,
            ..Default::default()
        }),
        Method::Hmc(HmcParams {
            step_size: 0.2,
            n_leapfrog_steps: 3,
            ..Default::default()
        }),
        Method::KineticLangevin(KineticLangevinParams {
            step_size: 0.1,
            ..Default::default()
        }),
        // Chains stop doubling at different depths: a chain's draws must not depend on how
        // long the others go on.
        Method::Nuts(NutsParams {
            step_size: 0.3,
            ..Default::default()
        }),
    ]
}

fn energies() -> Vec<Arc<dyn Energy>> {
    vec![
        Arc::new(DoubleWell::default()),
        Arc::new(Gaussian::new(&[1.0, -2.0], &[1.0, 0.5, 0.5, 2.0]).unwrap()),
    ]
}

/// Chains [first_chain, first_chain + n) started from N(0, I) after STEPS steps.
fn run(energy: &Arc<dyn Energy>, method: &Method, first_chain: u64, n: usize) -> Vec<f64> {
    let options = SamplerOptions {
        seed: SEED,
        first_chain,
        ..Default::default()
    };
    let mut sampler = Sampler::new(energy.clone(), method.clone(), options).unwrap();
    let mut out = vec![0.0; n * DIM];
    sampler.sample(n, DIM, STEPS, &mut out).unwrap();
    out
}

fn assert_bits_equal(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    if let Some(i) = (0..a.len()).find(|&i| a[i].to_bits() != b[i].to_bits()) {
        panic!("{what}: value {i} (chain {}) differs: {} vs {}", i / DIM, a[i], b[i]);
    }
}

#[test]
fn chain_i_does_not_depend_on_the_number_of_chains() {
    for energy in energies() {
        for method in methods() {
            let all = run(&energy, &method, 0, 257);
            for n in [1usize, 2, 255, 256] {
                let fewer = run(&energy, &method, 0, n);
                assert_bits_equal(
                    &fewer,
                    &all[..n * DIM],
                    &format!("{} {} n = {n}", energy.name(), method.name()),
                );
            }
        }
    }
}

#[test]
fn shards_with_first_chain_reproduce_one_run() {
    for energy in energies() {
        for method in methods() {
            let all = run(&energy, &method, 0, 257);
            let mut pieces = Vec::new();
            for (a, b) in [(0usize, 100usize), (100, 101), (101, 256), (256, 257)] {
                pieces.extend(run(&energy, &method, a as u64, b - a));
            }
            assert_bits_equal(&pieces, &all, &format!("{} {} shards", energy.name(), method.name()));
            // The negative control: a shard that forgets its offset runs other chains.
            let unshifted = run(&energy, &method, 0, 157);
            assert_ne!(unshifted, all[100 * DIM..], "{} {}", energy.name(), method.name());
        }
    }
}

#[test]
fn parallel_runs_draw_the_same_chains() {
    // Enough chains for the work to be split across the thread pool.
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::default());
    let method = Method::Langevin(LangevinParams {
        step_size: 0.05,
        ..Default::default()
    });
    let n = 140_000;
    let big = run(&energy, &method, 0, n);
    let small = run(&energy, &method, 0, 300);
    assert_bits_equal(&small, &big[..300 * DIM], "first chains of a large run");
    let tail = run(&energy, &method, (n - 300) as u64, 300);
    assert_bits_equal(&tail, &big[(n - 300) * DIM..], "last chains of a large run");
}

#[test]
fn distinct_chains_and_seeds_draw_distinct_streams() {
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::default());
    let method = Method::Langevin(LangevinParams::default());
    let states = run(&energy, &method, 0, 1000);
    let mut rows: Vec<[u64; 2]> = states.chunks(DIM).map(|r| [r[0].to_bits(), r[1].to_bits()]).collect();
    rows.sort_unstable();
    rows.dedup();
    assert_eq!(rows.len(), 1000, "two chains drew the same values");
    let far = run(&energy, &method, u64::MAX - 4, 4);
    assert!(far.iter().all(|v| v.is_finite()));
}

#[test]
fn first_chain_is_refused_where_draws_are_not_per_chain() {
    let energy: Arc<dyn Energy> = Arc::new(DoubleWell::default());
    let options = SamplerOptions {
        first_chain: 5,
        rng: RngKind::Torch,
        ..Default::default()
    };
    let Err(err) = Sampler::new(energy.clone(), Method::Langevin(LangevinParams::default()), options) else {
        panic!("first_chain with libtorch's generator accepted");
    };
    assert!(
        matches!(
            err,
            Error::InvalidArgument {
                arg: "params.first_chain",
                ..
            }
        ),
        "{err}"
    );
    let options = SamplerOptions {
        first_chain: u64::MAX - 2,
        ..Default::default()
    };
    let mut sampler = Sampler::new(energy, Method::Langevin(LangevinParams::default()), options).unwrap();
    let err = sampler.init::<f64>(None, 4, DIM).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument { arg: "n", .. }), "{err}");
    sampler.init::<f64>(None, 2, DIM).unwrap();
}
