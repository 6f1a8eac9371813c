//! Hessian-vector products ∇²E(x) v: every energy against central finite differences of its
//! closed-form gradient, closed forms against libtorch's double backward, exact values where
//! the Hessian is known, f32 against f64, and the refusals.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use common::{max_relative_error, points, zoo};
use tch::{Device, Kind, Tensor};
use torchebm::energy::{
    evaluate, hessian_vector_product, Ackley, CallbackEnergy, Composite, DoubleWell, Energy, Gaussian, Harmonic,
};
use torchebm::model::{Activation, Mlp, MlpSpec, TorchScriptEnergy};
use torchebm::Error;

/// Tolerance of the f64 products against finite differences: max |a − b| / max(1, |b|). The
/// central difference with step ε = 1e-5 has truncation error ε²/6 · |∇³E v v v| (≲ 1e-7 for
/// these energies on [-2, 2)) and rounding error ≈ 1e-16 · |∇E| / ε (≲ 1e-9).
const FD_TOLERANCE: f64 = 1e-6;
/// Tolerance of f32 products against f64 ones, relative as above: float's rounding
/// (6e-8) amplified by the energies' scales (Rastrigin's 4π²a curvature, a 1e2 Rosenbrock).
const F32_TOLERANCE: f64 = 1e-3;

/// (energies, gradients, products) through the public buffer entry point, on the CPU.
fn hvp(energy: &dyn Energy, x: &[f64], v: &[f64], dim: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let n = x.len() / dim;
    let (mut e, mut g, mut h) = (vec![0.0; n], vec![0.0; x.len()], vec![0.0; x.len()]);
    hessian_vector_product(energy, Device::Cpu, x, v, dim, &mut h, Some(&mut e), Some(&mut g)).unwrap();
    (e, g, h)
}

fn gradient(energy: &dyn Energy, x: &[f64], dim: usize) -> Vec<f64> {
    let mut g = vec![0.0; x.len()];
    evaluate(energy, Device::Cpu, x, dim, None, Some(&mut g)).unwrap();
    g
}

/// (∇E(x + εv) − ∇E(x − εv)) / 2ε, row by row (each row has its own direction).
fn finite_difference_hvp(energy: &dyn Energy, x: &[f64], v: &[f64], dim: usize) -> Vec<f64> {
    let eps = 1e-5;
    let up: Vec<f64> = x.iter().zip(v).map(|(a, b)| a + eps * b).collect();
    let down: Vec<f64> = x.iter().zip(v).map(|(a, b)| a - eps * b).collect();
    let (g_up, g_down) = (gradient(energy, &up, dim), gradient(energy, &down, dim));
    g_up.iter().zip(&g_down).map(|(a, b)| (a - b) / (2.0 * eps)).collect()
}

fn to_vec(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(&t.to_kind(Kind::Double).flatten(0, -1)).unwrap()
}

/// H v by libtorch's double backward written out here, independently of the library.
fn double_backward(energy: &dyn Energy, x: &[f64], v: &[f64], dim: usize) -> Vec<f64> {
    let n = (x.len() / dim) as i64;
    let input = Tensor::from_slice(x).reshape([n, dim as i64]).set_requires_grad(true);
    let e = energy.energy(&input).unwrap();
    let g = Tensor::run_backward(&[e.sum(Kind::Double)], &[&input], true, true).remove(0);
    let direction = Tensor::from_slice(v).reshape([n, dim as i64]);
    let along = (g * direction).sum(Kind::Double);
    to_vec(&Tensor::run_backward(&[along], &[&input], false, false)[0])
}

