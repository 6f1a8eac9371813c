/**
 * torchebm.hpp — a header-only C++17 wrapper of libtorchebm's C API (include/torchebm.h).
 *
 *   #include "torchebm.hpp"        // compile with -I<repo>/include -I<repo>/bindings/cpp
 *   auto well = torchebm::Energy::double_well();                  // E = a sum (x_i^2 - b)^2
 *   auto mala = torchebm::Sampler::mala(well, torchebm::MalaParams().step_size(0.05).seed(3));
 *   std::vector<double> samples = mala.sample<double>(1000, 2, 500);   // 1000 chains, dim 2
 *
 * HANDLES. Energy (and Model, a trainable Energy), Sampler, CdLoss, ScoreMatching and
 * Optimizer own one C handle each: move-only, the destructor frees it. get() gives the C
 * pointer to mix in C calls, release() gives up ownership, and a class can adopt a pointer
 * (explicit constructor). Handles are created by static factories (Energy::gaussian,
 * Sampler::hmc, Model::mlp, ...), never by throwing constructors. As in C, a handle that uses
 * another keeps it alive, so handles may be destroyed in any order.
 *
 * BUFFERS. Points are row-major (n, dim). Each computation comes as float and double
 * pointer overloads (T *, n, dim), std::vector overloads that allocate the result (the
 * vector's size must be a multiple of dim, else EBM_ERR_LENGTH_MISMATCH naming the
 * argument), and, under C++20, std::span overloads writing into caller memory.
 *
 * ERRORS. With exceptions (the default), every failure throws torchebm::Error, a
 * std::runtime_error whose status() is the ebm_status and whose what() is the library's
 * message (ebm_last_error_message(), naming the function and the argument).
 *
 * NO-EXCEPTIONS MODE. When the compiler has exceptions disabled (-fno-exceptions) or
 * TORCHEBM_NO_EXCEPTIONS is defined, nothing in this header throws. The API keeps the same
 * names and arguments, only the return types change: a function documented as returning T
 * returns torchebm::Result<T> (a Status plus, when ok(), the value), and a function returning
 * nothing returns torchebm::Status; both are [[nodiscard]]. Result<T>::value() on a failed
 * result prints the message and aborts, as a failed check would. torchebm::Ret<T> names
 * that return type (T, or Result<T> / Status), so code can be written for both modes.
 *
 * CALLBACKS. Energy::from_callable accepts any callable (lambdas with captures,
 * std::function); the Energy owns a copy of it and frees it when the last C handle using it
 * is freed. Exceptions never cross into C: a callable that throws makes the call fail with
 * EBM_ERR_CALLBACK and the exception's what() in the message (without exceptions, a batched
 * callable returns a nonzero int, after torchebm::callback_error("why")). An energy callable
 * may be invoked concurrently when the energy is evaluated from several threads. A sampler's
 * progress callable is owned by the C sampler, like an energy's; it returns
 * torchebm::Progress::Continue or ::Cancel (never bool); a throw cancels the run
 * (EBM_ERR_CANCELLED, with the exception's what() in the message). An all-reduce
 * (Optimizer::set_allreduce, Sampler::set_allreduce) is either a C function with borrowed
 * user data (e.g. ebm_mpi_allreduce from torchebm_mpi.h with a pointer to an MPI_Comm) or a
 * callable owned by the C handle; a throw fails the collective call with EBM_ERR_CALLBACK.
 *
 * THREADS. As in C: const methods may run concurrently on one object; others need exclusive
 * access.
 */
#ifndef TORCHEBM_HPP
#define TORCHEBM_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "torchebm.h"
#include "torchebm_dispatch.hpp"  // detail::Api<T>: the _f32/_f64 pairs (generated)

#if __cplusplus >= 202002L && defined(__has_include)
#if __has_include(<span>)
#include <span>
#if defined(__cpp_lib_span)
#define TORCHEBM_HAS_SPAN 1
#endif
#endif
#endif
#ifndef TORCHEBM_HAS_SPAN
#define TORCHEBM_HAS_SPAN 0
#endif

/* Whether the compiler accepts try/catch (used by the callback trampolines in any mode). */
#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(_CPPUNWIND)
#define TORCHEBM_HAS_TRY 1
#else
#define TORCHEBM_HAS_TRY 0
#endif

/* 1: failures throw torchebm::Error; 0: they are returned as Status / Result<T>. */
#if TORCHEBM_HAS_TRY && !defined(TORCHEBM_NO_EXCEPTIONS)
#define TORCHEBM_EXCEPTIONS 1
#else
#define TORCHEBM_EXCEPTIONS 0
#endif

namespace torchebm {

// ---------------------------------------------------------------------------------------
// Status, Error, Result
// ---------------------------------------------------------------------------------------

/** An ebm_status with its message; ok() for EBM_OK. */
class [[nodiscard]] Status {
 public:
  /** Success. */
  Status() = default;
  /** A status with a message; an empty message of a failure becomes ebm_status_string(code). */
  Status(ebm_status code, std::string message) : code_(code), message_(std::move(message)) {
    if (code_ != EBM_OK && message_.empty()) message_ = ebm_status_string(code_);
  }
  /** True for EBM_OK. */
  bool ok() const noexcept { return code_ == EBM_OK; }
  /** The status code. */
  ebm_status code() const noexcept { return code_; }
  /** The message (empty on success). */
  const std::string& message() const noexcept { return message_; }

 private:
  ebm_status code_ = EBM_OK;
  std::string message_;
};

/** The exception thrown for every failure (exceptions mode): status() and what(). */
class Error : public std::runtime_error {
 public:
  /** From a failed Status. */
  explicit Error(const Status& status) : std::runtime_error(status.message()), status_(status.code()) {}
  /** The ebm_status of the failure. */
  ebm_status status() const noexcept { return status_; }

 private:
  ebm_status status_;
};

/** A value or the Status of its failure: what functions return in no-exceptions mode. */
template <class T>
class [[nodiscard]] Result {
 public:
  /** A success holding value. */
  Result(T&& value) : value_(std::move(value)) {}
  /** A success holding a copy of value. */
  Result(const T& value) : value_(value) {}
  /** A failure (status must not be ok()). */
  Result(Status status) : status_(std::move(status)) {}
  /** True on success. */
  bool ok() const noexcept { return status_.ok(); }
  /** True on success. */
  explicit operator bool() const noexcept { return ok(); }
  /** The status (ok() on success). */
  const Status& status() const noexcept { return status_; }
  /** The value; aborts with the message when this is a failure. */
  T& value() & { check(); return value_; }
  /** The value; aborts with the message when this is a failure. */
  const T& value() const& { check(); return value_; }
  /** Moves the value out; aborts with the message when this is a failure. */
  T value() && { check(); return std::move(value_); }
  /** The value (checked as value()). */
  T* operator->() { return &value(); }
  /** The value (checked as value()). */
  const T* operator->() const { return &value(); }
  /** The value (checked as value()). */
  T& operator*() & { return value(); }

 private:
  void check() const {
    if (!ok()) {
      std::fprintf(stderr, "torchebm: value() of a failed Result: %s\n", status_.message().c_str());
      std::abort();
    }
  }
  Status status_;
  T value_{};
};

#if TORCHEBM_EXCEPTIONS
/** What a function "returning T" returns: T here (exceptions mode). */
template <class T>
using Ret = T;
#else
namespace detail {
template <class T>
struct RetOf { using type = Result<T>; };
template <>
struct RetOf<void> { using type = Status; };
}  // namespace detail
/** What a function "returning T" returns: Result<T>, or Status for void (no-exceptions mode). */
template <class T>
using Ret = typename detail::RetOf<T>::type;
#endif

/**
 * What a progress callable returns: Continue lets the run go on, Cancel stops it
 * (EBM_ERR_CANCELLED). An enum, not bool, because the two languages disagree on what "true"
 * would mean: C's ebm_progress_fn returns 0 (EBM_PROGRESS_CONTINUE) to go on and nonzero to
 * cancel, while a C++ predicate reads true as "go on". Callables returning bool are refused
 * at compile time (see Sampler::set_progress_callback).
 */
enum class Progress : int32_t { Continue = EBM_PROGRESS_CONTINUE, Cancel = EBM_PROGRESS_CANCEL };

namespace detail {

/** The Status of a C call: its message is taken right away, before any other ebm_ call. */
inline Status to_status(ebm_status code) {
  if (code == EBM_OK) return Status();
  return Status(code, ebm_last_error_message());
}
inline Status to_status(Status status) { return status; }

/** A failure produced by the wrapper itself: "torchebm::<where>: <argument>: <what>". */
inline Status error(ebm_status code, const char* where, const char* argument, const std::string& what) {
  return Status(code, std::string("torchebm::") + where + ": " + argument + ": " + what);
}

#if TORCHEBM_EXCEPTIONS
inline void throw_if_error(const Status& status) {
  if (!status.ok()) throw Error(status);
}
inline void ok() noexcept {}
#define TORCHEBM_CHECK(expr) ::torchebm::detail::throw_if_error(::torchebm::detail::to_status(expr))
#else
inline Status ok() noexcept { return Status(); }
#define TORCHEBM_CHECK(expr)                                                        \
  do {                                                                              \
    ::torchebm::Status torchebm_status_ = ::torchebm::detail::to_status(expr);     \
    if (!torchebm_status_.ok()) return torchebm_status_;                            \
  } while (0)
#endif

/** The shape (n_chains, dim) of a sampler's chains as the library has them now
 *  (ebm_sampler_get_shape: never collective, unlike ebm_sampler_get_stats with an all-reduce);
 *  the wrapper asks it rather than remembering sizes, which re-initialisations change. */
struct ChainShape {
  int64_t n_chains = 0;
  int64_t dim = 0;
};

/** Reads the shape; EBM_ERR_INVALID_ARGUMENT naming "sampler" before initialisation. */
inline Status chain_shape(const ebm_sampler* sampler, const char* where, ChainShape& shape) {
  Status status = to_status(ebm_sampler_get_shape(sampler, &shape.n_chains, &shape.dim));
  if (!status.ok()) return status;
  if (shape.n_chains == 0) return error(EBM_ERR_INVALID_ARGUMENT, where, "sampler", "chains not initialised");
  return Status();
}

/** Enables a template for float and double only. */
template <class T>
using if_real = std::enable_if_t<std::is_same_v<T, float> || std::is_same_v<T, double>, int>;

/** n = size / dim, checking dim >= 1 and that size is a multiple of dim. */
inline Status rows(size_t size, int64_t dim, const char* where, const char* argument, int64_t& n) {
  if (dim < 1) return error(EBM_ERR_INVALID_ARGUMENT, where, "dim", "must be >= 1, got " + std::to_string(dim));
  if (size % static_cast<size_t>(dim) != 0)
    return error(EBM_ERR_LENGTH_MISMATCH, where, argument,
                 std::to_string(size) + " values, not a multiple of dim " + std::to_string(dim));
  n = static_cast<int64_t>(size / static_cast<size_t>(dim));
  return Status();
}

/** Checks that a buffer holds exactly `expected` values. */
inline Status length(size_t size, int64_t expected, const char* where, const char* argument) {
  if (static_cast<int64_t>(size) != expected)
    return error(EBM_ERR_LENGTH_MISMATCH, where, argument,
                 std::to_string(size) + " values, expected " + std::to_string(expected));
  return Status();
}

/** A move-only owner of one C handle; Free is a functor calling the matching ebm_*_free. */
template <class T, class Free>
class Handle {
 public:
  /** An empty handle. */
  Handle() noexcept = default;
  /** Takes ownership of p (may be NULL). */
  explicit Handle(T* p) noexcept : p_(p) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  /** Takes other's pointer, leaving other empty. */
  Handle(Handle&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  /** Frees the current pointer and takes other's. */
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) reset(std::exchange(other.p_, nullptr));
    return *this;
  }
  /** Frees the handle (NULL is fine). */
  ~Handle() { Free()(p_); }
  /** The C pointer, still owned by this object. */
  T* get() const noexcept { return p_; }
  /** Gives up ownership: the caller must free the returned pointer. */
  T* release() noexcept { return std::exchange(p_, nullptr); }
  /** Frees the current pointer and takes ownership of p. */
  void reset(T* p = nullptr) noexcept { Free()(std::exchange(p_, p)); }
  /** True when a pointer is held. */
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  T* p_ = nullptr;
};

struct EnergyFree { void operator()(ebm_energy* p) const noexcept { ebm_energy_free(p); } };
struct SamplerFree { void operator()(ebm_sampler* p) const noexcept { ebm_sampler_free(p); } };
struct CdLossFree { void operator()(ebm_cd_loss* p) const noexcept { ebm_cd_loss_free(p); } };
struct ScoreMatchingFree { void operator()(ebm_score_matching* p) const noexcept { ebm_score_matching_free(p); } };
struct OptimizerFree { void operator()(ebm_optimizer* p) const noexcept { ebm_optimizer_free(p); } };

/** Reports the exception being handled to the library (inside a catch). */
inline int32_t callback_failed(const char* what) noexcept {
  ebm_callback_set_error(what);
  return -1;
}

#if TORCHEBM_HAS_TRY
#define TORCHEBM_CALLBACK_GUARD(...)                                               \
  try {                                                                            \
    __VA_ARGS__                                                                    \
  } catch (const std::exception& e) {                                              \
    return ::torchebm::detail::callback_failed(e.what());                         \
  } catch (...) {                                                                  \
    return ::torchebm::detail::callback_failed("unknown C++ exception");          \
  }
#else
#define TORCHEBM_CALLBACK_GUARD(...) __VA_ARGS__
#endif

/** Marks "no gradient callable". */
struct NoGradient {};

/** Converts a callable's result (void or an int status) to the C return code. */
template <class F, class... A>
int32_t invoke_status(F& f, A... args) {
  if constexpr (std::is_void_v<std::invoke_result_t<F&, A...>>) {
    f(args...);
    return 0;
  } else {
    return static_cast<int32_t>(f(args...));
  }
}

/** The callables of a user-defined energy, owned by the C handle through user_data. */
template <class F, class G>
struct UserEnergy {
  F energy;
  G gradient;

