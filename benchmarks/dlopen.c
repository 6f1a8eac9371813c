/* Loads each library named on the command line with dlopen(RTLD_NOW | RTLD_GLOBAL), as the
 * dynamic loader loads a program's dependencies, then exits: benchmarks/startup.py times it
 * on libtorch's own libraries to show what libtorchebm's start-up cannot avoid.
 *
 * Usage: dlopen_bench path/to/library.so... */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (dlopen(argv[i], RTLD_NOW | RTLD_GLOBAL) == NULL) {
            fprintf(stderr, "%s\n", dlerror());
            return 1;
        }
    }
    return 0;
}
