// libFuzzer target for AUTOMATIC1111's cache.json (folder/a1111_cache.hpp) (see
// fuzz/input_checks.hpp and CONTRIBUTING.md).
#include <cstdio>
#include <cstdlib>

#include "fuzz/input_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto* input = pedigree::fuzz::find_fuzz_input("a1111_cache");
  if (auto broken = input->check(pedigree::ByteView(data, size))) {
    std::fprintf(stderr, "fuzz_a1111_cache: %s\n", broken->c_str());
    std::abort();
  }
  return 0;
}