  static int32_t energy_fn(const double* x, int64_t n, int64_t dim, double* out, void* user_data) noexcept {
    F& f = static_cast<UserEnergy*>(user_data)->energy;
    TORCHEBM_CALLBACK_GUARD({
      if constexpr (std::is_invocable_v<F&, const double*, int64_t, int64_t, double*>) {
        return invoke_status(f, x, n, dim, out);
      } else {
        static_assert(std::is_invocable_r_v<double, F&, const double*, int64_t>,
                      "energy callable: double(const double* x, int64_t dim) or "
                      "void/int(const double* x, int64_t n, int64_t dim, double* energy_out)");
        for (int64_t i = 0; i < n; i++) out[i] = f(x + i * dim, dim);
        return 0;
      }
    })
  }

  static int32_t gradient_fn(const double* x, int64_t n, int64_t dim, double* out, double* grad,
                             void* user_data) noexcept {
    G& g = static_cast<UserEnergy*>(user_data)->gradient;
    TORCHEBM_CALLBACK_GUARD({
      if constexpr (std::is_invocable_v<G&, const double*, int64_t, int64_t, double*, double*>) {
        return invoke_status(g, x, n, dim, out, grad);
      } else {
        static_assert(std::is_invocable_r_v<double, G&, const double*, int64_t, double*>,
                      "gradient callable: double(const double* x, int64_t dim, double* grad_out) or "
                      "void/int(const double* x, int64_t n, int64_t dim, double* energy_out, double* grad_out)");
        for (int64_t i = 0; i < n; i++) out[i] = g(x + i * dim, dim, grad + i * dim);
        return 0;
      }
    })
  }

  static void free_fn(void* user_data) noexcept { delete static_cast<UserEnergy*>(user_data); }
};

/** A sampler's progress callable, owned by the C sampler (released through free_fn). */
template <class F>
struct ProgressCallable final {
  explicit ProgressCallable(F f) : fn(std::move(f)) {}
  F fn;
  static int32_t call(int64_t done, int64_t total, double mean_energy, void* user_data) noexcept {
    F& f = static_cast<ProgressCallable*>(user_data)->fn;
    TORCHEBM_CALLBACK_GUARD({
      if constexpr (std::is_void_v<std::invoke_result_t<F&, int64_t, int64_t, double>>) {
        f(done, total, mean_energy);
        return EBM_PROGRESS_CONTINUE;
      } else {
        return static_cast<int32_t>(f(done, total, mean_energy));
      }
    })
  }
  static void free_fn(void* user_data) noexcept { delete static_cast<ProgressCallable*>(user_data); }
};

/** An all-reduce callable, owned by the C sampler or optimizer (released through free_fn):
 *  void or int (0 = success) f(void* values, size_t count, int32_t dtype). */
template <class F>
struct AllReduce final {
  explicit AllReduce(F f) : fn(std::move(f)) {}
  F fn;
  static int32_t call(void* values, size_t count, int32_t dtype, void* user_data) noexcept {
    F& f = static_cast<AllReduce*>(user_data)->fn;
    static_assert(std::is_invocable_v<F&, void*, size_t, int32_t>,
                  "all-reduce callable: void/int(void* values, size_t count, int32_t dtype)");
    TORCHEBM_CALLBACK_GUARD({ return invoke_status(f, values, count, dtype); })
  }
  static void free_fn(void* user_data) noexcept { delete static_cast<AllReduce*>(user_data); }
};

}  // namespace detail

// ---------------------------------------------------------------------------------------
// Library information
// ---------------------------------------------------------------------------------------

/** The fixed text of a status code (ebm_status_string). */
inline const char* status_string(ebm_status status) noexcept { return ebm_status_string(status); }

/** The message of the last failed ebm_ call on this thread (ebm_last_error_message). */
inline std::string last_error_message() { return ebm_last_error_message(); }

/** Call inside a failing callback: the message is added to its EBM_ERR_CALLBACK error. */
inline void callback_error(const char* message) noexcept { ebm_callback_set_error(message); }

/** The library's version string, e.g. "0.1.0" (ebm_version). */
inline const char* version() noexcept { return ebm_version(); }

/** The library's version as major * 1000000 + minor * 1000 + patch (ebm_version_number). */
inline uint32_t version_number() noexcept { return ebm_version_number(); }

/** The version of libtorch the library was built against (ebm_libtorch_version). */
inline const char* libtorch_version() noexcept { return ebm_libtorch_version(); }

/** The header's version (EBM_VERSION), against which this wrapper was compiled. */
inline const char* header_version() noexcept { return EBM_VERSION; }

/** Fails (EBM_ERR_INVALID_ARGUMENT) unless the loaded library's version is the header's. */
inline Ret<void> check_version() {
  if (ebm_version_number() != EBM_VERSION_NUMBER || std::strcmp(ebm_version(), EBM_VERSION) != 0)
    TORCHEBM_CHECK(detail::error(EBM_ERR_INVALID_ARGUMENT, "check_version", "library",
                                 std::string("version ") + ebm_version() + " loaded, header is " + EBM_VERSION));
  return detail::ok();
}

/** Build and machine information (see ebm_build_info; the strings are static). */
using BuildInfo = ebm_build_info;

/** Fills a BuildInfo (ebm_get_build_info). */
inline Ret<BuildInfo> build_info() {
  BuildInfo info{};
  TORCHEBM_CHECK(ebm_get_build_info(&info, sizeof info));
  return info;
}

/** Whether a CUDA device is usable. */
inline bool cuda_available() noexcept { return ebm_cuda_is_available(); }

/** The number of usable CUDA devices. */
inline int32_t cuda_device_count() noexcept { return ebm_cuda_device_count(); }

/** Sets how many threads the library's parallel work may use, process-wide (>= 1; 1 runs
 *  everything on the calling thread and starts no thread). See ebm_set_num_threads. */
inline Ret<void> set_num_threads(int32_t threads) {
  TORCHEBM_CHECK(ebm_set_num_threads(threads));
  return detail::ok();
}

/** The threads the library's parallel work may use. */
inline int32_t num_threads() noexcept { return ebm_get_num_threads(); }

/** Runs the library's parallel work on the host's threads through runner (process-wide;
 *  nullptr restores the library's pool). The runner must not throw: catch inside it and
 *  return nonzero. See ebm_set_task_runner. */
inline Ret<void> set_task_runner(ebm_task_runner_fn runner, void* user_data) {
  TORCHEBM_CHECK(ebm_set_task_runner(runner, user_data));
  return detail::ok();
}

// ---------------------------------------------------------------------------------------
// Parameter structs: C defaults, chainable setters
// ---------------------------------------------------------------------------------------

/* Defines a chainable setter name(v) and a getter name() for field `name` of p_. */
#define TORCHEBM_FIELD(Self, type, name)                 \
  Self& name(type v) noexcept {                          \
    p_.name = v;                                         \
    return *this;                                        \
  }                                                      \
  type name() const noexcept { return p_.name; }

/** A step-size or noise schedule (ebm_schedule), made by the named constructors. */
struct Schedule {
  /** The base value throughout (the default). */
  static ebm_schedule constant() noexcept { return make(EBM_SCHEDULE_CONSTANT); }
  /** max(min_value, base * decay_rate^t). */
  static ebm_schedule exponential_decay(double decay_rate, double min_value) noexcept {
    ebm_schedule s = make(EBM_SCHEDULE_EXPONENTIAL_DECAY);
    s.decay_rate = decay_rate;
    s.min_value = min_value;
    return s;
  }
  /** Linear from base to end_value over n_steps steps. */
  static ebm_schedule linear(double end_value, int64_t n_steps) noexcept {
    return ends(EBM_SCHEDULE_LINEAR, end_value, n_steps);
  }
  /** Cosine from base to end_value over n_steps steps. */
  static ebm_schedule cosine(double end_value, int64_t n_steps) noexcept {
    return ends(EBM_SCHEDULE_COSINE, end_value, n_steps);
  }

 private:
  /* The library's defaults of the kind's fields (ebm_schedule_default), so that the fields a
   * constructor does not take are those of C. */
  static ebm_schedule make(int32_t kind) noexcept { return ebm_schedule_default(kind); }
  static ebm_schedule ends(int32_t kind, double end_value, int64_t n_steps) noexcept {
    ebm_schedule s = make(kind);
    s.end_value = end_value;
    s.n_steps = n_steps;
    return s;
  }
};

/** Unadjusted Langevin settings (ebm_langevin_params; defaults from ebm_langevin_default_params).
 *  Each setter sets the C field of the same name and returns *this; the getter reads it. */
class LangevinParams {
 public:
  TORCHEBM_FIELD(LangevinParams, double, step_size)
  TORCHEBM_FIELD(LangevinParams, double, noise_scale)
  TORCHEBM_FIELD(LangevinParams, ebm_schedule, step_size_schedule)
  TORCHEBM_FIELD(LangevinParams, ebm_schedule, noise_scale_schedule)
  TORCHEBM_FIELD(LangevinParams, uint64_t, seed)
  TORCHEBM_FIELD(LangevinParams, int32_t, device)
  TORCHEBM_FIELD(LangevinParams, int32_t, rng)
  TORCHEBM_FIELD(LangevinParams, uint64_t, first_chain)
  /** Clamps every coordinate to [min, max] after each step. */
  LangevinParams& clamp(double min, double max) noexcept {
    p_.clamp = 1;
    p_.clamp_min = min;
    p_.clamp_max = max;
    return *this;
  }
  /** The C struct (struct_size set). */
  const ebm_langevin_params& c() const noexcept { return p_; }

 private:
  ebm_langevin_params p_ = ebm_langevin_default_params();
};

/** MALA settings (ebm_mala_params; defaults from ebm_mala_default_params). */
class MalaParams {
 public:
  TORCHEBM_FIELD(MalaParams, double, step_size)
  TORCHEBM_FIELD(MalaParams, ebm_schedule, step_size_schedule)
  TORCHEBM_FIELD(MalaParams, int64_t, adapt_steps)
  TORCHEBM_FIELD(MalaParams, double, target_accept)
  TORCHEBM_FIELD(MalaParams, uint64_t, seed)
  TORCHEBM_FIELD(MalaParams, int32_t, device)
  TORCHEBM_FIELD(MalaParams, int32_t, rng)
  TORCHEBM_FIELD(MalaParams, uint64_t, first_chain)
  TORCHEBM_FIELD(MalaParams, double, temperature)
  /** The C struct (struct_size set). */
  const ebm_mala_params& c() const noexcept { return p_; }

