/* libtorch's CUDA backend (libtorch_cuda.so) is loaded on first use of libtorch, not at
 * start-up (src/cuda_backend.rs):
 *   - analytic and callback energies, sampled and evaluated on their host paths, never load it;
 *   - each path into libtorch, run first in a fresh process, loads it before libtorch decides
 *     whether CUDA exists: ebm_get_build_info().cuda_compiled is then true (libtorch's real CUDA
 *     hooks answer, no GPU needed) whenever libtorch_cuda.so lies beside libtorch_cpu.so;
 *   - with a CPU-only libtorch (one without libtorch_cuda.so) or a broken libtorch_cuda.so,
 *     CUDA is unavailable with the reason in the message, and the CPU works.
 * Each scenario runs in a fresh process: this program executed again (/proc/self/exe) with the
 * scenario's name; the CPU-only ones under LD_LIBRARY_PATH pointing at a copy of libtorch's
 * lib directory made of symlinks. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

extern char **environ;

/* A module of tests/fixtures/make_torchscript.py, relative to the repository root. */
#define TORCHSCRIPT_FIXTURE "build/torchscript/good.pt"

/* Whether an object whose path ends in "/<name>" is mapped into this process. */
static int mapped(const char *name) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[PATH_MAX + 256];
    size_t length = strlen(name);
    int found = 0;
    while (maps != NULL && !found && fgets(line, sizeof line, maps) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        size_t n = strlen(line);
        found = n > length && line[n - length - 1] == '/' && strcmp(line + n - length, name) == 0;
    }
    if (maps != NULL) fclose(maps);
    return found;
}

struct found_dir {
    char *dir;
    size_t size;
};

static int find_libtorch(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct found_dir *found = data;
    const char *end = info->dlpi_name != NULL ? strstr(info->dlpi_name, "/libtorch_cpu.so") : NULL;
    if (end == NULL || end[strlen("/libtorch_cpu.so")] != '\0' || (size_t)(end - info->dlpi_name) >= found->size) {
        return 0;
    }
    memcpy(found->dir, info->dlpi_name, (size_t)(end - info->dlpi_name));
    found->dir[end - info->dlpi_name] = '\0';
    return 1;
}

/* The directory of the libtorch_cpu.so this process loaded, as the loader found it (through
 * symlinks, unlike /proc/self/maps): where the library looks for libtorch_cuda.so. */
static void libtorch_dir(char *dir, size_t size) {
    struct found_dir found = {dir, size};
    dir[0] = '\0';
    dl_iterate_phdr(find_libtorch, &found);
}

static int cuda_beside_libtorch(void) {
    char dir[PATH_MAX], path[PATH_MAX + 32];
    libtorch_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/libtorch_cuda.so", dir);
    return access(path, F_OK) == 0;
}

static int32_t bowl(const double *x, int64_t n, int64_t dim, double *energy_out, void *user_data) {
    (void)user_data;
    for (int64_t i = 0; i < n; i++) {
        energy_out[i] = 0;
        for (int64_t j = 0; j < dim; j++) energy_out[i] += 0.5 * x[i * dim + j] * x[i * dim + j];
    }
    return 0;
}

/* What an analytic or callback host does: every kind of sampler, evaluations, threads. */
static void sample_analytic_and_callback_energies(void) {
    ebm_energy *well = NULL, *gauss = NULL, *mixture = NULL, *user = NULL, *sum = NULL;
    double mean[2] = {0, 1}, cov[4] = {1, 0.3, 0.3, 2}, weights[2] = {0.5, 0.5}, means[4] = {-1, 0, 1, 0};
    double covs[8] = {1, 0, 0, 1, 1, 0, 0, 1};
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &well));
    CHECK_OK(ebm_energy_gaussian_new(mean, cov, 2, &gauss));
    CHECK_OK(ebm_energy_gaussian_mixture_new(weights, means, covs, 2, 2, &mixture));
    CHECK_OK(ebm_energy_callback_new(2, bowl, NULL, NULL, NULL, &user));
    const ebm_energy *parts[2] = {well, user};
    CHECK_OK(ebm_energy_composite_new(parts, 2, NULL, 0, &sum));
    ebm_energy *energies[5] = {well, gauss, mixture, user, sum};
    CHECK_OK(ebm_set_num_threads(ebm_get_num_threads()));
    for (int k = 0; k < 5; k++) {
        ebm_sampler *samplers[4] = {NULL, NULL, NULL, NULL};
        ebm_langevin_params l = ebm_langevin_default_params();
        ebm_mala_params m = ebm_mala_default_params();
        ebm_hmc_params h = ebm_hmc_default_params();
        ebm_kinetic_langevin_params kl = ebm_kinetic_langevin_default_params();
        CHECK_OK(ebm_langevin_new(energies[k], &l, &samplers[0]));
        CHECK_OK(ebm_mala_new(energies[k], &m, &samplers[1]));
        CHECK_OK(ebm_hmc_new(energies[k], &h, &samplers[2]));
        CHECK_OK(ebm_kinetic_langevin_new(energies[k], &kl, &samplers[3]));
        for (int s = 0; s < 4; s++) {
            static double x64[8 * 2];
            static float x32[8 * 2];
            CHECK_OK(ebm_sampler_sample_f64(samplers[s], 8, 2, 20, x64));
            CHECK_OK(ebm_sampler_sample_f32(samplers[s], 8, 2, 20, x32));
            ebm_sampler_stats stats;
            CHECK_OK(ebm_sampler_get_stats(samplers[s], &stats, sizeof stats));
            ebm_sampler_free(samplers[s]);
        }
        double x[4] = {0.5, -0.5, 1, 2}, e[2], g[4];
        float xf[4] = {0.5f, -0.5f, 1, 2}, ef[2];
        CHECK_OK(ebm_energy_eval_and_gradient_f64(energies[k], x, 2, 2, e, g));
        CHECK_OK(ebm_energy_eval_f32(energies[k], xf, 2, 2, ef));
    }
    for (int k = 0; k < 5; k++) ebm_energy_free(energies[k]);
}