/// Checks `energy`'s products against finite differences, and that a wrong answer (the
/// product along another direction) fails the same comparison. Returns the error.
fn check_against_finite_differences(name: &str, energy: &dyn Energy, dim: usize, seed: u64) -> f64 {
    let (x, v, w) = (
        points(7, dim, seed),
        points(7, dim, seed + 100),
        points(7, dim, seed + 200),
    );
    let (e, g, h) = hvp(energy, &x, &v, dim);
    let numeric = finite_difference_hvp(energy, &x, &v, dim);
    let err = max_relative_error(&h, &numeric);
    assert!(
        err < FD_TOLERANCE,
        "{name}: H v vs finite differences, relative error {err:e}"
    );
    // The same pass's energies and gradients are the evaluation's.
    let mut energies = vec![0.0; 7];
    evaluate(energy, Device::Cpu, &x, dim, Some(&mut energies), None).unwrap();
    assert!(max_relative_error(&e, &energies) < 1e-12, "{name}: energies differ");
    assert!(
        max_relative_error(&g, &gradient(energy, &x, dim)) < 1e-10,
        "{name}: gradients differ"
    );
    // Negative control: the product along w, or H v slightly perturbed, must not pass.
    let (_, _, wrong) = hvp(energy, &x, &w, dim);
    let control = max_relative_error(&wrong, &numeric);
    assert!(control > 1e3 * FD_TOLERANCE, "{name}: the control passed ({control:e})");
    let mut perturbed = h.clone();
    perturbed[dim / 2] += 1e-4 * h[dim / 2].abs().max(1.0);
    assert!(
        max_relative_error(&perturbed, &numeric) > FD_TOLERANCE,
        "{name}: a perturbed product passed"
    );
    err
}

#[test]
fn every_analytic_energy_matches_finite_differences() {
    for (i, case) in zoo().iter().enumerate() {
        let err = check_against_finite_differences(case.name, case.energy.as_ref(), case.dim, 10 + i as u64);
        eprintln!("{:>18}: max relative error vs finite differences {err:.1e}", case.name);
    }
}

#[test]
fn every_analytic_energy_matches_double_backward() {
    for case in zoo() {
        let (x, v) = (points(6, case.dim, 3), points(6, case.dim, 4));
        let (_, _, h) = hvp(case.energy.as_ref(), &x, &v, case.dim);
        let reference = double_backward(case.energy.as_ref(), &x, &v, case.dim);
        let err = max_relative_error(&h, &reference);
        assert!(err < 1e-11, "{}: vs double backward, relative error {err:e}", case.name);
    }
}

#[test]
fn gaussian_product_is_the_precision_times_v() {
    let cov = [2.0, 0.3, -0.2, 0.3, 1.0, 0.4, -0.2, 0.4, 1.5];
    let gaussian = Gaussian::new(&[0.5, -1.0, 2.0], &cov).unwrap();
    let (x, v) = (points(5, 3, 7), points(5, 3, 8));
    let (_, _, h) = hvp(&gaussian, &x, &v, 3);
    // Σ (Σ⁻¹ v) = v, and H does not depend on x.
    for (row, hv) in h.chunks(3).enumerate() {
        for i in 0..3 {
            let back: f64 = (0..3).map(|j| cov[i * 3 + j] * hv[j]).sum();
            assert!((back - v[row * 3 + i]).abs() < 1e-13, "row {row}: Σ H v = {back}");
        }
    }
    let (_, _, elsewhere) = hvp(&gaussian, &points(5, 3, 9), &v, 3);
    assert_eq!(h, elsewhere);
}

#[test]
fn harmonic_and_double_well_closed_forms() {
    let (x, v) = (points(4, 5, 11), points(4, 5, 12));
    let (_, _, h) = hvp(&Harmonic::new(1.7).unwrap(), &x, &v, 5);
    let expected: Vec<f64> = v.iter().map(|vi| 1.7 * vi).collect();
    assert_eq!(h, expected);
    let (a, b) = (2.0, 0.5);
    let (_, _, h) = hvp(&DoubleWell::new(a, b).unwrap(), &x, &v, 5);
    for ((hi, xi), vi) in h.iter().zip(&x).zip(&v) {
        let exact = 4.0 * a * (3.0 * xi * xi - b) * vi;
        assert!((hi - exact).abs() <= 1e-14 * exact.abs().max(1.0), "{hi} vs {exact}");
    }
}