 private:
  ebm_mala_params p_ = ebm_mala_default_params();
};

/** HMC settings (ebm_hmc_params; defaults from ebm_hmc_default_params). */
class HmcParams {
 public:
  TORCHEBM_FIELD(HmcParams, double, step_size)
  TORCHEBM_FIELD(HmcParams, int64_t, n_leapfrog_steps)
  TORCHEBM_FIELD(HmcParams, ebm_schedule, step_size_schedule)
  TORCHEBM_FIELD(HmcParams, int64_t, adapt_steps)
  TORCHEBM_FIELD(HmcParams, double, target_accept)
  TORCHEBM_FIELD(HmcParams, uint64_t, seed)
  TORCHEBM_FIELD(HmcParams, int32_t, device)
  TORCHEBM_FIELD(HmcParams, int32_t, rng)
  TORCHEBM_FIELD(HmcParams, uint64_t, first_chain)
  TORCHEBM_FIELD(HmcParams, double, temperature)
  TORCHEBM_FIELD(HmcParams, int32_t, adapt_mass)
  TORCHEBM_FIELD(HmcParams, int64_t, init_buffer)
  TORCHEBM_FIELD(HmcParams, int64_t, term_buffer)
  TORCHEBM_FIELD(HmcParams, int64_t, base_window)
  /** The diagonal of the mass matrix: empty (identity), one value, or dim values. */
  HmcParams& mass(std::vector<double> m) {
    mass_ = std::move(m);
    return *this;
  }
  /** The mass: empty (identity), one value, the dim diagonal values or dim*dim row-major. */
  const std::vector<double>& mass() const noexcept { return mass_; }
  /** The C struct, its mass pointing into this object. */
  ebm_hmc_params c() const noexcept {
    ebm_hmc_params p = p_;
    p.mass = mass_.empty() ? nullptr : mass_.data();
    p.mass_len = static_cast<int64_t>(mass_.size());
    return p;
  }

 private:
  ebm_hmc_params p_ = ebm_hmc_default_params();
  std::vector<double> mass_;
};

/** No-U-Turn sampler settings (ebm_nuts_params; defaults from ebm_nuts_default_params). */
class NutsParams {
 public:
  TORCHEBM_FIELD(NutsParams, double, step_size)
  TORCHEBM_FIELD(NutsParams, int64_t, max_tree_depth)
  TORCHEBM_FIELD(NutsParams, double, temperature)
  TORCHEBM_FIELD(NutsParams, ebm_schedule, step_size_schedule)
  TORCHEBM_FIELD(NutsParams, int64_t, adapt_steps)
  TORCHEBM_FIELD(NutsParams, double, target_accept)
  TORCHEBM_FIELD(NutsParams, uint64_t, seed)
  TORCHEBM_FIELD(NutsParams, int32_t, device)
  TORCHEBM_FIELD(NutsParams, int32_t, rng)
  TORCHEBM_FIELD(NutsParams, uint64_t, first_chain)
  TORCHEBM_FIELD(NutsParams, int32_t, adapt_mass)
  TORCHEBM_FIELD(NutsParams, int64_t, init_buffer)
  TORCHEBM_FIELD(NutsParams, int64_t, term_buffer)
  TORCHEBM_FIELD(NutsParams, int64_t, base_window)
  /** The diagonal of the mass matrix: empty (identity), one value, or dim values. */
  NutsParams& mass(std::vector<double> m) {
    mass_ = std::move(m);
    return *this;
  }
  /** The mass diagonal. */
  const std::vector<double>& mass() const noexcept { return mass_; }
  /** The C struct, its mass pointing into this object. */
  ebm_nuts_params c() const noexcept {
    ebm_nuts_params p = p_;
    p.mass = mass_.empty() ? nullptr : mass_.data();
    p.mass_len = static_cast<int64_t>(mass_.size());
    return p;
  }

 private:
  ebm_nuts_params p_ = ebm_nuts_default_params();
  std::vector<double> mass_;
};

/** Kinetic Langevin (BAOAB) settings (ebm_kinetic_langevin_params; its default_params). */
class KineticLangevinParams {
 public:
  TORCHEBM_FIELD(KineticLangevinParams, double, step_size)
  TORCHEBM_FIELD(KineticLangevinParams, double, friction)
  TORCHEBM_FIELD(KineticLangevinParams, ebm_schedule, step_size_schedule)
  TORCHEBM_FIELD(KineticLangevinParams, uint64_t, seed)
  TORCHEBM_FIELD(KineticLangevinParams, int32_t, device)
  TORCHEBM_FIELD(KineticLangevinParams, int32_t, rng)
  TORCHEBM_FIELD(KineticLangevinParams, uint64_t, first_chain)
  TORCHEBM_FIELD(KineticLangevinParams, double, temperature)
  /** The diagonal of the mass matrix: empty (identity), one value, or dim values. */
  KineticLangevinParams& mass(std::vector<double> m) {
    mass_ = std::move(m);
    return *this;
  }
  /** The mass: empty (identity), one value, the dim diagonal values or dim*dim row-major. */
  const std::vector<double>& mass() const noexcept { return mass_; }
  /** The C struct, its mass pointing into this object. */
  ebm_kinetic_langevin_params c() const noexcept {
    ebm_kinetic_langevin_params p = p_;
    p.mass = mass_.empty() ? nullptr : mass_.data();
    p.mass_len = static_cast<int64_t>(mass_.size());
    return p;
  }

 private:
  ebm_kinetic_langevin_params p_ = ebm_kinetic_langevin_default_params();
  std::vector<double> mass_;
};

/** Replica-exchange settings (ebm_tempering_params; defaults from ebm_tempering_default_params):
 *  a geometric ladder of n_temperatures up to max_temperature, or an explicit one. */
class TemperingParams {
 public:
  TORCHEBM_FIELD(TemperingParams, int64_t, n_temperatures)
  TORCHEBM_FIELD(TemperingParams, double, max_temperature)
  TORCHEBM_FIELD(TemperingParams, int64_t, swap_interval)
  /** An explicit ladder of temperature multipliers, starting at 1 and increasing. */
  TemperingParams& temperatures(std::vector<double> ladder) {
    ladder_ = std::move(ladder);
    return *this;
  }
  /** The explicit ladder (empty: geometric). */
  const std::vector<double>& temperatures() const noexcept { return ladder_; }
  /** The C struct, its ladder pointing into this object. */
  ebm_tempering_params c() const noexcept {
    ebm_tempering_params p = p_;
    p.temperatures = ladder_.empty() ? nullptr : ladder_.data();
    p.temperatures_len = static_cast<int64_t>(ladder_.size());
    return p;
  }

 private:
  ebm_tempering_params p_ = ebm_tempering_default_params();
  std::vector<double> ladder_;
};

/** MLP architecture (ebm_mlp_params; defaults from ebm_mlp_default_params). */
class MlpParams {
 public:
  TORCHEBM_FIELD(MlpParams, int64_t, input_dim)
  TORCHEBM_FIELD(MlpParams, int32_t, activation)
  TORCHEBM_FIELD(MlpParams, int32_t, dtype)
  TORCHEBM_FIELD(MlpParams, int32_t, device)
  TORCHEBM_FIELD(MlpParams, uint64_t, seed)
  /** Spectral normalisation of every weight. */
  MlpParams& spectral_norm(bool on) noexcept {
    p_.spectral_norm = on ? 1 : 0;
    return *this;
  }
  /** The hidden layers' widths, e.g. {64, 64}. */
  MlpParams& hidden(std::vector<int64_t> widths) {
    hidden_ = std::move(widths);
    return *this;
  }
  /** The hidden layers' widths. */
  const std::vector<int64_t>& hidden() const noexcept { return hidden_; }
  /** The C struct, its hidden pointing into this object. */
  ebm_mlp_params c() const noexcept {
    ebm_mlp_params p = p_;
    p.hidden = hidden_.empty() ? nullptr : hidden_.data();
    p.n_hidden = static_cast<int64_t>(hidden_.size());
    return p;
  }

 private:
  ebm_mlp_params p_ = ebm_mlp_default_params();
  std::vector<int64_t> hidden_;
};

/** Contrastive-divergence settings (ebm_cd_params; defaults from ebm_cd_default_params). */
class CdParams {
 public:
  TORCHEBM_FIELD(CdParams, int64_t, k)
  TORCHEBM_FIELD(CdParams, int32_t, start)
  TORCHEBM_FIELD(CdParams, int64_t, buffer_size)
  TORCHEBM_FIELD(CdParams, double, reinit_fraction)
  TORCHEBM_FIELD(CdParams, double, energy_reg_weight)
  TORCHEBM_FIELD(CdParams, int64_t, n_negatives)
  TORCHEBM_FIELD(CdParams, uint64_t, seed)
  TORCHEBM_FIELD(CdParams, int64_t, init_steps)
  /** Perturb the data by real_noise_scale * N(0, I) before their energies enter the loss. */
  CdParams& add_noise_to_real(bool on) noexcept {
    p_.add_noise_to_real = on ? 1 : 0;
    return *this;
  }
  bool add_noise_to_real() const noexcept { return p_.add_noise_to_real != 0; }
  TORCHEBM_FIELD(CdParams, double, real_noise_scale)
  /** The C struct (struct_size set). */
  const ebm_cd_params& c() const noexcept { return p_; }

 private:
  ebm_cd_params p_ = ebm_cd_default_params();
};

/** Score-matching settings (ebm_score_matching_params; its default_params). */
class ScoreMatchingParams {
 public:
  TORCHEBM_FIELD(ScoreMatchingParams, int32_t, method)
  TORCHEBM_FIELD(ScoreMatchingParams, int64_t, n_projections)
  TORCHEBM_FIELD(ScoreMatchingParams, int32_t, projection)
  TORCHEBM_FIELD(ScoreMatchingParams, double, noise_scale)
  TORCHEBM_FIELD(ScoreMatchingParams, uint64_t, seed)
  /** The C struct (struct_size set). */
  const ebm_score_matching_params& c() const noexcept { return p_; }

 private:
  ebm_score_matching_params p_ = ebm_score_matching_default_params();
};

/** SGD settings (ebm_sgd_params; defaults from ebm_sgd_default_params). */
class SgdParams {
 public:
  TORCHEBM_FIELD(SgdParams, double, learning_rate)
  TORCHEBM_FIELD(SgdParams, double, momentum)
  TORCHEBM_FIELD(SgdParams, double, dampening)
  TORCHEBM_FIELD(SgdParams, double, weight_decay)
  TORCHEBM_FIELD(SgdParams, double, max_grad_norm)
  /** Nesterov momentum. */
  SgdParams& nesterov(bool on) noexcept {
    p_.nesterov = on ? 1 : 0;
    return *this;
  }
  /** The C struct (struct_size set). */
  const ebm_sgd_params& c() const noexcept { return p_; }

 private:
  ebm_sgd_params p_ = ebm_sgd_default_params();
};

/** Adam settings (ebm_adam_params; defaults from ebm_adam_default_params). */
class AdamParams {
 public:
  TORCHEBM_FIELD(AdamParams, double, learning_rate)
  TORCHEBM_FIELD(AdamParams, double, beta1)
  TORCHEBM_FIELD(AdamParams, double, beta2)
  TORCHEBM_FIELD(AdamParams, double, eps)
  TORCHEBM_FIELD(AdamParams, double, weight_decay)
  TORCHEBM_FIELD(AdamParams, double, max_grad_norm)
  /** AdamW's decoupled weight decay. */
  AdamParams& decoupled_weight_decay(bool on) noexcept {
    p_.decoupled_weight_decay = on ? 1 : 0;
    return *this;
  }
  /** The C struct (struct_size set). */
  const ebm_adam_params& c() const noexcept { return p_; }

 private:
  ebm_adam_params p_ = ebm_adam_default_params();
};

