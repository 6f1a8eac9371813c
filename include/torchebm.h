/**
 * torchebm.h — libtorchebm's C API: TorchEBM's energy functions, Markov-chain samplers,
 * training losses and neural energy models on libtorch, for C, C++, Julia and any language
 * with a C FFI. "The specification" below is TorchEBM's core-components design document,
 * whose names, formulas and defaults this library follows.
 *
 * SECTIONS. After the constants and types, the functions come in sections, each opening with
 * a banner "SECTION: <title>" (Errors, versions and runtime; Energies; Evaluation; User
 * energies; Samplers; Chain state; Tempering; Models; Training; Distributed; Datasets; AIS;
 * Diagnostics). The doc comment right below a banner, or the section's main function, holds
 * a worked example: a complete C program that the library's tests compile and run.
 *
 * CONVENTIONS
 *
 * Errors. Every fallible function returns an ebm_status; EBM_OK (0) is success. On failure,
 * ebm_last_error_message() returns one line naming the function and the argument at fault,
 * e.g. "ebm_energy_gaussian_new: cov: not positive definite (...)"; libtorch's errors are
 * cut to their first meaningful line. The message is thread-local, stays valid until the
 * next ebm_ call on the same thread, and is empty after a successful fallible call (even
 * when a callback made failing ebm_ calls of its own during it).
 * ebm_status_string() gives a fixed text per status. No panic and no C++ exception ever
 * leaves the library: an internal failure is reported as EBM_ERR_PANIC.
 *
 * Handles. Objects are opaque pointers created by ebm_*_new(..., T **out) and released by
 * the matching ebm_*_free(). *out is written only on success. Every _free accepts NULL. A
 * handle that uses another (a composite and its parts, a sampler and its energy) keeps what
 * it uses alive, so handles may be freed in any order; freeing a handle twice, or using it
 * after freeing it, is undefined behaviour.
 *
 * Parameter structs. Every constructor with settings (samplers, losses, optimizers, models,
 * datasets, AIS, replica exchange) takes a params struct filled by its
 * ebm_*_default_params(), which holds the library's defaults and sets struct_size (so that
 * a newer library can append fields and still read this header's struct); change the fields
 * you need and pass a pointer. The struct is copied. A schedule (ebm_schedule) starts from
 * ebm_schedule_default(kind). Wrappers take their defaults from these functions.
 *
 * Buffers. Points are row-major (n, dim) arrays: point i occupies x[i*dim .. i*dim+dim-1].
 * Every buffer is owned by the caller, must hold the number of elements stated for it, be
 * aligned for its element type, and not overlap the other buffers of the call (overlap is
 * reported as EBM_ERR_INVALID_ARGUMENT). Functions come in _f32 (float) and _f64 (double)
 * variants; no conversion is needed on the caller's side. Precision: analytic and callback
 * energies compute in double for _f64 buffers, but a neural energy (an MLP or TorchScript
 * model) computes in its parameters' dtype: _f64 buffers on a float32 model get float32
 * results in doubles (float32 rounding, 1e-7 to 1e-5 relative), silently. For double precision build the MLP
 * with EBM_DTYPE_F64, or convert it with ebm_model_to_dtype. n = 0 is valid for evaluations
 * (ebm_energy_eval_*, ebm_energy_gradient_*, ebm_energy_eval_and_gradient_*) and for
 * ebm_render_png's point lists: nothing is read or written and the pointers may be NULL.
 * Functions that start chains, compute a loss or generate points need n >= 1 (and
 * ebm_sampler_sample_* n_samples >= 1): EBM_ERR_INVALID_ARGUMENT naming the argument; those
 * that read a sampler's or loss's state need its own n (EBM_ERR_LENGTH_MISMATCH).
 * n < 0 and dim < 1 are errors. Sizes are bounded by real memory, before anything is read
 * or allocated: a caller buffer whose stated size exceeds this machine's memory (RAM +
 * swap, or the process's cgroup limit) is EBM_ERR_SIZE_OVERFLOW, and work the library would
 * have to allocate beyond the memory available now (chains, negatives, replay buffers,
 * datasets, covariance factors) is EBM_ERR_OUT_OF_MEMORY. After a failed call the contents
 * of the output buffers are unspecified; inputs are never modified (user code such as a
 * TorchScript module only ever sees private copies of them).
 *
 * Gradients. ebm_energy_gradient_* returns the gradient of the energy, grad_x E(x). It is
 * NOT the score of the distribution: the score is grad_x log p(x) = -grad_x E(x). (TorchEBM's
 * documentation calls grad_x E a "score".)
 *
 * Devices. A device is an int32_t: EBM_DEVICE_CPU (-1), or k >= 0 for CUDA device k. An
 * energy evaluates on the device set with ebm_energy_set_device() (CPU by default): inputs
 * are copied there from the caller's host buffers and results copied back. Small CPU batches
 * of analytic energies skip libtorch and run as plain loops in double precision.
 *
 * Start-up and CUDA. Loading this library loads libtorch's CPU part (libc10, libtorch_cpu),
 * whose own initialisation is most of a host's start-up cost. libtorch's CUDA backend
 * (libtorch_cuda.so and the CUDA libraries it needs) is not linked: the library loads it once,
 * from the directory of libtorch_cpu.so, just before its first use of libtorch — the first
 * model, TorchScript module, loss, dataset, picture, saved model or checkpoint read, sampler
 * with EBM_RNG_TORCH or on CUDA, ebm_energy_set_device() to a CUDA device, or call of
 * ebm_cuda_is_available(), ebm_cuda_device_count() or ebm_get_build_info(). Analytic and
 * callback energies evaluated and sampled on the CPU with EBM_RNG_PER_CHAIN never load it,
 * except Gaussian and Gaussian-mixture energies (also within composites) of dimension above
 * 16 on batches of more than 2^18 multiply-adds, which use libtorch's BLAS. Without
 * libtorch_cuda.so (a CPU-only libtorch), or when it cannot be loaded, CUDA is unavailable:
 * ebm_build_info.cuda_compiled is false and CUDA device requests fail with
 * EBM_ERR_DEVICE_UNAVAILABLE and the reason.
 *
 * Sampling. A sampler advances n chains in parallel: ebm_sampler_init_* places them (given
 * points, or N(0, I) draws), ebm_sampler_run advances them by k more steps (as often as
 * needed, e.g. once per frame), ebm_sampler_get_samples_* reads them. The specification's
 * sample_chain, sample and sample_step are ebm_sampler_sample_chain_*, ebm_sampler_sample_*
 * and ebm_sampler_step_*. Chains whose state turns NaN or infinite are frozen at their last
 * finite state and reported (ebm_sampler_get_stats, ebm_sampler_get_non_finite_chains),
 * never propagated.
 *
 * Reproducibility. A sampler's random streams belong to it: the same parameters, seed,
 * device, buffer type and sequence of calls give bit-identical results, whatever other
 * samplers or threads do, however many CPU threads run and whatever task runner is set.
 * With EBM_RNG_PER_CHAIN on the CPU, chain i draws from its own stream, keyed by (seed,
 * first_chain + i): shards of one run computed anywhere (chains [a, b) with first_chain = a)
 * equal that run's chains bit for bit, for energies that evaluate each point on its own.
 * With EBM_RNG_TORCH the draws are exactly PyTorch's after torch.manual_seed(seed).
 *
 * THREADS
 *
 * The library lives on the host's cores. libtorch runs single-threaded inside every
 * operation (the library sets its intra-op thread count to 1 in this process), so no
 * OpenMP team ever busy-waits for a preempted thread; the library's own parallel work is
 * split over chains or points and runs on one pool whose threads sleep when idle
 * (ebm_set_num_threads; 1 = the calling thread only, no thread started), or on the host's
 * own threads (ebm_set_task_runner). Results never depend on the thread count or runner.
 *
 * THREAD SAFETY
 *
 * Functions taking a const handle (const ebm_energy *) may be called concurrently from any
 * number of threads on the same handle. Functions taking a non-const handle need exclusive
 * access to it for the duration of the call (samplers, losses and optimizers also
 * serialise their calls internally, so misuse cannot corrupt them). Distinct handles are
 * independent, with one shared object: a model and the samplers, losses and optimizers
 * built on it may be used from different threads at once. Its parameters are guarded by a
 * reader-writer lock: ebm_model_set_parameters_*, ebm_optimizer_step, the train steps and
 * ebm_checkpoint_load wait for evaluations in progress, and every
 * evaluation or sampler step sees the parameters wholly before or wholly after an update,
 * never a mix. Process-wide state: the thread count (ebm_set_num_threads), the task runner
 * (ebm_set_task_runner) and CUDA device initialisation; the last-error message is per
 * thread. User callbacks may be invoked concurrently when their energy is evaluated from
 * several threads at once; a sampler's progress callback runs on the thread that called
 * ebm_sampler_run, and an all-reduce (ebm_allreduce_fn) on the thread that made the
 * collective call.
 *
 * Callbacks calling back. A callback (progress or energy) may call any ebm_ function on
 * other handles, and read-only functions on const handles. Calling the sampler, loss or
 * optimizer that is running it (or changing the parameters of a model that its call is
 * evaluating or training) returns EBM_ERR_BUSY at once, changes nothing, and never
 * deadlocks; call again after the outer call returns. A handle must not be freed from a
 * callback it is running.
 *
 * SEVERAL PROCESSES (MPI)
 *
 * The library brings no distributed runtime: it uses the host's. Given an all-reduce
 * function (ebm_allreduce_fn; include/torchebm_mpi.h has one for MPI communicators), an
 * optimizer averages gradients across processes (ebm_optimizer_set_allreduce: data-parallel
 * training) and a sampler combines the statistics of chains sharded across processes
 * (ebm_sampler_set_allreduce). The functions that then call the all-reduce are collective:
 * every process must call them, in the same order. Everything else stays local to each
 * process, replay buffers included.
 */

#ifndef TORCHEBM_H
#define TORCHEBM_H

/* Generated by cbindgen from src/ffi (make header). Do not edit by hand. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/** Version of this header: compare with ebm_version() / ebm_version_number() to
 *  check that header and library match. */
#define EBM_VERSION "0.1.0"
#define EBM_VERSION_MAJOR 0
#define EBM_VERSION_MINOR 1
#define EBM_VERSION_PATCH 0
/** major * 1000000 + minor * 1000 + patch */
#define EBM_VERSION_NUMBER 1000
/** The device code of the CPU. CUDA devices are 0, 1, ... (see ebm_cuda_device_count()). */
#define EBM_DEVICE_CPU (-1)


/**
 * Specification default for ebm_energy_double_well_new's a.
 */
#define EBM_DOUBLE_WELL_DEFAULT_A 1.0

/**
 * Specification default for ebm_energy_double_well_new's b.
 */
#define EBM_DOUBLE_WELL_DEFAULT_B 2.0

/**
 * TorchEBM 0.8.9 default for ebm_energy_harmonic_new's k.
 */
#define EBM_HARMONIC_DEFAULT_K 1.0

/**
 * TorchEBM 0.8.9 default for ebm_energy_rosenbrock_new's a.
 */
#define EBM_ROSENBROCK_DEFAULT_A 1.0

/**
 * TorchEBM 0.8.9 default for ebm_energy_rosenbrock_new's b.
 */
#define EBM_ROSENBROCK_DEFAULT_B 100.0

/**
 * TorchEBM 0.8.9 default for ebm_energy_ackley_new's a.
 */
#define EBM_ACKLEY_DEFAULT_A 20.0

/**
 * TorchEBM 0.8.9 default for ebm_energy_ackley_new's b.
 */
#define EBM_ACKLEY_DEFAULT_B 0.2

/**
 * TorchEBM 0.8.9 default for ebm_energy_ackley_new's c (2 pi).
 */
#define EBM_ACKLEY_DEFAULT_C 6.283185307179586

/**
 * TorchEBM 0.8.9 default for ebm_energy_rastrigin_new's a.
 */
#define EBM_RASTRIGIN_DEFAULT_A 10.0

/**
 * ebm_schedule.kind: the value stays the parameter's base value.
 */
#define EBM_SCHEDULE_CONSTANT 0

/**
 * ebm_schedule.kind: max(min_value, base * decay_rate^t).
 */
#define EBM_SCHEDULE_EXPONENTIAL_DECAY 1

/**
 * ebm_schedule.kind: from base to end_value linearly over n_steps steps, then end_value.
 */
#define EBM_SCHEDULE_LINEAR 2

/**
 * ebm_schedule.kind: end_value + (base - end_value) * (1 + cos(pi t / n_steps)) / 2, then
 * end_value.
 */
#define EBM_SCHEDULE_COSINE 3

/**
 * Random numbers: on the CPU one xoroshiro128++ stream per chain, keyed by (seed, first_chain +
 * i) for chain i, so a chain's draws depend on nothing else: not on the number of chains, the
 * threads, or the process (the fastest choice). With the same seed, chains [a, b) run with
 * first_chain = a anywhere equal chains [a, b) of one run of all chains, bit for bit, for
 * energies that evaluate each point on its own (analytic and callback energies; neural
 * energies batch their matrix products, whose rounding may depend on the batch). On CUDA,
 * as EBM_RNG_TORCH.
 */
#define EBM_RNG_PER_CHAIN 0

/**
 * Random numbers from a private clone of libtorch's generator for the device, seeded with
 * the seed: the draws PyTorch makes after torch.manual_seed(seed), so seeded TorchEBM runs
 * can be reproduced. On the CPU the chains are then libtorch tensors of the buffers' type.
 */
#define EBM_RNG_TORCH 1

/**
 * ebm_hmc_params.adapt_mass: the mass stays params.mass; adapt_steps > 0 adapts the step
 * size alone by dual averaging.
 */
#define EBM_ADAPT_MASS_NONE 0

/**
 * ebm_hmc_params.adapt_mass: Stan's windowed warm-up adapting the step size and a diagonal
 * inverse mass (the positions' variances).
 */
#define EBM_ADAPT_MASS_DIAGONAL 1

/**
 * ebm_hmc_params.adapt_mass: Stan's windowed warm-up adapting the step size and a dense
 * inverse mass (the positions' covariance); chains of dim <= 100 only.
 */
#define EBM_ADAPT_MASS_DENSE 2

/**
 * Returned by an ebm_progress_fn to let the run go on.
 */
#define EBM_PROGRESS_CONTINUE 0

/**
 * Returned by an ebm_progress_fn to stop the run (EBM_ERR_CANCELLED). Any other nonzero
 * value cancels too.
 */
#define EBM_PROGRESS_CANCEL 1

/**
 * The most replicas a replica-exchange sampler may have.
 */
#define EBM_TEMPERING_MAX_REPLICAS 1024

/**
 * ebm_mlp_params.activation: x * sigmoid(x).
 */
#define EBM_ACTIVATION_SILU 0

/**
 * ebm_mlp_params.activation: max(0, x).
 */
#define EBM_ACTIVATION_RELU 1

/**
 * ebm_mlp_params.activation: tanh(x).
 */
#define EBM_ACTIVATION_TANH 2

/**
 * ebm_mlp_params.activation: log(1 + exp(x)).
 */
#define EBM_ACTIVATION_SOFTPLUS 3

/**
 * ebm_mlp_params.activation: x if x > 0 else exp(x) - 1.
 */
#define EBM_ACTIVATION_ELU 4

/**
 * Element type float: of a model's parameters (ebm_mlp_params.dtype), of an all-reduce's
 * buffer (ebm_allreduce_fn).
 */
#define EBM_DTYPE_F32 0

/**
 * Element type double: of a model's parameters, of an all-reduce's buffer.
 */
#define EBM_DTYPE_F64 1

/**
 * ebm_cd_params.start: chains start from N(0, I) (the specification's choice).
 */
#define EBM_CD_START_NOISE 0

/**
 * ebm_cd_params.start: chains start at the data batch (classic CD-k).
 */
#define EBM_CD_START_DATA 1

/**
 * ebm_cd_params.start: chains start from a persistent replay buffer (PCD).
 */
#define EBM_CD_START_PERSISTENT 2

/**
 * ebm_score_matching_params.method: exact score matching (Hessian trace by autograd; dim
 * backward passes, for small dimensions).
 */
#define EBM_SCORE_MATCHING_EXACT 0

/**
 * ebm_score_matching_params.method: sliced score matching with random projections.
 */
#define EBM_SCORE_MATCHING_SLICED 1

/**
 * ebm_score_matching_params.method: denoising score matching.
 */
#define EBM_SCORE_MATCHING_DENOISING 2

/**
 * ebm_score_matching_params.projection: entries +-1.
 */
#define EBM_PROJECTION_RADEMACHER 0

/**
 * ebm_score_matching_params.projection: entries N(0, 1).
 */
#define EBM_PROJECTION_GAUSSIAN 1

/**
 * ebm_dataset_params.kind: Gaussians on a circle (n_components, std, radius).
 */
#define EBM_DATASET_GAUSSIAN_MIXTURE 0

/**
 * ebm_dataset_params.kind: eight Gaussians at the compass points (std, scale).
 */
#define EBM_DATASET_EIGHT_GAUSSIANS 1

/**
 * ebm_dataset_params.kind: two interleaved half circles (noise).
 */
#define EBM_DATASET_TWO_MOONS 2

/**
 * ebm_dataset_params.kind: a standardised 2-D Swiss roll (noise, arclength).
 */
#define EBM_DATASET_SWISS_ROLL 3

/**
 * ebm_dataset_params.kind: points on a circle (noise, radius).
 */
#define EBM_DATASET_CIRCLE 4

/**
 * ebm_dataset_params.kind: a checkerboard over [-range_limit, range_limit]^2 (range_limit,
 * noise).
 */
#define EBM_DATASET_CHECKERBOARD 5

/**
 * ebm_dataset_params.kind: a pinwheel (n_classes, noise, radial_scale, angular_scale,
 * spiral_scale).
 */
#define EBM_DATASET_PINWHEEL 6

/**
 * ebm_dataset_params.kind: a grid of points_per_dim^2 points (range_limit, noise).
 */
#define EBM_DATASET_GRID 7

/**
 * The most Gaussians (GAUSSIAN_MIXTURE's n_components) or blades (PINWHEEL's n_classes) a
 * dataset may have.
 */
#define EBM_DATASET_MAX_COMPONENTS 65536

/**
 * ebm_ais_params.schedule: beta_k = s(k/K) with s(t) = sigmoid(4 (2t - 1)) rescaled to run
 * from 0 to 1: temperatures crowd near both ends of the path.
 */
#define EBM_AIS_SCHEDULE_SIGMOID 0

/**
 * ebm_ais_params.schedule: beta_k = k/K.
 */
#define EBM_AIS_SCHEDULE_LINEAR 1

/**
 * ebm_ais_params.sampler: Metropolis-adjusted Langevin transitions (as ebm_mala_new).
 */
#define EBM_AIS_SAMPLER_MALA 0

/**
 * ebm_ais_params.sampler: Hamiltonian Monte Carlo transitions with unit mass (as
 * ebm_hmc_new).
 */
#define EBM_AIS_SAMPLER_HMC 1

/**
 * Result of every fallible ebm_ function. EBM_OK is 0; every other value is an error whose
 * details are in ebm_last_error_message(). New codes are only ever appended.
 */
typedef enum ebm_status {
  /**
   * Success.
   */
  EBM_OK = 0,
  /**
   * A required pointer or handle argument was NULL.
   */
  EBM_ERR_NULL_POINTER = 1,
  /**
   * An argument outside its documented domain (negative count, unknown code, overlapping
   * buffers, misaligned pointer, ...).
   */
  EBM_ERR_INVALID_ARGUMENT = 2,
  /**
   * A parameter that must be finite is NaN or infinite.
   */
  EBM_ERR_NON_FINITE = 3,
  /**
   * The points' dimension is not one the energy accepts, or energies of incompatible
   * dimensions were combined.
   */
  EBM_ERR_DIMENSION_MISMATCH = 4,
  /**
   * Two arrays that must have the same length do not.
   */
  EBM_ERR_LENGTH_MISMATCH = 5,
  /**
   * Sizes whose product, or byte count, does not fit in memory.
   */
  EBM_ERR_SIZE_OVERFLOW = 6,
  /**
   * A covariance matrix that is not symmetric positive definite.
   */
  EBM_ERR_NOT_POSITIVE_DEFINITE = 7,
  /**
   * A CUDA device was requested that this build or machine does not have.
   */
  EBM_ERR_DEVICE_UNAVAILABLE = 8,
  /**
   * A user callback returned nonzero.
   */
  EBM_ERR_CALLBACK = 9,
  /**
   * libtorch reported an error (out of memory, CUDA error, ...).
   */
  EBM_ERR_TORCH = 10,
  /**
   * An internal error (a bug in libtorchebm) was contained; the message says where.
   */
  EBM_ERR_PANIC = 11,
  /**
   * Host memory for the call could not be allocated (libtorch's own allocation failures,
   * including CUDA's, are EBM_ERR_TORCH).
   */
  EBM_ERR_OUT_OF_MEMORY = 12,
  /**
   * A progress callback cancelled a run; the chains hold the state reached.
   */
  EBM_ERR_CANCELLED = 13,
  /**
   * A file could not be opened, read or written.
   */
  EBM_ERR_IO = 14,
  /**
   * A file is truncated, corrupted, not a libtorchebm file, or holds another architecture.
   */
  EBM_ERR_FORMAT = 15,
  /**
   * The handle is in use by a call further up the calling thread's stack: a callback
   * (progress or energy) called back into the sampler, loss or optimizer that is running
   * it. Nothing was done; return from the callback and call again afterwards.
   */
  EBM_ERR_BUSY = 16,
  /**
   * Another process failed its part of a collective call (a training step or statistics
   * combined through an all-reduce set with ebm_optimizer_set_allreduce or
   * ebm_sampler_set_allreduce); nothing was changed on this one. That process's own status
   * and message say why.
   */
  EBM_ERR_REMOTE = 17,
} ebm_status;

