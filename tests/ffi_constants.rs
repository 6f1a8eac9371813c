//! The default-parameter macros of the header equal the core's defaults.

use torchebm::energy::{Ackley, DoubleWell, Harmonic, Rastrigin, Rosenbrock};
use torchebm::ffi;

#[test]
fn header_defaults_equal_core_defaults() {
    assert_eq!(ffi::EBM_DOUBLE_WELL_DEFAULT_A, DoubleWell::DEFAULT_A);
    assert_eq!(ffi::EBM_DOUBLE_WELL_DEFAULT_B, DoubleWell::DEFAULT_B);
    assert_eq!(ffi::EBM_HARMONIC_DEFAULT_K, Harmonic::DEFAULT_K);
    assert_eq!(ffi::EBM_ROSENBROCK_DEFAULT_A, Rosenbrock::DEFAULT_A);
    assert_eq!(ffi::EBM_ROSENBROCK_DEFAULT_B, Rosenbrock::DEFAULT_B);
    assert_eq!(ffi::EBM_ACKLEY_DEFAULT_A, Ackley::DEFAULT_A);
    assert_eq!(ffi::EBM_ACKLEY_DEFAULT_B, Ackley::DEFAULT_B);
    assert_eq!(ffi::EBM_ACKLEY_DEFAULT_C, Ackley::DEFAULT_C);
    assert_eq!(ffi::EBM_RASTRIGIN_DEFAULT_A, Rastrigin::DEFAULT_A);
    assert_eq!(ffi::EBM_DEVICE_CPU, torchebm::runtime::CPU_DEVICE_CODE);
}