/** A 2-D toy dataset and its settings (ebm_dataset_params; TorchEBM's defaults per kind). */
class DatasetParams {
 public:
  /** The defaults of kind, an EBM_DATASET_* value. */
  explicit DatasetParams(int32_t kind) noexcept : p_(ebm_dataset_default_params(kind)) {}
  TORCHEBM_FIELD(DatasetParams, uint64_t, seed)
  TORCHEBM_FIELD(DatasetParams, double, scale)
  TORCHEBM_FIELD(DatasetParams, double, radius)
  TORCHEBM_FIELD(DatasetParams, double, noise)
  TORCHEBM_FIELD(DatasetParams, double, arclength)
  TORCHEBM_FIELD(DatasetParams, double, range_limit)
  TORCHEBM_FIELD(DatasetParams, int64_t, n_components)
  TORCHEBM_FIELD(DatasetParams, int64_t, n_classes)
  TORCHEBM_FIELD(DatasetParams, double, radial_scale)
  TORCHEBM_FIELD(DatasetParams, double, angular_scale)
  TORCHEBM_FIELD(DatasetParams, double, spiral_scale)
  TORCHEBM_FIELD(DatasetParams, int64_t, points_per_dim)
  /** Sets the C field `std` (the Gaussians' standard deviation). */
  DatasetParams& stddev(double v) noexcept {
    p_.std = v;
    return *this;
  }
  /** The C field `std`. */
  double stddev() const noexcept { return p_.std; }
  /** The dataset kind. */
  int32_t kind() const noexcept { return p_.kind; }
  /** The C struct (struct_size set). */
  const ebm_dataset_params& c() const noexcept { return p_; }

 private:
  ebm_dataset_params p_;
};

#undef TORCHEBM_FIELD

// ---------------------------------------------------------------------------------------
// Energy
// ---------------------------------------------------------------------------------------

/** Energies and gradients of n points, as returned by Energy::eval_and_gradient. */
template <class T>
struct EnergyAndGradient {
  std::vector<T> energy;    ///< n values
  std::vector<T> gradient;  ///< n * dim values, grad_x E (not the score)
};

/** Energies, gradients and Hessian-vector products of n points, as returned by
 * Energy::eval_gradient_hvp. */
template <class T>
struct EnergyGradientHvp {
  std::vector<T> energy;    ///< n values
  std::vector<T> gradient;  ///< n * dim values, grad_x E (not the score)
  std::vector<T> hvp;       ///< n * dim values, H(x_i) v_i
};

/** An energy function E: R^dim -> R (an ebm_energy handle). */
class Energy : public detail::Handle<ebm_energy, detail::EnergyFree> {
 public:
  /** An empty handle. */
  Energy() noexcept = default;
  /** Takes ownership of a C handle. */
  explicit Energy(ebm_energy* owned) noexcept : Handle(owned) {}

  /** The Gaussian energy 1/2 (x - mean)^T cov^-1 (x - mean); mean: dim, cov: dim*dim values. */
  static Ret<Energy> gaussian(const double* mean, const double* cov, int64_t dim) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_gaussian_new(mean, cov, dim, &out));
    return Energy(out);
  }
  /** The Gaussian energy; cov must hold mean.size()^2 values (row-major). */
  static Ret<Energy> gaussian(const std::vector<double>& mean, const std::vector<double>& cov) {
    int64_t dim = static_cast<int64_t>(mean.size());
    TORCHEBM_CHECK(detail::length(cov.size(), dim * dim, "Energy::gaussian", "cov"));
    return gaussian(mean.data(), cov.data(), dim);
  }
  /** a * sum_i (x_i^2 - b)^2, any dim. */
  static Ret<Energy> double_well(double a = EBM_DOUBLE_WELL_DEFAULT_A, double b = EBM_DOUBLE_WELL_DEFAULT_B) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_double_well_new(a, b, &out));
    return Energy(out);
  }
  /** k/2 * sum_i x_i^2, any dim. */
  static Ret<Energy> harmonic(double k = EBM_HARMONIC_DEFAULT_K) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_harmonic_new(k, &out));
    return Energy(out);
  }
  /** Rosenbrock's function, dim >= 2. */
  static Ret<Energy> rosenbrock(double a = EBM_ROSENBROCK_DEFAULT_A, double b = EBM_ROSENBROCK_DEFAULT_B) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_rosenbrock_new(a, b, &out));
    return Energy(out);
  }
  /** Ackley's function, any dim. */
  static Ret<Energy> ackley(double a = EBM_ACKLEY_DEFAULT_A, double b = EBM_ACKLEY_DEFAULT_B,
                            double c = EBM_ACKLEY_DEFAULT_C) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_ackley_new(a, b, c, &out));
    return Energy(out);
  }
  /** Rastrigin's function, any dim. */
  static Ret<Energy> rastrigin(double a = EBM_RASTRIGIN_DEFAULT_A) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_rastrigin_new(a, &out));
    return Energy(out);
  }
  /** Himmelblau's function, dim 2. */
  static Ret<Energy> himmelblau() {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_himmelblau_new(&out));
    return Energy(out);
  }
  /** Booth's function, dim 2. */
  static Ret<Energy> booth() {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_booth_new(&out));
    return Energy(out);
  }
  /** The Styblinski-Tang function, any dim. */
  static Ret<Energy> styblinski_tang() {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_styblinski_tang_new(&out));
    return Energy(out);
  }
  /** -log sum_k w_k N(x; mean_k, cov_k); weights: K, means: K*dim, covs: K*dim*dim values. */
  static Ret<Energy> gaussian_mixture(const double* weights, const double* means, const double* covs,
                                      int64_t n_components, int64_t dim) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_gaussian_mixture_new(weights, means, covs, n_components, dim, &out));
    return Energy(out);
  }
  /** A Gaussian mixture; dim = means.size() / weights.size(), covs holds K*dim*dim values. */
  static Ret<Energy> gaussian_mixture(const std::vector<double>& weights, const std::vector<double>& means,
                                      const std::vector<double>& covs) {
    const char* where = "Energy::gaussian_mixture";
    if (weights.empty()) TORCHEBM_CHECK(detail::error(EBM_ERR_INVALID_ARGUMENT, where, "weights", "empty"));
    int64_t k = static_cast<int64_t>(weights.size()), dim = 0;
    TORCHEBM_CHECK(detail::rows(means.size(), k, where, "means", dim));
    TORCHEBM_CHECK(detail::length(covs.size(), k * dim * dim, where, "covs"));
    return gaussian_mixture(weights.data(), means.data(), covs.data(), k, dim);
  }
  /** sum_i E_i(x): the composite keeps its parts alive. */
  static Ret<Energy> composite(const std::vector<const Energy*>& parts) {
    return composite_(parts, nullptr, 0);
  }
  /** sum_i weights[i] E_i(x); weights.size() must equal parts.size(). */
  static Ret<Energy> composite(const std::vector<const Energy*>& parts, const std::vector<double>& weights) {
    return composite_(parts, weights.data(), static_cast<int64_t>(weights.size()));
  }

  /**
   * A user-defined energy in dimension dim from a callable, either per point,
   * double(const double* x, int64_t dim), or batched, void-or-int(const double* x, int64_t n,
   * int64_t dim, double* energy_out) (a nonzero int is a failure). Gradients come from finite
   * differences. The Energy owns the callable; a thrown exception becomes EBM_ERR_CALLBACK.
   */
  template <class F>
  static Ret<Energy> from_callable(int64_t dim, F energy) {
    return make_user_<std::decay_t<F>, detail::NoGradient>(dim, std::move(energy), detail::NoGradient{});
  }
  /**
   * As from_callable(dim, energy), with a gradient callable: per point,
   * double(const double* x, int64_t dim, double* grad_out) returning E(x), or batched,
   * void-or-int(const double* x, int64_t n, int64_t dim, double* energy_out, double* grad_out).
   */
  template <class F, class G>
  static Ret<Energy> from_callable(int64_t dim, F energy, G gradient) {
    return make_user_<std::decay_t<F>, std::decay_t<G>>(dim, std::move(energy), std::move(gradient));
  }

  /** The kind, e.g. "double_well", "mlp", "callback"; NULL for an empty handle. */
  const char* name() const noexcept { return ebm_energy_name(get()); }
  /** The dimension required, or 0 when a range of dimensions is accepted. */
  Ret<int64_t> dim() const {
    int64_t d = 0;
    TORCHEBM_CHECK(ebm_energy_dim(get(), &d));
    return d;
  }
  /** Evaluates on EBM_DEVICE_CPU or CUDA device k from now on. */
  Ret<void> set_device(int32_t device) {
    TORCHEBM_CHECK(ebm_energy_set_device(get(), device));
    return detail::ok();
  }
  /** The evaluation device. */
  Ret<int32_t> device() const {
    int32_t d = 0;
    TORCHEBM_CHECK(ebm_energy_get_device(get(), &d));
    return d;
  }

  /** energy_out[i] = E(x_i) for n points of x (n*dim values). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> eval(const T* x, int64_t n, int64_t dim, T* energy_out) const {
    TORCHEBM_CHECK(detail::Api<T>::energy_eval(get(), x, n, dim, energy_out));
    return detail::ok();
  }
  /** The energies of the points of x (a multiple of dim values). */
  template <class T, detail::if_real<T> = 0>
  Ret<std::vector<T>> eval(const std::vector<T>& x, int64_t dim) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Energy::eval", "x", n));
    std::vector<T> out(static_cast<size_t>(n));
    TORCHEBM_CHECK(detail::Api<T>::energy_eval(get(), x.data(), n, dim, out.data()));
    return out;
  }
  /** gradient_out (n*dim values) = grad_x E at the n points of x. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> gradient(const T* x, int64_t n, int64_t dim, T* gradient_out) const {
    TORCHEBM_CHECK(detail::Api<T>::energy_gradient(get(), x, n, dim, gradient_out));
    return detail::ok();
  }
  /** The gradients grad_x E at the points of x, same layout as x. */
  template <class T, detail::if_real<T> = 0>
  Ret<std::vector<T>> gradient(const std::vector<T>& x, int64_t dim) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Energy::gradient", "x", n));
    std::vector<T> out(x.size());
    TORCHEBM_CHECK(detail::Api<T>::energy_gradient(get(), x.data(), n, dim, out.data()));
    return out;
  }
  /** Energies (n values) and gradients (n*dim values) in one pass. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> eval_and_gradient(const T* x, int64_t n, int64_t dim, T* energy_out, T* gradient_out) const {
    TORCHEBM_CHECK(detail::Api<T>::energy_eval_and_gradient(get(), x, n, dim, energy_out, gradient_out));
    return detail::ok();
  }
  /** Energies and gradients of the points of x in one pass. */
  template <class T, detail::if_real<T> = 0>
  Ret<EnergyAndGradient<T>> eval_and_gradient(const std::vector<T>& x, int64_t dim) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Energy::eval_and_gradient", "x", n));
    EnergyAndGradient<T> out{std::vector<T>(static_cast<size_t>(n)), std::vector<T>(x.size())};
    TORCHEBM_CHECK(detail::Api<T>::energy_eval_and_gradient(get(), x.data(), n, dim, out.energy.data(),
                                                      out.gradient.data()));
    return out;
  }

  /** hvp_out (n*dim values) = H(x_i) v_i, the Hessian of E at each of the n points of x times
   * the matching row of v; energy_out (n values) and gradient_out (n*dim values) are optional
   * (nullptr: not wanted). Throws for callback energies, which have no second derivatives. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> hvp(const T* x, const T* v, int64_t n, int64_t dim, T* hvp_out, T* energy_out = nullptr,
                T* gradient_out = nullptr) const {
    TORCHEBM_CHECK(detail::Api<T>::energy_hvp(get(), x, v, n, dim, hvp_out, energy_out, gradient_out));
    return detail::ok();
  }
  /** The Hessian-vector products H(x_i) v_i of the points of x along the rows of v (same
   * layout as x). */
  template <class T, detail::if_real<T> = 0>
  Ret<std::vector<T>> hvp(const std::vector<T>& x, const std::vector<T>& v, int64_t dim) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Energy::hvp", "x", n));
    TORCHEBM_CHECK(detail::length(v.size(), n * dim, "Energy::hvp", "v"));
    std::vector<T> out(x.size());
    TORCHEBM_CHECK(detail::Api<T>::energy_hvp(get(), x.data(), v.data(), n, dim, out.data(), nullptr, nullptr));
    return out;
  }
  /** Energies, gradients and Hessian-vector products of the points of x in one pass. */
  template <class T, detail::if_real<T> = 0>
  Ret<EnergyGradientHvp<T>> eval_gradient_hvp(const std::vector<T>& x, const std::vector<T>& v, int64_t dim) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Energy::eval_gradient_hvp", "x", n));
    TORCHEBM_CHECK(detail::length(v.size(), n * dim, "Energy::eval_gradient_hvp", "v"));
    EnergyGradientHvp<T> out{std::vector<T>(static_cast<size_t>(n)), std::vector<T>(x.size()),
                             std::vector<T>(x.size())};
    TORCHEBM_CHECK(detail::Api<T>::energy_hvp(get(), x.data(), v.data(), n, dim, out.hvp.data(), out.energy.data(),
                                        out.gradient.data()));
    return out;
  }

