//! ebm_checkpoint_load on arbitrary bytes (written to a temporary file) into the handles the
//! seeds were saved from (fuzz/make_seeds.py): an MLP 2 -> 8 -> 8 -> 1 (SiLU, float), Adam and
//! a PCD loss of a Langevin sampler. Loaded twice: into all three, and into the model alone.
//! After a load that succeeds, a train step must run.
#![no_main]

#[path = "common/mod.rs"]
mod common;

use common::*;
use libfuzzer_sys::fuzz_target;
use std::ptr;

fuzz_target!(init: init(), |data: &[u8]| {
    let path = write_temp("checkpoint", data);

    let hidden = [8i64, 8];
    let mut mp = ebm_mlp_default_params();
    mp.input_dim = 2;
    mp.hidden = hidden.as_ptr();
    mp.n_hidden = 2;
    let model = Energy(new_handle!(ebm_model_mlp_new(&mp)).unwrap());
    let adam = ebm_adam_default_params();
    let opt = Optimizer(new_handle!(ebm_optimizer_adam_new(model.0, &adam)).unwrap());
    let lp = ebm_langevin_default_params();
    let sampler = Sampler(new_handle!(ebm_langevin_new(model.0, &lp)).unwrap());
    let mut cp = ebm_cd_default_params();
    cp.start = EBM_CD_START_PERSISTENT;
    cp.buffer_size = 32;
    let loss = CdLoss(new_handle!(ebm_cd_loss_new(model.0, sampler.0, &cp)).unwrap());

    let full = ebm!(ebm_checkpoint_load(path.as_ptr(), model.0, opt.0, loss.0));
    let model_only = ebm!(ebm_checkpoint_load(path.as_ptr(), model.0, ptr::null_mut(), ptr::null_mut()));
    assert!(!full || model_only, "a checkpoint loads with optimizer and loss but not alone");
    if !model_only {
        return;
    }
    let batch: Vec<f32> = (0..16).map(|i| (i as f32) * 0.1 - 0.8).collect();
    let mut value = 0.0;
    ebm!(ebm_cd_loss_train_step_f32(loss.0, opt.0, batch.as_ptr(), 8, 2, &mut value));
    let mut params = vec![0.0f32; 4096];
    let mut count = 0;
    assert!(ebm!(ebm_model_parameter_count(model.0, &mut count)));
    assert!(ebm!(ebm_model_get_parameters_f32(model.0, params.as_mut_ptr(), count)));
});
