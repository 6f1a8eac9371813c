//! The energy constructors with arbitrary sizes and values, including NULL and small buffers
//! passed with sizes that must be rejected, then the handle queries (name, dim, device).
#![no_main]

#[path = "common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use common::*;
use libfuzzer_sys::fuzz_target;
use std::ptr;

#[derive(Arbitrary, Debug)]
enum Op {
    /// Any of the constructors through EnergySpec (valid sizes, fuzzed values).
    Spec(EnergySpec),
    /// ebm_energy_gaussian_new with any dim: honest buffers when small, else NULL/small.
    Gaussian { dim: Count, mean: Vec<Num>, cov: Vec<Num>, mean_mode: BufMode, cov_mode: BufMode },
    /// ebm_energy_gaussian_mixture_new with any sizes.
    Mixture { k: Count, dim: Count, weights: Vec<Num>, means: Vec<Num>, covs: Vec<Num>, modes: [BufMode; 3] },
    /// ebm_energy_composite_new with arbitrary counts, NULL parts and weights.
    Composite { parts: Vec<Option<EnergySpec>>, n_energies: Option<Count>, weights: Vec<Num>, n_weights: Option<Count>, null_weights: bool, null_array: bool },
    /// The constructors' NULL out.
    NullOut(u8),
    /// ebm_energy_callback_new with any dim and NULL functions.
    Callback { dim: Count, null_energy_fn: bool },
}

fn queries(energy: &Energy, device: i32) {
    let name = unsafe { ebm_energy_name(energy.0) };
    assert!(!name.is_null(), "ebm_energy_name: NULL for a handle");
    energy_dim(energy);
    let mut d = 12345;
    assert!(ebm!(ebm_energy_get_device(energy.0, &mut d)));
    assert_eq!(d, EBM_DEVICE_CPU);
    let ok = ebm!(ebm_energy_set_device(energy.0, device));
    if device < -1 {
        assert!(!ok, "ebm_energy_set_device accepted device {device}");
    }
    if ok {
        assert!(ebm!(ebm_energy_get_device(energy.0, &mut d)));
        assert_eq!(d, device);
        assert!(ebm!(ebm_energy_set_device(energy.0, EBM_DEVICE_CPU)));
    }
}

extern "C" fn unit_energy(_x: *const f64, n: i64, _dim: i64, e: *mut f64, _u: *mut std::ffi::c_void) -> i32 {
    for i in 0..n as usize {
        unsafe { *e.add(i) = 0.0 };
    }
    0
}

