/**
 * torchebm_mpi.h — libtorchebm over MPI: a ready ebm_allreduce_fn for an MPI communicator.
 * Header-only; compile with your MPI's compiler wrapper (mpicc, mpicxx) or its flags. The
 * library itself does not use MPI: torchebm.h needs none of this.
 *
 *   MPI_Comm comm = MPI_COMM_WORLD;   // must outlive the handles using it
 *   ebm_optimizer_set_allreduce(optimizer, ebm_mpi_allreduce, &comm, NULL);
 *   ebm_sampler_set_allreduce(sampler, ebm_mpi_allreduce, &comm, NULL);
 *
 * ebm_mpi_allreduce sums in place with MPI_Allreduce(MPI_IN_PLACE, ..., MPI_SUM, *comm):
 * MPI_FLOAT for EBM_DTYPE_F32, MPI_DOUBLE for EBM_DTYPE_F64, in chunks of at most INT_MAX
 * elements (MPI counts are int). user_data is an MPI_Comm *; NULL means MPI_COMM_WORLD.
 *
 * Failures: on an MPI error it returns that error code (nonzero) after
 * ebm_callback_set_error() with MPI's text, so that the library call fails with
 * EBM_ERR_CALLBACK and a message such as "ebm_cd_loss_train_step_f32: allreduce_fn: callback
 * returned 15 (MPI_Allreduce: MPI_ERR_TRUNCATE: message truncated)". MPI's default error
 * handler aborts the job instead of returning; call
 * MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN) to get errors back this way.
 *
 * Every process of the communicator must make the same collective libtorchebm calls in the
 * same order (see ebm_optimizer_set_allreduce and ebm_sampler_set_allreduce in torchebm.h).
 * Call them from one thread per process, or initialise MPI with MPI_THREAD_MULTIPLE.
 */
#ifndef TORCHEBM_MPI_H
#define TORCHEBM_MPI_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <mpi.h>

#include "torchebm.h"

/** Largest element count of one MPI_Allreduce call (a smaller value can be defined before
 *  including this header, e.g. to test the chunking). */
#ifndef TORCHEBM_MPI_CHUNK
#define TORCHEBM_MPI_CHUNK INT_MAX
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** An ebm_allreduce_fn summing values across the processes of *(MPI_Comm *)user_data
 *  (MPI_COMM_WORLD when user_data is NULL). See the top of this file. */
static inline int32_t ebm_mpi_allreduce(void *values, size_t count, int32_t dtype, void *user_data) {
    MPI_Comm comm = user_data != NULL ? *(MPI_Comm *)user_data : MPI_COMM_WORLD;
    MPI_Datatype type;
    size_t size;
    if (dtype == EBM_DTYPE_F32) {
        type = MPI_FLOAT;
        size = sizeof(float);
    } else if (dtype == EBM_DTYPE_F64) {
        type = MPI_DOUBLE;
        size = sizeof(double);
    } else {
        ebm_callback_set_error("ebm_mpi_allreduce: dtype is neither EBM_DTYPE_F32 nor EBM_DTYPE_F64");
        return -1;
    }
    char *next = (char *)values;
    while (count > 0) {
        size_t chunk = count < (size_t)TORCHEBM_MPI_CHUNK ? count : (size_t)TORCHEBM_MPI_CHUNK;
        int code = MPI_Allreduce(MPI_IN_PLACE, next, (int)chunk, type, MPI_SUM, comm);
        if (code != MPI_SUCCESS) {
            char text[MPI_MAX_ERROR_STRING];
            char message[MPI_MAX_ERROR_STRING + 32];
            int length = 0;
            if (MPI_Error_string(code, text, &length) != MPI_SUCCESS) {
                snprintf(text, sizeof text, "MPI error %d", code);
            }
            snprintf(message, sizeof message, "MPI_Allreduce: %s", text);
            ebm_callback_set_error(message);
            return code;
        }
        next += chunk * size;
        count -= chunk;
    }
    return 0;
}

#ifdef __cplusplus
}
#endif

#endif /* TORCHEBM_MPI_H */