/* Runs this program again with `scenario` (and `extra`) in a fresh process, under
 * LD_LIBRARY_PATH=library_path when that is not NULL; returns its exit status. */
static int run_scenario(const char *scenario, const char *extra, const char *library_path) {
    char variable[PATH_MAX + 32];
    char *env[256];
    size_t n = 0;
    for (char **e = environ; *e != NULL && n < 254; e++) {
        if (library_path == NULL || strncmp(*e, "LD_LIBRARY_PATH=", 16) != 0) env[n++] = *e;
    }
    if (library_path != NULL) {
        snprintf(variable, sizeof variable, "LD_LIBRARY_PATH=%s", library_path);
        env[n++] = variable;
    }
    env[n] = NULL;
    char *argv[] = {"test_lazy_cuda", (char *)scenario, (char *)(extra != NULL ? extra : ""), NULL};
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        execve("/proc/self/exe", argv, env);
        _exit(127);
    }
    int status = 0;
    if (child < 0 || waitpid(child, &status, 0) != child) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ---- scenarios: each does one kind of first use of libtorch, in a fresh process ---- */

static ebm_energy *mlp(void) {
    int64_t hidden[1] = {8};
    ebm_mlp_params p = ebm_mlp_default_params();
    p.hidden = hidden;
    p.n_hidden = 1;
    ebm_energy *model = NULL;
    CHECK_OK(ebm_model_mlp_new(&p, &model));
    return model;
}

