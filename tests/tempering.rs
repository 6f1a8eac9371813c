//! Replica exchange: on a double well whose barrier a single chain does not cross, the
//! T = 1 replica of a tempered sampler fills both wells (occupancy 1/2 within its standard
//! error) and matches E[x²] by quadrature; exchanges keep per-chain reproducibility.

#[path = "common/sampling.rs"]
mod sampling;

use std::sync::Arc;

use sampling::simpson;
use torchebm::energy::{DoubleWell, Energy};
use torchebm::sampler::{HmcParams, MalaParams, Method, RngKind, Sampler, SamplerOptions, TemperingParams};

/// E = 8 (x² − 1)²: wells at ±1 behind a barrier of 8 (e⁻⁸ ≈ 3·10⁻⁴).
fn barrier() -> Arc<dyn Energy> {
    Arc::new(DoubleWell::new(8.0, 1.0).unwrap())
}

/// ∫ f(x) exp(−8(x² − 1)²) dx by Simpson's rule on [−3, 3].
fn integral(f: impl Fn(f64) -> f64) -> f64 {
    simpson(-3.0, 3.0, 20_000, |x| f(x) * (-8.0 * (x * x - 1.0).powi(2)).exp())
}

fn mala() -> Method {
    Method::Mala(MalaParams {
        step_size: 0.02,
        ..Default::default()
    })
}

fn options(rng: RngKind, seed: u64) -> SamplerOptions {
    SamplerOptions {
        seed,
        rng,
        ..Default::default()
    }
}

/// Final states of `chains` chains of dim 1 started in the right well.
fn run(sampler: &mut Sampler, chains: usize, steps: u64) -> Vec<f64> {
    let start = vec![1.0; chains];
    let mut out = vec![0.0; chains];
    sampler
        .sample_chain(Some(&start), chains, 1, steps, 1, &mut out, None)
        .unwrap();
    out
}

fn left_fraction(states: &[f64]) -> f64 {
    states.iter().filter(|x| **x < 0.0).count() as f64 / states.len() as f64
}

#[test]
fn tempering_fills_both_wells_where_a_single_chain_stays() {
    let chains = 1000;
    let se = 0.5 / (chains as f64).sqrt();
    let z = integral(|_| 1.0);
    let second_moment = integral(|x| x * x) / z;
    for rng in [RngKind::PerChain, RngKind::Torch] {
        let ladder = TemperingParams::geometric(6, 12.0, 1).unwrap();
        let mut tempered = Sampler::tempered(barrier(), mala(), options(rng, 3), ladder).unwrap();
        let states = run(&mut tempered, chains, 1500);
        let left = left_fraction(&states);
        assert!(
            (left - 0.5).abs() < 4.0 * se,
            "{rng:?}: {left} of the chains in the left well"
        );
        let m2 = states.iter().map(|x| x * x).sum::<f64>() / chains as f64;
        let m2_se = (integral(|x| x.powi(4)) / z - second_moment.powi(2)).sqrt() / (chains as f64).sqrt();
        assert!(
            (m2 - second_moment).abs() < 5.0 * m2_se,
            "{rng:?}: E[x²] {m2} vs {second_moment}"
        );
        let rates = tempered.swap_acceptance().unwrap();
        assert_eq!(rates.len(), 5);
        assert!(
            rates.iter().all(|r| *r > 0.05 && *r < 1.0),
            "{rng:?}: swap acceptance {rates:?}"
        );
        let temperatures = tempered.temperatures().unwrap();
        assert!((temperatures[5] - 12.0).abs() < 1e-12 && temperatures[0] == 1.0);

        // The negative control: the inner sampler alone, same steps, never leaves the well.
        let mut single = Sampler::new(barrier(), mala(), options(rng, 3)).unwrap();
        let left = left_fraction(&run(&mut single, chains, 1500));
        assert!(left < 0.1, "{rng:?}: single chains mixed ({left} crossed the barrier)");
    }
}

/// HMC as the inner sampler, with an explicit ladder and exchanges every 5 steps.
#[test]
fn any_inner_sampler_and_an_explicit_ladder() {
    let chains = 1000;
    let hmc = Method::Hmc(HmcParams {
        step_size: 0.05,
        n_leapfrog_steps: 5,
        ..Default::default()
    });
    let ladder = TemperingParams {
        ladder: vec![1.0, 1.8, 3.2, 5.8, 10.0, 18.0],
        swap_interval: 2,
    };
    let mut tempered = Sampler::tempered(barrier(), hmc, options(RngKind::PerChain, 8), ladder).unwrap();
    let left = left_fraction(&run(&mut tempered, chains, 1000));
    assert!((left - 0.5).abs() < 4.0 * 0.5 / (chains as f64).sqrt(), "{left}");
}

/// Chain i's path (its replicas and its exchanges) depends on (seed, first_chain + i) only.
#[test]
fn tempered_chains_are_reproducible_per_chain() {
    let ladder = TemperingParams::geometric(4, 8.0, 1).unwrap();
    let all = run(
        &mut Sampler::tempered(barrier(), mala(), options(RngKind::PerChain, 5), ladder.clone()).unwrap(),
        7,
        200,
    );
    let first = run(
        &mut Sampler::tempered(barrier(), mala(), options(RngKind::PerChain, 5), ladder.clone()).unwrap(),
        3,
        200,
    );
    assert_eq!(first, all[..3]);
    let shard = SamplerOptions {
        first_chain: 3,
        ..options(RngKind::PerChain, 5)
    };
    let rest = run(
        &mut Sampler::tempered(barrier(), mala(), shard, ladder).unwrap(),
        4,
        200,
    );
    assert_eq!(rest, all[3..]);
}

#[test]
fn ladders_are_checked() {
    let bad = [
        (vec![1.0], "at least 2"),
        (vec![1.5, 2.0], "start at 1"),
        (vec![1.0, 3.0, 2.0], "increase strictly"),
        (vec![1.0, f64::NAN], "params.temperatures"),
    ];
    for (ladder, what) in bad {
        let params = TemperingParams {
            ladder,
            swap_interval: 1,
        };
        let err = Sampler::tempered(barrier(), mala(), Default::default(), params)
            .err()
            .unwrap();
        assert!(err.to_string().contains(what), "{err}");
    }
    assert!(TemperingParams::geometric(1, 10.0, 1).is_err());
    let too_many = TemperingParams::geometric(torchebm::sampler::MAX_REPLICAS + 1, 10.0, 1)
        .err()
        .unwrap();
    assert!(too_many.to_string().contains("params.n_temperatures"), "{too_many}");
    let long = TemperingParams {
        ladder: (0..=torchebm::sampler::MAX_REPLICAS).map(|k| 1.0 + k as f64).collect(),
        swap_interval: 1,
    };
    let err = Sampler::tempered(barrier(), mala(), Default::default(), long)
        .err()
        .unwrap();
    assert!(err.to_string().contains("at most"), "{err}");
    assert!(TemperingParams::geometric(4, 1.0, 1).is_err());
    let zero_interval = TemperingParams {
        ladder: vec![1.0, 2.0],
        swap_interval: 0,
    };
    let err = Sampler::tempered(barrier(), mala(), Default::default(), zero_interval)
        .err()
        .unwrap();
    assert!(err.to_string().contains("params.swap_interval"), "{err}");
    let plain = Sampler::new(barrier(), mala(), Default::default()).unwrap();
    assert!(plain.swap_acceptance().is_err() && plain.temperatures().is_err());
}
