// make test-mpi: torchebm_mpi.h from C++ with the wrapper's all-reduce methods, on every rank:
// a sharded MALA run whose combined statistics count every rank's chains, and a data-parallel
// train step whose loss is the same everywhere.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "torchebm.hpp"
#include "torchebm_mpi.h"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm comm = MPI_COMM_WORLD;
  int rank = 0, size = 1;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  int failed = 0;
  try {
    auto well = torchebm::Energy::double_well();
    const int64_t local = 10;
    auto sampler = torchebm::Sampler::mala(
        well, torchebm::MalaParams().step_size(0.1).seed(1).first_chain(static_cast<uint64_t>(rank * local)));
    sampler.set_allreduce(ebm_mpi_allreduce, &comm);  // a C function, borrowed user data
    sampler.sample<double>(local, 2, 20);
    torchebm::SamplerStats stats = sampler.stats();
    failed |= stats.n_chains != local * size || !std::isfinite(stats.mean_energy);

    auto model = torchebm::Model::mlp(torchebm::MlpParams().hidden({8}).seed(3).dtype(EBM_DTYPE_F64));
    auto adam = torchebm::Optimizer::adam(model);
    adam.set_allreduce([&comm](void* values, size_t count, int32_t dtype) {  // an owned callable
      return ebm_mpi_allreduce(values, count, dtype, &comm);
    });
    auto sm = torchebm::ScoreMatching::create(model);
    std::vector<double> batch = {0.1 * rank, 0.2, -0.3, 0.4 * rank, 0.5, -0.6};
    double loss = sm.train_step(adam, batch, 2), lowest = loss;
    MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_DOUBLE, MPI_MIN, comm);
    failed |= lowest != loss || !std::isfinite(loss);
  } catch (const torchebm::Error& e) {
    std::fprintf(stderr, "rank %d: %s\n", rank, e.what());
    failed = 1;
  }
  MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_LOR, comm);
  if (rank == 0) std::printf("C++ on %d ranks: %s\n", size, failed ? "FAILED" : "ok");
  MPI_Finalize();
  return failed;
}
