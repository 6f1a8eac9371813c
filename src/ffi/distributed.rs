//! Data-parallel training and sharded sampling over the host's own all-reduce (MPI, MPI.jl):
//! the callback type and the two functions that install it.

use std::ffi::c_void;

use super::args::handle_mut;
use super::callback::{clear_detail, ebm_free_fn, take_detail, UserData};
use super::guard::call;
use super::model::{EBM_DTYPE_F32, EBM_DTYPE_F64};
use super::optimizer::ebm_optimizer;
use super::sampler::ebm_sampler;
use super::status::ebm_status;
use crate::distributed::{AllReduce, Values};
use crate::error::Error;

/// Sums count values in place across every process of the host's communicator: on return,
/// each process's values hold the element-wise sum over all processes, the same on every
/// process. dtype is EBM_DTYPE_F32 (values points to count floats) or EBM_DTYPE_F64 (count
/// doubles). With MPI that is MPI_Allreduce(MPI_IN_PLACE, values, count, dtype ==
/// EBM_DTYPE_F32 ? MPI_FLOAT : MPI_DOUBLE, MPI_SUM, comm); include/torchebm_mpi.h has one
/// ready (ebm_mpi_allreduce, with user_data an MPI_Comm *).
///
/// Return 0 on success, any other value on failure (optionally after
/// ebm_callback_set_error()); the library call then fails with EBM_ERR_CALLBACK. Called on
/// the thread that made the library call, never with count 0; values is valid only during
/// the call. Must not throw C++ exceptions or longjmp.
pub type ebm_allreduce_fn =
    Option<unsafe extern "C" fn(values: *mut c_void, count: usize, dtype: i32, user_data: *mut c_void) -> i32>;

/// The core's all-reduce calling the user's function; the library owns user_data from here.
fn allreduce(function: unsafe extern "C" fn(*mut c_void, usize, i32, *mut c_void) -> i32, data: UserData) -> AllReduce {
    AllReduce::new(Box::new(move |values| {
        let (ptr, count, dtype) = match values {
            Values::F32(v) => (v.as_mut_ptr() as *mut c_void, v.len(), EBM_DTYPE_F32),
            Values::F64(v) => (v.as_mut_ptr() as *mut c_void, v.len(), EBM_DTYPE_F64),
        };
        clear_detail();
        // SAFETY: a buffer of `count` elements of `dtype`; the user's function honours the
        // typedef and user_data is theirs.
        let code = unsafe { function(ptr, count, dtype, data.ptr()) };
        let detail = take_detail();
        if code == 0 {
            Ok(())
        } else {
            Err(Error::Callback {
                arg: "allreduce_fn",
                code,
                detail,
            })
        }
    }))
}

