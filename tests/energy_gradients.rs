//! Closed-form gradients against autograd and finite differences; host kernels against the
//! tensor path; f32 against f64; small (host) batches against large (libtorch) ones.

mod common;

use common::{max_relative_error, points, zoo};
use tch::{Device, Kind, Tensor};
use torchebm::energy::{evaluate, evaluate_with, Energy, EvalPath};

fn tensor(values: &[f64], n: usize, dim: usize, kind: Kind) -> Tensor {
    Tensor::from_slice(values).reshape([n as i64, dim as i64]).to_kind(kind)
}

fn to_vec(t: &Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(&t.to_kind(Kind::Double).flatten(0, -1)).unwrap()
}

/// Energies and gradients from the closed-form tensor path.
fn closed_form(energy: &dyn Energy, x: &[f64], dim: usize) -> (Vec<f64>, Vec<f64>) {
    let n = x.len() / dim;
    let (e, g) = energy.energy_and_gradient(&tensor(x, n, dim, Kind::Double)).unwrap();
    (to_vec(&e), to_vec(&g))
}

#[test]
fn closed_form_gradients_match_autograd() {
    for case in zoo() {
        let x = points(9, case.dim, 1);
        let input = tensor(&x, 9, case.dim, Kind::Double).set_requires_grad(true);
        let energy = case.energy.energy(&input).unwrap();
        let autograd = Tensor::run_backward(&[energy.sum(Kind::Double)], &[&input], false, false);
        let (values, gradient) = closed_form(case.energy.as_ref(), &x, case.dim);
        assert!(
            max_relative_error(&values, &to_vec(&energy)) < 1e-12,
            "{}: energies differ",
            case.name
        );
        let err = max_relative_error(&gradient, &to_vec(&autograd[0]));
        assert!(
            err < 1e-10,
            "{}: closed form vs autograd, relative error {err:e}",
            case.name
        );
    }
}

#[test]
fn closed_form_gradients_match_finite_differences() {
    let h = 1e-6;
    for case in zoo() {
        let x = points(5, case.dim, 2);
        let (_, gradient) = closed_form(case.energy.as_ref(), &x, case.dim);
        let mut numeric = vec![0.0; x.len()];
        for (i, value) in numeric.iter_mut().enumerate() {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += h;
            down[i] -= h;
            let row = i / case.dim;
            let (e_up, _) = closed_form(case.energy.as_ref(), &up, case.dim);
            let (e_down, _) = closed_form(case.energy.as_ref(), &down, case.dim);
            *value = (e_up[row] - e_down[row]) / (2.0 * h);
        }
        let err = max_relative_error(&gradient, &numeric);
        assert!(
            err < 1e-5,
            "{}: closed form vs finite differences, relative error {err:e}",
            case.name
        );
    }
}

#[test]
fn host_kernels_match_the_tensor_path() {
    for case in zoo() {
        let kernel = case
            .energy
            .host_kernel()
            .unwrap_or_else(|| panic!("{} has a host kernel", case.name));
        let x = points(11, case.dim, 3);
        let mut energies = vec![0.0; 11];
        let mut gradients = vec![0.0; x.len()];
        kernel
            .eval_host(&x, case.dim, &mut energies, Some(&mut gradients))
            .unwrap();
        let (values, gradient) = closed_form(case.energy.as_ref(), &x, case.dim);
        assert!(
            max_relative_error(&energies, &values) < 1e-12,
            "{}: host energies",
            case.name
        );
        assert!(
            max_relative_error(&gradients, &gradient) < 1e-12,
            "{}: host gradients",
            case.name
        );
        let mut energies_only = vec![0.0; 11];
        kernel.eval_host(&x, case.dim, &mut energies_only, None).unwrap();
        assert_eq!(energies_only, energies, "{}: energies without gradients", case.name);
    }
}