/**
 * A contrastive-divergence loss: a model, a sampler of it, and (for PCD) a replay buffer.
 * Created by ebm_cd_loss_new, released by ebm_cd_loss_free; keeps its model and sampler alive.
 */
typedef struct ebm_cd_loss ebm_cd_loss;

/**
 * An energy function E: R^dim -> R. Created by one of the ebm_energy_*_new functions,
 * released with ebm_energy_free(). Evaluated with ebm_energy_eval_*, ebm_energy_gradient_*
 * and ebm_energy_eval_and_gradient_*.
 */
typedef struct ebm_energy ebm_energy;

/**
 * An optimizer of one model's parameters, created by ebm_optimizer_sgd_new or
 * ebm_optimizer_adam_new, released by ebm_optimizer_free; keeps its model alive.
 */
typedef struct ebm_optimizer ebm_optimizer;

/**
 * A Markov-chain sampler of exp(-E) advancing n chains in parallel, created by
 * ebm_langevin_new, ebm_mala_new, ebm_hmc_new, ebm_kinetic_langevin_new or ebm_nuts_new and
 * released with ebm_sampler_free(). It keeps its energy alive (and CD losses keep it alive). Calls on one sampler are serialised
 * internally, so a sampler shared between threads never corrupts; give each thread its own
 * sampler for parallelism.
 */
typedef struct ebm_sampler ebm_sampler;

/**
 * A score-matching loss, created by ebm_score_matching_new, released by
 * ebm_score_matching_free; keeps its energy alive.
 */
typedef struct ebm_score_matching ebm_score_matching;

/**
 * Versions and capabilities of the library and the machine, filled by ebm_get_build_info().
 */
typedef struct ebm_build_info {
  /**
   * Same as ebm_version(). Static.
   */
  const char *version;
  /**
   * Same as ebm_libtorch_version(). Static.
   */
  const char *libtorch_version;
  /**
   * Same as ebm_version_number().
   */
  uint32_t version_number;
  /**
   * libtorch's CUDA backend is loaded: libtorch_cuda.so was found beside libtorch_cpu.so
   * and loaded (false for a CPU-only libtorch, or when it or a CUDA library it needs could
   * not be loaded; a CUDA device request then says why).
   */
  bool cuda_compiled;
  /**
   * At least one CUDA device is usable now.
   */
  bool cuda_available;
  /**
   * Number of usable CUDA devices.
   */
  int32_t cuda_device_count;
  /**
   * Threads the library's parallel work may use (ebm_set_num_threads).
   */
  int32_t num_threads;
} ebm_build_info;

/**
 * One task of the library's parallel work: call it exactly once for each index in
 * [0, n_tasks) with the task_data given to the runner. It never fails and never throws; it
 * may block briefly on locks the library holds.
 */
typedef void (*ebm_task_fn)(void *task_data, int64_t index);

/**
 * Runs n_tasks tasks of the library's parallel work on the host's threads: task(task_data, i)
 * once for every i in [0, n_tasks), on any threads (the calling one included), in any order,
 * and returns only when all have finished. A job system submits n_tasks jobs and waits for
 * them; a runner that can run nothing now may return a nonzero value at once. Return 0 on
 * success. Whatever the runner did not run (or after a nonzero return) the library runs
 * itself on the calling thread, so work is never lost; a task run twice runs only once.
 * Tasks never call the runner again (work started inside a task runs serially). Must not
 * throw C++ exceptions or longjmp.
 */
typedef int32_t (*ebm_task_runner_fn)(ebm_task_fn task,
                                      void *task_data,
                                      int64_t n_tasks,
                                      void *user_data);

/**
 * Computes the energies of n points: energy_out[i] = E(x[i*dim .. i*dim+dim-1]).
 *
 * x holds n*dim doubles (row-major), energy_out n doubles; both are valid only during the
 * call. Return 0 on success, any other value on failure (optionally after
 * ebm_callback_set_error()); the library then fails with EBM_ERR_CALLBACK. Must not throw
 * C++ exceptions or longjmp. May be called concurrently when the energy is evaluated from
 * several threads.
 */
typedef int32_t (*ebm_energy_fn)(const double *x,
                                 int64_t n,
                                 int64_t dim,
                                 double *energy_out,
                                 void *user_data);

/**
 * Computes energies (n doubles into energy_out) and their gradients grad_x E (n*dim doubles
 * into gradient_out) of n points. Same contract as ebm_energy_fn.
 */
typedef int32_t (*ebm_energy_gradient_fn)(const double *x,
                                          int64_t n,
                                          int64_t dim,
                                          double *energy_out,
                                          double *gradient_out,
                                          void *user_data);

/**
 * Releases user_data when the last handle using it is freed.
 */
typedef void (*ebm_free_fn)(void *user_data);

/**
 * How a step size or noise scale evolves with t, the number of steps taken since the chains
 * were initialised (t = 0 for the first step). The value at t = 0 is the parameter's base
 * value (e.g. step_size). Formulas are TorchEBM's. Start from ebm_schedule_default(kind).
 */
typedef struct ebm_schedule {
  /**
   * EBM_SCHEDULE_CONSTANT (default), _EXPONENTIAL_DECAY, _LINEAR or _COSINE.
   */
  int32_t kind;
  /**
   * LINEAR, COSINE: the value reached after n_steps steps (> 0). Default 1.
   */
  double end_value;
  /**
   * EXPONENTIAL_DECAY: the factor applied per step, in (0, 1]. Default 1.
   */
  double decay_rate;
  /**
   * EXPONENTIAL_DECAY: the lower bound (> 0). Default 1e-12.
   */
  double min_value;
  /**
   * LINEAR, COSINE: the number of steps to reach end_value (>= 1). Default 1.
   */
  int64_t n_steps;
} ebm_schedule;

/**
 * Parameters of unadjusted Langevin dynamics (ebm_langevin_new), as the specification
 * writes it: x <- x - step_size * grad E(x) + sqrt(2 * step_size * noise_scale) * xi, xi ~
 * N(0, I). noise_scale acts as a temperature: the chains approach exp(-E / noise_scale),
 * with a bias of order step_size. (TorchEBM 0.8.9 multiplies the noise by noise_scale
 * instead of sqrt(noise_scale): its noise_scale s is noise_scale = s^2 here.)
 *
 * Get defaults from ebm_langevin_default_params(), then change fields.
 */
typedef struct ebm_langevin_params {
  /**
   * sizeof(ebm_langevin_params); set by ebm_langevin_default_params().
   */
  size_t struct_size;
  /**
   * Step size h > 0. Default 0.01 (the specification's).
   */
  double step_size;
  /**
   * Temperature T > 0. Default 1 (the specification's).
   */
  double noise_scale;
  /**
   * Schedule of step_size. Default constant.
   */
  struct ebm_schedule step_size_schedule;
  /**
   * Schedule of noise_scale. Default constant.
   */
  struct ebm_schedule noise_scale_schedule;
  /**
   * Nonzero: clamp every coordinate to [clamp_min, clamp_max] after each step. Default 0.
   */
  int32_t clamp;
  /**
   * Lower clamp bound (finite, < clamp_max).
   */
  double clamp_min;
  /**
   * Upper clamp bound (finite).
   */
  double clamp_max;
  /**
   * Seed of the sampler's random streams. Default 0.
   */
  uint64_t seed;
  /**
   * EBM_DEVICE_CPU (default) or a CUDA device index.
   */
  int32_t device;
  /**
   * EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
   */
  int32_t rng;
  /**
   * The global index of chain 0 (default 0): chain i draws from the stream of chain
   * first_chain + i, so that P processes running chains [a, b) with first_chain = a
   * reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
   * first_chain + n must not exceed 2^64 - 1.
   */
  uint64_t first_chain;
} ebm_langevin_params;

/**
 * Parameters of the Metropolis-adjusted Langevin algorithm (ebm_mala_new): the Langevin
 * proposal y = x - h grad E(x) + sqrt(2 h T) xi, accepted per chain with the
 * Metropolis-Hastings probability, so the chains target exp(-E / T) exactly (T = temperature,
 * default 1).
 */
typedef struct ebm_mala_params {
  /**
   * sizeof(ebm_mala_params); set by ebm_mala_default_params().
   */
  size_t struct_size;
  /**
   * Step size h > 0 (the initial one when adapting). Default 0.01.
   */
  double step_size;
  /**
   * Schedule of step_size; must be constant when adapt_steps > 0. Default constant.
   */
  struct ebm_schedule step_size_schedule;
  /**
   * Number of steps after each initialisation during which h is adapted by dual averaging
   * (then fixed at its averaged value). Default 0: no adaptation.
   */
  int64_t adapt_steps;
  /**
   * Mean acceptance probability adaptation aims at, in (0, 1). Default 0.574 (optimal for
   * MALA).
   */
  double target_accept;
  /**
   * Seed of the sampler's random streams. Default 0.
   */
  uint64_t seed;
  /**
   * EBM_DEVICE_CPU (default) or a CUDA device index.
   */
  int32_t device;
  /**
   * EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
   */
  int32_t rng;
  /**
   * The global index of chain 0 (default 0): chain i draws from the stream of chain
   * first_chain + i, so that P processes running chains [a, b) with first_chain = a
   * reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
   * first_chain + n must not exceed 2^64 - 1.
   */
  uint64_t first_chain;
  /**
   * Temperature T > 0 (default 1): the chains target exp(-E / T), the proposal being
   * unadjusted Langevin's at noise_scale T, y = x - h grad E(x) + sqrt(2 h T) xi.
   */
  double temperature;
} ebm_mala_params;

/**
 * Parameters of Hamiltonian Monte Carlo (ebm_hmc_new): momentum p ~ N(0, T M), n_leapfrog_steps
 * leapfrog steps of size step_size, accepted per chain with probability
 * min(1, exp((H_start - H_end) / T)), H = E(x) + p^T M^-1 p / 2, so the chains target
 * exp(-E / T) (T = temperature, default 1).
 */
typedef struct ebm_hmc_params {
  /**
   * sizeof(ebm_hmc_params); set by ebm_hmc_default_params().
   */
  size_t struct_size;
  /**
   * Leapfrog step size > 0 (the initial one when adapting). Default 0.001 (TorchEBM 0.8.9's).
   */
  double step_size;
  /**
   * Leapfrog steps per proposal, >= 1. Default 10 (TorchEBM 0.8.9's).
   */
  int64_t n_leapfrog_steps;
  /**
   * The mass matrix M: NULL with mass_len 0 for the identity (default), one value for a
   * multiple of the identity, dim values for its diagonal (all > 0), or, when dim > 1,
   * dim*dim values for a dense symmetric positive definite M (row-major, dim <= 100;
   * EBM_ERR_NOT_POSITIVE_DEFINITE at initialisation otherwise). Copied by ebm_hmc_new.
   */
  const double *mass;
  /**
   * Number of values at mass: 0, 1, the chains' dim or dim*dim.
   */
  int64_t mass_len;
  /**
   * Schedule of step_size; must be constant when adapt_steps > 0. Default constant.
   */
  struct ebm_schedule step_size_schedule;
  /**
   * Steps after each initialisation during which step_size is adapted by dual averaging
   * (and the mass too, see adapt_mass). Default 0: no adaptation.
   */
  int64_t adapt_steps;
  /**
   * Mean acceptance probability adaptation aims at, in (0, 1). Default 0.8 (Stan's).
   */
  double target_accept;
  /**
   * Seed of the sampler's random streams. Default 0.
   */
  uint64_t seed;
  /**
   * EBM_DEVICE_CPU (default) or a CUDA device index.
   */
  int32_t device;
  /**
   * EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
   */
  int32_t rng;
  /**
   * The global index of chain 0 (default 0): chain i draws from the stream of chain
   * first_chain + i, so that P processes running chains [a, b) with first_chain = a
   * reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
   * first_chain + n must not exceed 2^64 - 1.
   */
  uint64_t first_chain;
  /**
   * Temperature T > 0 (default 1): the chains target exp(-E / T). Momenta are drawn from
   * N(0, T M), the leapfrog integrates H = E + p^T M^-1 p / 2 unchanged (step_size keeps its
   * meaning at every T) and proposals are accepted with min(1, exp(-(H_end - H_start) / T)).
   */
  double temperature;
  /**
   * EBM_ADAPT_MASS_NONE (default), EBM_ADAPT_MASS_DIAGONAL or EBM_ADAPT_MASS_DENSE. With
   * DIAGONAL or DENSE (which need adapt_steps > 0), the adapt_steps steps after each
   * initialisation are Stan's windowed warm-up: an initial fast window of init_buffer steps,
   * slow windows of base_window, 2*base_window, ... steps (the last one stretched to the
   * terminal window), a terminal fast window of term_buffer steps (when the three do not fit
   * in adapt_steps: 15%, 75% and 10% of it; below 20 steps no slow window). step_size is
   * adapted by dual averaging throughout, restarted at each slow window's end; at the end of
   * each slow window the inverse mass M^-1 becomes the variances (DIAGONAL) or covariance
   * (DENSE) of the positions of all live chains over the window's steps, n/(n+5) times the
   * estimate plus 1e-3 * 5/(n+5) on the diagonal (n the number of pooled positions).
   * EBM_ERR_INVALID_ARGUMENT (naming params.adapt_mass) for another value, without
   * adapt_steps > 0, or (at initialisation) DENSE with dim > 100.
   */
  int32_t adapt_mass;
  /**
   * The initial fast window, >= 1 (default 75, Stan's).
   */
  int64_t init_buffer;
  /**
   * The terminal fast window, >= 1 (default 50, Stan's).
   */
  int64_t term_buffer;
  /**
   * The first slow window, >= 1 (default 25, Stan's).
   */
  int64_t base_window;
} ebm_hmc_params;

/**
 * Parameters of kinetic (underdamped) Langevin dynamics integrated by the BAOAB splitting
 * (ebm_kinetic_langevin_new), at temperature T with velocities v ~ N(0, T M^-1): the standard
 * integrator of molecular dynamics; its positions sample exp(-E / T) with an O(step_size^2)
 * bias (none for Gaussian energies).
 */
typedef struct ebm_kinetic_langevin_params {
  /**
   * sizeof(ebm_kinetic_langevin_params); set by ebm_kinetic_langevin_default_params().
   */
  size_t struct_size;
  /**
   * Time step h > 0. Default 0.01.
   */
  double step_size;
  /**
   * Friction gamma > 0, per unit time. Default 1.
   */
  double friction;
  /**
   * The diagonal of the mass matrix, as in ebm_hmc_params. Default NULL (identity).
   */
  const double *mass;
  /**
   * Number of values at mass: 0, 1 or the chains' dim.
   */
  int64_t mass_len;
  /**
   * Schedule of step_size. Default constant.
   */
  struct ebm_schedule step_size_schedule;
  /**
   * Seed of the sampler's random streams. Default 0.
   */
  uint64_t seed;
  /**
   * EBM_DEVICE_CPU (default) or a CUDA device index.
   */
  int32_t device;
  /**
   * EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
   */
  int32_t rng;
  /**
   * The global index of chain 0 (default 0): chain i draws from the stream of chain
   * first_chain + i, so that P processes running chains [a, b) with first_chain = a
   * reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
   * first_chain + n must not exceed 2^64 - 1.
   */
  uint64_t first_chain;
  /**
   * Temperature T > 0 (default 1): the positions sample exp(-E / T), velocities
   * N(0, T M^-1) (the friction's noise scaled by sqrt(T)).
   */
  double temperature;
} ebm_kinetic_langevin_params;

/**
 * Parameters of the No-U-Turn sampler (ebm_nuts_new), multinomial variant as in Stan and
 * BlackJAX: each step draws a momentum p ~ N(0, T M), then doubles a leapfrog trajectory
 * (2^j steps at doubling j, in a random direction) until the trajectory makes a U-turn
 * (generalised criterion on momentum sums, with Stan's extra checks between subtrees),
 * diverges ((H - H0) / T > 1000 or a non-finite point) or reaches max_tree_depth
 * doublings; the new state is drawn among the trajectory's points in proportion to
 * exp(-H / T), H = E(x) + p^T M^-1 p / 2. The chains target exp(-E / T). Each chain builds
 * its own tree. ebm_sampler_get_stats() reports the mean acceptance statistic, the
 * divergences and the mean tree depth.
 */
typedef struct ebm_nuts_params {
  /**
   * sizeof(ebm_nuts_params); set by ebm_nuts_default_params().
   */
  size_t struct_size;
  /**
   * Leapfrog step size > 0 (the initial one when adapting). Default 0.1.
   */
  double step_size;
  /**
   * Most doublings per step, in [1, 30] (at most 2^max_tree_depth - 1 leapfrog steps and
   * gradient evaluations per chain and step). Default 10 (Stan's).
   */
  int64_t max_tree_depth;
  /**
   * The diagonal of the mass matrix M, as in ebm_hmc_params: NULL with mass_len 0 for the
   * identity (default), one value for a multiple of the identity, or dim values, all > 0.
   * Copied by ebm_nuts_new.
   */
  const double *mass;
  /**
   * Number of values at mass: 0, 1 or the chains' dim.
   */
  int64_t mass_len;
  /**
   * Temperature T > 0: the chains target exp(-E / T). Default 1.
   */
  double temperature;
  /**
   * Schedule of step_size; must be constant when adapt_steps > 0. Default constant.
   */
  struct ebm_schedule step_size_schedule;
  /**
   * Steps after each initialisation during which step_size is adapted by dual averaging of
   * the mean acceptance statistic. Default 0: no adaptation.
   */
  int64_t adapt_steps;
  /**
   * Mean acceptance statistic adaptation aims at, in (0, 1). Default 0.8 (Stan's).
   */
  double target_accept;
  /**
   * Seed of the sampler's random streams. Default 0.
   */
  uint64_t seed;
  /**
   * EBM_DEVICE_CPU (default) or a CUDA device index.
   */
  int32_t device;
  /**
   * EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH.
   */
  int32_t rng;
  /**
   * The global index of chain 0 (default 0): chain i draws from the stream of chain
   * first_chain + i, so that P processes running chains [a, b) with first_chain = a
   * reproduce one run of all chains. Must be 0 unless rng is EBM_RNG_PER_CHAIN on the CPU;
   * first_chain + n must not exceed 2^64 - 1.
   */
  uint64_t first_chain;
  /**
   * EBM_ADAPT_MASS_NONE (default) or EBM_ADAPT_MASS_DIAGONAL: Stan's windowed warm-up of
   * step_size and a diagonal mass over adapt_steps steps, exactly as ebm_hmc_params.adapt_mass
   * describes it. EBM_ADAPT_MASS_DENSE is refused (EBM_ERR_INVALID_ARGUMENT naming
   * params.adapt_mass): NUTS takes diagonal masses only.
   */
  int32_t adapt_mass;
  /**
   * The initial fast window, >= 1 (default 75, Stan's).
   */
  int64_t init_buffer;
  /**
   * The terminal fast window, >= 1 (default 50, Stan's).
   */
  int64_t term_buffer;
  /**
   * The first slow window, >= 1 (default 25, Stan's).
   */
  int64_t base_window;
} ebm_nuts_params;

/**
 * A summary of a sampler's chains since their initialisation (ebm_sampler_get_stats()).
 */
typedef struct ebm_sampler_stats {
  /**
   * Number of chains.
   */
  int64_t n_chains;
  /**
   * Their dimension.
   */
  int64_t dim;
  /**
   * Steps taken since initialisation.
   */
  int64_t steps;
  /**
   * Chains whose state became NaN or infinite. They are frozen at their last finite state
   * and left out of mean_energy; ebm_sampler_get_non_finite_chains() says which.
   */
  int64_t non_finite_chains;
  /**
   * Accepted proposals over proposals, all chains together (MALA, HMC); for NUTS the mean
   * of Stan's acceptance statistic (per step, the mean over the trajectory's points of
   * min(1, exp(-(H - H0) / T))). NaN for samplers without accept/reject or before the
   * first step.
   */
  double mean_acceptance;
  /**
   * The step size the next step will use (after schedules and adaptation).
   */
  double step_size;
  /**
   * Mean energy of the finite chains' current states.
   */
  double mean_energy;
  /**
   * Divergent trajectories over all chains and steps since initialisation: HMC and NUTS
   * steps whose energy error (H - H0) / T exceeded 1000 or was NaN; 0 for the other
   * samplers. ebm_sampler_get_divergences() gives them per chain.
   */
  int64_t divergences;
  /**
   * NUTS: the mean tree depth (doublings per step) over all chains and steps; NaN for the
   * other samplers and before the first step.
   */
  double mean_tree_depth;
} ebm_sampler_stats;

