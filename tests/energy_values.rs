//! Exact values at known points, and the semantics of composites, mixtures and callbacks.

mod common;

use std::f64::consts::PI;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{gaussian_3d, max_relative_error, mixture_2d, points};
use tch::Device;
use torchebm::energy::{
    evaluate, Ackley, Booth, CallbackEnergy, CallbackFailure, Composite, DoubleWell, Energy, Gaussian, GaussianMixture,
    Harmonic, Himmelblau, Rastrigin, Rosenbrock, StyblinskiTang,
};
use torchebm::Error;

/// Energies and gradients through the public evaluation entry point.
fn eval(energy: &dyn Energy, x: &[f64], dim: usize) -> (Vec<f64>, Vec<f64>) {
    let mut e = vec![0.0; x.len() / dim];
    let mut g = vec![0.0; x.len()];
    evaluate(energy, Device::Cpu, x, dim, Some(&mut e), Some(&mut g)).unwrap();
    (e, g)
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    let err = max_relative_error(got, want);
    assert!(
        err <= tol,
        "{what}: got {got:?}, want {want:?} (relative error {err:e})"
    );
}

#[test]
fn minima_and_closed_form_values() {
    let s2 = 2f64.sqrt();
    let (e, g) = eval(&DoubleWell::default(), &[s2, -s2, 0.0, 0.0], 2);
    assert_close(&e, &[0.0, 8.0], 1e-14, "double well: wells at ±sqrt(2), E(0) = 2·b²");
    assert_close(&g, &[0.0; 4], 1e-14, "double well gradient");

    let (e, g) = eval(&Harmonic::new(1.7).unwrap(), &[1.0, 2.0], 2);
    assert_close(&e, &[4.25], 1e-15, "harmonic");
    assert_close(&g, &[1.7, 3.4], 1e-15, "harmonic gradient");

    let (e, g) = eval(
        &Rosenbrock::new(1.0, 100.0).unwrap(),
        &[1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
        3,
    );
    assert_close(&e, &[0.0, 2.0], 1e-15, "rosenbrock");
    assert_close(&g[..3], &[0.0; 3], 1e-15, "rosenbrock minimum");
    assert_close(&g[3..], &[-2.0, -2.0, 0.0], 1e-15, "rosenbrock at 0");

    let (e, g) = eval(&Ackley::new(20.0, 0.2, 2.0 * PI).unwrap(), &[0.0, 0.0], 2);
    assert!(e[0].abs() < 1e-14, "ackley minimum is 0, got {}", e[0]);
    assert_eq!(g, vec![0.0, 0.0], "ackley's reported gradient at its cone tip");

    let (e, _) = eval(&Rastrigin::new(10.0).unwrap(), &[0.0, 0.0, 1.0, 0.5], 2);
    assert_close(&e, &[0.0, 1.0 + 0.25 + 20.0], 1e-14, "rastrigin");

    let himmelblau_minima = [3.0, 2.0, -2.805118, 3.131312, -3.779310, -3.283186, 3.584428, -1.848126];
    let (e, _) = eval(&Himmelblau, &himmelblau_minima, 2);
    assert!(e.iter().all(|v| *v < 1e-9), "himmelblau minima: {e:?}");

    let (e, g) = eval(&Booth, &[1.0, 3.0, 0.0, 0.0], 2);
    assert_close(&e, &[0.0, 74.0], 1e-15, "booth");
    assert_close(&g[..2], &[0.0, 0.0], 1e-15, "booth minimum");

    let x_star = -2.903534027771178;
    let (e, g) = eval(&StyblinskiTang, &[x_star, x_star, x_star], 3);
    assert_close(&e, &[3.0 * -39.16616570377142], 1e-12, "styblinski-tang minimum");
    assert!(g.iter().all(|v| v.abs() < 1e-12), "styblinski-tang stationary: {g:?}");

    let gaussian = gaussian_3d();
    let (e, g) = eval(&gaussian, &[0.5, -1.0, 2.0], 3);
    assert_eq!((e[0], g.clone()), (0.0, vec![0.0; 3]), "gaussian at its mean");
}

#[test]
fn gaussian_matches_its_precision_matrix() {
    // cov = [[1, .5], [.5, 2]] has inverse [[2, -.5], [-.5, 1]] / 1.75.
    let gaussian = Gaussian::new(&[1.0, -2.0], &[1.0, 0.5, 0.5, 2.0]).unwrap();
    let (e, g) = eval(&gaussian, &[2.0, -2.0, 1.0, -1.0], 2);
    assert_close(&e, &[1.0 / 1.75, 0.5 / 1.75], 1e-15, "gaussian energies");
    assert_close(
        &g,
        &[2.0 / 1.75, -0.5 / 1.75, -0.5 / 1.75, 1.0 / 1.75],
        1e-15,
        "gaussian gradients",
    );
}

/// log N(x; mean, cov) for 2-D, written out with the 2 × 2 inverse and determinant.
fn log_normal_2d(x: [f64; 2], mean: [f64; 2], cov: [f64; 4]) -> f64 {
    let det = cov[0] * cov[3] - cov[1] * cov[2];
    let (dx, dy) = (x[0] - mean[0], x[1] - mean[1]);
    let quad = (cov[3] * dx * dx - (cov[1] + cov[2]) * dx * dy + cov[0] * dy * dy) / det;
    -0.5 * quad - (2.0 * PI).ln() - 0.5 * det.ln()
}

#[test]
fn mixture_is_the_negative_log_density() {
    let weights = [0.2, 0.5, 0.3];
    let means = [[-1.0, 0.0], [1.5, 1.0], [0.0, -2.0]];
    let covs = [[1.0, 0.0, 0.0, 1.0], [0.5, 0.1, 0.1, 0.3], [2.0, -0.5, -0.5, 1.0]];
    let x = points(6, 2, 7);
    let want: Vec<f64> = x
        .chunks(2)
        .map(|p| {
            let density: f64 = (0..3)
                .map(|k| weights[k] * log_normal_2d([p[0], p[1]], means[k], covs[k]).exp())
                .sum();
            -density.ln()
        })
        .collect();
    let (e, _) = eval(&mixture_2d(), &x, 2);
    assert_close(&e, &want, 1e-12, "mixture energy");

    // Unnormalised weights mean the same mixture.
    let scaled = GaussianMixture::new(
        &[2.0, 5.0, 3.0],
        &[-1.0, 0.0, 1.5, 1.0, 0.0, -2.0],
        &[1.0, 0.0, 0.0, 1.0, 0.5, 0.1, 0.1, 0.3, 2.0, -0.5, -0.5, 1.0],
        2,
    )
    .unwrap();
    assert_close(&eval(&scaled, &x, 2).0, &want, 1e-12, "weights are normalised");
}

#[test]
fn one_component_mixture_is_the_gaussian_plus_its_normaliser() {
    let cov = [2.0, 0.3, -0.2, 0.3, 1.0, 0.4, -0.2, 0.4, 1.5];
    let mixture = GaussianMixture::new(&[1.0], &[0.5, -1.0, 2.0], &cov, 3).unwrap();
    let det = 2.0 * (1.5 - 0.16) - 0.3 * (0.45 + 0.08) + (-0.2) * (0.12 + 0.2);
    let normaliser = 0.5 * (3.0 * (2.0 * PI).ln() + f64::ln(det));
    let x = points(5, 3, 8);
    let (e_mix, g_mix) = eval(&mixture, &x, 3);
    let (e_gauss, g_gauss) = eval(&gaussian_3d(), &x, 3);
    let shifted: Vec<f64> = e_gauss.iter().map(|e| e + normaliser).collect();
    assert_close(&e_mix, &shifted, 1e-13, "energies");
    assert_close(&g_mix, &g_gauss, 1e-13, "gradients");
}

#[test]
fn composite_is_the_weighted_sum_and_nests() {
    let x = points(5, 2, 9);
    let dw: Arc<dyn Energy> = Arc::new(DoubleWell::default());
    let booth: Arc<dyn Energy> = Arc::new(Booth);
    let (e_dw, g_dw) = eval(dw.as_ref(), &x, 2);
    let (e_b, g_b) = eval(booth.as_ref(), &x, 2);

    let unweighted = Composite::new(vec![dw.clone(), booth.clone()], None).unwrap();
    let (e, g) = eval(&unweighted, &x, 2);
    let sum =
        |a: &[f64], b: &[f64], wa: f64, wb: f64| a.iter().zip(b).map(|(p, q)| wa * p + wb * q).collect::<Vec<_>>();
    assert_close(&e, &sum(&e_dw, &e_b, 1.0, 1.0), 1e-14, "default weights are ones");
    assert_close(
        &g,
        &sum(&g_dw, &g_b, 1.0, 1.0),
        1e-14,
        "default weights are ones (gradient)",
    );

    let inner: Arc<dyn Energy> = Arc::new(Composite::new(vec![dw.clone()], Some(&[3.0])).unwrap());
    let outer = Composite::new(vec![inner, booth.clone()], Some(&[0.5, -2.0])).unwrap();
    let (e, g) = eval(&outer, &x, 2);
    assert_close(&e, &sum(&e_dw, &e_b, 1.5, -2.0), 1e-14, "nested weights multiply");
    assert_close(
        &g,
        &sum(&g_dw, &g_b, 1.5, -2.0),
        1e-14,
        "nested weights multiply (gradient)",
    );
}

#[test]
fn composite_rejects_parts_of_incompatible_dimension() {
    let parts: Vec<Arc<dyn Energy>> = vec![Arc::new(gaussian_3d()), Arc::new(Himmelblau)];
    match Composite::new(parts, None) {
        Err(Error::DimensionMismatch {
            arg: "energies",
            reason,
        }) => {
            assert!(reason.contains("energy 1 ('himmelblau') needs dim 2"), "{reason}")
        }
        other => panic!("expected a dimension mismatch, got {:?}", other.err()),
    }
    let rosenbrock_and_any: Vec<Arc<dyn Energy>> = vec![
        Arc::new(Rosenbrock::new(1.0, 100.0).unwrap()),
        Arc::new(DoubleWell::default()),
    ];
    let composite = Composite::new(rosenbrock_and_any, None).unwrap();
    assert!(!composite.dim_spec().accepts(1) && composite.dim_spec().accepts(2));
}

/// E(x) = Σ sin(xᵢ) + xᵢ², whose gradient is cos(xᵢ) + 2xᵢ.
fn smooth_energy(x: &[f64], dim: usize, out: &mut [f64]) -> Result<(), CallbackFailure> {
    for (p, e) in x.chunks(dim).zip(out) {
        *e = p.iter().map(|v| v.sin() + v * v).sum();
    }
    Ok(())
}

fn smooth_gradient(x: &[f64]) -> Vec<f64> {
    x.iter().map(|v| v.cos() + 2.0 * v).collect()
}

#[test]
fn callback_without_gradient_uses_accurate_finite_differences() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let energy = CallbackEnergy::new(
        3,
        Box::new(move |x, dim, out| {
            counter.fetch_add(1, Ordering::SeqCst);
            smooth_energy(x, dim, out)
        }),
        None,
    )
    .unwrap();
    let x = points(40, 3, 10);
    let (e, g) = eval(&energy, &x, 3);
    let mut want_e = vec![0.0; 40];
    smooth_energy(&x, 3, &mut want_e).unwrap();
    assert_eq!(e, want_e, "energies come straight from the callback");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one batched callback call for 40 points"
    );
    assert_close(&g, &smooth_gradient(&x), 1e-10, "finite-difference gradient");
}

