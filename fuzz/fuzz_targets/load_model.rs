//! ebm_model_load on arbitrary bytes (written to a temporary file): a libtorchebm safetensors
//! model, corrupted. A model that loads must then evaluate, count and report its parameters.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: init(), |data: &[u8]| {
    let path = write_temp("model.safetensors", data);
    let Some(model) = new_handle!(ebm_model_load(path.as_ptr(), EBM_DEVICE_CPU)).map(Energy) else { return };
    use_model(&model);
});

/// What every loaded model must support.
fn use_model(model: &Energy) {
    let dim = energy_dim(model).expect("a loaded model has a fixed dim");
    assert!(dim >= 1);
    let mut count = -1;
    assert!(ebm!(ebm_model_parameter_count(model.0, &mut count)));
    assert!(count >= 1, "a loaded model with {count} parameters");
    if count <= 1 << 20 {
        let mut params = vec![0.0f32; count as usize];
        assert!(ebm!(ebm_model_get_parameters_f32(model.0, params.as_mut_ptr(), count)));
    }
    if dim <= 64 {
        let n = 3;
        let x: Vec<f32> = (0..n * dim).map(|i| (i as f32) * 0.25 - 1.0).collect();
        let mut e = vec![0.0f32; n as usize];
        let mut g = vec![0.0f32; (n * dim) as usize];
        ebm!(ebm_energy_eval_and_gradient_f32(model.0, x.as_ptr(), n, dim, e.as_mut_ptr(), g.as_mut_ptr()));
    }
}