/**
 * Reports progress during runs: steps_done and steps_total of the current run and the mean
 * energy after the last step. Return EBM_PROGRESS_CONTINUE (0) to go on, EBM_PROGRESS_CANCEL
 * (1; any nonzero value) to cancel the run, which then fails with EBM_ERR_CANCELLED, the
 * chains holding the state reached; a message set with ebm_callback_set_error() before
 * returning is added to the error's. Mind the sense: like every status in this API, zero
 * means "all is well, go on" — unlike a C++ or Julia predicate, where true would. Called on
 * the thread that runs the sampler. Must not throw C++ exceptions or longjmp.
 *
 * ```c
 * static int32_t stop_at(int64_t steps_done, int64_t steps_total, double mean_energy,
 *                        void *user_data) {
 *     (void)steps_total; (void)mean_energy;
 *     return steps_done >= *(const int64_t *)user_data ? EBM_PROGRESS_CANCEL
 *                                                      : EBM_PROGRESS_CONTINUE;
 * }
 * ```
 */
typedef int32_t (*ebm_progress_fn)(int64_t steps_done,
                                   int64_t steps_total,
                                   double mean_energy,
                                   void *user_data);

/**
 * Parameters of replica exchange (ebm_parallel_tempering_new). The ladder multiplies the
 * inner sampler's temperature T: replica k runs at T * ladder_k with ladder_0 = 1, so the
 * sampler's own chains (replica 0) target exp(-E / T).
 *
 * Get defaults from ebm_tempering_default_params(), then change fields.
 */
typedef struct ebm_tempering_params {
  /**
   * sizeof(ebm_tempering_params); set by ebm_tempering_default_params().
   */
  size_t struct_size;
  /**
   * Number of replicas K of a geometric ladder 1, r, r^2, ..., max_temperature
   * (ignored when temperatures is given), 2 to EBM_TEMPERING_MAX_REPLICAS. Default 8.
   */
  int64_t n_temperatures;
  /**
   * The hottest multiplier of the geometric ladder, > 1. Default 10.
   */
  double max_temperature;
  /**
   * An explicit ladder instead (NULL by default): temperatures_len multipliers (2 to
   * EBM_TEMPERING_MAX_REPLICAS), starting at exactly 1 and strictly increasing. Copied.
   */
  const double *temperatures;
  /**
   * Number of values at temperatures (0 when NULL).
   */
  int64_t temperatures_len;
  /**
   * Steps between exchange rounds, >= 1. Default 1. Each round tries every other
   * neighbour pair, (0,1), (2,3), ... and (1,2), (3,4), ... alternately (the
   * deterministic even-odd scheme), for every chain with its own random stream.
   */
  int64_t swap_interval;
} ebm_tempering_params;

/**
 * The architecture of an MLP energy E(x) = network(x): input_dim -> hidden[0] -> ... ->
 * hidden[n_hidden-1] -> 1, with `activation` after every hidden layer (the specification's
 * EnergyModel(network) for a fully connected network). Get defaults from
 * ebm_mlp_default_params().
 */
typedef struct ebm_mlp_params {
  /**
   * sizeof(ebm_mlp_params); set by ebm_mlp_default_params().
   */
  size_t struct_size;
  /**
   * Input dimension >= 1. Default 2.
   */
  int64_t input_dim;
  /**
   * n_hidden widths (each >= 1), copied by ebm_model_mlp_new. Default NULL.
   */
  const int64_t *hidden;
  /**
   * Number of hidden layers (0: a linear energy). Default 0.
   */
  int64_t n_hidden;
  /**
   * EBM_ACTIVATION_SILU (default), _RELU, _TANH, _SOFTPLUS or _ELU.
   */
  int32_t activation;
  /**
   * Nonzero: spectral normalisation of every weight (one power iteration per training
   * step). Default 0.
   */
  int32_t spectral_norm;
  /**
   * EBM_DTYPE_F32 (default) or EBM_DTYPE_F64.
   */
  int32_t dtype;
  /**
   * EBM_DEVICE_CPU (default) or a CUDA index.
   */
  int32_t device;
  /**
   * Seed of the initial weights: PyTorch's nn.Linear initialisation, drawn exactly as
   * after torch.manual_seed(seed). Default 0.
   */
  uint64_t seed;
} ebm_mlp_params;

/**
 * Contrastive divergence settings (ebm_cd_loss_new). loss = mean E(data) - mean E(neg) +
 * energy_reg_weight * (mean E(data)^2 + mean E(neg)^2), the negatives after k steps of the
 * sampler given to ebm_cd_loss_new.
 */
typedef struct ebm_cd_params {
  /**
   * sizeof(ebm_cd_params); set by ebm_cd_default_params().
   */
  size_t struct_size;
  /**
   * Sampler steps per loss, >= 1. Default 1 (the specification's CD-1).
   */
  int64_t k;
  /**
   * EBM_CD_START_NOISE (default), EBM_CD_START_DATA or EBM_CD_START_PERSISTENT.
   */
  int32_t start;
  /**
   * PCD: points in the replay buffer (>= the number of negatives). Default 10000.
   */
  int64_t buffer_size;
  /**
   * PCD: probability that a chain restarts from N(0, I), in [0, 1]. Default 0.05.
   */
  double reinit_fraction;
  /**
   * Weight of the energy-magnitude regulariser, >= 0. Default 0.001 (TorchEBM's).
   */
  double energy_reg_weight;
  /**
   * Negatives per loss; 0 (default) for as many as data points. Must be 0 with
   * EBM_CD_START_DATA.
   */
  int64_t n_negatives;
  /**
   * Seed of the replay buffer's draws and of the data noise. Default 0.
   */
  uint64_t seed;
  /**
   * PCD: sampler steps run over the whole replay buffer once, when it is first filled from
   * N(0, I), so that the first negatives come from warmed-up chains; >= 0. Ignored by the
   * other starts. Default 100 (TorchEBM's init_steps). Appended field: a caller whose
   * struct_size ends before it gets the default.
   */
  int64_t init_steps;
  /**
   * Nonzero: each data point is perturbed by real_noise_scale * N(0, I) before its energy
   * enters the loss, which smooths the energy around the data. Default 0 (TorchEBM's
   * add_noise_to_real). Appended field, as init_steps.
   */
  int32_t add_noise_to_real;
  /**
   * Standard deviation of that perturbation, >= 0. Default 1e-4 (TorchEBM's noise_scale).
   * Appended field, as init_steps.
   */
  double real_noise_scale;
} ebm_cd_params;

/**
 * Score-matching settings (ebm_score_matching_new). With g = grad_x E, the per-point
 * losses are: exact 1/2 |g|^2 - tr(hess E); sliced 1/2 (v.g)^2 - v^T (hess E) v averaged
 * over n_projections directions v; denoising 1/2 |g(x + s eps) - eps / s|^2 with s =
 * noise_scale. The loss is their mean over the batch. The exact trace is the full trace
 * (TorchEBM 0.8.9's approximate variant divides it by dim, which is not reproduced).
 */
typedef struct ebm_score_matching_params {
  /**
   * sizeof(ebm_score_matching_params); set by ebm_score_matching_default_params().
   */
  size_t struct_size;
  /**
   * EBM_SCORE_MATCHING_EXACT (default), _SLICED or _DENOISING.
   */
  int32_t method;
  /**
   * SLICED: directions per point, >= 1. Default 1.
   */
  int64_t n_projections;
  /**
   * SLICED: EBM_PROJECTION_RADEMACHER (default) or EBM_PROJECTION_GAUSSIAN.
   */
  int32_t projection;
  /**
   * DENOISING: noise standard deviation > 0. Default 0.1.
   */
  double noise_scale;
  /**
   * Seed of the projections and noise. Default 0.
   */
  uint64_t seed;
} ebm_score_matching_params;

/**
 * SGD settings (torch.optim.SGD's rule). Get defaults from ebm_sgd_default_params().
 */
typedef struct ebm_sgd_params {
  /**
   * sizeof(ebm_sgd_params); set by ebm_sgd_default_params().
   */
  size_t struct_size;
  /**
   * Learning rate >= 0 (changeable later with ebm_optimizer_set_learning_rate). Default 0.01.
   */
  double learning_rate;
  /**
   * Momentum >= 0. Default 0.
   */
  double momentum;
  /**
   * Dampening of the momentum, in [0, 1]. Default 0.
   */
  double dampening;
  /**
   * Nonzero: Nesterov momentum (needs momentum > 0, dampening 0). Default 0.
   */
  int32_t nesterov;
  /**
   * L2 weight decay >= 0. Default 0.
   */
  double weight_decay;
  /**
   * When positive, gradients are rescaled to this joint L2 norm at most before each step (as
   * torch.nn.utils.clip_grad_norm_). 0 (default): no clipping.
   */
  double max_grad_norm;
} ebm_sgd_params;

/**
 * Adam settings (torch.optim.Adam's rule, or AdamW's with decoupled_weight_decay). Get
 * defaults from ebm_adam_default_params().
 */
typedef struct ebm_adam_params {
  /**
   * sizeof(ebm_adam_params); set by ebm_adam_default_params().
   */
  size_t struct_size;
  /**
   * Learning rate >= 0. Default 0.001.
   */
  double learning_rate;
  /**
   * First-moment decay in [0, 1). Default 0.9.
   */
  double beta1;
  /**
   * Second-moment decay in [0, 1). Default 0.999.
   */
  double beta2;
  /**
   * Denominator term >= 0. Default 1e-8.
   */
  double eps;
  /**
   * Weight decay >= 0 (L2 added to the gradient, or decoupled). Default 0.
   */
  double weight_decay;
  /**
   * Nonzero: AdamW's decoupled weight decay. Default 0.
   */
  int32_t decoupled_weight_decay;
  /**
   * > 0: gradient-norm clipping, as in ebm_sgd_params. Default 0.
   */
  double max_grad_norm;
} ebm_adam_params;

/**
 * Sums count values in place across every process of the host's communicator: on return,
 * each process's values hold the element-wise sum over all processes, the same on every
 * process. dtype is EBM_DTYPE_F32 (values points to count floats) or EBM_DTYPE_F64 (count
 * doubles). With MPI that is MPI_Allreduce(MPI_IN_PLACE, values, count, dtype ==
 * EBM_DTYPE_F32 ? MPI_FLOAT : MPI_DOUBLE, MPI_SUM, comm); include/torchebm_mpi.h has one
 * ready (ebm_mpi_allreduce, with user_data an MPI_Comm *).
 *
 * Return 0 on success, any other value on failure (optionally after
 * ebm_callback_set_error()); the library call then fails with EBM_ERR_CALLBACK. Called on
 * the thread that made the library call, never with count 0; values is valid only during
 * the call. Must not throw C++ exceptions or longjmp.
 */
typedef int32_t (*ebm_allreduce_fn)(void *values, size_t count, int32_t dtype, void *user_data);

/**
 * A toy dataset and its parameters, as TorchEBM 0.8.9's *Dataset classes name them; each
 * kind reads only its own fields. Get a kind's defaults (TorchEBM's) from
 * ebm_dataset_default_params(kind).
 */
typedef struct ebm_dataset_params {
  /**
   * sizeof(ebm_dataset_params); set by ebm_dataset_default_params().
   */
  size_t struct_size;
  /**
   * One of the EBM_DATASET_* kinds.
   */
  int32_t kind;
  /**
   * Seed: the points equal those of the TorchEBM class constructed with seed=seed (same
   * precision, CPU).
   */
  uint64_t seed;
  /**
   * Standard deviation of the Gaussians (GAUSSIAN_MIXTURE 0.05, EIGHT_GAUSSIANS 0.02).
   */
  double std;
  /**
   * Radius of the circle of centres (EIGHT_GAUSSIANS 2).
   */
  double scale;
  /**
   * Radius (GAUSSIAN_MIXTURE 1, CIRCLE 1).
   */
  double radius;
  /**
   * Additive Gaussian noise (TWO_MOONS, SWISS_ROLL, CIRCLE, PINWHEEL 0.05; CHECKERBOARD 0;
   * GRID 0.01).
   */
  double noise;
  /**
   * SWISS_ROLL: number of turns factor (3).
   */
  double arclength;
  /**
   * CHECKERBOARD (4, from 1 to 1e6) and GRID (1): half-width of the square.
   */
  double range_limit;
  /**
   * GAUSSIAN_MIXTURE: number of Gaussians (8; 1 to EBM_DATASET_MAX_COMPONENTS).
   */
  int64_t n_components;
  /**
   * PINWHEEL: number of blades (5; 1 to EBM_DATASET_MAX_COMPONENTS).
   */
  int64_t n_classes;
  /**
   * PINWHEEL: blade length (2).
   */
  double radial_scale;
  /**
   * PINWHEEL: angular noise, i.e. blade thickness (0.1).
   */
  double angular_scale;
  /**
   * PINWHEEL: spiral tightness (5).
   */
  double spiral_scale;
  /**
   * GRID: points per side (10); the number of points must be its square.
   */
  int64_t points_per_dim;
} ebm_dataset_params;

/**
 * Parameters of annealed importance sampling (ebm_ais_estimate_f32/_f64). The path is
 * E_beta(x) = (1 - beta) E0(x) + beta E(x) from the base E0(x) = |x|^2 / (2 base_std^2),
 * the energy of N(0, base_std^2 I), to the energy E, over K = n_temperatures steps
 * 0 = beta_0 < beta_1 < ... < beta_K = 1. Particles start as exact draws of the base; at each
 * beta_k every particle's log weight grows by (beta_k - beta_{k-1}) (E0(x) - E(x)), and for
 * k < K the particles then take inner_steps transitions of the inner sampler targeting
 * exp(-E_beta_k).
 *
 * Get defaults from ebm_ais_default_params(), then change fields.
 */
typedef struct ebm_ais_params {
  /**
   * sizeof(ebm_ais_params); set by ebm_ais_default_params().
   */
  size_t struct_size;
  /**
   * K >= 1, the number of beta steps (K = 1 is plain importance sampling from the base).
   * Default 200.
   */
  int64_t n_temperatures;
  /**
   * EBM_AIS_SCHEDULE_SIGMOID (default) or EBM_AIS_SCHEDULE_LINEAR.
   */
  int32_t schedule;
  /**
   * EBM_AIS_SAMPLER_MALA (default) or EBM_AIS_SAMPLER_HMC.
   */
  int32_t sampler;
  /**
   * The inner sampler's step size > 0: MALA's h, HMC's leapfrog step. Default 0.05.
   */
  double step_size;
  /**
   * HMC's leapfrog steps per transition, >= 1 (read only for HMC). Default 10.
   */
  int64_t n_leapfrog_steps;
  /**
   * Transitions per intermediate temperature, >= 1. Default 1.
   */
  int64_t inner_steps;
  /**
   * Standard deviation of the base N(0, base_std^2 I), > 0: choose it to cover the
   * target's mass. Default 1.
   */
  double base_std;
  /**
   * Seed of the particles' random streams. Default 0.
   */
  uint64_t seed;
  /**
   * EBM_DEVICE_CPU (default) or a CUDA device index.
   */
  int32_t device;
  /**
   * EBM_RNG_PER_CHAIN (default) or EBM_RNG_TORCH. With per-chain streams on the CPU,
   * particle i's path (base draw included) depends only on (seed, first_chain + i).
   */
  int32_t rng;
  /**
   * The global index of particle 0 (default 0), as ebm_mala_params.first_chain: must be 0
   * unless rng is EBM_RNG_PER_CHAIN on the CPU.
   */
  uint64_t first_chain;
} ebm_ais_params;

/**
 * The result of ebm_ais_estimate_f32/_f64. With the log weights w_i and r_i = exp(w_i -
 * max w): log_z = log_z_base + max w + log(mean r).
 */
typedef struct ebm_ais_result {
  /**
   * The estimate of log Z, Z = integral of exp(-E(x)) dx.
   */
  double log_z;
  /**
   * Delta-method standard error of log_z: the standard error of the mean of r (sample
   * standard deviation / sqrt(n_particles)) divided by that mean. It can be optimistic
   * when the weights are heavy-tailed (few temperatures, a poor base): read it with
   * effective_sample_size.
   */
  double standard_error;
  /**
   * (sum r)^2 / sum r^2, between 1 and n_particles.
   */
  double effective_sample_size;
  /**
   * Mean acceptance of the inner transitions over every particle and intermediate
   * temperature; NaN when n_temperatures is 1 (no transition runs).
   */
  double mean_acceptance;
  /**
   * log Z0 = (dim / 2) log(2 pi base_std^2) of the base.
   */
  double log_z_base;
  /**
   * Particles whose energy was NaN or infinite somewhere on the path: their weight is 0
   * (log weight -infinity).
   */
  int64_t non_finite_particles;
} ebm_ais_result;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/* ===============================================================================================
 * SECTION: Errors, versions and runtime
 *   status texts and messages, versions, CUDA, threads, task runners
 * =============================================================================================== */

/**
 * A fixed, static description of a status code, e.g. "null pointer" for
 * EBM_ERR_NULL_POINTER; "unknown status" for a value that is not a status. Never NULL;
 * the string must not be freed.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     if (ebm_version_number() != EBM_VERSION_NUMBER) return 1; // header and library differ
 *     // Bad input is a status and a message naming the function and argument, never a crash.
 *     double mean[2] = {0, 0}, cov[4] = {1, 2, 2, 1}; // not positive definite
 *     ebm_energy *e = NULL;
 *     ebm_status status = ebm_energy_gaussian_new(mean, cov, 2, &e);
 *     printf("%s: %s\n", ebm_status_string(status), ebm_last_error_message());
 *     if (status != EBM_ERR_NOT_POSITIVE_DEFINITE || e != NULL) return 1;
 *     if (ebm_set_num_threads(2) != EBM_OK) return 1; // the library's own pool
 *     ebm_build_info info;
 *     if (ebm_get_build_info(&info, sizeof info) != EBM_OK) return 1;
 *     printf("libtorchebm %s, libtorch %s, %d threads, CUDA devices: %d\n", info.version,
 *            info.libtorch_version, info.num_threads, info.cuda_device_count);
 *     return 0;
 * }
 * ```
 */
const char *ebm_status_string(int32_t status);

/**
 * The message of the most recent failed ebm_ call on this thread: one line naming the
 * function and the argument at fault. Empty after a successful fallible call. The pointer
 * is never NULL and stays valid until the next ebm_ call on the same thread; do not free it.
 */
const char *ebm_last_error_message(void);

/**
 * This library's version, e.g. "0.1.0" (compare with EBM_VERSION from the header). Static;
 * do not free.
 */
const char *ebm_version(void);

/**
 * This library's version as major * 1000000 + minor * 1000 + patch (compare with
 * EBM_VERSION_NUMBER from the header).
 */
uint32_t ebm_version_number(void);

/**
 * The version of the libtorch this library was built against, e.g. "2.13.0". Static; do not
 * free.
 */
const char *ebm_libtorch_version(void);

/**
 * Fills *out with the build and machine information. Loads libtorch's CUDA backend if that
 * was not done yet (see "Start-up and CUDA" above).
 *
 * out_size must be sizeof(ebm_build_info) as seen by the caller (so that later versions can
 * append fields without breaking older callers); at least the size of this version's struct.
 *
 * Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_INVALID_ARGUMENT (out_size too small).
 */
enum ebm_status ebm_get_build_info(struct ebm_build_info *out, size_t out_size);

/**
 * Whether at least one CUDA device is usable. False on a machine without CUDA. Loads
 * libtorch's CUDA backend if that was not done yet.
 */
bool ebm_cuda_is_available(void);

/**
 * Number of usable CUDA devices; 0 on a machine without CUDA. Loads libtorch's CUDA backend
 * if that was not done yet.
 */
int32_t ebm_cuda_device_count(void);

/**
 * Sets how many threads the library's parallel work may use, for the whole process. The
 * library splits large batches over chains or points (random draws, host loops, libtorch
 * evaluations of large CPU batches) and runs the parts on its own pool, whose threads sleep
 * when idle; libtorch itself always runs single-threaded inside an operation, so no thread
 * ever busy-waits for another. 1 runs everything on the calling thread: no thread is started
 * at all (the choice for one MPI rank per core). The default is the number of CPUs this
 * process may run on (its affinity mask, so a rank bound to one core gets 1). Results do not
 * depend on the thread count. See also ebm_set_task_runner() for running the parts on the
 * host's own threads.
 *
 * threads may be at most the number of CPUs this process may run on: more would only
 * contend for them.
 *
 * Errors: EBM_ERR_INVALID_ARGUMENT (threads < 1 or more than the CPUs available).
 */
enum ebm_status ebm_set_num_threads(int32_t threads);

/**
 * The number of threads the library's parallel work may use (ebm_set_num_threads).
 */
