#include "pedigree/util/fault.hpp"

#include <unistd.h>
#include <cstdlib>
#include <string>

namespace pedigree {
namespace {

// The step to stop at, read once; 0 when the hook is off.
long fault_target() {
  static const long target = [] {
    const char* env = std::getenv("PEDIGREE_FAULT_AT");
    if (!env || !*env) return 0L;
    char* end = nullptr;
    long n = std::strtol(env, &end, 10);
    return (end && *end == '\0' && n > 0) ? n : 0L;
  }();
  return target;
}

}  // namespace

void fault_point(std::string_view step) {
  static long count = 0;
  const long target = fault_target();
  if (target == 0) return;
  if (++count != target) return;
  std::string line = "pedigree: fault injected at step " + std::to_string(count) + " (" +
                     std::string(step) + ")\n";
  (void)!::write(2, line.data(), line.size());
  ::_exit(k_fault_exit_code);
}

}  // namespace pedigree
