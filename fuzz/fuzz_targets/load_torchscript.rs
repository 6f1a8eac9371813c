//! ebm_model_torchscript_load on arbitrary bytes (written to a temporary file): a TorchScript
//! archive (zip), corrupted, loaded for points of dimension 2 (the seeds' modules, from
//! fuzz/make_seeds.py, take that). A module that loads must then evaluate.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;

fuzz_target!(init: init(), |data: &[u8]| {
    let dim = 2;
    let path = write_temp("module.pt", data);
    let Some(model) = new_handle!(ebm_model_torchscript_load(path.as_ptr(), dim, EBM_DEVICE_CPU)).map(Energy) else { return };
    assert_eq!(energy_dim(&model), Some(dim));
    let n = 3;
    let x: Vec<f32> = (0..n * dim).map(|i| (i as f32) * 0.25 - 1.0).collect();
    let mut e = vec![0.0f32; n as usize];
    let mut g = vec![0.0f32; (n * dim) as usize];
    ebm!(ebm_energy_eval_and_gradient_f32(model.0, x.as_ptr(), n, dim, e.as_mut_ptr(), g.as_mut_ptr()));
});