fuzz_target!(init: init(), |input: (Vec<Op>, i32)| {
    let (ops, device) = input;
    for op in ops.iter().take(8) {
        match op {
            Op::Spec(spec) => {
                if let Some(energy) = spec.build(0) {
                    queries(&energy, device);
                }
            }
            Op::Gaussian { dim, mean, cov, mean_mode, cov_mode } => {
                let d = dim.get();
                let must_reject = d < 1 || honest_len(&[d, d]) == Honest::MustReject;
                if honest_len(&[d, d]) == Honest::TooBig {
                    continue;
                }
                let mean = Buf::new(honest_len(&[d]), &to_f64(mean), *mean_mode);
                let cov = Buf::new(honest_len(&[d, d]), &to_f64(cov), *cov_mode);
                let before = (mean.values().to_vec(), cov.values().to_vec());
                let energy = new_handle!(ebm_energy_gaussian_new(mean.ptr(), cov.ptr(), d)).map(Energy);
                assert!(!(must_reject || mean.bad() || cov.bad()) || energy.is_none(), "gaussian_new accepted dim {d}");
                assert!(same_bits(&before.0, mean.values()) && same_bits(&before.1, cov.values()), "inputs modified");
            }
            Op::Mixture { k, dim, weights, means, covs, modes } => {
                let (k, d) = (k.get(), dim.get());
                let sizes = [honest_len(&[k]), honest_len(&[k, d]), honest_len(&[k, d, d])];
                if sizes.contains(&Honest::TooBig) {
                    continue;
                }
                let must_reject = k < 1 || d < 1 || sizes.contains(&Honest::MustReject);
                let w = Buf::new(sizes[0], &to_f64(weights), modes[0]);
                let m = Buf::new(sizes[1], &to_f64(means), modes[1]);
                let c = Buf::new(sizes[2], &to_f64(covs), modes[2]);
                let energy = new_handle!(ebm_energy_gaussian_mixture_new(w.ptr(), m.ptr(), c.ptr(), k, d)).map(Energy);
                assert!(
                    !(must_reject || w.bad() || m.bad() || c.bad()) || energy.is_none(),
                    "gaussian_mixture_new accepted k {k}, dim {d}"
                );
            }
            Op::Composite { parts, n_energies, weights, n_weights, null_weights, null_array } => {
                let built: Vec<Option<Energy>> = parts.iter().take(4).map(|p| p.as_ref().and_then(|p| p.build(1))).collect();
                let handles: Vec<*const ebm_energy> =
                    built.iter().map(|e| e.as_ref().map_or(ptr::null(), |e| e.0 as *const _)).collect();
                let weights = to_f64(weights);
                // Counts larger than the arrays are only passed when they must be rejected.
                let n = n_energies.map_or(handles.len() as i64, |c| c.get());
                if n > handles.len() as i64 && n < ABSURD {
                    continue;
                }
                let nw = n_weights.map_or(weights.len() as i64, |c| c.get());
                if nw > weights.len() as i64 && nw < ABSURD {
                    continue;
                }
                let array = if *null_array { ptr::null() } else { handles.as_ptr() };
                let wp = if *null_weights { ptr::null() } else { weights.as_ptr() };
                let energy = new_handle!(ebm_energy_composite_new(array, n, wp, nw)).map(Energy);
                if n < 1 || n >= ABSURD || nw < 0 || nw >= ABSURD || (nw > 0 && nw != n) {
                    assert!(energy.is_none(), "composite_new accepted n_energies {n}, n_weights {nw}");
                }
                if let Some(energy) = &energy {
                    drop(built);
                    queries(energy, device);
                }
            }
            Op::NullOut(which) => {
                let null = ptr::null_mut();
                let one = [0.0f64; 1];
                let status = unsafe {
                    match which % 10 {
                        0 => ebm_energy_gaussian_new(one.as_ptr(), one.as_ptr(), 1, null),
                        1 => ebm_energy_double_well_new(1.0, 2.0, null),
                        2 => ebm_energy_harmonic_new(1.0, null),
                        3 => ebm_energy_rosenbrock_new(1.0, 100.0, null),
                        4 => ebm_energy_ackley_new(20.0, 0.2, 6.28, null),
                        5 => ebm_energy_rastrigin_new(10.0, null),
                        6 => ebm_energy_himmelblau_new(null),
                        7 => ebm_energy_booth_new(null),
                        8 => ebm_energy_styblinski_tang_new(null),
                        _ => ebm_energy_gaussian_mixture_new(one.as_ptr(), one.as_ptr(), one.as_ptr(), 1, 1, null),
                    }
                };
                assert_eq!(status, ebm_status::EBM_ERR_NULL_POINTER);
                check("ebm_energy_", status);
                // Queries on NULL handles.
                assert!(unsafe { ebm_energy_name(ptr::null()) }.is_null());
                let mut d = 0i64;
                assert!(!ebm!(ebm_energy_dim(ptr::null(), &mut d)));
                unsafe { ebm_energy_free(ptr::null_mut()) };
            }
            Op::Callback { dim, null_energy_fn } => {
                let d = dim.get();
                let f: ebm_energy_fn = if *null_energy_fn { None } else { Some(unit_energy) };
                let energy = new_handle!(ebm_energy_callback_new(d, f, None, ptr::null_mut(), None)).map(Energy);
                assert!(!(d < 1 || *null_energy_fn) || energy.is_none(), "callback_new accepted dim {d}");
            }
        }
    }
});
