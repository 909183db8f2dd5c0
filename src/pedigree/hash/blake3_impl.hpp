// Internals of the BLAKE3 implementation shared by the portable and AVX2
// compression paths. Not part of the public interface.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace pedigree::hash::blake3_detail {

inline constexpr std::array<std::uint32_t, 8> k_iv = {
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
inline constexpr std::array<std::uint8_t, 16> k_permutation = {2, 6,  3,  10, 7, 0,  4,  13,
                                                               1, 11, 12, 5,  9, 14, 15, 8};
// Domain flags (only those of the plain hash mode).
inline constexpr std::uint32_t k_chunk_start = 1;
inline constexpr std::uint32_t k_chunk_end = 2;
inline constexpr std::uint32_t k_parent = 4;
inline constexpr std::uint32_t k_root = 8;

// The compression function: the full 16-word output state.
void compress(const std::uint32_t cv[8], const std::uint8_t block[64], std::uint64_t counter,
              std::uint32_t block_len, std::uint32_t flags, std::uint32_t out[16]);

// Chaining values of `count` whole 1 KiB chunks at `input`, the first with
// chunk counter `counter`, written to out[0..count).
void hash_chunks_portable(const std::uint8_t* input, std::size_t count, std::uint64_t counter,
                          std::array<std::uint32_t, 8>* out);

// The same for exactly 8 chunks using AVX2 (call only when the CPU has AVX2).
void hash_8_chunks_avx2(const std::uint8_t* input, std::uint64_t counter,
                        std::array<std::uint32_t, 8>* out);

// Chaining values of 8 parent nodes whose 64-byte blocks (left CV then right
// CV, little-endian words) lie back to back at `blocks`, using AVX2. `out`
// must not overlap `blocks`.
void hash_8_parents_avx2(const std::uint8_t* blocks, std::array<std::uint32_t, 8>* out);

}  // namespace pedigree::hash::blake3_detail
