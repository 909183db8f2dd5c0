// BLAKE3 (hash mode), implemented from the specification
// (github.com/BLAKE3-team/BLAKE3-specs, blake3.pdf): 1 KiB chunks, a binary
// tree of parent nodes, extendable output. Whole chunks are compressed eight
// at a time with AVX2 when the CPU has it (chosen at run time), otherwise one
// at a time; both give identical output. Keyed and derive-key modes are not
// provided (pedigree does not use them).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "pedigree/util/bytes.hpp"

namespace pedigree::hash {

// Incremental BLAKE3 hasher. Cheap to construct; not thread-safe.
class Blake3 {
public:
  static constexpr std::size_t k_digest_bytes = 32;
  static constexpr std::size_t k_chunk_bytes = 1024;
  static constexpr std::size_t k_block_bytes = 64;

  Blake3();

  // Absorbs more input; may be called any number of times.
  void update(ByteView data);
  // Writes out.size() bytes of output (32 is the standard digest; any length
  // is valid). Does not change the hasher: more update() calls may follow.
  void finalize(std::span<std::uint8_t> out) const;
  // The standard 32-byte digest.
  std::array<std::uint8_t, k_digest_bytes> digest() const;

  // True when the AVX2 path is in use (for benchmarks and tests).
  static bool uses_avx2();

private:
  struct ChunkState {
    std::array<std::uint32_t, 8> cv;
    std::uint64_t counter = 0;
    std::array<std::uint8_t, k_block_bytes> block{};
    std::size_t block_len = 0;
    std::size_t blocks_compressed = 0;
    std::size_t length() const { return k_block_bytes * blocks_compressed + block_len; }
  };

  // Pushes the CV of a complete subtree, merging finished subtrees; `total`
  // counts the subtrees of its size hashed so far, this one included.
  void push_chunk_cv(const std::array<std::uint32_t, 8>& cv, std::uint64_t total);
  void hash_whole_chunks(const std::uint8_t* input, std::size_t chunks);
  void chunk_update(ByteView data);

  ChunkState m_chunk;
  std::array<std::array<std::uint32_t, 8>, 54> m_stack{};  // 2^54 chunks is beyond any file
  std::size_t m_stack_len = 0;
};

// One-shot helpers.
std::array<std::uint8_t, Blake3::k_digest_bytes> blake3(ByteView data);
std::string blake3_hex(ByteView data);

}  // namespace pedigree::hash