#[test]
fn finite_difference_steps_scale_with_large_coordinates() {
    // E = Σ xᵢ⁴ / 4: the five-point stencil is exact for quartics, so what remains is
    // rounding, documented as about 1e-12 · |E|.
    let quartic = |x: &[f64], dim: usize, out: &mut [f64]| -> Result<(), CallbackFailure> {
        for (p, e) in x.chunks(dim).zip(out) {
            *e = p.iter().map(|v| v.powi(4) / 4.0).sum();
        }
        Ok(())
    };
    let energy = CallbackEnergy::new(2, Box::new(quartic), None).unwrap();
    let x = [1234.5, -0.75, 3.0e-3, 2.0e5];
    let (e, g) = eval(&energy, &x, 2);
    for (i, (got, xi)) in g.iter().zip(&x).enumerate() {
        let bound = 1e-12 * e[i / 2].abs().max(1.0);
        assert!(
            (got - xi.powi(3)).abs() < bound,
            "gradient[{i}] = {got}, want {} (bound {bound:e})",
            xi.powi(3)
        );
    }
}

#[test]
fn finite_differences_batch_large_inputs() {
    let energy = CallbackEnergy::new(2, Box::new(smooth_energy), None).unwrap();
    let x = points(20_000, 2, 11); // more probe points than one batch holds
    let (_, g) = eval(&energy, &x, 2);
    assert_close(&g, &smooth_gradient(&x), 1e-10, "batched finite differences");
}