int32_t ebm_get_num_threads(void);

/**
 * Runs the library's parallel work (chains and points split into tasks) on the host's
 * threads through runner, instead of the library's own thread pool, for the whole process;
 * runner NULL goes back to the pool. user_data is passed to every runner call and is not
 * freed by the library. Calls already running may still use the previous runner: keep it
 * and its user_data valid until they have returned. With a runner installed, work is split
 * whatever ebm_set_num_threads says (the runner decides where it runs), and no library
 * thread is ever started.
 *
 * Errors: none (EBM_OK).
 */
enum ebm_status ebm_set_task_runner(ebm_task_runner_fn runner, void *user_data);

/* ===============================================================================================
 * SECTION: Energies
 *   analytic and composite energies; a handle's name, dimension and device
 * =============================================================================================== */

/**
 * The specification's Gaussian energy E(x) = 1/2 (x - mean)^T cov^-1 (x - mean), without
 * normalising constant.
 *
 * mean: dim values. cov: dim*dim values, row-major, symmetric positive definite. Both are
 * copied. dim >= 1.
 *
 * Errors: EBM_ERR_NULL_POINTER (mean, cov, out), EBM_ERR_INVALID_ARGUMENT (dim < 1),
 * EBM_ERR_SIZE_OVERFLOW (dim*dim), EBM_ERR_NON_FINITE (mean, cov),
 * EBM_ERR_NOT_POSITIVE_DEFINITE (cov not symmetric or not positive definite).
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <math.h>
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     ebm_energy *well = NULL, *bowl = NULL, *sum = NULL;
 *     if (ebm_energy_double_well_new(EBM_DOUBLE_WELL_DEFAULT_A, EBM_DOUBLE_WELL_DEFAULT_B, &well) ||
 *         ebm_energy_harmonic_new(0.5, &bowl)) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     // 2 E_well + 3 E_bowl; the composite keeps its parts alive, so they may be freed now.
 *     const ebm_energy *parts[2] = {well, bowl};
 *     double weights[2] = {2.0, 3.0};
 *     ebm_status status = ebm_energy_composite_new(parts, 2, weights, 2, &sum);
 *     ebm_energy_free(well);
 *     ebm_energy_free(bowl);
 *     if (status != EBM_OK) return 1;
 *     double x[3] = {1.0, 0.0, -2.0}, e;
 *     if (ebm_energy_eval_f64(sum, x, 1, 3, &e) != EBM_OK) return 1;
 *     // double well a sum (x_i^2 - b)^2 = 1 + 4 + 4; harmonic k/2 sum x_i^2 = 0.25 * 5
 *     printf("%s: E = %g\n", ebm_energy_name(sum), e);
 *     ebm_energy_free(sum);
 *     return fabs(e - (2 * 9.0 + 3 * 1.25)) < 1e-9 ? 0 : 1;
 * }
 * ```
 */
enum ebm_status ebm_energy_gaussian_new(const double *mean,
                                        const double *cov,
                                        int64_t dim,
                                        struct ebm_energy **out);

/**
 * The specification's double well, E(x) = a * sum_i (x_i^2 - b)^2, for any dim.
 * Specification defaults: EBM_DOUBLE_WELL_DEFAULT_A (1), EBM_DOUBLE_WELL_DEFAULT_B (2).
 *
 * TorchEBM 0.8.9's DoubleWellModel(barrier_height=h, b=beta) is h * sum_i (x_i^2 - beta^2)^2:
 * pass a = h and b = beta^2 to get it (its defaults h = 2, beta = 1 are a = 2, b = 1).
 *
 * Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a, b).
 */
enum ebm_status ebm_energy_double_well_new(double a, double b, struct ebm_energy **out);

/**
 * TorchEBM 0.8.9's harmonic oscillator, E(x) = k/2 * sum_i x_i^2, for any dim.
 * Default: EBM_HARMONIC_DEFAULT_K (1).
 *
 * Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (k).
 */
enum ebm_status ebm_energy_harmonic_new(double k, struct ebm_energy **out);

/**
 * TorchEBM 0.8.9's Rosenbrock function,
 * E(x) = sum_{i=1}^{dim-1} [(a - x_i)^2 + b (x_{i+1} - x_i^2)^2], for dim >= 2.
 * Defaults: EBM_ROSENBROCK_DEFAULT_A (1), EBM_ROSENBROCK_DEFAULT_B (100).
 *
 * Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a, b).
 */
enum ebm_status ebm_energy_rosenbrock_new(double a, double b, struct ebm_energy **out);

/**
 * TorchEBM 0.8.9's Ackley function, for any dim d:
 * E(x) = -a exp(-b sqrt(sum_i x_i^2 / d)) - exp(sum_i cos(c x_i) / d) + a + e.
 * Defaults: EBM_ACKLEY_DEFAULT_A (20), EBM_ACKLEY_DEFAULT_B (0.2), EBM_ACKLEY_DEFAULT_C
 * (2 pi). E is not differentiable at x = 0; the gradient reported there is 0.
 *
 * Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a, b, c).
 */
enum ebm_status ebm_energy_ackley_new(double a, double b, double c, struct ebm_energy **out);

/**
 * TorchEBM 0.8.9's Rastrigin function, E(x) = a d + sum_i (x_i^2 - a cos(2 pi x_i)), for any
 * dim d. Default: EBM_RASTRIGIN_DEFAULT_A (10).
 *
 * Errors: EBM_ERR_NULL_POINTER (out), EBM_ERR_NON_FINITE (a).
 */
enum ebm_status ebm_energy_rastrigin_new(double a, struct ebm_energy **out);

/**
 * TorchEBM 0.8.9's Himmelblau function, E(x) = (x1^2 + x2 - 11)^2 + (x1 + x2^2 - 7)^2,
 * dim 2.
 *
 * Errors: EBM_ERR_NULL_POINTER (out).
 */
enum ebm_status ebm_energy_himmelblau_new(struct ebm_energy **out);

/**
 * TorchEBM 0.8.9's Booth function, E(x) = (x1 + 2 x2 - 7)^2 + (2 x1 + x2 - 5)^2, dim 2.
 *
 * Errors: EBM_ERR_NULL_POINTER (out).
 */
enum ebm_status ebm_energy_booth_new(struct ebm_energy **out);

/**
 * TorchEBM 0.8.9's Styblinski-Tang function, E(x) = 1/2 sum_i (x_i^4 - 16 x_i^2 + 5 x_i), for
 * any dim.
 *
 * Errors: EBM_ERR_NULL_POINTER (out).
 */
enum ebm_status ebm_energy_styblinski_tang_new(struct ebm_energy **out);

/**
 * A Gaussian mixture, E(x) = -log sum_k w_k N(x; mean_k, cov_k): the exact negative
 * log-density (normalising constants included; weights normalised to sum to 1).
 *
 * weights: n_components values, >= 0, with a positive sum. means: n_components * dim values
 * (row k is mean_k). covs: n_components * dim * dim values (matrix k, row-major, symmetric
 * positive definite). All are copied. n_components >= 1, dim >= 1.
 *
 * Errors: EBM_ERR_NULL_POINTER (weights, means, covs, out), EBM_ERR_INVALID_ARGUMENT
 * (n_components < 1, dim < 1, a negative weight, weights summing to 0),
 * EBM_ERR_SIZE_OVERFLOW, EBM_ERR_NON_FINITE, EBM_ERR_NOT_POSITIVE_DEFINITE (a covariance;
 * the message names the component).
 */
enum ebm_status ebm_energy_gaussian_mixture_new(const double *weights,
                                                const double *means,
                                                const double *covs,
                                                int64_t n_components,
                                                int64_t dim,
                                                struct ebm_energy **out);

/**
 * The specification's composite energy, E(x) = sum_i weights[i] * E_i(x).
 *
 * energies: n_energies non-NULL handles (composites allowed). The composite keeps each of
 * them alive: they may be freed before or after it. weights: NULL for all ones (the
 * specification's default), else n_weights == n_energies finite values (copied). All parts
 * must accept a common dim; the composite evaluates on its own device, whatever the parts'.
 *
 * Errors: EBM_ERR_NULL_POINTER (energies, an element of it, weights when n_weights > 0,
 * out), EBM_ERR_INVALID_ARGUMENT (n_energies < 1, n_weights < 0),
 * EBM_ERR_LENGTH_MISMATCH (n_weights != n_energies), EBM_ERR_NON_FINITE (weights),
 * EBM_ERR_DIMENSION_MISMATCH (parts with incompatible dims).
 */
enum ebm_status ebm_energy_composite_new(const struct ebm_energy *const *energies,
                                         int64_t n_energies,
                                         const double *weights,
                                         int64_t n_weights,
                                         struct ebm_energy **out);

/**
 * Releases an energy handle. NULL is a no-op. Composites that use this energy keep it alive
 * until they are released too.
 */
void ebm_energy_free(struct ebm_energy *energy);

/**
 * The energy's kind as a static lowercase string: "gaussian", "double_well", "harmonic",
 * "rosenbrock", "ackley", "rastrigin", "himmelblau", "booth", "styblinski_tang",
 * "gaussian_mixture", "composite", "callback", or for neural energies "mlp" and
 * "torchscript". NULL if energy is NULL. Do not free.
 */
const char *ebm_energy_name(const struct ebm_energy *energy);

/**
 * Writes the point dimension the energy requires into *dim_out, or 0 when it accepts a range
 * of dimensions (double well, harmonic, Rastrigin, Ackley, Styblinski-Tang: any dim >= 1;
 * Rosenbrock: any dim >= 2).
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, dim_out).
 */
enum ebm_status ebm_energy_dim(const struct ebm_energy *energy, int64_t *dim_out);

/**
 * Chooses where the energy is evaluated: EBM_DEVICE_CPU (the default) or a CUDA device
 * index. Needs exclusive access to the handle.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy), EBM_ERR_INVALID_ARGUMENT (device < -1),
 * EBM_ERR_DEVICE_UNAVAILABLE (no such CUDA device on this build or machine).
 */
enum ebm_status ebm_energy_set_device(struct ebm_energy *energy, int32_t device);

/**
 * Writes the energy's device (EBM_DEVICE_CPU or a CUDA index) into *device_out.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, device_out).
 */
enum ebm_status ebm_energy_get_device(const struct ebm_energy *energy, int32_t *device_out);

/* ===============================================================================================
 * SECTION: Evaluation
 *   energies, gradients and Hessian-vector products of n points
 * =============================================================================================== */

/**
 * Energies of n points: energy_out[i] = E(x[i*dim .. i*dim+dim-1]).
 *
 * x: n*dim floats, row-major. energy_out: n floats. n = 0 does nothing.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, x, energy_out), EBM_ERR_INVALID_ARGUMENT (n < 0,
 * dim < 1, misaligned or overlapping buffers), EBM_ERR_SIZE_OVERFLOW (n*dim),
 * EBM_ERR_DIMENSION_MISMATCH (dim not accepted by the energy), EBM_ERR_CALLBACK (a user
 * energy failed), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <math.h>
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     ebm_energy *rosenbrock = NULL;
 *     if (ebm_energy_rosenbrock_new(EBM_ROSENBROCK_DEFAULT_A, EBM_ROSENBROCK_DEFAULT_B, &rosenbrock))
 *         return 1;
 *     // Two points in two dimensions, row-major (n = 2, dim = 2): (1, 1) and (0, 0).
 *     double x[4] = {1, 1, 0, 0}, e[2], grad[4];
 *     if (ebm_energy_eval_and_gradient_f64(rosenbrock, x, 2, 2, e, grad) != EBM_OK) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     printf("E(1,1) = %g, E(0,0) = %g, grad E(0,0) = (%g, %g)\n", e[0], e[1], grad[2], grad[3]);
 *     float xf[2] = {0.0f, 0.0f}, ef; // the same in float, no conversion on the caller's side
 *     if (ebm_energy_eval_f32(rosenbrock, xf, 1, 2, &ef) != EBM_OK) return 1;
 *     ebm_energy_free(rosenbrock);
 *     return e[0] == 0 && e[1] == 1 && grad[2] == -2 && grad[3] == 0 && ef == 1.0f ? 0 : 1;
 * }
 * ```
 */
enum ebm_status ebm_energy_eval_f32(const struct ebm_energy *energy,
                                    const float *x,
                                    int64_t n,
                                    int64_t dim,
                                    float *energy_out);

/**
 * Energies of n points: energy_out[i] = E(x[i*dim .. i*dim+dim-1]).
 *
 * x: n*dim doubles, row-major. energy_out: n doubles. n = 0 does nothing.
 * A neural energy computes in its parameters' dtype (see Precision in the preamble).
 *
 * Errors: as ebm_energy_eval_f32.
 */
enum ebm_status ebm_energy_eval_f64(const struct ebm_energy *energy,
                                    const double *x,
                                    int64_t n,
                                    int64_t dim,
                                    double *energy_out);

/**
 * Gradients of the energy, grad_x E, at n points: gradient_out[i*dim + j] = dE/dx_j at point
 * i. This is the gradient of the ENERGY; the score grad_x log p is its negative.
 *
 * x and gradient_out: n*dim floats, row-major. n = 0 does nothing. Analytic energies use
 * closed forms; a callback energy without gradient callback uses finite differences.
 *
 * Errors: as ebm_energy_eval_f32, with gradient_out in place of energy_out.
 */
enum ebm_status ebm_energy_gradient_f32(const struct ebm_energy *energy,
                                        const float *x,
                                        int64_t n,
                                        int64_t dim,
                                        float *gradient_out);

/**
 * Gradients of the energy, grad_x E (not the score, which is its negative), at n points:
 * gradient_out[i*dim + j] = dE/dx_j at point i.
 *
 * x and gradient_out: n*dim doubles, row-major. n = 0 does nothing.
 * A neural energy computes in its parameters' dtype (see Precision in the preamble).
 *
 * Errors: as ebm_energy_gradient_f32.
 */
enum ebm_status ebm_energy_gradient_f64(const struct ebm_energy *energy,
                                        const double *x,
                                        int64_t n,
                                        int64_t dim,
                                        double *gradient_out);

/**
 * Energies (n floats into energy_out) and energy gradients grad_x E (n*dim floats into
 * gradient_out) in one pass, cheaper than the two separate calls.
 *
 * Errors: as ebm_energy_eval_f32 and ebm_energy_gradient_f32.
 */
enum ebm_status ebm_energy_eval_and_gradient_f32(const struct ebm_energy *energy,
                                                 const float *x,
                                                 int64_t n,
                                                 int64_t dim,
                                                 float *energy_out,
                                                 float *gradient_out);

/**
 * Energies (n doubles into energy_out) and energy gradients grad_x E (n*dim doubles into
 * gradient_out, row-major) of the n points in x (n*dim doubles), in one pass.
 * A neural energy computes in its parameters' dtype (see Precision in the preamble).
 *
 * Errors: as ebm_energy_eval_f32 and ebm_energy_gradient_f32.
 */
enum ebm_status ebm_energy_eval_and_gradient_f64(const struct ebm_energy *energy,
                                                 const double *x,
                                                 int64_t n,
                                                 int64_t dim,
                                                 double *energy_out,
                                                 double *gradient_out);

/**
 * Hessian-vector products of the energy at n points: hvp_out[i*dim .. i*dim+dim-1] =
 * H(x_i) v_i, where H(x_i) is the Hessian of E at point i (x[i*dim .. i*dim+dim-1]) and
 * v_i = v[i*dim .. i*dim+dim-1] its direction. Optionally also the energies E(x_i) and the
 * gradients grad_x E(x_i) of the same pass, at no extra cost (what Newton-type methods use).
 *
 * x, v and hvp_out: n*dim floats, row-major. energy_out: n floats, or NULL when not wanted.
 * gradient_out: n*dim floats (the gradient of the ENERGY, not the score), or NULL when not
 * wanted. x and v may be the same buffer; the output buffers must not overlap each other,
 * x or v. n = 0 does nothing (after the checks of energy and dim). Computed on the energy's
 * device, in float (a neural energy in its parameters' precision, as ebm_energy_eval_f32).
 * Inputs are not checked for NaN or infinities (as ebm_energy_eval_f32).
 *
 * Gaussian, harmonic, double-well, Rastrigin, Styblinski-Tang and Booth energies use closed
 * forms; Rosenbrock, Himmelblau, Ackley, Gaussian-mixture, MLP and TorchScript energies use
 * libtorch's double backward through the energy (a TorchScript module must be twice
 * differentiable, else EBM_ERR_TORCH); a composite sums its parts' products with its
 * weights. Where E is not twice differentiable the result is whatever autograd's one-sided
 * rules give: Ackley at the origin (a cone point) gives NaN (its energy and gradient there
 * are ebm_energy_eval_f32's: gradient 0); a ReLU network gives 0 from its activations'
 * second derivatives.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, x, v, hvp_out; x, v and hvp_out may be NULL when
 * n = 0), EBM_ERR_INVALID_ARGUMENT (n < 0, dim < 1, misaligned or overlapping buffers, a
 * callback energy or a composite with one: callbacks give no second derivatives; the
 * message names "energy"), EBM_ERR_SIZE_OVERFLOW (n*dim), EBM_ERR_DIMENSION_MISMATCH (dim
 * not accepted by the energy), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
 */
enum ebm_status ebm_energy_hvp_f32(const struct ebm_energy *energy,
                                   const float *x,
                                   const float *v,
                                   int64_t n,
                                   int64_t dim,
                                   float *hvp_out,
                                   float *energy_out,
                                   float *gradient_out);

/**
 * Hessian-vector products H(x_i) v_i of the energy at n points, as ebm_energy_hvp_f32 in
 * double: x, v, hvp_out and gradient_out (nullable) are n*dim doubles, row-major;
 * energy_out (nullable) n doubles.
 * A neural energy computes in its parameters' dtype (see Precision in the preamble).
 *
 * Errors: as ebm_energy_hvp_f32.
 */
enum ebm_status ebm_energy_hvp_f64(const struct ebm_energy *energy,
                                   const double *x,
                                   const double *v,
                                   int64_t n,
                                   int64_t dim,
                                   double *hvp_out,
                                   double *energy_out,
                                   double *gradient_out);

/* ===============================================================================================
 * SECTION: User energies
 *   energies computed by the caller's C functions
 * =============================================================================================== */

/**
 * Called from inside a failing callback: records a message that the library adds to the
 * EBM_ERR_CALLBACK error it reports (e.g. "energy_fn: callback returned 3 (out of range)").
 * message is copied; NULL clears it. Applies to the callback running on the calling thread.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <math.h>
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * // E(x) = scale * |x|^2 for n points at once; user_data is the caller's context.
 * static int32_t scaled_square(const double *x, int64_t n, int64_t dim, double *energy_out,
 *                              void *user_data) {
 *     double scale = *(const double *)user_data;
 *     for (int64_t i = 0; i < n; i++) {
 *         double s = 0;
 *         for (int64_t j = 0; j < dim; j++) s += x[i * dim + j] * x[i * dim + j];
 *         if (!isfinite(s)) {
 *             ebm_callback_set_error("x is not finite");
 *             return 1; // the library fails with EBM_ERR_CALLBACK and this message
 *         }
 *         energy_out[i] = scale * s;
 *     }
 *     return 0;
 * }
 *
 * int main(void) {
 *     static double scale = 0.5;
 *     ebm_energy *energy = NULL;
 *     // No gradient_fn: gradients by central differences of energy_fn.
 *     if (ebm_energy_callback_new(3, scaled_square, NULL, &scale, NULL, &energy) != EBM_OK) return 1;
 *     double x[3] = {1, 2, 3}, grad[3];
 *     if (ebm_energy_gradient_f64(energy, x, 1, 3, grad) != EBM_OK) return 1;
 *     printf("grad E(1, 2, 3) = (%.6f, %.6f, %.6f)\n", grad[0], grad[1], grad[2]);
 *     ebm_energy_free(energy);
 *     return fabs(grad[0] - 1) + fabs(grad[1] - 2) + fabs(grad[2] - 3) < 1e-8 ? 0 : 1;
 * }
 * ```
 */
void ebm_callback_set_error(const char *message);

/**
 * A user-defined energy in dimension dim computed by C callbacks.
 *
 * energy_fn (required) computes energies. gradient_fn (optional) computes energies and
 * gradients together; when it is NULL, gradients are computed from energy_fn by
 * fourth-order central finite differences,
 *   dE/dx_j ~ [8 (E(x + h e_j) - E(x - h e_j)) - (E(x + 2h e_j) - E(x - 2h e_j))] / (12 h),
 * h = DBL_EPSILON^(1/5) * max(1, |x_j|): 4*dim extra energy evaluations per point, batched
 * into few energy_fn calls. For smooth energies the absolute error is about
 * 1e-12 * max(1, |E(x)|). Because h grows with |x_j|, an energy varying on length scales
 * much shorter than |x_j| needs gradient_fn; supply it too when gradients are cheaper.
 *
 * Callbacks always receive double-precision host points, whatever the buffers' type and the
 * energy's device. user_data is passed to every callback; free_user_data (optional) is
 * called with it exactly once, when this energy and every composite using it have been
 * freed. If this function fails, free_user_data is not called: user_data stays the caller's.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy_fn, out), EBM_ERR_INVALID_ARGUMENT (dim < 1).
 */