#[test]
fn float32_tensor_path_agrees_with_float64() {
    for case in zoo() {
        let x = points(6, case.dim, 4);
        let (e32, g32) = case
            .energy
            .energy_and_gradient(&tensor(&x, 6, case.dim, Kind::Float))
            .unwrap();
        assert_eq!(e32.kind(), Kind::Float, "{}", case.name);
        assert_eq!(g32.kind(), Kind::Float, "{}", case.name);
        let (e64, g64) = closed_form(case.energy.as_ref(), &x, case.dim);
        // f32 rounding of inputs and parameters; Rosenbrock's b = 100 amplifies it.
        let scale: f64 = g64.iter().fold(1.0, |m, v| m.max(v.abs()));
        assert!(
            max_relative_error(&to_vec(&e32), &e64) < 1e-4,
            "{}: f32 energies",
            case.name
        );
        let err = to_vec(&g32)
            .iter()
            .zip(&g64)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max)
            / scale;
        assert!(err < 1e-5, "{}: f32 gradients off by {err:e} of their scale", case.name);
    }
}

#[test]
fn host_and_torch_paths_agree_in_both_precisions() {
    for case in zoo() {
        let n = 50;
        let x = points(n, case.dim, 5);
        let run = |path: EvalPath| {
            let mut e = vec![0.0; n];
            let mut g = vec![0.0; x.len()];
            evaluate_with(
                path,
                case.energy.as_ref(),
                Device::Cpu,
                &x,
                case.dim,
                Some(&mut e),
                Some(&mut g),
            )
            .unwrap();
            (e, g)
        };
        let (e_auto, g_auto) = run(EvalPath::Auto);
        let (e_torch, g_torch) = run(EvalPath::Torch);
        assert!(max_relative_error(&e_auto, &e_torch) < 1e-12, "{}", case.name);
        assert!(max_relative_error(&g_auto, &g_torch) < 1e-12, "{}", case.name);

        // f32 buffers: libtorch computes in f32, the host kernel in f64 and rounds.
        let x32: Vec<f32> = x.iter().map(|v| *v as f32).collect();
        let widened = |v: &[f32]| v.iter().map(|x| f64::from(*x)).collect::<Vec<_>>();
        for path in [EvalPath::Auto, EvalPath::Torch] {
            let mut e32 = vec![0f32; n];
            let mut g32 = vec![0f32; x32.len()];
            evaluate_with(
                path,
                case.energy.as_ref(),
                Device::Cpu,
                &x32,
                case.dim,
                Some(&mut e32),
                Some(&mut g32),
            )
            .unwrap();
            assert!(
                max_relative_error(&widened(&e32), &e_auto) < 1e-4,
                "{} {path:?}: f32 buffers",
                case.name
            );
        }
    }
}

#[test]
fn cpu_routing_prefers_blas_only_for_large_matrix_work() {
    let gaussian = common::gaussian_3d();
    let kernel = gaussian.host_kernel().unwrap();
    assert!(kernel.host_is_faster(1_000_000, 3), "low dimensions stay on the host");
    let wide = torchebm::energy::Gaussian::new(&[0.0; 64], &identity(64)).unwrap();
    let kernel = wide.host_kernel().unwrap();
    assert!(kernel.host_is_faster(16, 64));
    assert!(
        !kernel.host_is_faster(1000, 64),
        "1000 × 64 × 64 multiply-adds go to BLAS"
    );
}

fn identity(dim: usize) -> Vec<f64> {
    (0..dim * dim)
        .map(|k| if k % (dim + 1) == 0 { 1.0 } else { 0.0 })
        .collect()
}

#[test]
fn gradient_only_and_energy_only_requests_match_the_joint_one() {
    for case in zoo() {
        let x = points(4, case.dim, 6);
        let mut energies = vec![0.0; 4];
        let mut gradients = vec![0.0; x.len()];
        evaluate(
            case.energy.as_ref(),
            Device::Cpu,
            &x,
            case.dim,
            Some(&mut energies),
            Some(&mut gradients),
        )
        .unwrap();
        let mut only_energies = vec![0.0; 4];
        evaluate(
            case.energy.as_ref(),
            Device::Cpu,
            &x,
            case.dim,
            Some(&mut only_energies),
            None,
        )
        .unwrap();
        let mut only_gradients = vec![0.0; x.len()];
        evaluate(
            case.energy.as_ref(),
            Device::Cpu,
            &x,
            case.dim,
            None,
            Some(&mut only_gradients),
        )
        .unwrap();
        assert_eq!(only_energies, energies, "{}", case.name);
        assert_eq!(only_gradients, gradients, "{}", case.name);
    }
}

