// libFuzzer target for the unit signature parser (fingerprint/units.hpp) (see fuzz/input_checks.hpp
// and CONTRIBUTING.md).
#include <cstdio>
#include <cstdlib>

#include "fuzz/input_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto* input = pedigree::fuzz::find_fuzz_input("units");
  if (auto broken = input->check(pedigree::ByteView(data, size))) {
    std::fprintf(stderr, "fuzz_units: %s\n", broken->c_str());
    std::abort();
  }
  return 0;
}