static void first_use(const char *scenario, const char *extra) {
    ebm_energy *well = NULL;
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &well));
    ebm_build_info info;
    if (strcmp(scenario, "build_info") == 0) {
        CHECK_OK(ebm_get_build_info(&info, sizeof info));
    } else if (strcmp(scenario, "blas") == 0) { /* a Gaussian large enough for libtorch's BLAS */
        enum { N = 1024, D = 32 };
        static double mean[D], cov[D * D], x[N * D], e[N];
        for (int i = 0; i < D; i++) cov[i * D + i] = 1;
        ebm_energy *gauss = NULL;
        CHECK_OK(ebm_energy_gaussian_new(mean, cov, D, &gauss));
        CHECK(!mapped("libtorch_cuda.so")); /* building it is host work */
        CHECK_OK(ebm_energy_eval_f64(gauss, x, N, D, e));
        ebm_energy_free(gauss);
    } else if (strcmp(scenario, "torch_rng") == 0) {
        ebm_langevin_params l = ebm_langevin_default_params();
        l.rng = EBM_RNG_TORCH;
        ebm_sampler *sampler = NULL;
        double x[4 * 2];
        CHECK_OK(ebm_langevin_new(well, &l, &sampler));
        CHECK_OK(ebm_sampler_sample_f64(sampler, 4, 2, 5, x));
        ebm_sampler_free(sampler);
    } else if (strcmp(scenario, "mlp_loss") == 0) { /* autograd's backward pass */
        ebm_energy *model = mlp();
        ebm_score_matching_params p = ebm_score_matching_default_params();
        ebm_score_matching *loss = NULL;
        double data[4] = {1, 2, 3, 4}, value = 0;
        CHECK_OK(ebm_score_matching_new(model, &p, &loss));
        CHECK_OK(ebm_score_matching_compute_f64(loss, data, 2, 2, &value));
        ebm_score_matching_free(loss);
        ebm_energy_free(model);
    } else if (strcmp(scenario, "model_load") == 0) {
        ebm_energy *model = NULL;
        CHECK_OK(ebm_model_load(extra, EBM_DEVICE_CPU, &model));
        ebm_energy_free(model);
    } else if (strcmp(scenario, "torchscript") == 0) { /* libtorch's loader, then autograd */
        ebm_energy *module = NULL;
        double x[4] = {1, 2, 3, 4}, e[2], g[4];
        CHECK_OK(ebm_model_torchscript_load(extra, 2, EBM_DEVICE_CPU, &module));
        CHECK_OK(ebm_energy_eval_and_gradient_f64(module, x, 2, 2, e, g));
        ebm_energy_free(module);
    } else if (strcmp(scenario, "dataset") == 0) {
        ebm_dataset_params p = ebm_dataset_default_params(EBM_DATASET_TWO_MOONS);
        double points[16 * 2];
        CHECK_OK(ebm_dataset_generate_f64(&p, 16, points));
    } else if (strcmp(scenario, "render") == 0) {
        CHECK_OK(ebm_render_png(well, NULL, 0, NULL, 0, -2, 2, -2, 2, 16, 1.0, extra));
    } else if (strcmp(scenario, "device") == 0) { /* fails without a GPU, which is fine here */
        if (ebm_energy_set_device(well, 0) == EBM_OK) CHECK(ebm_cuda_device_count() > 0);
    } else {
        fprintf(stderr, "unknown scenario %s\n", scenario);
        check_failures++;
    }
    ebm_energy_free(well);
    int expected = cuda_beside_libtorch();
    CHECK(mapped("libtorch_cuda.so") == expected); /* the path itself loaded the backend */
    CHECK_OK(ebm_get_build_info(&info, sizeof info));
    CHECK(info.cuda_compiled == expected);
    if (info.cuda_compiled != expected) fprintf(stderr, "scenario %s: CUDA backend not used\n", scenario);
}

/* Under a libtorch without a usable libtorch_cuda.so: CUDA unavailable, for `reason`. */
static void without_cuda(const char *reason) {
    CHECK(!mapped("libtorch_cuda.so"));
    ebm_build_info info;
    CHECK_OK(ebm_get_build_info(&info, sizeof info));
    CHECK(!info.cuda_compiled && !info.cuda_available && info.cuda_device_count == 0);
    CHECK(!ebm_cuda_is_available() && ebm_cuda_device_count() == 0);
    ebm_energy *well = NULL, *model = mlp();
    CHECK_OK(ebm_energy_double_well_new(1.0, 2.0, &well));
    CHECK_FAILS(ebm_energy_set_device(well, 0), EBM_ERR_DEVICE_UNAVAILABLE, "ebm_energy_set_device", reason);
    CHECK(strstr(ebm_last_error_message(), "libtorch_cuda.so") != NULL);
    double x[4] = {1, 2, 3, 4}, e[2], g[4];
    CHECK_OK(ebm_energy_eval_and_gradient_f64(model, x, 2, 2, e, g)); /* the CPU works */
    CHECK_OK(ebm_energy_eval_and_gradient_f64(well, x, 2, 2, e, g));
    CHECK_NEAR(e[0], 5.0, 1e-12); /* (1 - 2)^2 + (4 - 2)^2 */
    ebm_energy_free(model);
    ebm_energy_free(well);
}

/* ---- the parent's tests ---- */

static void analytic_and_callback_energies_do_not_load_cuda(void) {
    sample_analytic_and_callback_energies();
    CHECK(mapped("libtorch_cpu.so"));
    CHECK(!mapped("libtorch_cuda.so"));
    /* Asking for CUDA loads it, when there is one to load, and libtorch then uses it: the
     * host work above (Gaussian factorisations, thread counts) left its device state alone. */
    (void)ebm_cuda_is_available();
    CHECK(mapped("libtorch_cuda.so") == cuda_beside_libtorch());
    ebm_build_info info;
    CHECK_OK(ebm_get_build_info(&info, sizeof info));
    CHECK(info.cuda_compiled == cuda_beside_libtorch());
}