/// Makes the optimizer's updates data-parallel over P processes (MPI ranks), each training a
/// copy of the same model on its own share of the data: allreduce_fn, called with user_data,
/// sums across them. ebm_cd_loss_train_step_*, ebm_score_matching_train_step_* and
/// ebm_optimizer_step with this optimizer then become collective calls: every process must
/// make them, in the same order.
///
/// A train step computes each process's loss L_p and gradient g_p on its own n_p points, then
/// updates every process with g = sum_p n_p g_p / sum_p n_p: the step of one process given all
/// the batches together (for CD, n_p is the number of data points; give every process the
/// same n_negatives ratio). *loss_out receives sum_p n_p L_p / sum_p n_p on every process.
/// Two all-reduce calls per step: 6 doubles (batch sizes, losses, a failure flag, the model's
/// size), then the weighted gradients, ebm_model_parameter_count() values in the model's
/// precision (floats for a float model). ebm_optimizer_step (after ebm_cd_loss_compute_* or
/// gradients of your own) averages the processes' gradients with equal weights,
/// sum_p g_p / P, through the same two calls. Clipping (max_grad_norm) and the non-finite
/// check apply to the combined gradient, so every process takes the same update; a parameter
/// without a gradient counts as zero.
///
/// Start every process from the same parameters (the same ebm_mlp_params seed, or
/// ebm_model_set_parameters_* with one process's values) and the same optimizer settings.
/// For CD, give each process's sampler its global first_chain so that its negatives are its
/// own chains of the one big run; PCD replay buffers stay each process's own (its chains).
///
/// Failures. A process whose own part fails (non-finite data or loss, a dim the model does
/// not take, a failing energy callback, ...) still takes part in the first all-reduce, which
/// tells the others: none of them updates; that process returns its own error and the others
/// EBM_ERR_REMOTE. Processes whose models differ in parameter count or precision all fail
/// with EBM_ERR_INVALID_ARGUMENT before any gradient is sent. A failing allreduce_fn is
/// EBM_ERR_CALLBACK. Errors found before the step starts (NULL handles or data, n < 1,
/// dim < 1, EBM_ERR_BUSY) return at once without any collective call, so the other processes
/// would wait in theirs: treat them as fatal (e.g. MPI_Abort).
///
/// NULL allreduce_fn removes the all-reduce (the optimizer is local again). free_user_data
/// (optional) is called with user_data exactly once, when this all-reduce is replaced or
/// removed or the optimizer is freed; without it, user_data (e.g. an MPI_Comm *) must stay
/// valid until then. If this function fails, free_user_data is not called.
///
/// Errors: EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_BUSY (called from a callback the
/// optimizer is running).
///
/// Example, a complete program (make test-header-examples compiles and runs it):
///
/// ```c
/// #include <stdio.h>
/// #include "torchebm.h"
///
/// // Sums values over the processes, in place: with MPI, MPI_Allreduce(MPI_IN_PLACE, ...) (see
/// // ebm_mpi_allreduce in include/torchebm_mpi.h). Here there is one process, so the sum is the
/// // values themselves; it only counts its calls.
/// static int32_t sum_over_one_process(void *values, size_t count, int32_t dtype, void *user_data) {
///     (void)values, (void)count, (void)dtype;
///     ++*(int *)user_data;
///     return 0;
/// }
///
/// int main(void) {
///     ebm_energy *bowl = NULL;
///     ebm_sampler *sampler = NULL;
///     ebm_langevin_params params = ebm_langevin_default_params();
///     params.first_chain = 0; // on rank r, r * n_local: the chains of one run, sharded
///     int calls = 0;
///     ebm_sampler_stats stats;
///     if (ebm_energy_harmonic_new(1.0, &bowl) || ebm_langevin_new(bowl, &params, &sampler) ||
///         ebm_sampler_set_allreduce(sampler, sum_over_one_process, &calls, NULL) ||
///         ebm_sampler_init_f64(sampler, NULL, 100, 2) || ebm_sampler_run(sampler, 10) ||
///         ebm_sampler_get_stats(sampler, &stats, sizeof stats)) { // collective: every rank calls it
///         fprintf(stderr, "%s\n", ebm_last_error_message());
///         return 1;
///     }
///     printf("statistics of %lld chains, combined in %d all-reduce calls\n", (long long)stats.n_chains, calls);
///     ebm_sampler_free(sampler);
///     ebm_energy_free(bowl);
///     return stats.n_chains == 100 && calls > 0 ? 0 : 1;
/// }
/// ```
#[no_mangle]
pub unsafe extern "C" fn ebm_optimizer_set_allreduce(
    optimizer: *mut ebm_optimizer,
    allreduce_fn: ebm_allreduce_fn,
    user_data: *mut c_void,
    free_user_data: ebm_free_fn,
) -> ebm_status {
    call("ebm_optimizer_set_allreduce", || {
        let optimizer = unsafe { handle_mut(optimizer, "optimizer")? };
        let mut optimizer = optimizer.optimizer.lock("optimizer")?;
        // Every check is done: from here on the library owns user_data.
        let reduce = allreduce_fn.map(|f| allreduce(f, UserData::new(user_data, free_user_data)));
        optimizer.set_allreduce(reduce);
        Ok(())
    })
}

/// Combines the diagnostics of chains sharded over P processes (MPI ranks), each running its
/// own share of the chains with its own sampler: allreduce_fn, called with user_data, sums
/// across them. ebm_sampler_get_stats and ebm_sampler_get_energy_trace on this sampler then
/// become collective calls (every process must make them, in the same order) describing
/// every process's chains together, as one sampler running all of them would: n_chains and
/// non_finite_chains and divergences are totals, and mean_acceptance, mean_energy,
/// mean_tree_depth and each step's trace value are over all chains (equal to one sampler's up to rounding: the sums are added in another
/// order). steps and dim must be the same on every process, otherwise every process fails
/// with EBM_ERR_INVALID_ARGUMENT; step_size stays this process's. ebm_sampler_get_stats makes
/// one all-reduce call (13 doubles), ebm_sampler_get_energy_trace two (4 doubles, then
/// 2 * steps). A process whose call fails locally (chains not initialised) still takes part,
/// and the others return EBM_ERR_REMOTE; errors found before (NULL arguments, out_size too
/// small, capacity < 0, EBM_ERR_BUSY) return without any collective call: treat them as fatal.
///
/// Everything else stays local: running and sampling never call allreduce_fn, and
/// ebm_sampler_get_samples_*, ebm_sampler_get_acceptance_rates,
/// ebm_sampler_get_non_finite_chains and progress callbacks see this process's chains only.
/// Step-size adaptation (adapt_steps > 0) follows this process's chains' acceptance, so
/// sharded runs that adapt differ from one big run.
///
/// NULL allreduce_fn removes the all-reduce. free_user_data (optional) is called with
/// user_data exactly once, when this all-reduce is replaced or removed or the sampler is
/// finally released (a CD loss keeps its sampler alive after ebm_sampler_free); without it,
/// user_data must stay valid until then. If this function fails, free_user_data is not
/// called.
///
/// Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_BUSY (called from the sampler's own
/// callbacks).
#[no_mangle]
pub unsafe extern "C" fn ebm_sampler_set_allreduce(
    sampler: *mut ebm_sampler,
    allreduce_fn: ebm_allreduce_fn,
    user_data: *mut c_void,
    free_user_data: ebm_free_fn,
) -> ebm_status {
    call("ebm_sampler_set_allreduce", || {
        let sampler = unsafe { handle_mut(sampler, "sampler")? };
        let mut sampler = sampler.lock()?;
        // Every check is done: from here on the library owns user_data.
        let reduce = allreduce_fn.map(|f| allreduce(f, UserData::new(user_data, free_user_data)));
        sampler.set_allreduce(reduce);
        Ok(())
    })
}