#if TORCHEBM_HAS_SPAN
  /** eval into caller memory: energy_out.size() must be x.size() / dim. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> eval(std::span<const T> x, int64_t dim, std::span<T> energy_out) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Energy::eval", "x", n));
    TORCHEBM_CHECK(detail::length(energy_out.size(), n, "Energy::eval", "energy_out"));
    TORCHEBM_CHECK(detail::Api<T>::energy_eval(get(), x.data(), n, dim, energy_out.data()));
    return detail::ok();
  }
  /** eval with the element type given by the vectors or spans passed. */
  Ret<void> eval(std::span<const double> x, int64_t dim, std::span<double> out) const { return eval<double>(x, dim, out); }
  /** eval on floats. */
  Ret<void> eval(std::span<const float> x, int64_t dim, std::span<float> out) const { return eval<float>(x, dim, out); }
  /** gradient into caller memory: gradient_out.size() must be x.size(). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> gradient(std::span<const T> x, int64_t dim, std::span<T> gradient_out) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Energy::gradient", "x", n));
    TORCHEBM_CHECK(detail::length(gradient_out.size(), n * dim, "Energy::gradient", "gradient_out"));
    TORCHEBM_CHECK(detail::Api<T>::energy_gradient(get(), x.data(), n, dim, gradient_out.data()));
    return detail::ok();
  }
  /** gradient on doubles. */
  Ret<void> gradient(std::span<const double> x, int64_t dim, std::span<double> g) const { return gradient<double>(x, dim, g); }
  /** gradient on floats. */
  Ret<void> gradient(std::span<const float> x, int64_t dim, std::span<float> g) const { return gradient<float>(x, dim, g); }
#endif

 private:
  static Ret<Energy> composite_(const std::vector<const Energy*>& parts, const double* weights, int64_t n_weights) {
    std::vector<const ebm_energy*> raw;
    raw.reserve(parts.size());
    for (const Energy* p : parts) raw.push_back(p ? p->get() : nullptr);
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_energy_composite_new(raw.data(), static_cast<int64_t>(raw.size()), weights, n_weights, &out));
    return Energy(out);
  }

  template <class F, class G>
  static Ret<Energy> make_user_(int64_t dim, F energy, G gradient) {
    using Holder = detail::UserEnergy<F, G>;
    std::unique_ptr<Holder> holder(new Holder{std::move(energy), std::move(gradient)});
    ebm_energy_gradient_fn gradient_fn = nullptr;
    if constexpr (!std::is_same_v<G, detail::NoGradient>) gradient_fn = &Holder::gradient_fn;
    ebm_energy* out = nullptr;
    /* On failure the library does not call free_fn: holder still owns the callables. */
    TORCHEBM_CHECK(ebm_energy_callback_new(dim, &Holder::energy_fn, gradient_fn, holder.get(), &Holder::free_fn, &out));
    holder.release();
    return Energy(out);
  }
};

// ---------------------------------------------------------------------------------------
// Model: a trainable Energy
// ---------------------------------------------------------------------------------------

/** A neural energy (MLP or TorchScript): an Energy with trainable parameters. */
class Model : public Energy {
 public:
  /** An empty handle. */
  Model() noexcept = default;
  /** Takes ownership of a C model handle. */
  explicit Model(ebm_energy* owned) noexcept : Energy(owned) {}

  /** A new MLP energy with the given architecture and seeded initial weights. */
  static Ret<Model> mlp(const MlpParams& params) {
    ebm_mlp_params p = params.c();
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_model_mlp_new(&p, &out));
    return Model(out);
  }
  /** Loads a model written by save() (or ebm_model_save) onto device. */
  static Ret<Model> load(const std::string& path, int32_t device = EBM_DEVICE_CPU) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_model_load(path.c_str(), device, &out));
    return Model(out);
  }
  /** Loads a PyTorch MLP's state_dict (safetensors.torch.save_file) into a new MLP of the
   *  architecture params describes (dtype and device included; ebm_model_load_state_dict). */
  static Ret<Model> load_state_dict(const std::string& path, const MlpParams& params) {
    ebm_mlp_params p = params.c();
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_model_load_state_dict(path.c_str(), &p, &out));
    return Model(out);
  }
  /** Loads a TorchScript module as an energy on points of dimension dim. */
  static Ret<Model> torchscript(const std::string& path, int64_t dim, int32_t device = EBM_DEVICE_CPU) {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_model_torchscript_load(path.c_str(), dim, device, &out));
    return Model(out);
  }

  /** Saves the MLP (architecture and weights, safetensors) to path, atomically. */
  Ret<void> save(const std::string& path) const {
    TORCHEBM_CHECK(ebm_model_save(get(), path.c_str()));
    return detail::ok();
  }
  /** A new, independent copy of the MLP with parameters of dtype EBM_DTYPE_F32 or
   *  EBM_DTYPE_F64 (ebm_model_to_dtype): a float model computes in float even on doubles. */
  Ret<Model> to_dtype(int32_t dtype) const {
    ebm_energy* out = nullptr;
    TORCHEBM_CHECK(ebm_model_to_dtype(get(), dtype, &out));
    return Model(out);
  }
  /** The number of scalar trainable parameters. */
  Ret<int64_t> parameter_count() const {
    int64_t n = 0;
    TORCHEBM_CHECK(ebm_model_parameter_count(get(), &n));
    return n;
  }
  /** Copies the len = parameter_count() parameters into out (fixed flattened order). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> get_parameters(T* out, int64_t len) const {
    TORCHEBM_CHECK(detail::Api<T>::model_get_parameters(get(), out, len));
    return detail::ok();
  }
  /** The parameters, flattened. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> parameters() const {
    int64_t n = 0;
    TORCHEBM_CHECK(ebm_model_parameter_count(get(), &n));
    std::vector<T> out(static_cast<size_t>(n));
    TORCHEBM_CHECK(detail::Api<T>::model_get_parameters(get(), out.data(), n));
    return out;
  }
  /** Replaces the parameters by len values. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> set_parameters(const T* values, int64_t len) {
    TORCHEBM_CHECK(detail::Api<T>::model_set_parameters(get(), values, len));
    return detail::ok();
  }
  /** Replaces the parameters (values.size() must be parameter_count()). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> set_parameters(const std::vector<T>& values) {
    TORCHEBM_CHECK(detail::Api<T>::model_set_parameters(get(), values.data(), static_cast<int64_t>(values.size())));
    return detail::ok();
  }
  /** Copies the accumulated parameter gradients (len values) into out. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> get_gradients(T* out, int64_t len) const {
    TORCHEBM_CHECK(detail::Api<T>::model_get_gradients(get(), out, len));
    return detail::ok();
  }
  /** The accumulated parameter gradients. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> gradients() const {
    int64_t n = 0;
    TORCHEBM_CHECK(ebm_model_parameter_count(get(), &n));
    std::vector<T> out(static_cast<size_t>(n));
    TORCHEBM_CHECK(detail::Api<T>::model_get_gradients(get(), out.data(), n));
    return out;
  }
  /** Replaces the parameter gradients by len values. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> set_gradients(const T* values, int64_t len) {
    TORCHEBM_CHECK(detail::Api<T>::model_set_gradients(get(), values, len));
    return detail::ok();
  }
  /** Replaces the parameter gradients (e.g. by an all-reduced average). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> set_gradients(const std::vector<T>& values) {
    TORCHEBM_CHECK(detail::Api<T>::model_set_gradients(get(), values.data(), static_cast<int64_t>(values.size())));
    return detail::ok();
  }
  /** Sets every parameter gradient to zero. */
  Ret<void> zero_grad() {
    TORCHEBM_CHECK(ebm_model_zero_grad(get()));
    return detail::ok();
  }

#if TORCHEBM_HAS_SPAN
  /** get_parameters into a span of parameter_count() values. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> get_parameters(std::span<T> out) const { return get_parameters(out.data(), static_cast<int64_t>(out.size())); }
  /** set_parameters from a span of parameter_count() values. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> set_parameters(std::span<const T> values) {
    return set_parameters(values.data(), static_cast<int64_t>(values.size()));
  }
#endif
};

// ---------------------------------------------------------------------------------------
// Sampler
// ---------------------------------------------------------------------------------------

/** Diagnostics of a sampler's chains (ebm_sampler_stats). */
using SamplerStats = ebm_sampler_stats;

/** Final states and kept trajectory of Sampler::sample_chain. */
template <class T>
struct Chains {
  std::vector<T> samples;     ///< n * dim values
  std::vector<T> trajectory;  ///< (n_steps / thin) * n * dim values, [kept][chain][coordinate]
};

/** A Markov-chain sampler of exp(-E) advancing n chains (an ebm_sampler handle). */
class Sampler : public detail::Handle<ebm_sampler, detail::SamplerFree> {
 public:
  /** An empty handle. */
  Sampler() noexcept = default;
  /** Takes ownership of a C handle. */
  explicit Sampler(ebm_sampler* owned) noexcept : Handle(owned) {}

  /** Unadjusted Langevin dynamics of energy. */
  static Ret<Sampler> langevin(const Energy& energy, const LangevinParams& params = LangevinParams()) {
    ebm_sampler* out = nullptr;
    TORCHEBM_CHECK(ebm_langevin_new(energy.get(), &params.c(), &out));
    return Sampler(out);
  }
  /** Metropolis-adjusted Langevin of energy. */
  static Ret<Sampler> mala(const Energy& energy, const MalaParams& params = MalaParams()) {
    ebm_sampler* out = nullptr;
    TORCHEBM_CHECK(ebm_mala_new(energy.get(), &params.c(), &out));
    return Sampler(out);
  }
  /** Hamiltonian Monte Carlo of energy. */
  static Ret<Sampler> hmc(const Energy& energy, const HmcParams& params = HmcParams()) {
    ebm_hmc_params p = params.c();
    ebm_sampler* out = nullptr;
    TORCHEBM_CHECK(ebm_hmc_new(energy.get(), &p, &out));
    return Sampler(out);
  }
  /** Replica exchange with inner as the template of every replica (see
   *  ebm_parallel_tempering_new); inner stays independent. */
  static Ret<Sampler> parallel_tempering(const Sampler& inner, const TemperingParams& params = TemperingParams()) {
    ebm_tempering_params p = params.c();
    ebm_sampler* out = nullptr;
    TORCHEBM_CHECK(ebm_parallel_tempering_new(inner.get(), &p, &out));
    return Sampler(out);
  }
  /** Kinetic (underdamped) Langevin, BAOAB, of energy. */
  static Ret<Sampler> kinetic_langevin(const Energy& energy,
                                       const KineticLangevinParams& params = KineticLangevinParams()) {
    ebm_kinetic_langevin_params p = params.c();
    ebm_sampler* out = nullptr;
    TORCHEBM_CHECK(ebm_kinetic_langevin_new(energy.get(), &p, &out));
    return Sampler(out);
  }

  /** The No-U-Turn sampler (multinomial, as Stan) of energy. */
  static Ret<Sampler> nuts(const Energy& energy, const NutsParams& params = NutsParams()) {
    ebm_nuts_params p = params.c();
    ebm_sampler* out = nullptr;
    TORCHEBM_CHECK(ebm_nuts_new(energy.get(), &p, &out));
    return Sampler(out);
  }