#[test]
fn callback_gradient_is_used_when_given() {
    let energy = CallbackEnergy::new(
        2,
        Box::new(smooth_energy),
        Some(Box::new(|x, dim, energy_out, gradient_out| {
            smooth_energy(x, dim, energy_out)?;
            gradient_out.copy_from_slice(&smooth_gradient(x));
            Ok(())
        })),
    )
    .unwrap();
    let x = points(7, 2, 12);
    let (_, g) = eval(&energy, &x, 2);
    assert_eq!(g, smooth_gradient(&x), "exactly the callback's gradient");
}

#[test]
fn callback_failure_is_reported_with_its_code_and_message() {
    let energy = CallbackEnergy::new(
        2,
        Box::new(|_, _, _| {
            Err(CallbackFailure {
                code: 7,
                detail: Some("out of range".into()),
            })
        }),
        None,
    )
    .unwrap();
    let mut e = vec![0.0; 1];
    let err = evaluate(&energy, Device::Cpu, &[0.0, 0.0], 2, Some(&mut e), None).unwrap_err();
    assert_eq!(err.to_string(), "energy_fn: callback returned 7 (out of range)");
}

#[test]
fn composite_with_callback_and_analytic_parts_on_the_tensor_path() {
    let callback: Arc<dyn Energy> = Arc::new(CallbackEnergy::new(2, Box::new(smooth_energy), None).unwrap());
    let composite = Composite::new(vec![callback, Arc::new(Booth)], Some(&[2.0, 1.0])).unwrap();
    let x = points(3, 2, 13);
    let tensor = tch::Tensor::from_slice(&x).reshape([3, 2]);
    let (e, g) = composite.energy_and_gradient(&tensor).unwrap();
    let (e_host, g_host) = eval(&composite, &x, 2);
    assert_close(&Vec::<f64>::try_from(&e).unwrap(), &e_host, 1e-15, "energies");
    assert_close(
        &Vec::<f64>::try_from(&g.flatten(0, -1)).unwrap(),
        &g_host,
        1e-15,
        "gradients",
    );
}
