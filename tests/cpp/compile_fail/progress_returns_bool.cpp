// Must NOT compile: a progress callable returning bool. C's ebm_progress_fn cancels on
// nonzero while a C++ predicate means "go on" by true, so torchebm.hpp refuses bool (and
// int) with a static_assert naming torchebm::Progress. mk/cpp.mk checks that compiling this
// file fails with that message, and that the same file compiles once the callable returns
// torchebm::Progress (-DRETURN_PROGRESS), so the failure cannot come from anything else.
#include "torchebm.hpp"

int main() {
  torchebm::Energy well = torchebm::Energy::double_well();
  torchebm::Sampler sampler = torchebm::Sampler::langevin(well);
#ifdef RETURN_PROGRESS
  sampler.set_progress_callback([](int64_t done, int64_t, double) {
    return done < 10 ? torchebm::Progress::Continue : torchebm::Progress::Cancel;
  });
#else
  sampler.set_progress_callback([](int64_t done, int64_t, double) { return done < 10; });
#endif
  return 0;
}