  /** "langevin", "mala", "hmc", "kinetic_langevin" or "nuts"; NULL for an empty handle. */
  const char* name() const noexcept { return ebm_sampler_name(get()); }

  /** Starts n chains at initial (n*dim values). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> init(const T* initial, int64_t n, int64_t dim) {
    TORCHEBM_CHECK(detail::Api<T>::sampler_init(get(), initial, n, dim));
    return detail::ok();
  }
  /** Starts one chain per point of initial (a multiple of dim values). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> init(const std::vector<T>& initial, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(initial.size(), dim, "Sampler::init", "initial", n));
    TORCHEBM_CHECK(detail::Api<T>::sampler_init(get(), initial.data(), n, dim));
    return detail::ok();
  }
  /** Starts n chains at N(0, I) draws (kept in T precision where that matters). */
  template <class T = float, detail::if_real<T> = 0>
  Ret<void> init_normal(int64_t n, int64_t dim) {
    TORCHEBM_CHECK(detail::Api<T>::sampler_init(get(), nullptr, n, dim));
    return detail::ok();
  }
  /** Advances the chains by n_steps steps. */
  Ret<void> run(int64_t n_steps) {
    TORCHEBM_CHECK(ebm_sampler_run(get(), n_steps));
    return detail::ok();
  }
  /** run(n_steps), writing every thin-th state into trajectory (trajectory_len values). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> run_trajectory(int64_t n_steps, int64_t thin, T* trajectory, int64_t trajectory_len) {
    TORCHEBM_CHECK(detail::Api<T>::sampler_run_trajectory(get(), n_steps, thin, trajectory, trajectory_len));
    return detail::ok();
  }
  /** run(n_steps), returning every thin-th state, [kept][chain][coordinate]. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> run_trajectory(int64_t n_steps, int64_t thin) {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::run_trajectory", s));
    int64_t kept = thin >= 1 && n_steps >= 0 ? n_steps / thin : 0;
    std::vector<T> out(static_cast<size_t>(kept * s.n_chains * s.dim));
    TORCHEBM_CHECK(detail::Api<T>::sampler_run_trajectory(get(), n_steps, thin, out.data(), static_cast<int64_t>(out.size())));
    return out;
  }
  /** Copies the chains' states into samples_out (n*dim values, n and dim the chains'). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> get_samples(T* samples_out, int64_t n, int64_t dim) const {
    TORCHEBM_CHECK(detail::Api<T>::sampler_get_samples(get(), samples_out, n, dim));
    return detail::ok();
  }
  /** The chains' current states, (n, dim) row-major. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> samples() const {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::samples", s));
    std::vector<T> out(static_cast<size_t>(s.n_chains * s.dim));
    TORCHEBM_CHECK(detail::Api<T>::sampler_get_samples(get(), out.data(), s.n_chains, s.dim));
    return out;
  }
  /** init + run_trajectory + get_samples in one call (initial NULL: N(0, I); trajectory may be NULL). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> sample_chain(const T* initial, int64_t n, int64_t dim, int64_t n_steps, int64_t thin, T* samples_out,
                         T* trajectory, int64_t trajectory_len) {
    TORCHEBM_CHECK(detail::Api<T>::sampler_sample_chain(get(), initial, n, dim, n_steps, thin, samples_out, trajectory,
                                                  trajectory_len));
    return detail::ok();
  }
  /** Chains started at initial, run n_steps steps, keeping every thin-th state. */
  template <class T, detail::if_real<T> = 0>
  Ret<Chains<T>> sample_chain(const std::vector<T>& initial, int64_t dim, int64_t n_steps, int64_t thin = 1) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(initial.size(), dim, "Sampler::sample_chain", "initial", n));
    int64_t kept = thin >= 1 && n_steps >= 0 ? n_steps / thin : 0;
    Chains<T> out{std::vector<T>(initial.size()), std::vector<T>(static_cast<size_t>(kept * n * dim))};
    TORCHEBM_CHECK(detail::Api<T>::sampler_sample_chain(get(), initial.data(), n, dim, n_steps, thin, out.samples.data(),
                                                  out.trajectory.data(), static_cast<int64_t>(out.trajectory.size())));
    return out;
  }
  /** n_samples chains from N(0, I) run n_steps steps; final states into samples_out. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> sample(int64_t n_samples, int64_t dim, int64_t n_steps, T* samples_out) {
    TORCHEBM_CHECK(detail::Api<T>::sampler_sample(get(), n_samples, dim, n_steps, samples_out));
    return detail::ok();
  }
  /** n_samples chains from N(0, I) run n_steps steps: their final states. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> sample(int64_t n_samples, int64_t dim, int64_t n_steps) {
    std::vector<T> out(n_samples > 0 && dim > 0 ? static_cast<size_t>(n_samples * dim) : 0);
    TORCHEBM_CHECK(detail::Api<T>::sampler_sample(get(), n_samples, dim, n_steps, out.data()));
    return out;
  }
  /** One step from the n points of x, written back into x (the chains restart at x). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> step(T* x, int64_t n, int64_t dim) {
    TORCHEBM_CHECK(detail::Api<T>::sampler_step(get(), x, n, dim));
    return detail::ok();
  }
  /** One step from the points of x, in place. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> step(std::vector<T>& x, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Sampler::step", "x", n));
    TORCHEBM_CHECK(detail::Api<T>::sampler_step(get(), x.data(), n, dim));
    return detail::ok();
  }

  /** Diagnostics since initialisation. */
  Ret<SamplerStats> stats() const {
    SamplerStats s{};
    TORCHEBM_CHECK(ebm_sampler_get_stats(get(), &s, sizeof s));
    return s;
  }
  /** Per chain, accepted over proposed (MALA, HMC), mean acceptance statistic (NUTS); NaN before
   * the first step. */
  Ret<std::vector<double>> acceptance_rates() const {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::acceptance_rates", s));
    std::vector<double> out(static_cast<size_t>(s.n_chains));
    TORCHEBM_CHECK(ebm_sampler_get_acceptance_rates(get(), out.data(), s.n_chains));
    return out;
  }
  /** Per chain, divergent trajectories since initialisation (HMC, NUTS). */
  Ret<std::vector<int64_t>> divergences() const {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::divergences", s));
    std::vector<int64_t> out(static_cast<size_t>(s.n_chains));
    TORCHEBM_CHECK(ebm_sampler_get_divergences(get(), out.data(), s.n_chains));
    return out;
  }
  /** Per chain, 1 if it became non-finite (and was frozen), else 0. */
  Ret<std::vector<uint8_t>> non_finite_chains() const {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::non_finite_chains", s));
    std::vector<uint8_t> out(static_cast<size_t>(s.n_chains));
    TORCHEBM_CHECK(ebm_sampler_get_non_finite_chains(get(), out.data(), s.n_chains));
    return out;
  }
  /** The mean energy of the finite chains after each step since initialisation. */
  Ret<std::vector<double>> energy_trace() const {
    int64_t length = 0;
    TORCHEBM_CHECK(ebm_sampler_get_energy_trace(get(), nullptr, 0, &length));
    std::vector<double> out(static_cast<size_t>(length));
    TORCHEBM_CHECK(ebm_sampler_get_energy_trace(get(), out.data(), length, &length));
    out.resize(static_cast<size_t>(length));
    return out;
  }
  /** Accepted over proposed at each step since initialisation, all chains together (MALA, HMC). */
  Ret<std::vector<double>> acceptance_trace() const {
    int64_t length = 0;
    TORCHEBM_CHECK(ebm_sampler_get_acceptance_trace(get(), nullptr, 0, &length));
    std::vector<double> out(static_cast<size_t>(length));
    TORCHEBM_CHECK(ebm_sampler_get_acceptance_trace(get(), out.data(), length, &length));
    out.resize(static_cast<size_t>(length));
    return out;
  }
  /** Replica exchange: per neighbour pair, exchanges accepted over attempted (K - 1 values). */
  Ret<std::vector<double>> swap_acceptance() const {
    int64_t replicas = 0;
    TORCHEBM_CHECK(ebm_sampler_get_temperatures(get(), nullptr, 0, &replicas));
    std::vector<double> out(static_cast<size_t>(replicas - 1));
    TORCHEBM_CHECK(ebm_sampler_get_swap_acceptance(get(), out.data(), replicas - 1));
    return out;
  }
  /** Replica exchange: the replicas' temperatures, the sampler's own chains first. */
  Ret<std::vector<double>> temperatures() const {
    int64_t replicas = 0;
    TORCHEBM_CHECK(ebm_sampler_get_temperatures(get(), nullptr, 0, &replicas));
    std::vector<double> out(static_cast<size_t>(replicas));
    TORCHEBM_CHECK(ebm_sampler_get_temperatures(get(), out.data(), replicas, &replicas));
    return out;
  }
  /** Per chain, the energy E of its current state. */
  Ret<std::vector<double>> energies() const {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::energies", s));
    std::vector<double> out(static_cast<size_t>(s.n_chains));
    TORCHEBM_CHECK(ebm_sampler_get_energies(get(), out.data(), s.n_chains));
    return out;
  }
  /** The inverse mass M^-1 the next step uses (HMC, kinetic Langevin; after any windowed
   *  adaptation): dim diagonal values, or dim*dim row-major values for a dense mass. */
  Ret<std::vector<double>> inverse_mass() const {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::inverse_mass", s));
    std::vector<double> out(static_cast<size_t>(s.dim));
    ebm_status status = ebm_sampler_get_inverse_mass(get(), out.data(), s.dim);
    if (status == EBM_ERR_LENGTH_MISMATCH && s.dim > 1) {
      out.resize(static_cast<size_t>(s.dim * s.dim));
      status = ebm_sampler_get_inverse_mass(get(), out.data(), s.dim * s.dim);
    }
    TORCHEBM_CHECK(status);
    return out;
  }
  /** The chains' momenta (HMC, kinetic Langevin: p = M v), (n, dim) row-major. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> momenta() const {
    detail::ChainShape s;
    TORCHEBM_CHECK(detail::chain_shape(get(), "Sampler::momenta", s));
    std::vector<T> out(static_cast<size_t>(s.n_chains * s.dim));
    TORCHEBM_CHECK(detail::Api<T>::sampler_get_momenta(get(), out.data(), s.n_chains, s.dim));
    return out;
  }
  /** Sets the momenta, (n, dim) row-major: HMC's next transition starts from them; kinetic
   *  Langevin continues with v = M^-1 p. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> set_momenta(const std::vector<T>& momenta, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(momenta.size(), dim, "Sampler::set_momenta", "momenta", n));
    TORCHEBM_CHECK(detail::Api<T>::sampler_set_momenta(get(), momenta.data(), n, dim));
    return detail::ok();
  }
  /** Moves the chains to samples, (n, dim) row-major, keeping counts, adaptation and momenta. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> set_samples(const std::vector<T>& samples, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(samples.size(), dim, "Sampler::set_samples", "samples", n));
    TORCHEBM_CHECK(detail::Api<T>::sampler_set_samples(get(), samples.data(), n, dim));
    return detail::ok();
  }
  /** Evaluates E and grad E again at the current states (the energy changed between runs). */
  Ret<void> refresh() {
    TORCHEBM_CHECK(ebm_sampler_refresh(get()));
    return detail::ok();
  }
  /** Restarts the random streams from seed; the chains keep their states. */
  Ret<void> reseed(uint64_t seed) {
    TORCHEBM_CHECK(ebm_sampler_reseed(get(), seed));
    return detail::ok();
  }

  /**
   * Installs a progress callable, called after every interval-th step of a run and after its
   * last: f(int64_t steps_done, int64_t steps_total, double mean_energy), returning
   * torchebm::Progress::Continue or Progress::Cancel (which stops the run:
   * EBM_ERR_CANCELLED), or void (never cancels). A callable returning bool does not compile:
   * C reads nonzero as "cancel", a C++ predicate true as "go on", so neither is guessed. A
   * thrown exception cancels the run too, and its what() ends the EBM_ERR_CANCELLED message.
   * The C sampler owns the callable and destroys it when it is replaced or removed, or when
   * the sampler is finally released (a CdLoss keeps its sampler, and so the callable, alive
   * after this object is gone).
   */
  template <class F>
  Ret<void> set_progress_callback(F callback, int64_t interval = 1) {
    using Result = std::invoke_result_t<std::decay_t<F>&, int64_t, int64_t, double>;
    static_assert(std::is_void_v<Result> || std::is_same_v<Result, Progress>,
                  "a progress callable must return torchebm::Progress::Continue or "
                  "torchebm::Progress::Cancel (or void, to never cancel), not bool or int: C's "
                  "callback cancels on nonzero while a C++ predicate means 'go on' by true, so "
                  "the library refuses to guess which one you meant");
    using Holder = detail::ProgressCallable<std::decay_t<F>>;
    std::unique_ptr<Holder> holder(new Holder(std::move(callback)));
    TORCHEBM_CHECK(
        ebm_sampler_set_progress_callback(get(), &Holder::call, interval, holder.get(), &Holder::free_fn));
    holder.release();  // the sampler owns it now
    return detail::ok();
  }
  /** Removes (and destroys) the progress callable. */
  Ret<void> clear_progress_callback() {
    TORCHEBM_CHECK(ebm_sampler_set_progress_callback(get(), nullptr, 0, nullptr, nullptr));
    return detail::ok();
  }
  /** Combines get_stats() and energy_trace() over processes through a C all-reduce (see
   *  ebm_sampler_set_allreduce; those calls become collective). user_data is borrowed: it
   *  must outlive the sampler or the next set_allreduce/clear_allreduce. With MPI:
   *  set_allreduce(ebm_mpi_allreduce, &comm) (torchebm_mpi.h). */
  Ret<void> set_allreduce(ebm_allreduce_fn allreduce, void* user_data) {
    TORCHEBM_CHECK(ebm_sampler_set_allreduce(get(), allreduce, user_data, nullptr));
    return detail::ok();
  }
  /** The same with any callable void/int(void* values, size_t count, int32_t dtype) summing
   *  count floats (EBM_DTYPE_F32) or doubles (EBM_DTYPE_F64) in place over the processes;
   *  the sampler owns a copy of it. */
  template <class F>
  Ret<void> set_allreduce(F allreduce) {
    using Holder = detail::AllReduce<std::decay_t<F>>;
    std::unique_ptr<Holder> holder(new Holder(std::move(allreduce)));
    TORCHEBM_CHECK(ebm_sampler_set_allreduce(get(), &Holder::call, holder.get(), &Holder::free_fn));
    holder.release();  // the sampler owns it now
    return detail::ok();
  }
  /** Removes the all-reduce: statistics are this process's again. */
  Ret<void> clear_allreduce() {
    TORCHEBM_CHECK(ebm_sampler_set_allreduce(get(), nullptr, nullptr, nullptr));
    return detail::ok();
  }

