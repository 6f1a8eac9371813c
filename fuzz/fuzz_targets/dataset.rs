//! ebm_dataset_default_params / ebm_dataset_generate_*: every field arbitrary, any n, honest
//! output buffers, and absurd n with a small or NULL buffer.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use arbitrary::Arbitrary;
use common::*;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    kind: i32,
    /// Start from the defaults of this kind (else of `kind`).
    defaults_of: Option<u8>,
    struct_size_zero: bool,
    seed: u64,
    /// Fields left as the defaults when None.
    std: Option<Num>,
    scale: Option<Num>,
    radius: Option<Num>,
    noise: Option<Num>,
    arclength: Option<Num>,
    range_limit: Option<Num>,
    n_components: Option<Count>,
    n_classes: Option<Count>,
    radial_scale: Option<Num>,
    angular_scale: Option<Num>,
    spiral_scale: Option<Num>,
    points_per_dim: Option<Count>,
    n: Count,
    /// n = points_per_dim^2 (what GRID needs).
    grid_n: bool,
    f64: bool,
    null_out: bool,
    null_params: bool,
}

fuzz_target!(init: init(), |input: Input| {
    let kind = input.defaults_of.map_or(input.kind, |k| i32::from(k % 9));
    let mut p = ebm_dataset_default_params(kind);
    assert_eq!(p.kind, kind, "ebm_dataset_default_params changed the kind");
    if input.defaults_of.is_some() {
        p.kind = input.kind % 10;
    }
    if input.struct_size_zero {
        p.struct_size = 0;
    }
    p.seed = input.seed;
    macro_rules! set {
        ($($f:ident),*) => { $( if let Some(v) = input.$f { p.$f = v.get(); } )* };
    }
    set!(std, scale, radius, noise, arclength, range_limit, n_components, n_classes, radial_scale, angular_scale, spiral_scale, points_per_dim);
    let n = if input.grid_n { p.points_per_dim.checked_mul(p.points_per_dim).unwrap_or(i64::MAX) } else { input.n.get() };
    let len = honest_len(&[n, 2]);
    let l = match len {
        Honest::Len(l) => l,
        Honest::MustReject => 2,
        Honest::TooBig => return,
    };
    let params: *const ebm_dataset_params = if input.null_params { std::ptr::null() } else { &p };
    let (ok, finite) = if input.f64 {
        let mut out = vec![0.0f64; l];
        let op = if input.null_out { std::ptr::null_mut() } else { out.as_mut_ptr() };
        (ebm!(ebm_dataset_generate_f64(params, n, op)), out.iter().all(|v| v.is_finite()))
    } else {
        let mut out = vec![0.0f32; l];
        let op = if input.null_out { std::ptr::null_mut() } else { out.as_mut_ptr() };
        (ebm!(ebm_dataset_generate_f32(params, n, op)), out.iter().all(|v| v.is_finite()))
    };
    let must_reject = len == Honest::MustReject || n < 1 || input.struct_size_zero || input.null_params || input.null_out;
    assert!(!(ok && must_reject), "ebm_dataset_generate accepted n {n} with {p:?}");
    let _ = finite;
});