enum ebm_status ebm_energy_callback_new(int64_t dim,
                                        ebm_energy_fn energy_fn,
                                        ebm_energy_gradient_fn gradient_fn,
                                        void *user_data,
                                        ebm_free_fn free_user_data,
                                        struct ebm_energy **out);

/**
 * The schedule of kind `kind` (an EBM_SCHEDULE_* value) before its fields are chosen:
 * decay_rate 1 and min_value 1e-12 (EXPONENTIAL_DECAY: no decay until decay_rate is set, and
 * a floor that keeps step sizes and noise scales > 0), end_value 1 and n_steps 1 (LINEAR,
 * COSINE). Every kind has all of these fields, so changing kind keeps a valid schedule. An
 * unknown kind gets them with that kind, rejected when used. Wrappers build their schedules
 * from it.
 */
struct ebm_schedule ebm_schedule_default(int32_t kind);

/* ===============================================================================================
 * SECTION: Samplers
 *   creating samplers, running chains, their samples, statistics and progress
 * =============================================================================================== */

/**
 * Default parameters for ebm_langevin_new(): the specification's step_size 0.01 and
 * noise_scale 1, constant schedules, no clamp, seed 0, CPU, per-chain streams.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <math.h>
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * static int32_t report(int64_t steps_done, int64_t steps_total, double mean_energy, void *user_data) {
 *     (void)user_data;
 *     printf("step %lld of %lld: mean energy %.3f\n", (long long)steps_done, (long long)steps_total,
 *            mean_energy);
 *     return EBM_PROGRESS_CONTINUE; // EBM_PROGRESS_CANCEL would stop the run here
 * }
 *
 * int main(void) {
 *     double mean[2] = {1, -1}, cov[4] = {1, 0, 0, 1};
 *     ebm_energy *gaussian = NULL;
 *     ebm_sampler *sampler = NULL;
 *     ebm_langevin_params params = ebm_langevin_default_params(); // then change what you need
 *     params.seed = 7;
 *     if (ebm_energy_gaussian_new(mean, cov, 2, &gaussian) ||
 *         ebm_langevin_new(gaussian, &params, &sampler) ||
 *         ebm_sampler_set_progress_callback(sampler, report, 250, NULL, NULL) ||
 *         ebm_sampler_init_f64(sampler, NULL, 1000, 2) || // 1000 chains from N(0, I)
 *         ebm_sampler_run(sampler, 500)) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     static double x[1000 * 2];
 *     ebm_sampler_stats stats;
 *     if (ebm_sampler_get_samples_f64(sampler, x, 1000, 2) ||
 *         ebm_sampler_get_stats(sampler, &stats, sizeof stats))
 *         return 1;
 *     double m0 = 0, m1 = 0;
 *     for (int i = 0; i < 1000; i++) m0 += x[2 * i] / 1000, m1 += x[2 * i + 1] / 1000;
 *     printf("%lld steps; sample mean (%.3f, %.3f)\n", (long long)stats.steps, m0, m1);
 *     ebm_sampler_free(sampler);
 *     ebm_energy_free(gaussian);
 *     return fabs(m0 - 1) < 0.15 && fabs(m1 + 1) < 0.15 ? 0 : 1;
 * }
 * ```
 */
struct ebm_langevin_params ebm_langevin_default_params(void);

/**
 * Default parameters for ebm_mala_new(): step_size 0.01, no adaptation (target 0.574 when
 * enabled), seed 0, CPU, per-chain streams.
 */
struct ebm_mala_params ebm_mala_default_params(void);

/**
 * Default parameters for ebm_hmc_new(): TorchEBM 0.8.9's step_size 0.001 and 10 leapfrog
 * steps, unit mass, no adaptation (target 0.8 when enabled), seed 0, CPU, per-chain streams.
 */
struct ebm_hmc_params ebm_hmc_default_params(void);

/**
 * Default parameters for ebm_kinetic_langevin_new(): step_size 0.01, friction 1, unit mass,
 * seed 0, CPU, per-chain streams.
 */
struct ebm_kinetic_langevin_params ebm_kinetic_langevin_default_params(void);

/**
 * An unadjusted Langevin sampler of energy (see ebm_langevin_params). params is copied.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, params, out), EBM_ERR_INVALID_ARGUMENT
 * (params.struct_size, step_size or noise_scale <= 0, a bad schedule, clamp_min >= clamp_max,
 * unknown rng, first_chain != 0 without per-chain CPU streams), EBM_ERR_NON_FINITE (a NaN or
 * infinite parameter), EBM_ERR_DEVICE_UNAVAILABLE (params.device), EBM_ERR_TORCH.
 */
enum ebm_status ebm_langevin_new(const struct ebm_energy *energy,
                                 const struct ebm_langevin_params *params,
                                 struct ebm_sampler **out);

/**
 * A Metropolis-adjusted Langevin sampler of energy (see ebm_mala_params). params is copied.
 *
 * Errors: as ebm_langevin_new, plus EBM_ERR_INVALID_ARGUMENT for adapt_steps < 0, a
 * target_accept outside (0, 1), or a non-constant schedule with adaptation.
 */
enum ebm_status ebm_mala_new(const struct ebm_energy *energy,
                             const struct ebm_mala_params *params,
                             struct ebm_sampler **out);

/**
 * A Hamiltonian Monte Carlo sampler of energy (see ebm_hmc_params). params, and the mass
 * values it points to, are copied.
 *
 * Errors: as ebm_mala_new, plus EBM_ERR_INVALID_ARGUMENT for n_leapfrog_steps < 1, a
 * negative mass_len or a mass <= 0, EBM_ERR_NULL_POINTER for mass NULL with mass_len > 0.
 * A mass of the wrong length is reported when the chains are initialised
 * (EBM_ERR_DIMENSION_MISMATCH).
 */
enum ebm_status ebm_hmc_new(const struct ebm_energy *energy,
                            const struct ebm_hmc_params *params,
                            struct ebm_sampler **out);

/**
 * A kinetic Langevin (BAOAB) sampler of energy (see ebm_kinetic_langevin_params). params,
 * and the mass values it points to, are copied.
 *
 * Errors: as ebm_langevin_new, plus EBM_ERR_INVALID_ARGUMENT for friction <= 0, a negative
 * mass_len or a mass <= 0.
 */
enum ebm_status ebm_kinetic_langevin_new(const struct ebm_energy *energy,
                                         const struct ebm_kinetic_langevin_params *params,
                                         struct ebm_sampler **out);

/**
 * Releases a sampler. NULL is a no-op. Its energy is released too unless still used elsewhere.
 */
void ebm_sampler_free(struct ebm_sampler *sampler);

/**
 * The sampler's kind as a static string: "langevin", "mala", "hmc", "kinetic_langevin",
 * "nuts" or "parallel_tempering".
 * NULL if sampler is NULL. Do not free.
 */
const char *ebm_sampler_name(const struct ebm_sampler *sampler);

/**
 * Default parameters for ebm_nuts_new(): step_size 0.1, max_tree_depth 10 (Stan's), unit
 * mass, temperature 1, no adaptation (target 0.8 when enabled), seed 0, CPU, per-chain
 * streams.
 */
struct ebm_nuts_params ebm_nuts_default_params(void);

/**
 * A No-U-Turn sampler of energy (see ebm_nuts_params). params, and the mass values it
 * points to, are copied.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, params, out; mass NULL with mass_len > 0),
 * EBM_ERR_INVALID_ARGUMENT (params.struct_size, step_size <= 0, max_tree_depth outside
 * [1, 30], temperature <= 0, a negative mass_len or a mass <= 0, a bad schedule,
 * adapt_steps < 0, a target_accept outside (0, 1), a non-constant schedule with adaptation,
 * unknown rng, first_chain != 0 without per-chain CPU streams), EBM_ERR_NON_FINITE (a NaN
 * or infinite parameter), EBM_ERR_DEVICE_UNAVAILABLE (params.device), EBM_ERR_TORCH. A mass
 * of the wrong length is reported when the chains are initialised
 * (EBM_ERR_DIMENSION_MISMATCH).
 */
enum ebm_status ebm_nuts_new(const struct ebm_energy *energy,
                             const struct ebm_nuts_params *params,
                             struct ebm_sampler **out);

/**
 * Starts n chains of dimension dim at initial (n*dim floats, row-major, copied), or at
 * N(0, I) draws when initial is NULL. Resets the step count, the diagnostics and step-size
 * adaptation; the random streams continue (see ebm_sampler_reseed()).
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (n < 1, dim < 1),
 * EBM_ERR_SIZE_OVERFLOW, EBM_ERR_DIMENSION_MISMATCH (dim not accepted by the energy, or a
 * mass of another length), EBM_ERR_CALLBACK, EBM_ERR_TORCH.
 */
enum ebm_status ebm_sampler_init_f32(struct ebm_sampler *sampler,
                                     const float *initial,
                                     int64_t n,
                                     int64_t dim);

/**
 * ebm_sampler_init_f32 with initial as n*dim doubles. With EBM_RNG_TORCH or on CUDA the
 * chains are then kept in double precision (in single precision after the _f32 call).
 */
enum ebm_status ebm_sampler_init_f64(struct ebm_sampler *sampler,
                                     const double *initial,
                                     int64_t n,
                                     int64_t dim);

/**
 * Advances the chains by n_steps steps (0 does nothing). Can be called repeatedly: the
 * chains, step count, schedules, adaptation and random streams continue where they were.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (n_steps < 0, chains
 * not initialised), EBM_ERR_CALLBACK, EBM_ERR_CANCELLED (by the progress callback; the chains
 * hold the state reached), EBM_ERR_TORCH.
 */
enum ebm_status ebm_sampler_run(struct ebm_sampler *sampler, int64_t n_steps);

/**
 * ebm_sampler_run, also writing every thin-th state into trajectory: after steps thin,
 * 2*thin, ..., floor(n_steps / thin) states in all, laid out [kept][chain][coordinate]
 * (row-major (kept, n, dim); a Julia (dim, n, kept) array). trajectory holds trajectory_len
 * floats, at least floor(n_steps / thin) * n * dim.
 *
 * Errors: as ebm_sampler_run, plus EBM_ERR_INVALID_ARGUMENT (thin < 1, trajectory_len < 0),
 * EBM_ERR_NULL_POINTER (trajectory), EBM_ERR_LENGTH_MISMATCH (trajectory too small).
 */
enum ebm_status ebm_sampler_run_trajectory_f32(struct ebm_sampler *sampler,
                                               int64_t n_steps,
                                               int64_t thin,
                                               float *trajectory,
                                               int64_t trajectory_len);

/**
 * ebm_sampler_run_trajectory_f32 with a trajectory of doubles.
 */
enum ebm_status ebm_sampler_run_trajectory_f64(struct ebm_sampler *sampler,
                                               int64_t n_steps,
                                               int64_t thin,
                                               double *trajectory,
                                               int64_t trajectory_len);

/**
 * Copies the chains' current states into samples_out (n*dim floats, row-major); n and dim
 * must be the chains'.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, samples_out), EBM_ERR_INVALID_ARGUMENT (chains not
 * initialised), EBM_ERR_LENGTH_MISMATCH (n, dim not the chains').
 */
enum ebm_status ebm_sampler_get_samples_f32(const struct ebm_sampler *sampler,
                                            float *samples_out,
                                            int64_t n,
                                            int64_t dim);

/**
 * ebm_sampler_get_samples_f32 into n*dim doubles.
 */
enum ebm_status ebm_sampler_get_samples_f64(const struct ebm_sampler *sampler,
                                            double *samples_out,
                                            int64_t n,
                                            int64_t dim);

/**
 * The specification's sample_chain: starts n chains of dimension dim at initial (n*dim
 * floats; NULL for N(0, I)), runs n_steps steps, writes every thin-th state into trajectory
 * (NULL for none; layout and size as ebm_sampler_run_trajectory_f32) and the final states
 * into samples_out (n*dim floats). The chains remain in the sampler for further runs.
 *
 * Errors: those of ebm_sampler_init_f32, ebm_sampler_run_trajectory_f32 and
 * ebm_sampler_get_samples_f32; buffers must not overlap (EBM_ERR_INVALID_ARGUMENT).
 */
enum ebm_status ebm_sampler_sample_chain_f32(struct ebm_sampler *sampler,
                                             const float *initial,
                                             int64_t n,
                                             int64_t dim,
                                             int64_t n_steps,
                                             int64_t thin,
                                             float *samples_out,
                                             float *trajectory,
                                             int64_t trajectory_len);

/**
 * ebm_sampler_sample_chain_f32 with double buffers.
 */
enum ebm_status ebm_sampler_sample_chain_f64(struct ebm_sampler *sampler,
                                             const double *initial,
                                             int64_t n,
                                             int64_t dim,
                                             int64_t n_steps,
                                             int64_t thin,
                                             double *samples_out,
                                             double *trajectory,
                                             int64_t trajectory_len);

/**
 * The specification's sample(n_samples, dim, n_steps): n_samples chains from N(0, I), run
 * for n_steps steps; the final states into samples_out (n_samples*dim floats).
 *
 * Errors: as ebm_sampler_sample_chain_f32.
 */
enum ebm_status ebm_sampler_sample_f32(struct ebm_sampler *sampler,
                                       int64_t n_samples,
                                       int64_t dim,
                                       int64_t n_steps,
                                       float *samples_out);

/**
 * ebm_sampler_sample_f32 with samples_out as doubles.
 */
enum ebm_status ebm_sampler_sample_f64(struct ebm_sampler *sampler,
                                       int64_t n_samples,
                                       int64_t dim,
                                       int64_t n_steps,
                                       double *samples_out);

/**
 * The specification's sample_step: one step from the n points in x (n*dim floats), written
 * back into x. The sampler's chains are re-initialised at x (diagnostics restart).
 *
 * Errors: as ebm_sampler_init_f32 and ebm_sampler_run (x NULL: EBM_ERR_NULL_POINTER).
 */
enum ebm_status ebm_sampler_step_f32(struct ebm_sampler *sampler, float *x, int64_t n, int64_t dim);

/**
 * ebm_sampler_step_f32 on n*dim doubles.
 */
enum ebm_status ebm_sampler_step_f64(struct ebm_sampler *sampler,
                                     double *x,
                                     int64_t n,
                                     int64_t dim);

/**
 * Fills *out; out_size must be sizeof(ebm_sampler_stats) as seen by the caller (at least
 * this version's). With an all-reduce set (ebm_sampler_set_allreduce) this is a collective
 * call summarising every process's chains together.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, out), EBM_ERR_INVALID_ARGUMENT (out_size too small,
 * chains not initialised), EBM_ERR_TORCH; with an all-reduce, EBM_ERR_REMOTE,
 * EBM_ERR_CALLBACK and EBM_ERR_INVALID_ARGUMENT (processes with different steps or dim).
 */
enum ebm_status ebm_sampler_get_stats(const struct ebm_sampler *sampler,
                                      struct ebm_sampler_stats *out,
                                      size_t out_size);

/**
 * Writes, per chain, accepted proposals over proposals since initialisation into rates_out
 * (n doubles, n the number of chains); for NUTS, the chain's mean acceptance statistic
 * (see ebm_sampler_stats.mean_acceptance). NaN before the first step.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, rates_out), EBM_ERR_INVALID_ARGUMENT (a sampler
 * without accept/reject, chains not initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n).
 */
enum ebm_status ebm_sampler_get_acceptance_rates(const struct ebm_sampler *sampler,
                                                 double *rates_out,
                                                 int64_t n);

/**
 * Writes, per chain, 1 if its state became non-finite (the chain is then frozen at its last
 * finite state) and 0 otherwise into flags_out (n bytes, n the number of chains).
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, flags_out), EBM_ERR_INVALID_ARGUMENT (chains not
 * initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n).
 */
enum ebm_status ebm_sampler_get_non_finite_chains(const struct ebm_sampler *sampler,
                                                  uint8_t *flags_out,
                                                  int64_t n);

/**
 * Writes, per chain, the number of divergent trajectories since initialisation (see
 * ebm_sampler_stats.divergences) into counts_out (n int64 values, n the number of chains).
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, counts_out), EBM_ERR_INVALID_ARGUMENT (a sampler
 * other than HMC and NUTS, chains not initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n).
 */
enum ebm_status ebm_sampler_get_divergences(const struct ebm_sampler *sampler,
                                            int64_t *counts_out,
                                            int64_t n);

/**
 * The mean energy of the finite chains after each step since initialisation: writes the
 * first min(capacity, steps) values into trace_out and the number of steps into *length_out.
 * Call with capacity 0 (trace_out may then be NULL) to learn the length. With an all-reduce
 * set (ebm_sampler_set_allreduce) this is a collective call (with capacity 0 too) and the
 * means are over every process's finite chains.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, length_out, trace_out when capacity > 0),
 * EBM_ERR_INVALID_ARGUMENT (capacity < 0, chains not initialised), EBM_ERR_TORCH; with an
 * all-reduce, EBM_ERR_REMOTE, EBM_ERR_CALLBACK and EBM_ERR_INVALID_ARGUMENT (processes with
 * different numbers of steps).
 */
enum ebm_status ebm_sampler_get_energy_trace(const struct ebm_sampler *sampler,
                                             double *trace_out,
                                             int64_t capacity,
                                             int64_t *length_out);

/**
 * Restarts the sampler's random streams from seed; the chains keep their states. Two
 * samplers with the same parameters, seed and calls produce bit-identical results on the
 * same device and buffer type.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_TORCH.
 */
enum ebm_status ebm_sampler_reseed(struct ebm_sampler *sampler, uint64_t seed);

/**
 * Installs progress_fn, called after every interval-th step of each run and after its last
 * step, with user_data. NULL progress_fn removes the callback. Any previous callback is
 * replaced, and its free_user_data (if any) called with its user_data.
 *
 * free_user_data (optional) is called with user_data exactly once, when this callback is
 * replaced or removed or when the sampler is finally released (a CD loss keeps its sampler,
 * and so this callback, alive after ebm_sampler_free); without it, user_data must stay valid
 * until then. If this function fails, free_user_data is not called: user_data stays the
 * caller's.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (interval < 1 with a
 * callback).
 */
enum ebm_status ebm_sampler_set_progress_callback(struct ebm_sampler *sampler,
                                                  ebm_progress_fn progress_fn,
                                                  int64_t interval,
                                                  void *user_data,
                                                  ebm_free_fn free_user_data);

/**
 * Writes the number of this process's chains into *n_chains_out and their dimension into
 * *dim_out, both 0 before the chains are initialised: the sizes of the buffers the other
 * getters and setters take. Unlike ebm_sampler_get_stats with an all-reduce set, it is never
 * collective; wrappers ask it rather than remember sizes, which ebm_sampler_init_*,
 * ebm_sampler_sample_*, ebm_sampler_step_* and ebm_checkpoint_load may change.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, n_chains_out, dim_out).
 */
enum ebm_status ebm_sampler_get_shape(const struct ebm_sampler *sampler,
                                      int64_t *n_chains_out,
                                      int64_t *dim_out);

/* ===============================================================================================
 * SECTION: Chain state
 *   the chains' energies, momenta and positions between runs
 * =============================================================================================== */

/**
 * Writes, per chain, the energy E of its current state (not divided by the temperature) into
 * energies_out (n doubles, n the number of chains): the values the next step starts from.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, energies_out), EBM_ERR_INVALID_ARGUMENT (chains not
 * initialised, n < 0), EBM_ERR_LENGTH_MISMATCH (n), EBM_ERR_TORCH.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <math.h>
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     ebm_energy *bowl = NULL;
 *     ebm_sampler *hmc = NULL;
 *     ebm_hmc_params params = ebm_hmc_default_params();
 *     double start[4] = {1, 0, 0, 2}; // two chains in two dimensions
 *     double energies[2], momenta[4];
 *     if (ebm_energy_harmonic_new(1.0, &bowl) || ebm_hmc_new(bowl, &params, &hmc) ||
 *         ebm_sampler_init_f64(hmc, start, 2, 2) || ebm_sampler_get_energies(hmc, energies, 2)) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     printf("energies at the start: %g %g\n", energies[0], energies[1]); // 0.5 and 2
 *     if (energies[0] != 0.5 || energies[1] != 2) return 1;
 *     // Move the chains without re-initialising them (a simulation's own update, say), then run.
 *     double moved[4] = {0, 0, 3, 0};
 *     if (ebm_sampler_set_samples_f64(hmc, moved, 2, 2) || ebm_sampler_get_energies(hmc, energies, 2) ||
 *         ebm_sampler_run(hmc, 10) || ebm_sampler_get_momenta_f64(hmc, momenta, 2, 2))
 *         return 1;
 *     printf("after moving: %g %g; chain 0's momentum (%.3f, %.3f)\n", energies[0], energies[1],
 *            momenta[0], momenta[1]);
 *     ebm_sampler_free(hmc);
 *     ebm_energy_free(bowl);
 *     return energies[0] == 0 && energies[1] == 4.5 ? 0 : 1;
 * }
 * ```
 */