#[test]
fn f32_products_agree_with_f64() {
    for case in zoo() {
        let (x, v) = (points(6, case.dim, 21), points(6, case.dim, 22));
        let (_, _, h64) = hvp(case.energy.as_ref(), &x, &v, case.dim);
        let (x32, v32): (Vec<f32>, Vec<f32>) = (
            x.iter().map(|&a| a as f32).collect(),
            v.iter().map(|&a| a as f32).collect(),
        );
        let mut h32 = vec![0f32; x.len()];
        hessian_vector_product(
            case.energy.as_ref(),
            Device::Cpu,
            &x32,
            &v32,
            case.dim,
            &mut h32,
            None,
            None,
        )
        .unwrap();
        // Against f64 products at the rounded inputs, so that only arithmetic differs.
        let rounded = |a: &[f32]| a.iter().map(|&b| b as f64).collect::<Vec<_>>();
        let (_, _, h64_rounded) = hvp(case.energy.as_ref(), &rounded(&x32), &rounded(&v32), case.dim);
        let err = max_relative_error(&rounded(&h32), &h64_rounded);
        assert!(err < F32_TOLERANCE, "{}: f32 vs f64, relative error {err:e}", case.name);
        assert!(max_relative_error(&h64_rounded, &h64) < 1e-4, "{}", case.name);
    }
}

#[test]
fn ackley_at_the_origin_has_no_hessian() {
    let ackley = Ackley::new(20.0, 0.2, 2.0 * std::f64::consts::PI).unwrap();
    let (x, v) = ([0.0, 0.0, 0.3, -0.2], [1.0, 0.5, 1.0, 0.5]);
    let (e, g, h) = hvp(&ackley, &x, &v, 2);
    assert!(h[..2].iter().all(|hi| hi.is_nan()), "at the origin: {:?}", &h[..2]);
    assert!(h[2..].iter().all(|hi| hi.is_finite()));
    assert!(e.iter().all(|ei| ei.is_finite()));
    // Energies and gradients are the evaluation's: the subgradient 0 at the origin.
    let mut expected = [0.0; 4];
    evaluate(&ackley, Device::Cpu, &x, 2, None, Some(&mut expected)).unwrap();
    assert!(max_relative_error(&g, &expected) < 1e-12, "{g:?} vs {expected:?}");
    assert_eq!(&g[..2], &[0.0, 0.0]);
    eprintln!(
        "ackley at the origin: energy {}, gradient {:?}, H v {:?}",
        e[0],
        &g[..2],
        &h[..2]
    );
}

fn mlp(activation: Activation, kind: Kind) -> Mlp {
    let spec = MlpSpec {
        input_dim: 3,
        hidden: vec![16, 8],
        activation,
        spectral_norm: false,
        kind,
    };
    Mlp::new(spec, Device::Cpu, 7).unwrap()
}

#[test]
fn mlp_products_match_finite_differences() {
    for activation in [
        Activation::Silu,
        Activation::Tanh,
        Activation::Softplus,
        Activation::Elu,
    ] {
        let model = mlp(activation, Kind::Double);
        let err = check_against_finite_differences(activation.name(), &model, 3, 31);
        eprintln!(
            "mlp {:>8}: max relative error vs finite differences {err:.1e}",
            activation.name()
        );
        // Only x is differentiated: the parameters' gradients stay undefined.
        for p in torchebm::model::Model::parameters(&model).unwrap() {
            assert!(!p.grad().defined());
        }
    }
}

#[test]
fn relu_mlp_is_piecewise_linear() {
    let model = mlp(Activation::Relu, Kind::Double);
    let (_, _, h) = hvp(&model, &points(5, 3, 41), &points(5, 3, 42), 3);
    assert!(h.iter().all(|hi| *hi == 0.0), "{h:?}");
}

#[test]
fn float_mlp_products_on_double_buffers() {
    let (double, float) = (mlp(Activation::Silu, Kind::Double), mlp(Activation::Silu, Kind::Float));
    let (x, v) = (points(5, 3, 51), points(5, 3, 52));
    let (_, _, h64) = hvp(&double, &x, &v, 3);
    let (_, _, h32) = hvp(&float, &x, &v, 3);
    let err = max_relative_error(&h32, &h64);
    assert!(err < F32_TOLERANCE, "float model vs double model: {err:e}");
}

