//! ebm_energy_eval_*, ebm_energy_gradient_* and ebm_energy_eval_and_gradient_* (f32 and f64)
//! on an arbitrary energy with arbitrary n, dim and values: honest buffers, NULL, misaligned
//! and overlapping ones, and sizes that must be rejected.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use common::*;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Kind {
    Eval,
    Gradient,
    Both,
}

#[derive(Arbitrary, Debug)]
struct Call {
    kind: Kind,
    f64: bool,
    n: Count,
    /// None: the energy's own dimension (or 2).
    dim: Option<Count>,
    x: Vec<Num>,
    x_mode: BufMode,
    energy_mode: BufMode,
    gradient_mode: BufMode,
    /// Some(k): the output starts at element k of the input buffer (an overlap to reject).
    overlap: Option<u8>,
}

fuzz_target!(init: init(), |input: (EnergySpec, Vec<Call>)| {
    let (spec, calls) = input;
    let Some(energy) = spec.build(0) else { return };
    let own_dim = energy_dim(&energy).unwrap_or(2);
    for call in calls.iter().take(6) {
        let n = call.n.get();
        let dim = call.dim.map_or(own_dim, |d| d.get());
        let points = honest_len(&[n, dim]);
        let energies = honest_len(&[n]);
        if points == Honest::TooBig || energies == Honest::TooBig {
            continue;
        }
        let must_reject = n < 0 || dim < 1 || points == Honest::MustReject;
        let ok = if call.f64 {
            run::<f64>(&energy, call, n, dim, points, energies, &common::to_f64(&call.x))
        } else {
            run::<f32>(&energy, call, n, dim, points, energies, &common::to_f32(&call.x))
        };
        assert!(!(ok && must_reject), "{:?} accepted n {n}, dim {dim}", call.kind);
    }
});

trait Elem: Copy + Default + 'static {
    unsafe fn eval(e: *const ebm_energy, x: *const Self, n: i64, dim: i64, out: *mut Self) -> ebm_status;
    unsafe fn gradient(e: *const ebm_energy, x: *const Self, n: i64, dim: i64, out: *mut Self) -> ebm_status;
    unsafe fn both(e: *const ebm_energy, x: *const Self, n: i64, dim: i64, eo: *mut Self, go: *mut Self) -> ebm_status;
    const NAMES: [&'static str; 3];
}

impl Elem for f32 {
    unsafe fn eval(e: *const ebm_energy, x: *const f32, n: i64, dim: i64, out: *mut f32) -> ebm_status {
        ebm_energy_eval_f32(e, x, n, dim, out)
    }
    unsafe fn gradient(e: *const ebm_energy, x: *const f32, n: i64, dim: i64, out: *mut f32) -> ebm_status {
        ebm_energy_gradient_f32(e, x, n, dim, out)
    }
    unsafe fn both(e: *const ebm_energy, x: *const f32, n: i64, dim: i64, eo: *mut f32, go: *mut f32) -> ebm_status {
        ebm_energy_eval_and_gradient_f32(e, x, n, dim, eo, go)
    }
    const NAMES: [&'static str; 3] = ["ebm_energy_eval_f32", "ebm_energy_gradient_f32", "ebm_energy_eval_and_gradient_f32"];
}

impl Elem for f64 {
    unsafe fn eval(e: *const ebm_energy, x: *const f64, n: i64, dim: i64, out: *mut f64) -> ebm_status {
        ebm_energy_eval_f64(e, x, n, dim, out)
    }
    unsafe fn gradient(e: *const ebm_energy, x: *const f64, n: i64, dim: i64, out: *mut f64) -> ebm_status {
        ebm_energy_gradient_f64(e, x, n, dim, out)
    }
    unsafe fn both(e: *const ebm_energy, x: *const f64, n: i64, dim: i64, eo: *mut f64, go: *mut f64) -> ebm_status {
        ebm_energy_eval_and_gradient_f64(e, x, n, dim, eo, go)
    }
    const NAMES: [&'static str; 3] = ["ebm_energy_eval_f64", "ebm_energy_gradient_f64", "ebm_energy_eval_and_gradient_f64"];
}

fn run<T: Elem>(energy: &Energy, call: &Call, n: i64, dim: i64, points: Honest, energies: Honest, values: &[T]) -> bool {
    if let (Some(k), Honest::Len(len), Honest::Len(out_len)) = (call.overlap, points, energies) {
        // One allocation holding x, with the output starting inside it.
        let k = usize::from(k) % len.max(1);
        let n_energies = out_len;
        let out_len = match call.kind {
            Kind::Eval => out_len,
            _ => len,
        };
        let mut storage: Vec<T> = (0..len.max(k + out_len)).map(|i| values.get(i % values.len().max(1)).copied().unwrap_or_default()).collect();
        let base = storage.as_mut_ptr();
        let (x, out) = (base as *const T, unsafe { base.add(k) });
        let status = unsafe {
            match call.kind {
                Kind::Eval => T::eval(energy.0, x, n, dim, out),
                Kind::Gradient => T::gradient(energy.0, x, n, dim, out),
                Kind::Both => {
                    // Energies and gradients overlapping each other instead.
                    let mut g = vec![T::default(); n_energies + len];
                    let gp = g.as_mut_ptr();
                    let s = T::both(energy.0, x, n, dim, gp, gp.add(k % n_energies.max(1)));
                    drop(g);
                    s
                }
            }
        };
        let ok = check(T::NAMES[call.kind as usize], status);
        if len > 0 && out_len > 0 {
            assert!(!ok, "{}: accepted overlapping buffers (n {n}, dim {dim}, offset {k})", T::NAMES[call.kind as usize]);
        }
        return ok;
    }
    let x = Buf::new(points, values, call.x_mode);
    let mut e = Buf::<T>::new(energies, &[], call.energy_mode);
    let mut g = Buf::<T>::new(points, &[], call.gradient_mode);
    let before = x.values().to_vec();
    let (status, bad) = unsafe {
        match call.kind {
            Kind::Eval => (T::eval(energy.0, x.ptr(), n, dim, e.mut_ptr()), x.bad() || e.bad()),
            Kind::Gradient => (T::gradient(energy.0, x.ptr(), n, dim, g.mut_ptr()), x.bad() || g.bad()),
            Kind::Both => (T::both(energy.0, x.ptr(), n, dim, e.mut_ptr(), g.mut_ptr()), x.bad() || e.bad() || g.bad()),
        }
    };
    let ok = check(T::NAMES[call.kind as usize], status);
    assert!(!(ok && bad), "{}: accepted a NULL or misaligned buffer (n {n}, dim {dim})", T::NAMES[call.kind as usize]);
    assert!(same_bits(&before, x.values()), "{}: modified its input", T::NAMES[call.kind as usize]);
    ok
}