/// Ackley's cone term a·b·e^{−b r}·xᵢ/(d r) depends only on the direction of x near the
/// origin: x/r is scale-invariant, so tiny points must give the gradient of their direction,
/// and the origin exactly 0 (regression: NaN at 0 in float32, 1e130 too large for
/// 0 < |x| < 1e-154 in double).
#[test]
fn ackley_gradient_is_exact_near_the_origin_in_every_precision_and_path() {
    let ackley = torchebm::energy::Ackley::new(20.0, 0.2, std::f64::consts::TAU).unwrap();
    let direction = [1.0, -0.3];
    let unit_radius = ((direction[0] * direction[0] + direction[1] * direction[1]) / 2.0f64).sqrt();
    // At scale s the ripple term is e·c²·xᵢ/d + O(x³), negligible next to the cone term.
    let expected = |s: f64| -> Vec<f64> {
        direction
            .iter()
            .map(|u| 20.0 * 0.2 / 2.0 * (-0.2 * s * unit_radius).exp() * u / unit_radius)
            .collect()
    };
    // The same for points stored in float32 (whose direction rounding changes).
    let expected_f32 = |x: &[f32]| -> Vec<f64> {
        let largest = x.iter().fold(0.0f64, |m, v| m.max((*v as f64).abs()));
        let u: Vec<f64> = x.iter().map(|v| *v as f64 / largest).collect();
        let r = ((u[0] * u[0] + u[1] * u[1]) / 2.0).sqrt();
        u.iter().map(|ui| 20.0 * 0.2 / 2.0 * ui / r).collect()
    };
    for path in [EvalPath::Auto, EvalPath::Torch] {
        for scale in [1e-200f64, 1e-160, 1e-40, 1e-12] {
            let x: Vec<f64> = direction.iter().map(|u| u * scale).collect();
            let mut g = vec![0.0; 2];
            evaluate_with(path, &ackley, Device::Cpu, &x, 2, None, Some(&mut g)).unwrap();
            let err = max_relative_error(&g, &expected(scale));
            assert!(
                err < 1e-9,
                "f64 {path:?} scale {scale:e}: {g:?} vs {:?}",
                expected(scale)
            );
        }
        for scale in [1e-40f32, 1e-25, 1e-8] {
            let x: Vec<f32> = direction.iter().map(|u| *u as f32 * scale).collect();
            let mut g = vec![0.0f32; 2];
            evaluate_with(path, &ackley, Device::Cpu, &x, 2, None, Some(&mut g)).unwrap();
            let g64: Vec<f64> = g.iter().map(|v| *v as f64).collect();
            let err = max_relative_error(&g64, &expected_f32(&x));
            assert!(err < 1e-5, "f32 {path:?} scale {scale:e}: {g:?}");
        }
        let mut e = [0.0f32; 1];
        let mut g = [1.0f32; 2];
        evaluate_with(
            path,
            &ackley,
            Device::Cpu,
            &[0.0f32, 0.0],
            2,
            Some(&mut e),
            Some(&mut g),
        )
        .unwrap();
        assert_eq!(g, [0.0, 0.0], "{path:?}: gradient at the origin");
        assert!(
            e[0].abs() < 1e-5,
            "{path:?}: E(0) = {} (float32 rounding of a + e - a - e)",
            e[0]
        );
        let mut g64 = [1.0f64; 2];
        evaluate_with(path, &ackley, Device::Cpu, &[0.0f64, 0.0], 2, None, Some(&mut g64)).unwrap();
        assert_eq!(g64, [0.0, 0.0], "{path:?}: gradient at the origin (f64)");
    }
}