#if TORCHEBM_HAS_SPAN
  /** init from a span of n*dim values. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> init(std::span<const T> initial, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(initial.size(), dim, "Sampler::init", "initial", n));
    return init(initial.data(), n, dim);
  }
  /** get_samples into a span of n*dim values. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> get_samples(std::span<T> samples_out, int64_t dim) const {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(samples_out.size(), dim, "Sampler::get_samples", "samples_out", n));
    return get_samples(samples_out.data(), n, dim);
  }
  /** step on a span of n*dim values, in place. */
  template <class T, detail::if_real<T> = 0>
  Ret<void> step(std::span<T> x, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(x.size(), dim, "Sampler::step", "x", n));
    return step(x.data(), n, dim);
  }
#endif

};

// ---------------------------------------------------------------------------------------
// Optimizers and losses
// ---------------------------------------------------------------------------------------

/** Learning rate and steps taken (ebm_optimizer_get_state). */
struct OptimizerState {
  double learning_rate = 0;  ///< the current learning rate
  int64_t steps = 0;         ///< steps taken
};

/** An optimizer of one model's parameters (an ebm_optimizer handle). */
class Optimizer : public detail::Handle<ebm_optimizer, detail::OptimizerFree> {
 public:
  /** An empty handle. */
  Optimizer() noexcept = default;
  /** Takes ownership of a C handle. */
  explicit Optimizer(ebm_optimizer* owned) noexcept : Handle(owned) {}

  /** SGD (torch.optim.SGD's rule) of model's parameters. */
  static Ret<Optimizer> sgd(const Model& model, const SgdParams& params = SgdParams()) {
    ebm_optimizer* out = nullptr;
    TORCHEBM_CHECK(ebm_optimizer_sgd_new(model.get(), &params.c(), &out));
    return Optimizer(out);
  }
  /** Adam (or AdamW) of model's parameters. */
  static Ret<Optimizer> adam(const Model& model, const AdamParams& params = AdamParams()) {
    ebm_optimizer* out = nullptr;
    TORCHEBM_CHECK(ebm_optimizer_adam_new(model.get(), &params.c(), &out));
    return Optimizer(out);
  }
  /** Zeroes the model's gradients. */
  Ret<void> zero_grad() {
    TORCHEBM_CHECK(ebm_optimizer_zero_grad(get()));
    return detail::ok();
  }
  /** Updates the parameters from their gradients. */
  Ret<void> step() {
    TORCHEBM_CHECK(ebm_optimizer_step(get()));
    return detail::ok();
  }
  /** Changes the learning rate of the next steps. */
  Ret<void> set_learning_rate(double learning_rate) {
    TORCHEBM_CHECK(ebm_optimizer_set_learning_rate(get(), learning_rate));
    return detail::ok();
  }
  /** The learning rate and the number of steps taken. */
  Ret<OptimizerState> state() const {
    OptimizerState s;
    TORCHEBM_CHECK(ebm_optimizer_get_state(get(), &s.learning_rate, &s.steps));
    return s;
  }
  /** Data-parallel training: the gradients of every process are combined through a C
   *  all-reduce before each update (see ebm_optimizer_set_allreduce; train steps and step()
   *  become collective). user_data is borrowed: it must outlive the optimizer or the next
   *  set_allreduce/clear_allreduce. With MPI: set_allreduce(ebm_mpi_allreduce, &comm)
   *  (torchebm_mpi.h). */
  Ret<void> set_allreduce(ebm_allreduce_fn allreduce, void* user_data) {
    TORCHEBM_CHECK(ebm_optimizer_set_allreduce(get(), allreduce, user_data, nullptr));
    return detail::ok();
  }
  /** The same with any callable void/int(void* values, size_t count, int32_t dtype) summing
   *  count floats (EBM_DTYPE_F32) or doubles (EBM_DTYPE_F64) in place over the processes;
   *  the optimizer owns a copy of it. */
  template <class F>
  Ret<void> set_allreduce(F allreduce) {
    using Holder = detail::AllReduce<std::decay_t<F>>;
    std::unique_ptr<Holder> holder(new Holder(std::move(allreduce)));
    TORCHEBM_CHECK(ebm_optimizer_set_allreduce(get(), &Holder::call, holder.get(), &Holder::free_fn));
    holder.release();  // the optimizer owns it now
    return detail::ok();
  }
  /** Removes the all-reduce: training is local again. */
  Ret<void> clear_allreduce() {
    TORCHEBM_CHECK(ebm_optimizer_set_allreduce(get(), nullptr, nullptr, nullptr));
    return detail::ok();
  }
};

/** A contrastive-divergence loss (CD-k, or PCD with a replay buffer): an ebm_cd_loss handle. */
class CdLoss : public detail::Handle<ebm_cd_loss, detail::CdLossFree> {
 public:
  /** An empty handle. */
  CdLoss() noexcept = default;
  /** Takes ownership of a C handle. */
  explicit CdLoss(ebm_cd_loss* owned) noexcept : Handle(owned) {}

  /** A CD loss of model with negatives from sampler, which must sample that model. */
  static Ret<CdLoss> create(const Model& model, const Sampler& sampler, const CdParams& params = CdParams()) {
    ebm_cd_loss* out = nullptr;
    TORCHEBM_CHECK(ebm_cd_loss_new(model.get(), sampler.get(), &params.c(), &out));
    return CdLoss(out);
  }
  /** The loss on n data points; its gradient is accumulated into the model. */
  template <class T, detail::if_real<T> = 0>
  Ret<double> compute(const T* data, int64_t n, int64_t dim) {
    double loss = 0;
    TORCHEBM_CHECK(detail::Api<T>::cd_loss_compute(get(), data, n, dim, &loss));
    return loss;
  }
  /** The loss on the points of data (a multiple of dim values). */
  template <class T, detail::if_real<T> = 0>
  Ret<double> compute(const std::vector<T>& data, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(data.size(), dim, "CdLoss::compute", "data", n));
    return compute(data.data(), n, dim);
  }
  /** Copies the last loss's n negatives into out (n*dim values). */
  template <class T, detail::if_real<T> = 0>
  Ret<void> get_negatives(T* out, int64_t n, int64_t dim) const {
    TORCHEBM_CHECK(detail::Api<T>::cd_loss_get_negatives(get(), out, n, dim));
    return detail::ok();
  }
  /** The last loss's n negatives of dimension dim. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> negatives(int64_t n, int64_t dim) const {
    std::vector<T> out(n > 0 && dim > 0 ? static_cast<size_t>(n * dim) : 0);
    TORCHEBM_CHECK(detail::Api<T>::cd_loss_get_negatives(get(), out.data(), n, dim));
    return out;
  }
  /** The last loss's negatives, row-major (n, dim) with the sizes the library reports
   *  (ebm_cd_loss_get_negatives_shape); EBM_ERR_INVALID_ARGUMENT before the first loss. */
  template <class T = double, detail::if_real<T> = 0>
  Ret<std::vector<T>> negatives() const {
    int64_t n = 0, dim = 0;
    TORCHEBM_CHECK(ebm_cd_loss_get_negatives_shape(get(), &n, &dim));
    return negatives<T>(n, dim);
  }
  /** zero_grad, loss and gradient on n points, optimizer step: returns the loss. */
  template <class T, detail::if_real<T> = 0>
  Ret<double> train_step(Optimizer& optimizer, const T* data, int64_t n, int64_t dim) {
    double loss = 0;
    TORCHEBM_CHECK(detail::Api<T>::cd_loss_train_step(get(), optimizer.get(), data, n, dim, &loss));
    return loss;
  }
  /** One training step on the points of data. */
  template <class T, detail::if_real<T> = 0>
  Ret<double> train_step(Optimizer& optimizer, const std::vector<T>& data, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(data.size(), dim, "CdLoss::train_step", "data", n));
    return train_step(optimizer, data.data(), n, dim);
  }
};

/** A score-matching loss (exact, sliced or denoising): an ebm_score_matching handle. */
class ScoreMatching : public detail::Handle<ebm_score_matching, detail::ScoreMatchingFree> {
 public:
  /** An empty handle. */
  ScoreMatching() noexcept = default;
  /** Takes ownership of a C handle. */
  explicit ScoreMatching(ebm_score_matching* owned) noexcept : Handle(owned) {}

  /** A score-matching loss of energy (a model, or an analytic energy for the value alone). */
  static Ret<ScoreMatching> create(const Energy& energy, const ScoreMatchingParams& params = ScoreMatchingParams()) {
    ebm_score_matching* out = nullptr;
    TORCHEBM_CHECK(ebm_score_matching_new(energy.get(), &params.c(), &out));
    return ScoreMatching(out);
  }
  /** The loss on n data points; its gradient is accumulated into the model. */
  template <class T, detail::if_real<T> = 0>
  Ret<double> compute(const T* data, int64_t n, int64_t dim) {
    double loss = 0;
    TORCHEBM_CHECK(detail::Api<T>::score_matching_compute(get(), data, n, dim, &loss));
    return loss;
  }
  /** The loss on the points of data (a multiple of dim values). */
  template <class T, detail::if_real<T> = 0>
  Ret<double> compute(const std::vector<T>& data, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(data.size(), dim, "ScoreMatching::compute", "data", n));
    return compute(data.data(), n, dim);
  }
  /** zero_grad, loss and gradient on n points, optimizer step: returns the loss. */
  template <class T, detail::if_real<T> = 0>
  Ret<double> train_step(Optimizer& optimizer, const T* data, int64_t n, int64_t dim) {
    double loss = 0;
    TORCHEBM_CHECK(detail::Api<T>::score_matching_train_step(get(), optimizer.get(), data, n, dim, &loss));
    return loss;
  }
  /** One training step on the points of data. */
  template <class T, detail::if_real<T> = 0>
  Ret<double> train_step(Optimizer& optimizer, const std::vector<T>& data, int64_t dim) {
    int64_t n = 0;
    TORCHEBM_CHECK(detail::rows(data.size(), dim, "ScoreMatching::train_step", "data", n));
    return train_step(optimizer, data.data(), n, dim);
  }
};