enum ebm_status ebm_sampler_get_energies(const struct ebm_sampler *sampler,
                                         double *energies_out,
                                         int64_t n);

/**
 * Copies the chains' momenta into momenta_out (n*dim floats, row-major; n and dim the
 * chains'). HMC: the momenta at the end of the last transition (the proposal's final
 * momenta where it was accepted, its initial momenta where it was rejected; zeros before the
 * first transition). Kinetic Langevin: p = M v, v the velocities (with a unit mass, the
 * velocities themselves).
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, momenta_out), EBM_ERR_INVALID_ARGUMENT (chains not
 * initialised, a sampler without momenta: langevin, mala, nuts), EBM_ERR_LENGTH_MISMATCH (n, dim
 * not the chains'), EBM_ERR_TORCH.
 */
enum ebm_status ebm_sampler_get_momenta_f32(const struct ebm_sampler *sampler,
                                            float *momenta_out,
                                            int64_t n,
                                            int64_t dim);

/**
 * ebm_sampler_get_momenta_f32 into n*dim doubles.
 */
enum ebm_status ebm_sampler_get_momenta_f64(const struct ebm_sampler *sampler,
                                            double *momenta_out,
                                            int64_t n,
                                            int64_t dim);

/**
 * Sets the chains' momenta from momenta (n*dim floats, row-major, copied; n and dim the
 * chains'). HMC: the next transition starts from these momenta instead of a fresh draw (the
 * one after it draws again). Kinetic Langevin: the chains continue with velocities
 * v = M^-1 p. Step counts and statistics are unchanged.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, momenta), EBM_ERR_INVALID_ARGUMENT (chains not
 * initialised, a sampler without momenta), EBM_ERR_LENGTH_MISMATCH (n, dim not the chains'),
 * EBM_ERR_NON_FINITE (a NaN or infinite momentum; nothing is changed), EBM_ERR_TORCH.
 */
enum ebm_status ebm_sampler_set_momenta_f32(struct ebm_sampler *sampler,
                                            const float *momenta,
                                            int64_t n,
                                            int64_t dim);

/**
 * ebm_sampler_set_momenta_f32 from n*dim doubles.
 */
enum ebm_status ebm_sampler_set_momenta_f64(struct ebm_sampler *sampler,
                                            const double *momenta,
                                            int64_t n,
                                            int64_t dim);

/**
 * Moves the chains to samples (n*dim floats, row-major, copied; n and dim the chains')
 * without re-initialising them: unlike ebm_sampler_init_f32, step counts, statistics,
 * traces, adaptation, schedules, momenta and random streams continue. E and grad E are
 * evaluated at the new states; a chain frozen as non-finite is live again when its new state
 * is finite.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, samples), EBM_ERR_INVALID_ARGUMENT (chains not
 * initialised), EBM_ERR_LENGTH_MISMATCH (n, dim not the chains'), EBM_ERR_CALLBACK,
 * EBM_ERR_TORCH.
 */
enum ebm_status ebm_sampler_set_samples_f32(struct ebm_sampler *sampler,
                                            const float *samples,
                                            int64_t n,
                                            int64_t dim);

/**
 * ebm_sampler_set_samples_f32 from n*dim doubles.
 */
enum ebm_status ebm_sampler_set_samples_f64(struct ebm_sampler *sampler,
                                            const double *samples,
                                            int64_t n,
                                            int64_t dim);

/**
 * Evaluates E and grad E again at the chains' current states. Every step reuses the energy
 * and gradient cached at the end of the previous one, so call this between runs when the
 * energy has changed (a callback energy reading the host's state, a model whose parameters
 * were set); a CD loss's own updates need no call. Chains whose refreshed state is
 * non-finite are frozen as after a step. Counts and statistics are unchanged.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_INVALID_ARGUMENT (chains not
 * initialised), EBM_ERR_CALLBACK, EBM_ERR_TORCH.
 */
enum ebm_status ebm_sampler_refresh(struct ebm_sampler *sampler);

/**
 * Accepted proposals over proposals at each step since initialisation, all chains together
 * (MALA, HMC; for NUTS the mean of Stan's acceptance statistic): writes the first min(capacity, steps) values into trace_out and the number of
 * steps into *length_out. Call with capacity 0 (trace_out may then be NULL) to learn the
 * length. With an all-reduce set (ebm_sampler_set_allreduce) this is a collective call (with
 * capacity 0 too) over every process's chains.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, length_out, trace_out when capacity > 0),
 * EBM_ERR_INVALID_ARGUMENT (capacity < 0, chains not initialised, a sampler without
 * accept/reject), EBM_ERR_TORCH; with an all-reduce, those of ebm_sampler_get_energy_trace.
 */
enum ebm_status ebm_sampler_get_acceptance_trace(const struct ebm_sampler *sampler,
                                                 double *trace_out,
                                                 int64_t capacity,
                                                 int64_t *length_out);

/**
 * Writes the inverse mass M^-1 the next HMC or kinetic Langevin step uses (after any windowed
 * adaptation, see ebm_hmc_params.adapt_mass) into inverse_mass_out (len doubles): dim values,
 * the diagonal, for a diagonal mass (the default, and after EBM_ADAPT_MASS_DIAGONAL), or dim*dim
 * values, the row-major matrix, for a dense one (a dense params.mass, or after
 * EBM_ADAPT_MASS_DENSE once its first slow window ended). An adapted metric can be reused by
 * passing 1/inverse (diagonal), or the inverse matrix (dense), as params.mass of a new sampler.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, inverse_mass_out), EBM_ERR_INVALID_ARGUMENT (chains
 * not initialised, len < 0, a sampler without a mass: langevin, mala), EBM_ERR_LENGTH_MISMATCH
 * (len not the number of values described above).
 */
enum ebm_status ebm_sampler_get_inverse_mass(const struct ebm_sampler *sampler,
                                             double *inverse_mass_out,
                                             int64_t len);

/* ===============================================================================================
 * SECTION: Tempering
 *   replica exchange (parallel tempering) around any sampler
 * =============================================================================================== */

/**
 * Default parameters for ebm_parallel_tempering_new(): 8 replicas on a geometric ladder from
 * 1 to 10, an exchange round after every step.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     // a (x^2 - b)^2 with a = 1, b = 4: wells at -2 and 2, a barrier of height 16 between.
 *     ebm_energy *well = NULL;
 *     ebm_sampler *langevin = NULL, *tempering = NULL;
 *     ebm_langevin_params inner = ebm_langevin_default_params();
 *     ebm_tempering_params params = ebm_tempering_default_params();
 *     params.n_temperatures = 8;
 *     params.max_temperature = 30.0;
 *     static double x[200];
 *     for (int i = 0; i < 200; i++) x[i] = 2.0; // every chain starts in the right-hand well
 *     if (ebm_energy_double_well_new(1.0, 4.0, &well) || ebm_langevin_new(well, &inner, &langevin) ||
 *         ebm_parallel_tempering_new(langevin, &params, &tempering) ||
 *         ebm_sampler_init_f64(tempering, x, 200, 1) || ebm_sampler_run(tempering, 2000) ||
 *         ebm_sampler_get_samples_f64(tempering, x, 200, 1)) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     double swaps[7];
 *     if (ebm_sampler_get_swap_acceptance(tempering, swaps, 7)) return 1;
 *     int left = 0;
 *     for (int i = 0; i < 200; i++) left += x[i] < 0;
 *     printf("%d of 200 chains crossed to the left well; swaps accepted between T0 and T1: %.2f\n",
 *            left, swaps[0]);
 *     ebm_sampler_free(tempering);
 *     ebm_sampler_free(langevin);
 *     ebm_energy_free(well);
 *     return left > 50 && left < 150 ? 0 : 1;
 * }
 * ```
 */
struct ebm_tempering_params ebm_tempering_default_params(void);

/**
 * Replica exchange (parallel tempering) with inner as the template of every replica: a new
 * sampler running K copies of the chains, replica k by inner's method at temperature
 * T * ladder_k (T = inner's temperature; unadjusted Langevin's noise_scale), and exchanging
 * the states of neighbouring replicas' chains i every swap_interval steps with the Metropolis
 * probability min(1, exp((1/T_k - 1/T_k+1)(E_k,i - E_k+1,i))). Momenta stay with their replica.
 *
 * The new sampler's chains are replica 0's: init, run, trajectories, samples, statistics,
 * acceptance, energies, momenta and set_samples concern them (refresh and reseed act on every
 * replica). Every replica starts at the same initial points (or at its own N(0, I) draws).
 * Replica k draws from its own streams (seed derived from inner's seed and k) and each
 * exchange decision from chain i's own stream, so per-chain reproducibility (first_chain) holds
 * as for inner. A run costs K times inner's. inner is only read (its method, parameters, seed,
 * device and streams kind are copied) and stays independent; its chains are not used.
 * ebm_sampler_name() gives "parallel_tempering".
 *
 * The chains' memory is checked for all K replicas when they are initialised
 * (EBM_ERR_OUT_OF_MEMORY naming n).
 *
 * Errors: EBM_ERR_NULL_POINTER (inner, params, out, temperatures with temperatures_len > 0),
 * EBM_ERR_INVALID_ARGUMENT (params.struct_size, n_temperatures outside [2,
 * EBM_TEMPERING_MAX_REPLICAS], more temperatures than that, max_temperature <= 1, a
 * ladder not starting at 1 or not increasing, swap_interval < 1, inner itself a replica-exchange
 * sampler), EBM_ERR_NON_FINITE (a NaN or infinite temperature), EBM_ERR_BUSY (inner in use by
 * this thread), EBM_ERR_TORCH.
 */
enum ebm_status ebm_parallel_tempering_new(const struct ebm_sampler *inner,
                                           const struct ebm_tempering_params *params,
                                           struct ebm_sampler **out);

/**
 * Writes, per neighbour pair of replicas (k, k+1), the exchanges accepted over those
 * attempted since initialisation, all chains together, into rates_out (len = K - 1 doubles;
 * NaN for a pair not tried yet).
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, rates_out), EBM_ERR_INVALID_ARGUMENT (not a
 * replica-exchange sampler, chains not initialised, len < 0), EBM_ERR_LENGTH_MISMATCH (len).
 */
enum ebm_status ebm_sampler_get_swap_acceptance(const struct ebm_sampler *sampler,
                                                double *rates_out,
                                                int64_t len);

/**
 * The replicas' temperatures, the sampler's own chains first: writes the first
 * min(capacity, K) values into temperatures_out and K into *length_out. Call with capacity 0
 * (temperatures_out may then be NULL) to learn K.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler, length_out, temperatures_out when capacity > 0),
 * EBM_ERR_INVALID_ARGUMENT (not a replica-exchange sampler, capacity < 0).
 */
enum ebm_status ebm_sampler_get_temperatures(const struct ebm_sampler *sampler,
                                             double *temperatures_out,
                                             int64_t capacity,
                                             int64_t *length_out);

/* ===============================================================================================
 * SECTION: Models
 *   neural energies: MLPs, TorchScript modules, saving, loading, parameters
 * =============================================================================================== */

/**
 * Default MLP parameters: input_dim 2, no hidden layer, SiLU, no spectral norm, float, CPU,
 * seed 0. Set hidden/n_hidden for a useful network.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     int64_t hidden[2] = {32, 32};
 *     ebm_mlp_params params = ebm_mlp_default_params();
 *     params.input_dim = 2;
 *     params.hidden = hidden;
 *     params.n_hidden = 2;
 *     params.seed = 1;
 *     ebm_energy *model = NULL, *loaded = NULL;
 *     int64_t count = 0;
 *     if (ebm_model_mlp_new(&params, &model) || ebm_model_parameter_count(model, &count) ||
 *         ebm_model_save(model, "mlp.safetensors") ||
 *         ebm_model_load("mlp.safetensors", EBM_DEVICE_CPU, &loaded)) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     // A model is an ebm_energy: evaluate it, sample it, train it.
 *     float x[4] = {0.5f, -1.0f, 2.0f, 0.0f}, e[2], e_loaded[2];
 *     if (ebm_energy_eval_f32(model, x, 2, 2, e) || ebm_energy_eval_f32(loaded, x, 2, 2, e_loaded))
 *         return 1;
 *     printf("%lld parameters; E = %g, %g (saved and loaded: %g, %g)\n", (long long)count, e[0], e[1],
 *            e_loaded[0], e_loaded[1]);
 *     ebm_energy_free(loaded);
 *     ebm_energy_free(model);
 *     // 2*32 + 32 weights and biases in, 32*32 + 32 between, 32 + 1 out
 *     return count == 1185 && e[0] == e_loaded[0] && e[1] == e_loaded[1] ? 0 : 1;
 * }
 * ```
 */
struct ebm_mlp_params ebm_mlp_default_params(void);

/**
 * A new MLP energy (an ebm_energy usable with every evaluation function and sampler, and
 * trainable). params and its hidden widths are copied.
 *
 * Precision: the network computes in params.dtype whatever the caller's buffers are:
 * ebm_energy_eval_f64 on an EBM_DTYPE_F32 model converts the points to float, so its
 * doubles carry float32 results (1e-7 to 1e-5 relative). For double precision throughout,
 * build the model with EBM_DTYPE_F64, or convert one with ebm_model_to_dtype.
 *
 * Errors: EBM_ERR_NULL_POINTER (params, params.hidden with n_hidden > 0, out),
 * EBM_ERR_INVALID_ARGUMENT (struct_size, input_dim < 1, n_hidden < 0, a width < 1, unknown
 * activation or dtype), EBM_ERR_DEVICE_UNAVAILABLE, EBM_ERR_TORCH.
 */
enum ebm_status ebm_model_mlp_new(const struct ebm_mlp_params *params, struct ebm_energy **out);

/**
 * A new MLP energy that is a copy of the MLP model with its parameters converted to dtype
 * (EBM_DTYPE_F32 or EBM_DTYPE_F64), on the same device: e.g. to evaluate, sample or keep
 * training a float model in double precision (float to double is exact). The copy is a new,
 * independent handle (free it with ebm_energy_free); model, and the samplers, losses and
 * optimizers that hold it, are untouched. The copy has no gradients and its own optimizer
 * state starts afresh.
 *
 * To load a saved float model in double: ebm_model_load, then ebm_model_to_dtype, then free
 * the float one.
 *
 * Errors: EBM_ERR_NULL_POINTER (model, out), EBM_ERR_INVALID_ARGUMENT (model not an MLP
 * model, e.g. a TorchScript module: convert it in PyTorch with module.double() before
 * torch.jit.save; unknown dtype), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
 */
enum ebm_status ebm_model_to_dtype(const struct ebm_energy *model,
                                   int32_t dtype,
                                   struct ebm_energy **out);

/**
 * Loads a TorchScript module (torch.jit.save of a scripted or traced module) as an energy on
 * points of dimension dim: E(x) = module(x) for x of shape (n, dim), its output of shape (n,)
 * or (n, 1), floating point (checked on load with a probe batch, and on every call). Its
 * parameters are trainable. The module always receives a private copy of the points, so it
 * may modify its input in place without touching the caller's buffers. Gradients (and the
 * samplers that need them) fail with EBM_ERR_TORCH when the module's output has no autograd
 * graph (detached, or computed under no_grad); errors raised inside the module come back as
 * EBM_ERR_TORCH with their one-line reason.
 *
 * Before libtorch reads the file, its zip structure is checked (end records, central
 * directory, local headers and data descriptors consistent with it, every offset and size
 * within the file, the CRC-32 of every entry, the records a TorchScript module needs), so a
 * truncated or corrupted file is an EBM_ERR_FORMAT rather than a crash. Residual risk: a
 * structurally valid archive with consistent checksums but deliberately crafted contents (its
 * pickles or code) still reaches libtorch's deserializer and TorchScript compiler, which are
 * not hardened against malicious input; load only files you trust, as with torch.jit.load.
 * libtorch also leaks about 1.4 KB for each archive it refuses after opening it.
 *
 * Errors: EBM_ERR_NULL_POINTER (path, out), EBM_ERR_INVALID_ARGUMENT (dim < 1, path not a
 * readable TorchScript file, integer outputs), EBM_ERR_IO (path unreadable), EBM_ERR_FORMAT
 * (path truncated, corrupted, or not a TorchScript archive), EBM_ERR_DIMENSION_MISMATCH (the
 * module does not map (n, dim) to n energies), EBM_ERR_DEVICE_UNAVAILABLE, EBM_ERR_TORCH.
 */
enum ebm_status ebm_model_torchscript_load(const char *path,
                                           int64_t dim,
                                           int32_t device,
                                           struct ebm_energy **out);

/**
 * Saves an MLP model to path as a safetensors file (https://huggingface.co/docs/safetensors),
 * its weights plus its architecture in the metadata, so that ebm_model_load rebuilds it from
 * the file alone. The file is replaced atomically.
 *
 * Layout, for layers i = 0 .. n_hidden (the output layer last, n_hidden + 1 layers), in the
 * parameters' dtype (F32 or F64):
 *   layers.<i>.weight   shape [fan_out, fan_in], as torch.nn.Linear.weight (row-major)
 *   layers.<i>.bias     shape [fan_out]
 *   layers.<i>.spectral_u  shape [fan_out], only with spectral_norm: the power iteration's
 *                       left singular vector estimate
 * where fan_in of layer 0 is input_dim, fan_in of layer i > 0 is hidden[i-1], fan_out is
 * hidden[i] and 1 for the output layer. Metadata (all values strings):
 *   format "libtorchebm-mlp", format_version "1", library_version (e.g. "0.1.0"),
 *   input_dim (e.g. "2"), hidden (comma-separated widths, e.g. "64,64"; "" for none),
 *   activation ("silu", "relu", "tanh", "softplus" or "elu"), spectral_norm ("true" or
 *   "false"), dtype ("float32" or "float64").
 * E(x) is the network applied to x: h = x; h = act(h W_i^T + b_i) for every hidden layer;
 * E = h W_out^T + b_out. From Python (pip install safetensors), such a file is written by
 *   safetensors.torch.save_file({"layers.0.weight": w0, "layers.0.bias": b0, ...},
 *       path, metadata={"format": "libtorchebm-mlp", "format_version": "1", ...})
 * and read by safetensors.torch.load_file(path) (tensors) and safetensors.safe_open(path,
 * "pt").metadata() (architecture). A plain PyTorch state_dict loads with
 * ebm_model_load_state_dict instead.
 *
 * Errors: EBM_ERR_NULL_POINTER (model, path), EBM_ERR_INVALID_ARGUMENT (not an MLP model; a
 * TorchScript module, which only PyTorch can write: the message says how to keep its trained
 * parameters), EBM_ERR_IO.
 */
enum ebm_status ebm_model_save(const struct ebm_energy *model, const char *path);

/**
 * Loads a model saved by ebm_model_save (layout there) onto device, rebuilding its
 * architecture; its parameters keep the saved dtype (metadata dtype). A float32 model
 * computes in float even through the _f64 functions: convert it with ebm_model_to_dtype
 * for double precision.
 *
 * Errors: EBM_ERR_NULL_POINTER (path, out), EBM_ERR_IO (unreadable), EBM_ERR_FORMAT
 * (truncated, corrupted, not a libtorchebm model), EBM_ERR_DEVICE_UNAVAILABLE.
 */
enum ebm_status ebm_model_load(const char *path, int32_t device, struct ebm_energy **out);

/**
 * Loads the weights of a plain PyTorch MLP into a new MLP energy of the architecture params
 * describes (input_dim, hidden, activation; params.dtype the parameters' element type,
 * params.device where they live; seed unused): path is a safetensors file of the network's
 * state_dict, as written by
 *   net = torch.nn.Sequential(torch.nn.Linear(2, 64), torch.nn.SiLU(), torch.nn.Linear(64, 1))
 *   safetensors.torch.save_file(net.state_dict(), path)
 * The file must hold exactly the tensors <prefix><k>.weight [fan_out, fan_in] and
 * <prefix><k>.bias [fan_out] of the n_hidden + 1 linear layers, k integers whose increasing
 * order is the layers' order (nn.Sequential's 0, 2, 4, ... with activations between) and
 * one common prefix (e.g. "net." for a module holding the Sequential as self.net); its
 * metadata is ignored. Tensors of any floating dtype are converted to params.dtype. The
 * network must compute what this library's MLP does (see ebm_model_save): Linear layers
 * with params.activation between them and one output. Every error names the tensor at fault.
 * (torch.save's pickled .pt files are not read: convert them with
 * safetensors.torch.save_file(torch.load(pt_path), path).)
 *
 * Errors: EBM_ERR_NULL_POINTER (path, params, params.hidden, out), EBM_ERR_INVALID_ARGUMENT
 * (as ebm_model_mlp_new; params.spectral_norm nonzero), EBM_ERR_IO (unreadable),
 * EBM_ERR_FORMAT (not a safetensors file, e.g. a torch.save .pt file; a tensor not named
 * <prefix><k>.weight|bias, or under another prefix; more or fewer layers than the
 * architecture; a missing weight or bias; an integer tensor), EBM_ERR_DIMENSION_MISMATCH (a
 * tensor's shape differs from the architecture's), EBM_ERR_DEVICE_UNAVAILABLE, EBM_ERR_TORCH.
 */