/// The TorchScript fixtures, scripted by tests/fixtures/make_torchscript.py with the Python of
/// scripts/setup-libtorch.sh --python when `make` has not made them yet.
fn torchscript_fixture(name: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let made = root.join("build/torchscript").join(name);
    if made.is_file() {
        return made;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("torchscript_hvp");
    if !dir.join(name).is_file() {
        let python = std::process::Command::new(root.join("scripts/setup-libtorch.sh"))
            .arg("--python")
            .output()
            .expect("scripts/setup-libtorch.sh --python");
        let python = String::from_utf8(python.stdout).unwrap();
        let status = std::process::Command::new(python.trim())
            .arg(root.join("tests/fixtures/make_torchscript.py"))
            .arg(&dir)
            .status()
            .expect("the fixture script runs");
        assert!(status.success(), "make_torchscript.py failed");
    }
    dir.join(name)
}

#[test]
fn torchscript_products() {
    // E = x₁² + 2x₂²: H = diag(2, 4) exactly.
    let good = TorchScriptEnergy::load(&torchscript_fixture("good.pt"), 2, Device::Cpu).unwrap();
    let (x, v) = (points(4, 2, 61), points(4, 2, 62));
    let (_, _, h) = hvp(&good, &x, &v, 2);
    let exact: Vec<f64> = v.chunks(2).flat_map(|r| [2.0 * r[0], 4.0 * r[1]]).collect();
    assert!(max_relative_error(&h, &exact) < 1e-6, "{h:?} vs {exact:?}"); // a float module
                                                                          // A nonlinear double module.
    let smooth = TorchScriptEnergy::load(&torchscript_fixture("smooth.pt"), 2, Device::Cpu).unwrap();
    let err = check_against_finite_differences("torchscript", &smooth, 2, 63);
    eprintln!("torchscript smooth: max relative error vs finite differences {err:.1e}");
}

#[test]
fn zero_points_and_bad_arguments() {
    let harmonic = Harmonic::new(1.0).unwrap();
    let mut none: [f64; 0] = [];
    hessian_vector_product(&harmonic, Device::Cpu, &[], &[], 3, &mut none, None, None).unwrap();
    let mut out = [0.0; 4];
    let bad_v = hessian_vector_product(&harmonic, Device::Cpu, &[1.0; 4], &[1.0; 2], 2, &mut out, None, None);
    assert!(matches!(bad_v, Err(Error::LengthMismatch { arg: "v", .. })));
    let bad_dim = hessian_vector_product(
        &Gaussian::new(&[0.0], &[1.0]).unwrap(),
        Device::Cpu,
        &[1.0; 4],
        &[1.0; 4],
        2,
        &mut out,
        None,
        None,
    );
    assert!(matches!(bad_dim, Err(Error::DimensionMismatch { arg: "dim", .. })));
}

#[test]
fn callback_energies_are_refused() {
    let callback = || -> Arc<dyn Energy> {
        Arc::new(
            CallbackEnergy::new(
                2,
                Box::new(|x, _, e| {
                    e.iter_mut()
                        .zip(x.chunks(2))
                        .for_each(|(e, p)| *e = p[0] * p[0] + p[1] * p[1]);
                    Ok(())
                }),
                None,
            )
            .unwrap(),
        )
    };
    let composite = Composite::new(vec![Arc::new(Harmonic::new(1.0).unwrap()), callback()], None).unwrap();
    for energy in [callback(), Arc::new(composite) as Arc<dyn Energy>] {
        for n in [0, 2] {
            let mut out = vec![0.0; 2 * n];
            let x = vec![0.5; 2 * n];
            let result = hessian_vector_product(energy.as_ref(), Device::Cpu, &x, &x, 2, &mut out, None, None);
            match result {
                Err(error @ Error::InvalidArgument { arg: "energy", .. }) => {
                    assert!(error.to_string().contains("second derivatives"), "{error}")
                }
                other => panic!("{}: {other:?}", energy.name()),
            }
        }
    }
}