static void every_path_into_libtorch_loads_cuda_first(void) {
    char model[] = "/tmp/torchebm-lazy-XXXXXX";
    int fd = mkstemp(model);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    ebm_energy *saved = mlp();
    CHECK_OK(ebm_model_save(saved, model));
    ebm_energy_free(saved);
    char picture[sizeof model + 4];
    snprintf(picture, sizeof picture, "%s.png", model);
    const char *scenarios[][2] = {{"build_info", NULL}, {"device", NULL},       {"blas", NULL},
                                  {"torch_rng", NULL},  {"mlp_loss", NULL}, {"model_load", model},
                                  {"dataset", NULL},    {"render", picture}};
    for (size_t k = 0; k < sizeof scenarios / sizeof scenarios[0]; k++) {
        int status = run_scenario(scenarios[k][0], scenarios[k][1], NULL);
        if (status != 0) fprintf(stderr, "scenario %s exited with %d\n", scenarios[k][0], status);
        CHECK(status == 0);
    }
    /* The fixture of test_torchscript.c (make test-c makes it), when present. */
    if (access(TORCHSCRIPT_FIXTURE, R_OK) == 0) {
        int status = run_scenario("torchscript", TORCHSCRIPT_FIXTURE, NULL);
        if (status != 0) fprintf(stderr, "scenario torchscript exited with %d\n", status);
        CHECK(status == 0);
    } else {
        printf("     (no %s: the TorchScript scenario is skipped)\n", TORCHSCRIPT_FIXTURE);
    }
    unlink(model);
    unlink(picture);
}

/* A copy of libtorch's lib directory made of symlinks, without libtorch_cuda.so (or with
 * `broken` in its place), plus libtorch's sibling nvidia/ directory that its RPATH names. */
static int fake_libtorch(char *root, const char *broken, char *lib, size_t size) {
    char real[PATH_MAX], from[PATH_MAX * 2], to[PATH_MAX * 2];
    libtorch_dir(real, sizeof real);
    if (real[0] == '\0' || mkdtemp(root) == NULL) return 0;
    snprintf(lib, size, "%s/torch/lib", root);
    snprintf(to, sizeof to, "%s/torch", root);
    if (mkdir(to, 0700) != 0 || mkdir(lib, 0700) != 0) return 0;
    DIR *dir = opendir(real);
    struct dirent *entry;
    while (dir != NULL && (entry = readdir(dir)) != NULL) {
        if (entry->d_name[0] == '.' || strcmp(entry->d_name, "libtorch_cuda.so") == 0) continue;
        snprintf(from, sizeof from, "%s/%s", real, entry->d_name);
        snprintf(to, sizeof to, "%s/%s", lib, entry->d_name);
        if (symlink(from, to) != 0) return 0;
    }
    if (dir != NULL) closedir(dir);
    snprintf(from, sizeof from, "%s/../../nvidia", real);
    snprintf(to, sizeof to, "%s/nvidia", root);
    if (access(from, F_OK) == 0 && symlink(from, to) != 0) return 0;
    if (broken != NULL) {
        snprintf(to, sizeof to, "%s/libtorch_cuda.so", lib);
        FILE *file = fopen(to, "w");
        if (file == NULL) return 0;
        fputs(broken, file);
        fclose(file);
    }
    return 1;
}

static void remove_fake_libtorch(const char *root) {
    char command[PATH_MAX + 16];
    snprintf(command, sizeof command, "rm -rf '%s'", root);
    CHECK(system(command) == 0);
}

static void without_libtorch_cuda_cuda_is_unavailable_with_a_reason(void) {
    const char *cases[][2] = {{NULL, "does not exist (a CPU-only libtorch)"},
                              {"not a library\n", "could not be loaded"}};
    for (int k = 0; k < 2; k++) {
        char root[] = "/tmp/torchebm-cpu-only-XXXXXX", lib[PATH_MAX];
        CHECK(fake_libtorch(root, cases[k][0], lib, sizeof lib));
        int status = run_scenario("without_cuda", cases[k][1], lib);
        if (status != 0) fprintf(stderr, "without_cuda (%s) exited with %d\n", cases[k][1], status);
        CHECK(status == 0);
        remove_fake_libtorch(root);
    }
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "without_cuda") == 0) {
        /* The fake directory must be the libtorch in use, or this proves nothing. */
        char dir[PATH_MAX];
        libtorch_dir(dir, sizeof dir);
        CHECK(strstr(dir, "/torchebm-cpu-only-") != NULL);
        without_cuda(argv[2]);
        return CHECK_RESULT();
    }
    if (argc >= 2) {
        first_use(argv[1], argc >= 3 ? argv[2] : "");
        return CHECK_RESULT();
    }
    RUN(analytic_and_callback_energies_do_not_load_cuda); /* first: nothing loaded yet */
    RUN(every_path_into_libtorch_loads_cuda_first);
    RUN(without_libtorch_cuda_cuda_is_unavailable_with_a_reason);
    return CHECK_RESULT();
}