enum ebm_status ebm_model_load_state_dict(const char *path,
                                          const struct ebm_mlp_params *params,
                                          struct ebm_energy **out);

/**
 * Writes the number of scalar trainable parameters into *count_out.
 *
 * Errors: EBM_ERR_NULL_POINTER (model, count_out), EBM_ERR_INVALID_ARGUMENT (not a model).
 */
enum ebm_status ebm_model_parameter_count(const struct ebm_energy *model, int64_t *count_out);

/**
 * Copies the parameters, flattened in a fixed order (layer by layer, weight then bias,
 * row-major), into out (len = ebm_model_parameter_count floats).
 *
 * Errors: EBM_ERR_NULL_POINTER (model, out), EBM_ERR_INVALID_ARGUMENT (not a model, len < 0),
 * EBM_ERR_LENGTH_MISMATCH (len).
 */
enum ebm_status ebm_model_get_parameters_f32(const struct ebm_energy *model,
                                             float *out,
                                             int64_t len);

/**
 * ebm_model_get_parameters_f32 into len doubles.
 */
enum ebm_status ebm_model_get_parameters_f64(const struct ebm_energy *model,
                                             double *out,
                                             int64_t len);

/**
 * Replaces the parameters by values (len floats, the order of ebm_model_get_parameters).
 * Safe while other threads evaluate, sample or train the model (its own handle included):
 * it waits for evaluations in progress, and each evaluation sees the old or the new
 * parameters, never a mix (see THREAD SAFETY).
 *
 * Errors: as ebm_model_get_parameters_f32, plus EBM_ERR_NON_FINITE (values), EBM_ERR_BUSY
 * (called from a callback of a call that is evaluating or training this model).
 */
enum ebm_status ebm_model_set_parameters_f32(const struct ebm_energy *model,
                                             const float *values,
                                             int64_t len);

/**
 * ebm_model_set_parameters_f32 from len doubles.
 */
enum ebm_status ebm_model_set_parameters_f64(const struct ebm_energy *model,
                                             const double *values,
                                             int64_t len);

/**
 * Copies the accumulated parameter gradients (same order and length as the parameters; 0
 * before any loss) into out: e.g. to average them across processes.
 *
 * Errors: as ebm_model_get_parameters_f32.
 */
enum ebm_status ebm_model_get_gradients_f32(const struct ebm_energy *model,
                                            float *out,
                                            int64_t len);

/**
 * ebm_model_get_gradients_f32 into len doubles.
 */
enum ebm_status ebm_model_get_gradients_f64(const struct ebm_energy *model,
                                            double *out,
                                            int64_t len);

/**
 * Replaces the parameter gradients by values (e.g. the all-reduced average), before an
 * ebm_optimizer_step.
 *
 * Errors: as ebm_model_set_parameters_f32.
 */
enum ebm_status ebm_model_set_gradients_f32(struct ebm_energy *model,
                                            const float *values,
                                            int64_t len);

/**
 * ebm_model_set_gradients_f32 from len doubles.
 */
enum ebm_status ebm_model_set_gradients_f64(struct ebm_energy *model,
                                            const double *values,
                                            int64_t len);

/**
 * Sets every parameter gradient to zero.
 *
 * Errors: EBM_ERR_NULL_POINTER (model), EBM_ERR_INVALID_ARGUMENT (not a model).
 */
enum ebm_status ebm_model_zero_grad(struct ebm_energy *model);

/* ===============================================================================================
 * SECTION: Training
 *   CD and score-matching losses, optimizers, train steps, checkpoints
 * =============================================================================================== */

/**
 * Default CD parameters: the specification's CD-1 from noise, TorchEBM's regulariser weight
 * 0.001, and for PCD a 10000-point buffer with 5% restarts warmed up by 100 sampler steps;
 * no noise on the data. With a Langevin sampler at its defaults this diverges on toy data:
 * see the example in ebm_cd_loss_new.
 */
struct ebm_cd_params ebm_cd_default_params(void);

/**
 * Creates a CD loss training `model` with negatives from `sampler`, which must sample that
 * same model (built with it as its energy). params is copied.
 *
 * Example, a complete program (make test-header-examples compiles and runs it): PCD on
 * eight Gaussians with settings that stay stable (examples/c/cd_eight_gaussians.c trains
 * longer and checks more; see the README's "Training with contrastive divergence").
 *
 * ```c
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     static float data[4096 * 2]; // eight Gaussians, row-major (n, 2)
 *     ebm_dataset_params dataset = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
 *     dataset.std = 0.05;
 *     int64_t hidden[2] = {32, 32};
 *     ebm_mlp_params mlp = ebm_mlp_default_params(); // 2 -> 32 -> 32 -> 1, SiLU
 *     mlp.hidden = hidden;
 *     mlp.n_hidden = 2;
 *     ebm_langevin_params langevin = ebm_langevin_default_params();
 *     langevin.step_size = 0.1;
 *     langevin.noise_scale = 0.01; // the model learns exp(-E / 0.01)
 *     ebm_cd_params cd = ebm_cd_default_params();
 *     cd.start = EBM_CD_START_PERSISTENT; // PCD: a replay buffer, warmed up by init_steps steps
 *     cd.k = 20;
 *     cd.energy_reg_weight = 0.1; // the defaults (CD-1 from noise, 0.001) diverge here
 *     ebm_adam_params adam = ebm_adam_default_params();
 *     adam.learning_rate = 1e-2;
 *     ebm_energy *model = NULL;
 *     ebm_sampler *sampler = NULL;
 *     ebm_cd_loss *loss = NULL;
 *     ebm_optimizer *optimizer = NULL;
 *     double value = 0;
 *     ebm_status status = ebm_dataset_generate_f32(&dataset, 4096, data);
 *     if (status == EBM_OK) status = ebm_model_mlp_new(&mlp, &model);
 *     if (status == EBM_OK) status = ebm_langevin_new(model, &langevin, &sampler);
 *     if (status == EBM_OK) status = ebm_cd_loss_new(model, sampler, &cd, &loss);
 *     if (status == EBM_OK) status = ebm_optimizer_adam_new(model, &adam, &optimizer);
 *     for (int step = 0; step < 300 && status == EBM_OK; step++)
 *         status = ebm_cd_loss_train_step_f32(loss, optimizer, data + 2 * ((step * 128) % 4096), 128, 2, &value);
 *     float points[3 * 2] = {2, 0, 0, 2, 0, 0}; // two modes, then the origin
 *     float energies[3] = {0};
 *     if (status == EBM_OK) status = ebm_energy_eval_f32(model, points, 3, 2, energies);
 *     if (status != EBM_OK) fprintf(stderr, "%s\n", ebm_last_error_message());
 *     else printf("loss %.3f; E at two modes %.3f %.3f, at the origin %.3f\n", value, energies[0], energies[1], energies[2]);
 *     ebm_optimizer_free(optimizer);
 *     ebm_cd_loss_free(loss);
 *     ebm_sampler_free(sampler);
 *     ebm_energy_free(model);
 *     return status == EBM_OK && energies[0] < energies[2] && energies[1] < energies[2] ? 0 : 1;
 * }
 * ```
 *
 * Errors: EBM_ERR_NULL_POINTER (model, sampler, params, out), EBM_ERR_INVALID_ARGUMENT
 * (struct_size, a model without parameters, a sampler of another energy, k < 1, unknown
 * start, buffer_size < 1, reinit_fraction outside [0, 1], energy_reg_weight < 0,
 * n_negatives < 0 or nonzero with EBM_CD_START_DATA, init_steps < 0,
 * real_noise_scale < 0), EBM_ERR_NON_FINITE.
 */
enum ebm_status ebm_cd_loss_new(const struct ebm_energy *model,
                                const struct ebm_sampler *sampler,
                                const struct ebm_cd_params *params,
                                struct ebm_cd_loss **out);

/**
 * Releases a CD loss. NULL is a no-op.
 */
void ebm_cd_loss_free(struct ebm_cd_loss *loss);

/**
 * Computes the CD loss on n data points (data: n*dim floats, row-major), writes it to
 * *loss_out (NULL to skip), and accumulates its gradient into the model's parameters (call
 * ebm_optimizer_zero_grad first, then ebm_optimizer_step; or use ebm_cd_loss_train_step_f32).
 *
 * Errors: EBM_ERR_NULL_POINTER (loss, data), EBM_ERR_INVALID_ARGUMENT (n < 1, dim < 1),
 * EBM_ERR_DIMENSION_MISMATCH (dim not the model's), EBM_ERR_NON_FINITE (NaN or infinite
 * data; a non-finite loss, in which case no gradient is accumulated), errors of the sampler,
 * EBM_ERR_TORCH.
 */
enum ebm_status ebm_cd_loss_compute_f32(struct ebm_cd_loss *loss,
                                        const float *data,
                                        int64_t n,
                                        int64_t dim,
                                        double *loss_out);

/**
 * ebm_cd_loss_compute_f32 with data as n*dim doubles.
 */
enum ebm_status ebm_cd_loss_compute_f64(struct ebm_cd_loss *loss,
                                        const double *data,
                                        int64_t n,
                                        int64_t dim,
                                        double *loss_out);

/**
 * Copies the negatives of the last computed loss (n negatives of dimension dim, as chosen by
 * params.n_negatives) into negatives_out (n*dim floats, row-major).
 *
 * Errors: EBM_ERR_NULL_POINTER (loss, negatives_out), EBM_ERR_INVALID_ARGUMENT (no loss
 * computed yet), EBM_ERR_LENGTH_MISMATCH (n*dim not the negatives' size).
 */
enum ebm_status ebm_cd_loss_get_negatives_f32(const struct ebm_cd_loss *loss,
                                              float *negatives_out,
                                              int64_t n,
                                              int64_t dim);

/**
 * ebm_cd_loss_get_negatives_f32 into doubles.
 */
enum ebm_status ebm_cd_loss_get_negatives_f64(const struct ebm_cd_loss *loss,
                                              double *negatives_out,
                                              int64_t n,
                                              int64_t dim);

/**
 * Writes the number of negatives of the last computed loss into *n_out and their dimension
 * into *dim_out, both 0 before the first loss: the sizes ebm_cd_loss_get_negatives_* takes.
 * Wrappers ask it rather than remember them (n follows params.n_negatives or the batch).
 *
 * Errors: EBM_ERR_NULL_POINTER (loss, n_out, dim_out).
 */
enum ebm_status ebm_cd_loss_get_negatives_shape(const struct ebm_cd_loss *loss,
                                                int64_t *n_out,
                                                int64_t *dim_out);

/**
 * Default score matching: exact; 1 Rademacher projection when sliced; noise 0.1 when
 * denoising; seed 0.
 */
struct ebm_score_matching_params ebm_score_matching_default_params(void);

/**
 * Creates a score-matching loss of energy: a model (whose parameters then receive the
 * loss's gradient) or any differentiable energy (analytic energies, for the value alone;
 * user callbacks are not differentiable). params is copied.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, params, out), EBM_ERR_INVALID_ARGUMENT (struct_size,
 * unknown method or projection, n_projections < 1, noise_scale <= 0), EBM_ERR_NON_FINITE.
 */
enum ebm_status ebm_score_matching_new(const struct ebm_energy *energy,
                                       const struct ebm_score_matching_params *params,
                                       struct ebm_score_matching **out);

/**
 * Releases a score-matching loss. NULL is a no-op.
 */
void ebm_score_matching_free(struct ebm_score_matching *loss);

/**
 * Computes the score-matching loss on n data points (n*dim floats, row-major), writes it to
 * *loss_out (NULL to skip) and accumulates its gradient into the model's parameters.
 *
 * Errors: EBM_ERR_NULL_POINTER (loss, data), EBM_ERR_INVALID_ARGUMENT (n < 1, dim < 1, an
 * energy autograd cannot differentiate), EBM_ERR_DIMENSION_MISMATCH, EBM_ERR_NON_FINITE
 * (data; a non-finite loss, then no gradient is accumulated), EBM_ERR_TORCH.
 */
enum ebm_status ebm_score_matching_compute_f32(struct ebm_score_matching *loss,
                                               const float *data,
                                               int64_t n,
                                               int64_t dim,
                                               double *loss_out);

/**
 * ebm_score_matching_compute_f32 with data as n*dim doubles.
 */
enum ebm_status ebm_score_matching_compute_f64(struct ebm_score_matching *loss,
                                               const double *data,
                                               int64_t n,
                                               int64_t dim,
                                               double *loss_out);

/**
 * Default SGD: learning rate 0.01, no momentum, no weight decay, no clipping.
 */
struct ebm_sgd_params ebm_sgd_default_params(void);

/**
 * Default Adam: torch.optim.Adam's learning rate 0.001, betas (0.9, 0.999), eps 1e-8, no
 * weight decay, no clipping.
 */
struct ebm_adam_params ebm_adam_default_params(void);

/**
 * An SGD optimizer of model's parameters. params is copied.
 *
 * Errors: EBM_ERR_NULL_POINTER (model, params, out), EBM_ERR_INVALID_ARGUMENT (struct_size,
 * a model without parameters, a value out of range, nesterov without momentum),
 * EBM_ERR_NON_FINITE.
 */
enum ebm_status ebm_optimizer_sgd_new(const struct ebm_energy *model,
                                      const struct ebm_sgd_params *params,
                                      struct ebm_optimizer **out);

/**
 * An Adam optimizer of model's parameters. params is copied.
 *
 * Errors: as ebm_optimizer_sgd_new.
 */
enum ebm_status ebm_optimizer_adam_new(const struct ebm_energy *model,
                                       const struct ebm_adam_params *params,
                                       struct ebm_optimizer **out);

/**
 * Releases an optimizer. NULL is a no-op.
 */
void ebm_optimizer_free(struct ebm_optimizer *optimizer);

/**
 * Sets the gradients of the optimizer's model to zero.
 *
 * Errors: EBM_ERR_NULL_POINTER (optimizer).
 */
enum ebm_status ebm_optimizer_zero_grad(struct ebm_optimizer *optimizer);

/**
 * Updates the model's parameters from their gradients (clipped first when max_grad_norm is
 * set). With an all-reduce set (ebm_optimizer_set_allreduce) this is a collective call that
 * first averages the gradients of every process with equal weights.
 *
 * Errors: EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_NON_FINITE (a NaN or infinite gradient:
 * nothing is changed), EBM_ERR_TORCH.
 */
enum ebm_status ebm_optimizer_step(struct ebm_optimizer *optimizer);

/**
 * Changes the learning rate used by the next steps.
 *
 * Errors: EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_INVALID_ARGUMENT (< 0),
 * EBM_ERR_NON_FINITE.
 */
enum ebm_status ebm_optimizer_set_learning_rate(struct ebm_optimizer *optimizer,
                                                double learning_rate);

/**
 * Writes the current learning rate and the number of steps taken (either pointer may be
 * NULL).
 *
 * Errors: EBM_ERR_NULL_POINTER (optimizer).
 */
enum ebm_status ebm_optimizer_get_state(const struct ebm_optimizer *optimizer,
                                        double *learning_rate_out,
                                        int64_t *steps_out);

/**
 * One training step: zero the gradients, compute the CD loss on the batch (n*dim floats)
 * with its gradient, and take an optimizer step. Writes the loss to *loss_out (NULL to skip).
 * With an all-reduce set on the optimizer (ebm_optimizer_set_allreduce) it is a collective,
 * data-parallel step: the gradients and the loss are those of every process's batch together.
 *
 * Errors: those of ebm_cd_loss_compute_f32 and ebm_optimizer_step, EBM_ERR_NULL_POINTER
 * (optimizer), EBM_ERR_INVALID_ARGUMENT (the optimizer is for another model); with an
 * all-reduce, EBM_ERR_REMOTE and EBM_ERR_CALLBACK (see ebm_optimizer_set_allreduce).
 */
enum ebm_status ebm_cd_loss_train_step_f32(struct ebm_cd_loss *loss,
                                           struct ebm_optimizer *optimizer,
                                           const float *data,
                                           int64_t n,
                                           int64_t dim,
                                           double *loss_out);

/**
 * ebm_cd_loss_train_step_f32 with data as n*dim doubles.
 */
enum ebm_status ebm_cd_loss_train_step_f64(struct ebm_cd_loss *loss,
                                           struct ebm_optimizer *optimizer,
                                           const double *data,
                                           int64_t n,
                                           int64_t dim,
                                           double *loss_out);

/**
 * One score-matching training step (zero grad, loss and gradient, optimizer step). With an
 * all-reduce set on the optimizer it is a collective, data-parallel step, as
 * ebm_cd_loss_train_step_f32.
 *
 * Errors: those of ebm_score_matching_compute_f32 and ebm_optimizer_step,
 * EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_INVALID_ARGUMENT (another model); with an
 * all-reduce, EBM_ERR_REMOTE and EBM_ERR_CALLBACK (see ebm_optimizer_set_allreduce).
 */
enum ebm_status ebm_score_matching_train_step_f32(struct ebm_score_matching *loss,
                                                  struct ebm_optimizer *optimizer,
                                                  const float *data,
                                                  int64_t n,
                                                  int64_t dim,
                                                  double *loss_out);

/**
 * ebm_score_matching_train_step_f32 with data as n*dim doubles.
 */
enum ebm_status ebm_score_matching_train_step_f64(struct ebm_score_matching *loss,
                                                  struct ebm_optimizer *optimizer,
                                                  const double *data,
                                                  int64_t n,
                                                  int64_t dim,
                                                  double *loss_out);

/**
 * Saves a training checkpoint to path: the model (an MLP), and when given the optimizer's
 * state and the CD loss's replay buffer. Saving also restarts the loss's and its sampler's
 * random streams from a key stored in the file, so that a run resumed with
 * ebm_checkpoint_load continues exactly as this one does.
 *
 * Errors: EBM_ERR_NULL_POINTER (path, model), EBM_ERR_INVALID_ARGUMENT (not an MLP model,
 * an optimizer or loss of another model), EBM_ERR_IO.
 */
enum ebm_status ebm_checkpoint_save(const char *path,
                                    struct ebm_energy *model,
                                    struct ebm_optimizer *optimizer,
                                    struct ebm_cd_loss *loss);

/**
 * Restores a checkpoint written by ebm_checkpoint_save into handles of the same
 * configuration (model architecture, optimizer rule; optimizer and loss may be NULL to skip
 * them), and re-keys the loss's random streams as the saving run did.
 *
 * The optimizer must update, and the loss train, this very model (as for
 * ebm_checkpoint_save); otherwise nothing is read or changed.
 *
 * Errors: EBM_ERR_NULL_POINTER (path, model), EBM_ERR_IO, EBM_ERR_FORMAT (truncated,
 * corrupted, another architecture or optimizer rule), EBM_ERR_INVALID_ARGUMENT (not an MLP
 * model, an optimizer or loss of another model).
 */
enum ebm_status ebm_checkpoint_load(const char *path,
                                    struct ebm_energy *model,
                                    struct ebm_optimizer *optimizer,
                                    struct ebm_cd_loss *loss);

/* ===============================================================================================
 * SECTION: Distributed
 *   all-reduces across processes: data-parallel training, sharded chains
 * =============================================================================================== */

