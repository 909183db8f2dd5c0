// libFuzzer target for the checkpoint parser (see fuzz/parsers.hpp and CONTRIBUTING.md).
#include <cstdio>
#include <cstdlib>

#include "fuzz/parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto* parser = pedigree::fuzz::find_fuzz_parser("checkpoint");
  pedigree::ByteView file(data, size);
  if (auto broken = pedigree::fuzz::check_parse(file, parser->parse(file))) {
    std::fprintf(stderr, "fuzz_checkpoint: %s\n", broken->c_str());
    std::abort();
  }
  return 0;
}
