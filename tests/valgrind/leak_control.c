/* A negative control for the valgrind check: it leaks an energy handle on purpose, and
 * `make test-valgrind` fails unless valgrind reports it. */
#include <stdio.h>

#include "torchebm.h"

int main(void) {
    ebm_energy *forgotten = NULL;
    double mean[2] = {0, 0}, cov[4] = {1, 0, 0, 1};
    if (ebm_energy_gaussian_new(mean, cov, 2, &forgotten) != EBM_OK) {
        fprintf(stderr, "%s\n", ebm_last_error_message());
        return 1;
    }
    forgotten = NULL; /* the only reference is dropped: a definite leak */
    return 0;
}