/**
 * Makes the optimizer's updates data-parallel over P processes (MPI ranks), each training a
 * copy of the same model on its own share of the data: allreduce_fn, called with user_data,
 * sums across them. ebm_cd_loss_train_step_*, ebm_score_matching_train_step_* and
 * ebm_optimizer_step with this optimizer then become collective calls: every process must
 * make them, in the same order.
 *
 * A train step computes each process's loss L_p and gradient g_p on its own n_p points, then
 * updates every process with g = sum_p n_p g_p / sum_p n_p: the step of one process given all
 * the batches together (for CD, n_p is the number of data points; give every process the
 * same n_negatives ratio). *loss_out receives sum_p n_p L_p / sum_p n_p on every process.
 * Two all-reduce calls per step: 6 doubles (batch sizes, losses, a failure flag, the model's
 * size), then the weighted gradients, ebm_model_parameter_count() values in the model's
 * precision (floats for a float model). ebm_optimizer_step (after ebm_cd_loss_compute_* or
 * gradients of your own) averages the processes' gradients with equal weights,
 * sum_p g_p / P, through the same two calls. Clipping (max_grad_norm) and the non-finite
 * check apply to the combined gradient, so every process takes the same update; a parameter
 * without a gradient counts as zero.
 *
 * Start every process from the same parameters (the same ebm_mlp_params seed, or
 * ebm_model_set_parameters_* with one process's values) and the same optimizer settings.
 * For CD, give each process's sampler its global first_chain so that its negatives are its
 * own chains of the one big run; PCD replay buffers stay each process's own (its chains).
 *
 * Failures. A process whose own part fails (non-finite data or loss, a dim the model does
 * not take, a failing energy callback, ...) still takes part in the first all-reduce, which
 * tells the others: none of them updates; that process returns its own error and the others
 * EBM_ERR_REMOTE. Processes whose models differ in parameter count or precision all fail
 * with EBM_ERR_INVALID_ARGUMENT before any gradient is sent. A failing allreduce_fn is
 * EBM_ERR_CALLBACK. Errors found before the step starts (NULL handles or data, n < 1,
 * dim < 1, EBM_ERR_BUSY) return at once without any collective call, so the other processes
 * would wait in theirs: treat them as fatal (e.g. MPI_Abort).
 *
 * NULL allreduce_fn removes the all-reduce (the optimizer is local again). free_user_data
 * (optional) is called with user_data exactly once, when this all-reduce is replaced or
 * removed or the optimizer is freed; without it, user_data (e.g. an MPI_Comm *) must stay
 * valid until then. If this function fails, free_user_data is not called.
 *
 * Errors: EBM_ERR_NULL_POINTER (optimizer), EBM_ERR_BUSY (called from a callback the
 * optimizer is running).
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * // Sums values over the processes, in place: with MPI, MPI_Allreduce(MPI_IN_PLACE, ...) (see
 * // ebm_mpi_allreduce in include/torchebm_mpi.h). Here there is one process, so the sum is the
 * // values themselves; it only counts its calls.
 * static int32_t sum_over_one_process(void *values, size_t count, int32_t dtype, void *user_data) {
 *     (void)values, (void)count, (void)dtype;
 *     ++*(int *)user_data;
 *     return 0;
 * }
 *
 * int main(void) {
 *     ebm_energy *bowl = NULL;
 *     ebm_sampler *sampler = NULL;
 *     ebm_langevin_params params = ebm_langevin_default_params();
 *     params.first_chain = 0; // on rank r, r * n_local: the chains of one run, sharded
 *     int calls = 0;
 *     ebm_sampler_stats stats;
 *     if (ebm_energy_harmonic_new(1.0, &bowl) || ebm_langevin_new(bowl, &params, &sampler) ||
 *         ebm_sampler_set_allreduce(sampler, sum_over_one_process, &calls, NULL) ||
 *         ebm_sampler_init_f64(sampler, NULL, 100, 2) || ebm_sampler_run(sampler, 10) ||
 *         ebm_sampler_get_stats(sampler, &stats, sizeof stats)) { // collective: every rank calls it
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     printf("statistics of %lld chains, combined in %d all-reduce calls\n", (long long)stats.n_chains, calls);
 *     ebm_sampler_free(sampler);
 *     ebm_energy_free(bowl);
 *     return stats.n_chains == 100 && calls > 0 ? 0 : 1;
 * }
 * ```
 */
enum ebm_status ebm_optimizer_set_allreduce(struct ebm_optimizer *optimizer,
                                            ebm_allreduce_fn allreduce_fn,
                                            void *user_data,
                                            ebm_free_fn free_user_data);

/**
 * Combines the diagnostics of chains sharded over P processes (MPI ranks), each running its
 * own share of the chains with its own sampler: allreduce_fn, called with user_data, sums
 * across them. ebm_sampler_get_stats and ebm_sampler_get_energy_trace on this sampler then
 * become collective calls (every process must make them, in the same order) describing
 * every process's chains together, as one sampler running all of them would: n_chains and
 * non_finite_chains and divergences are totals, and mean_acceptance, mean_energy,
 * mean_tree_depth and each step's trace value are over all chains (equal to one sampler's up to rounding: the sums are added in another
 * order). steps and dim must be the same on every process, otherwise every process fails
 * with EBM_ERR_INVALID_ARGUMENT; step_size stays this process's. ebm_sampler_get_stats makes
 * one all-reduce call (13 doubles), ebm_sampler_get_energy_trace two (4 doubles, then
 * 2 * steps). A process whose call fails locally (chains not initialised) still takes part,
 * and the others return EBM_ERR_REMOTE; errors found before (NULL arguments, out_size too
 * small, capacity < 0, EBM_ERR_BUSY) return without any collective call: treat them as fatal.
 *
 * Everything else stays local: running and sampling never call allreduce_fn, and
 * ebm_sampler_get_samples_*, ebm_sampler_get_acceptance_rates,
 * ebm_sampler_get_non_finite_chains and progress callbacks see this process's chains only.
 * Step-size adaptation (adapt_steps > 0) follows this process's chains' acceptance, so
 * sharded runs that adapt differ from one big run.
 *
 * NULL allreduce_fn removes the all-reduce. free_user_data (optional) is called with
 * user_data exactly once, when this all-reduce is replaced or removed or the sampler is
 * finally released (a CD loss keeps its sampler alive after ebm_sampler_free); without it,
 * user_data must stay valid until then. If this function fails, free_user_data is not
 * called.
 *
 * Errors: EBM_ERR_NULL_POINTER (sampler), EBM_ERR_BUSY (called from the sampler's own
 * callbacks).
 */
enum ebm_status ebm_sampler_set_allreduce(struct ebm_sampler *sampler,
                                          ebm_allreduce_fn allreduce_fn,
                                          void *user_data,
                                          ebm_free_fn free_user_data);

/* ===============================================================================================
 * SECTION: Datasets
 *   2-D toy datasets and pictures of energy landscapes
 * =============================================================================================== */

/**
 * TorchEBM 0.8.9's defaults for dataset `kind` (an EBM_DATASET_* value; an unknown kind
 * gets the defaults with that kind, rejected when generating), seed 0. The fields a kind
 * does not read hold the default of a kind that does (std 0.05, noise 0.05, range_limit 1).
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <math.h>
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     ebm_dataset_params params = ebm_dataset_default_params(EBM_DATASET_EIGHT_GAUSSIANS);
 *     params.seed = 3;
 *     static double points[2000 * 2]; // row-major (n, 2)
 *     if (ebm_dataset_generate_f64(&params, 2000, points) != EBM_OK) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     double mean_x = 0, mean_y = 0;
 *     for (int i = 0; i < 2000; i++) mean_x += points[2 * i] / 2000, mean_y += points[2 * i + 1] / 2000;
 *     printf("eight Gaussians: mean (%.3f, %.3f)\n", mean_x, mean_y); // about (0, 0)
 *     return fabs(mean_x) < 0.25 && fabs(mean_y) < 0.25 ? 0 : 1;
 * }
 * ```
 */
struct ebm_dataset_params ebm_dataset_default_params(int32_t kind);

/**
 * Generates n points of a 2-D toy dataset into out (n*2 floats, row-major), computed in
 * single precision exactly as TorchEBM does with the same seed.
 *
 * Errors: EBM_ERR_NULL_POINTER (params, out), EBM_ERR_INVALID_ARGUMENT (struct_size, unknown
 * kind, n < 1, a count < 1, n_components or n_classes above EBM_DATASET_MAX_COMPONENTS, a
 * negative noise or std, a CHECKERBOARD range_limit outside [1, 1e6], a parameter beyond
 * float32's range for the _f32 variant), EBM_ERR_LENGTH_MISMATCH (GRID
 * with n != points_per_dim^2), EBM_ERR_NON_FINITE, EBM_ERR_SIZE_OVERFLOW (n*2 values do not
 * fit in this machine's memory), EBM_ERR_OUT_OF_MEMORY (not enough memory free for n
 * points).
 */
enum ebm_status ebm_dataset_generate_f32(const struct ebm_dataset_params *params,
                                         int64_t n,
                                         float *out);

/**
 * ebm_dataset_generate_f32 in double precision (TorchEBM's dtype=torch.float64).
 */
enum ebm_status ebm_dataset_generate_f64(const struct ebm_dataset_params *params,
                                         int64_t n,
                                         double *out);

/**
 * Writes a PNG picture of a 2-D energy to path (".png"): two panel_size x panel_size panels,
 * the n_data points of data (n_data*2 doubles, row-major; may be NULL with n_data 0) on the
 * left, and on the right the landscape over [x_min, x_max] x [y_min, y_max] with the
 * n_samples points of samples over it. With temperature > 0 the colours show the density
 * exp(-(E - min E) / temperature) (bright where high); with 0, E itself (bright where low).
 * For looking at toy models.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, path, data or samples with a nonzero count),
 * EBM_ERR_INVALID_ARGUMENT (an empty frame, panel_size outside [16, 4096], negative counts),
 * EBM_ERR_DIMENSION_MISMATCH (an energy not of dim 2), EBM_ERR_NON_FINITE (frame,
 * temperature), EBM_ERR_IO.
 */
enum ebm_status ebm_render_png(const struct ebm_energy *energy,
                               const double *data,
                               int64_t n_data,
                               const double *samples,
                               int64_t n_samples,
                               double x_min,
                               double x_max,
                               double y_min,
                               double y_max,
                               int64_t panel_size,
                               double temperature,
                               const char *path);

/* ===============================================================================================
 * SECTION: AIS
 *   log Z by annealed importance sampling
 * =============================================================================================== */

/**
 * Default parameters for ebm_ais_estimate_f32/_f64: 200 temperatures on the sigmoid
 * schedule, one MALA transition of step size 0.05 per temperature, base N(0, I), seed 0,
 * CPU, per-chain streams.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <math.h>
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     // E(x) = |x|^2 / 4 in two dimensions (covariance 2 I): Z = 4 pi exactly.
 *     double mean[2] = {0, 0}, cov[4] = {2, 0, 0, 2};
 *     ebm_energy *gaussian = NULL;
 *     ebm_ais_params params = ebm_ais_default_params();
 *     params.seed = 1;
 *     ebm_ais_result result;
 *     if (ebm_energy_gaussian_new(mean, cov, 2, &gaussian) ||
 *         ebm_ais_estimate_f64(gaussian, &params, 1000, 2, &result, sizeof result, NULL, NULL)) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     printf("log Z = %.4f +- %.4f (exact %.4f), ESS %.0f\n", result.log_z, result.standard_error,
 *            log(4 * 3.14159265358979323846), result.effective_sample_size);
 *     ebm_energy_free(gaussian);
 *     return fabs(result.log_z - log(4 * 3.14159265358979323846)) < 0.1 ? 0 : 1;
 * }
 * ```
 */
struct ebm_ais_params ebm_ais_default_params(void);

/**
 * Estimates log Z = log of the integral of exp(-E(x)) dx for energy in dimension dim by
 * annealed importance sampling with n_particles particles (see ebm_ais_params), the
 * particles kept in float (on the CPU with EBM_RNG_PER_CHAIN they are advanced in double
 * whatever the variant); the estimate is computed in double.
 *
 * out: filled with the estimate; out_size must be sizeof(ebm_ais_result) as seen by the
 * caller (at least this version's). log_weights_out: NULL, or n_particles doubles receiving
 * the log importance weights w_i. samples_out: NULL, or n_particles*dim floats (row-major)
 * receiving the particles at the end of the path, draws of exp(-E) once weighted by
 * exp(w_i). Nothing is written to out unless the call succeeds.
 *
 * Errors: EBM_ERR_NULL_POINTER (energy, params, out), EBM_ERR_INVALID_ARGUMENT
 * (params.struct_size; params.n_temperatures, params.inner_steps or, for HMC,
 * params.n_leapfrog_steps < 1; params.step_size or params.base_std <= 0; an unknown
 * params.schedule, params.sampler or params.rng; params.first_chain != 0 without per-chain
 * CPU streams; out_size too small; n_particles < 2; dim < 1; overlapping buffers),
 * EBM_ERR_NON_FINITE (a NaN or infinite params.step_size or params.base_std; energy, when
 * it is NaN or infinite on every particle's path), EBM_ERR_DIMENSION_MISMATCH (dim not
 * accepted by the energy), EBM_ERR_SIZE_OVERFLOW (buffers larger than memory),
 * EBM_ERR_OUT_OF_MEMORY (n_particles, when the particles would not fit in the memory
 * available), EBM_ERR_DEVICE_UNAVAILABLE (params.device), EBM_ERR_CALLBACK, EBM_ERR_TORCH.
 */
enum ebm_status ebm_ais_estimate_f32(const struct ebm_energy *energy,
                                     const struct ebm_ais_params *params,
                                     int64_t n_particles,
                                     int64_t dim,
                                     struct ebm_ais_result *out,
                                     size_t out_size,
                                     double *log_weights_out,
                                     float *samples_out);

/**
 * ebm_ais_estimate_f32 with the particles kept in double and samples_out as n_particles*dim
 * doubles.
 */
enum ebm_status ebm_ais_estimate_f64(const struct ebm_energy *energy,
                                     const struct ebm_ais_params *params,
                                     int64_t n_particles,
                                     int64_t dim,
                                     struct ebm_ais_result *out,
                                     size_t out_size,
                                     double *log_weights_out,
                                     double *samples_out);

/* ===============================================================================================
 * SECTION: Diagnostics
 *   R-hat, effective sample sizes and autocorrelations of trajectories
 * =============================================================================================== */

/**
 * Rank-normalised split R-hat of each coordinate of a trajectory (Vehtari et al. 2021;
 * ArviZ's az.rhat(method="rank")): every chain is split into its first and last
 * floor(n_draws / 2) draws (the middle draw of an odd n_draws is left out); the bulk R-hat is
 * the classic R-hat of the normal scores Phi^-1((r - 3/8) / (S + 1/4)) of the pooled average
 * ranks r of the S split draws, the tail R-hat the same of the draws folded about their
 * median, |x - median|; the result is the larger of the two.
 *
 * draws: n_draws * n_chains * dim floats, row-major (n_draws, n_chains, dim) exactly as
 * ebm_sampler_run_trajectory_f32 writes it: element [t][c][j] is
 * draws[(t * n_chains + c) * dim + j] (a Julia Array of size (dim, n_chains, n_draws)).
 * Values are widened to double. rhat_out: dim doubles. Values near 1 indicate mixed chains;
 * above 1.01 is the usual warning sign.
 *
 * NaN results: every coordinate when n_chains = 1 (the between-chain variance needs two
 * chains, as in ArviZ), and a coordinate whose draws are all equal.
 *
 * Errors: EBM_ERR_NULL_POINTER (draws, rhat_out), EBM_ERR_INVALID_ARGUMENT (n_draws < 4,
 * n_chains < 1, dim < 1, misaligned or overlapping buffers), EBM_ERR_SIZE_OVERFLOW
 * (n_draws * n_chains * dim), EBM_ERR_NON_FINITE (a NaN or infinite value in draws; the
 * message gives its [t][c][j]), EBM_ERR_OUT_OF_MEMORY, EBM_ERR_TORCH.
 *
 * Example, a complete program (make test-header-examples compiles and runs it):
 *
 * ```c
 * #include <stdio.h>
 * #include "torchebm.h"
 *
 * int main(void) {
 *     enum { DRAWS = 500, CHAINS = 4, DIM = 2 };
 *     ebm_energy *bowl = NULL;
 *     ebm_sampler *sampler = NULL;
 *     ebm_mala_params params = ebm_mala_default_params();
 *     params.step_size = 0.5;
 *     static double trajectory[DRAWS * CHAINS * DIM]; // [draw][chain][coordinate]
 *     double rhat[DIM], ess[DIM];
 *     if (ebm_energy_harmonic_new(1.0, &bowl) || ebm_mala_new(bowl, &params, &sampler) ||
 *         ebm_sampler_init_f64(sampler, NULL, CHAINS, DIM) || ebm_sampler_run(sampler, 100) ||
 *         ebm_sampler_run_trajectory_f64(sampler, DRAWS, 1, trajectory, DRAWS * CHAINS * DIM) ||
 *         ebm_diagnostics_rhat_f64(trajectory, DRAWS, CHAINS, DIM, rhat) ||
 *         ebm_diagnostics_ess_bulk_f64(trajectory, DRAWS, CHAINS, DIM, ess)) {
 *         fprintf(stderr, "%s\n", ebm_last_error_message());
 *         return 1;
 *     }
 *     printf("R-hat %.3f %.3f, bulk ESS %.0f %.0f of %d draws\n", rhat[0], rhat[1], ess[0], ess[1],
 *            DRAWS * CHAINS);
 *     ebm_sampler_free(sampler);
 *     ebm_energy_free(bowl);
 *     return rhat[0] < 1.05 && rhat[1] < 1.05 && ess[0] > 100 ? 0 : 1;
 * }
 * ```
 */
enum ebm_status ebm_diagnostics_rhat_f32(const float *draws,
                                         int64_t n_draws,
                                         int64_t n_chains,
                                         int64_t dim,
                                         double *rhat_out);

/**
 * ebm_diagnostics_rhat_f32 with draws of doubles.
 */
enum ebm_status ebm_diagnostics_rhat_f64(const double *draws,
                                         int64_t n_draws,
                                         int64_t n_chains,
                                         int64_t dim,
                                         double *rhat_out);

/**
 * Bulk effective sample size of each coordinate of a trajectory (Vehtari et al. 2021;
 * ArviZ's az.ess(method="bulk")): Geyer's initial monotone sequence estimator applied to the
 * normal scores of the pooled ranks of the split chains (see ebm_diagnostics_rhat_f32), i.e.
 * S / tau with S = 2 * n_chains * floor(n_draws / 2) and tau = -1 + 2 * (sum of the
 * autocorrelations combined across chains, truncated where consecutive pair sums turn
 * negative, made non-increasing), tau at least 1 / log10(S). Autocovariances are computed
 * with libtorch's FFT. A coordinate whose draws are all equal gets S, as in ArviZ.
 *
 * draws: as for ebm_diagnostics_rhat_f32. ess_out: dim doubles.
 *
 * Errors: as ebm_diagnostics_rhat_f32, with ess_out for rhat_out.
 */
enum ebm_status ebm_diagnostics_ess_bulk_f32(const float *draws,
                                             int64_t n_draws,
                                             int64_t n_chains,
                                             int64_t dim,
                                             double *ess_out);

/**
 * ebm_diagnostics_ess_bulk_f32 with draws of doubles.
 */
enum ebm_status ebm_diagnostics_ess_bulk_f64(const double *draws,
                                             int64_t n_draws,
                                             int64_t n_chains,
                                             int64_t dim,
                                             double *ess_out);

/**
 * Tail effective sample size of each coordinate of a trajectory (Vehtari et al. 2021;
 * ArviZ's az.ess(method="tail")): the smaller of the effective sample sizes (the estimator
 * of ebm_diagnostics_ess_bulk_f32, without rank normalisation) of the split chains of the
 * indicators draw <= q, for q the 5% and the 95% quantiles (R's type 7) of all
 * n_draws * n_chains draws of the coordinate. A coordinate whose draws are all equal gets
 * 2 * n_chains * floor(n_draws / 2), as in ArviZ.
 *
 * draws: as for ebm_diagnostics_rhat_f32. ess_out: dim doubles.
 *
 * Errors: as ebm_diagnostics_rhat_f32, with ess_out for rhat_out.
 */
enum ebm_status ebm_diagnostics_ess_tail_f32(const float *draws,
                                             int64_t n_draws,
                                             int64_t n_chains,
                                             int64_t dim,
                                             double *ess_out);

/**
 * ebm_diagnostics_ess_tail_f32 with draws of doubles.
 */
enum ebm_status ebm_diagnostics_ess_tail_f64(const double *draws,
                                             int64_t n_draws,
                                             int64_t n_chains,
                                             int64_t dim,
                                             double *ess_out);

/**
 * Autocorrelations of each coordinate of a trajectory at lags 0..max_lag, averaged over
 * chains: autocorrelation_out[k * dim + j] = (1 / n_chains) * sum over chains c of
 * rho_c,j(k), where rho_c,j(k) = gamma(k) / gamma(0) and gamma(k) = (1 / n_draws) *
 * sum_{t=0}^{n_draws-1-k} (x[t] - m)(x[t+k] - m) for x[t] = draws[t][c][j] and m its mean
 * over t (ArviZ's az.autocorr of each chain). Lag 0 is 1. A chain whose draws are all equal
 * has NaN autocorrelations (0 / 0), which make the coordinate's mean NaN. Autocovariances
 * are computed with libtorch's FFT.
 *
 * draws: as for ebm_diagnostics_rhat_f32. autocorrelation_out: (max_lag + 1) * dim doubles,
 * row-major (max_lag + 1, dim) (a Julia (dim, max_lag + 1) Matrix).
 *
 * Errors: as ebm_diagnostics_rhat_f32 (with autocorrelation_out for rhat_out), plus
 * EBM_ERR_INVALID_ARGUMENT (max_lag < 0 or max_lag >= n_draws), EBM_ERR_SIZE_OVERFLOW
 * ((max_lag + 1) * dim).
 */
enum ebm_status ebm_diagnostics_autocorrelation_f32(const float *draws,
                                                    int64_t n_draws,
                                                    int64_t n_chains,
                                                    int64_t dim,
                                                    int64_t max_lag,
                                                    double *autocorrelation_out);

/**
 * ebm_diagnostics_autocorrelation_f32 with draws of doubles.
 */
enum ebm_status ebm_diagnostics_autocorrelation_f64(const double *draws,
                                                    int64_t n_draws,
                                                    int64_t n_chains,
                                                    int64_t dim,
                                                    int64_t max_lag,
                                                    double *autocorrelation_out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* TORCHEBM_H */