// ---------------------------------------------------------------------------------------
// Checkpoints, datasets, pictures
// ---------------------------------------------------------------------------------------

/** Saves model (an MLP), and when given the optimizer's state and the loss's replay buffer. */
inline Ret<void> checkpoint_save(const std::string& path, Model& model, Optimizer* optimizer = nullptr,
                                 CdLoss* loss = nullptr) {
  TORCHEBM_CHECK(ebm_checkpoint_save(path.c_str(), model.get(), optimizer ? optimizer->get() : nullptr,
                                     loss ? loss->get() : nullptr));
  return detail::ok();
}

/** Restores a checkpoint into handles of the same configuration (optimizer, loss optional). */
inline Ret<void> checkpoint_load(const std::string& path, Model& model, Optimizer* optimizer = nullptr,
                                 CdLoss* loss = nullptr) {
  TORCHEBM_CHECK(ebm_checkpoint_load(path.c_str(), model.get(), optimizer ? optimizer->get() : nullptr,
                                     loss ? loss->get() : nullptr));
  return detail::ok();
}

/** Generates n points of a 2-D toy dataset into out (n*2 values). */
template <class T, detail::if_real<T> = 0>
inline Ret<void> generate_dataset(const DatasetParams& params, int64_t n, T* out) {
  TORCHEBM_CHECK(detail::Api<T>::dataset_generate(&params.c(), n, out));
  return detail::ok();
}

/** n points of a 2-D toy dataset, (n, 2) row-major. */
template <class T = float, detail::if_real<T> = 0>
inline Ret<std::vector<T>> generate_dataset(const DatasetParams& params, int64_t n) {
  std::vector<T> out(n > 0 ? static_cast<size_t>(n) * 2 : 0);
  TORCHEBM_CHECK(detail::Api<T>::dataset_generate(&params.c(), n, out.data()));
  return out;
}

/** The plotted square and picture settings of render_png. */
struct RenderOptions {
  double x_min = -3, x_max = 3, y_min = -3, y_max = 3;  ///< the frame
  int64_t panel_size = 256;                            ///< pixels per side of each panel
  double temperature = 1;                              ///< > 0: density exp(-E/T); 0: E itself
};

/** Writes a PNG of a 2-D energy: the data (n_data*2 values) beside the landscape with samples. */
inline Ret<void> render_png(const Energy& energy, const std::string& path, const double* data, int64_t n_data,
                            const double* samples, int64_t n_samples, const RenderOptions& options = RenderOptions()) {
  TORCHEBM_CHECK(ebm_render_png(energy.get(), data, n_data, samples, n_samples, options.x_min, options.x_max,
                                options.y_min, options.y_max, options.panel_size, options.temperature, path.c_str()));
  return detail::ok();
}

/** render_png with data and samples as (n, 2) vectors (their sizes must be even). */
inline Ret<void> render_png(const Energy& energy, const std::string& path, const std::vector<double>& data,
                            const std::vector<double>& samples, const RenderOptions& options = RenderOptions()) {
  int64_t n_data = 0, n_samples = 0;
  TORCHEBM_CHECK(detail::rows(data.size(), 2, "render_png", "data", n_data));
  TORCHEBM_CHECK(detail::rows(samples.size(), 2, "render_png", "samples", n_samples));
  return render_png(energy, path, data.empty() ? nullptr : data.data(), n_data,
                    samples.empty() ? nullptr : samples.data(), n_samples, options);
}

/* --- convergence diagnostics -----------------------------------------------------------
 * Over a trajectory laid out row-major (n_draws, n_chains, dim) as Sampler::run_trajectory
 * writes it: element [t][c][j] is draws[(t * n_chains + c) * dim + j]; n_draws >= 4. The
 * definitions are ArviZ's (see the C functions in torchebm.h). */

namespace detail {


/** n_draws = size / (n_chains * dim), checking n_chains, dim >= 1 and divisibility. */
inline Status trajectory_draws(size_t size, int64_t n_chains, int64_t dim, const char* where, int64_t& n_draws) {
  if (n_chains < 1)
    return error(EBM_ERR_INVALID_ARGUMENT, where, "n_chains", "must be >= 1, got " + std::to_string(n_chains));
  if (dim < 1) return error(EBM_ERR_INVALID_ARGUMENT, where, "dim", "must be >= 1, got " + std::to_string(dim));
  return rows(size, n_chains * dim, where, "draws", n_draws);
}

}  // namespace detail

/** Rank-normalised split R-hat of each coordinate into out (dim values). */
template <class T, detail::if_real<T> = 0>
inline Ret<void> rhat(const T* draws, int64_t n_draws, int64_t n_chains, int64_t dim, double* out) {
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_rhat(draws, n_draws, n_chains, dim, out));
  return detail::ok();
}

/** Rank-normalised split R-hat of each coordinate (dim values); draws.size() must be a
 * multiple of n_chains * dim. NaN with one chain or for a constant coordinate. */
template <class T, detail::if_real<T> = 0>
inline Ret<std::vector<double>> rhat(const std::vector<T>& draws, int64_t n_chains, int64_t dim) {
  int64_t n_draws = 0;
  TORCHEBM_CHECK(detail::trajectory_draws(draws.size(), n_chains, dim, "rhat", n_draws));
  std::vector<double> out(static_cast<size_t>(dim));
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_rhat(draws.data(), n_draws, n_chains, dim, out.data()));
  return out;
}

/** Bulk effective sample size of each coordinate into out (dim values). */
template <class T, detail::if_real<T> = 0>
inline Ret<void> ess_bulk(const T* draws, int64_t n_draws, int64_t n_chains, int64_t dim, double* out) {
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_ess_bulk(draws, n_draws, n_chains, dim, out));
  return detail::ok();
}

/** Bulk effective sample size of each coordinate (dim values). */
template <class T, detail::if_real<T> = 0>
inline Ret<std::vector<double>> ess_bulk(const std::vector<T>& draws, int64_t n_chains, int64_t dim) {
  int64_t n_draws = 0;
  TORCHEBM_CHECK(detail::trajectory_draws(draws.size(), n_chains, dim, "ess_bulk", n_draws));
  std::vector<double> out(static_cast<size_t>(dim));
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_ess_bulk(draws.data(), n_draws, n_chains, dim, out.data()));
  return out;
}

/** Tail effective sample size (the smaller of the 5% and 95% quantile ESS) into out (dim values). */
template <class T, detail::if_real<T> = 0>
inline Ret<void> ess_tail(const T* draws, int64_t n_draws, int64_t n_chains, int64_t dim, double* out) {
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_ess_tail(draws, n_draws, n_chains, dim, out));
  return detail::ok();
}

/** Tail effective sample size of each coordinate (dim values). */
template <class T, detail::if_real<T> = 0>
inline Ret<std::vector<double>> ess_tail(const std::vector<T>& draws, int64_t n_chains, int64_t dim) {
  int64_t n_draws = 0;
  TORCHEBM_CHECK(detail::trajectory_draws(draws.size(), n_chains, dim, "ess_tail", n_draws));
  std::vector<double> out(static_cast<size_t>(dim));
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_ess_tail(draws.data(), n_draws, n_chains, dim, out.data()));
  return out;
}

/** Chain-averaged autocorrelations at lags 0..max_lag into out, row-major (max_lag + 1, dim). */
template <class T, detail::if_real<T> = 0>
inline Ret<void> autocorrelation(const T* draws, int64_t n_draws, int64_t n_chains, int64_t dim, int64_t max_lag,
                                 double* out) {
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_autocorrelation(draws, n_draws, n_chains, dim, max_lag, out));
  return detail::ok();
}

/** Chain-averaged autocorrelations at lags 0..max_lag, row-major (max_lag + 1, dim): element
 * [k * dim + j] is lag k of coordinate j. */
template <class T, detail::if_real<T> = 0>
inline Ret<std::vector<double>> autocorrelation(const std::vector<T>& draws, int64_t n_chains, int64_t dim,
                                                int64_t max_lag) {
  int64_t n_draws = 0;
  TORCHEBM_CHECK(detail::trajectory_draws(draws.size(), n_chains, dim, "autocorrelation", n_draws));
  std::vector<double> out(max_lag >= 0 && max_lag < n_draws ? static_cast<size_t>((max_lag + 1) * dim) : 0);
  TORCHEBM_CHECK(detail::Api<T>::diagnostics_autocorrelation(draws.data(), n_draws, n_chains, dim, max_lag, out.data()));
  return out;
}


// ---------------------------------------------------------------------------------------
// Annealed importance sampling
// ---------------------------------------------------------------------------------------

/* As TORCHEBM_FIELD (undefined by then). */
#define TORCHEBM_AIS_FIELD(Self, type, name) \
  Self& name(type v) noexcept {              \
    p_.name = v;                             \
    return *this;                            \
  }                                          \
  type name() const noexcept { return p_.name; }

/** AIS settings (ebm_ais_params; defaults from ebm_ais_default_params): schedule is
 *  EBM_AIS_SCHEDULE_SIGMOID or _LINEAR, sampler EBM_AIS_SAMPLER_MALA or _HMC. */
class AisParams {
 public:
  TORCHEBM_AIS_FIELD(AisParams, int64_t, n_temperatures)
  TORCHEBM_AIS_FIELD(AisParams, int32_t, schedule)
  TORCHEBM_AIS_FIELD(AisParams, int32_t, sampler)
  TORCHEBM_AIS_FIELD(AisParams, double, step_size)
  TORCHEBM_AIS_FIELD(AisParams, int64_t, n_leapfrog_steps)
  TORCHEBM_AIS_FIELD(AisParams, int64_t, inner_steps)
  TORCHEBM_AIS_FIELD(AisParams, double, base_std)
  TORCHEBM_AIS_FIELD(AisParams, uint64_t, seed)
  TORCHEBM_AIS_FIELD(AisParams, int32_t, device)
  TORCHEBM_AIS_FIELD(AisParams, int32_t, rng)
  TORCHEBM_AIS_FIELD(AisParams, uint64_t, first_chain)
  /** The C struct (struct_size set). */
  const ebm_ais_params& c() const noexcept { return p_; }

 private:
  ebm_ais_params p_ = ebm_ais_default_params();
};

#undef TORCHEBM_AIS_FIELD

/** An AIS estimate of log Z: the C result (log_z, standard_error, effective_sample_size,
 *  mean_acceptance, log_z_base, non_finite_particles), the n_particles log weights and the
 *  final particles, (n_particles, dim) row-major in T. */
template <class T>
struct AisEstimate {
  ebm_ais_result result{};
  std::vector<double> log_weights;
  std::vector<T> samples;
};


/** log Z = log of the integral of exp(-E) by annealed importance sampling (ebm_ais_estimate_f32
 *  for T = float, _f64 for T = double: the particles' precision). */
template <class T = double>
inline Ret<AisEstimate<T>> ais_estimate(const Energy& energy, int64_t n_particles, int64_t dim,
                                        const AisParams& params = AisParams()) {
  AisEstimate<T> estimate;
  // Invalid sizes go to the library unallocated, for its own error.
  bool sized = n_particles >= 2 && dim >= 1;
  if (sized) {
    estimate.log_weights.resize(static_cast<size_t>(n_particles));
    estimate.samples.resize(static_cast<size_t>(n_particles) * static_cast<size_t>(dim));
  }
  TORCHEBM_CHECK(detail::Api<T>::ais_estimate(energy.get(), &params.c(), n_particles, dim, &estimate.result,
                                              sizeof estimate.result, sized ? estimate.log_weights.data() : nullptr,
                                              sized ? estimate.samples.data() : nullptr));
  return estimate;
}

}  // namespace torchebm

#endif  // TORCHEBM_HPP
