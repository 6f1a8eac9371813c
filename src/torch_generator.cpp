// Per-handle libtorch random generators. tch exposes only libtorch's global generator, so
// this shim clones the device's default generator for each sampler handle: draws from one
// handle never depend on other handles or threads, and a handle seeded with s draws exactly
// what `torch.manual_seed(s)` followed by the same calls draws in PyTorch.
//
// Every function catches C++ exceptions and reports them through *error (a malloc'ed
// message the caller frees), so that none crosses into Rust.

#include <ATen/Context.h>
#include <ATen/Functions.h>
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <new>

namespace {

char* copy_message(const char* text) {
    char* copy = static_cast<char*>(std::malloc(std::strlen(text) + 1));
    if (copy != nullptr) std::strcpy(copy, text);
    return copy;
}

template <typename Body>
int guarded(char** error, Body body) {
    try {
        body();
        return 0;
    } catch (const std::exception& e) {
        *error = copy_message(e.what());
    } catch (...) {
        *error = copy_message("unknown C++ exception");
    }
    return 1;
}

}  // namespace

extern "C" {

// A new generator for device_index (-1: CPU, k >= 0: CUDA device k), seeded with seed.
void* torchebm_generator_new(int32_t device_index, uint64_t seed, char** error) {
    at::Generator* generator = nullptr;
    guarded(error, [&] {
        const at::Device device = device_index < 0
            ? at::Device(at::kCPU)
            : at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
        at::Generator cloned = at::globalContext().defaultGenerator(device).clone();
        cloned.set_current_seed(seed);
        generator = new at::Generator(std::move(cloned));
    });
    return generator;
}

void torchebm_generator_free(void* generator) {
    delete static_cast<at::Generator*>(generator);
}

int torchebm_generator_set_seed(void* generator, uint64_t seed, char** error) {
    return guarded(error, [&] { static_cast<at::Generator*>(generator)->set_current_seed(seed); });
}

// Fills a tensor (a torch::Tensor*, as tch's C_tensor) with N(0, 1) draws.
int torchebm_generator_normal(void* generator, void* tensor, char** error) {
    return guarded(error, [&] {
        static_cast<at::Tensor*>(tensor)->normal_(0.0, 1.0, *static_cast<at::Generator*>(generator));
    });
}

// Fills a tensor with U[from, to) draws.
int torchebm_generator_uniform(void* generator, void* tensor, double from, double to, char** error) {
    return guarded(error, [&] {
        static_cast<at::Tensor*>(tensor)->uniform_(from, to, *static_cast<at::Generator*>(generator));
    });
}

// Writes a random permutation of 0..n-1 (as torch.randperm) into an int64 tensor of n values.
int torchebm_generator_randperm(void* generator, void* tensor, int64_t n, char** error) {
    return guarded(error, [&] {
        at::randperm_out(*static_cast<at::Tensor*>(tensor), n, *static_cast<at::Generator*>(generator));
    });
}

}  // extern "C"
