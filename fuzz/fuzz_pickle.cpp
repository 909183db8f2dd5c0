// libFuzzer target for the pickle reader (see fuzz/torch_checks.hpp and CONTRIBUTING.md).
#include <cstdio>
#include <cstdlib>

#include "fuzz/torch_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (auto broken = pedigree::fuzz::check_torch_input("pickle", pedigree::ByteView(data, size))) {
    std::fprintf(stderr, "fuzz_pickle: %s\n", broken->c_str());
    std::abort();
  }
  return 0;
}
