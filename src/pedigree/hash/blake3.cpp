#include "pedigree/hash/blake3.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "pedigree/hash/blake3_impl.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::hash {

using namespace blake3_detail;

namespace {

using Words8 = std::array<std::uint32_t, 8>;

inline std::uint32_t rotr(std::uint32_t x, int n) {
  return (x >> n) | (x << (32 - n));
}

inline void g(std::uint32_t* v, int a, int b, int c, int d, std::uint32_t x, std::uint32_t y) {
  v[a] = v[a] + v[b] + x;
  v[d] = rotr(v[d] ^ v[a], 16);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 12);
  v[a] = v[a] + v[b] + y;
  v[d] = rotr(v[d] ^ v[a], 8);
  v[c] = v[c] + v[d];
  v[b] = rotr(v[b] ^ v[c], 7);
}

void store_words(const std::uint32_t* words, std::size_t count, std::uint8_t* out) {
  for (std::size_t i = 0; i < count; ++i) {
    for (int b = 0; b < 4; ++b) out[4 * i + b] = static_cast<std::uint8_t>(words[i] >> (8 * b));
  }
}

// What remains to compress at the end: a chunk's last block or a parent node.
struct Output {
  Words8 cv;
  std::array<std::uint8_t, 64> block;
  std::uint64_t counter;
  std::uint32_t block_len;
  std::uint32_t flags;

  Words8 chaining_value() const {
    std::uint32_t out[16];
    compress(cv.data(), block.data(), counter, block_len, flags, out);
    Words8 r;
    std::copy(out, out + 8, r.begin());
    return r;
  }

  void root_bytes(std::span<std::uint8_t> out) const {
    std::uint64_t output_block = 0;
    for (std::size_t pos = 0; pos < out.size(); pos += 64, ++output_block) {
      std::uint32_t words[16];
      compress(cv.data(), block.data(), output_block, block_len, flags | k_root, words);
      std::uint8_t bytes[64];
      store_words(words, 16, bytes);
      std::memcpy(out.data() + pos, bytes, std::min<std::size_t>(64, out.size() - pos));
    }
  }
};

Output parent_output(const Words8& left, const Words8& right) {
  Output o{k_iv, {}, 0, 64, k_parent};
  store_words(left.data(), 8, o.block.data());
  store_words(right.data(), 8, o.block.data() + 32);
  return o;
}

}  // namespace

namespace blake3_detail {

void compress(const std::uint32_t cv[8], const std::uint8_t block[64], std::uint64_t counter,
              std::uint32_t block_len, std::uint32_t flags, std::uint32_t out[16]) {
  std::uint32_t m[16];
  for (int i = 0; i < 16; ++i) m[i] = load_le32(block + 4 * i);
  std::uint32_t v[16] = {cv[0],
                         cv[1],
                         cv[2],
                         cv[3],
                         cv[4],
                         cv[5],
                         cv[6],
                         cv[7],
                         k_iv[0],
                         k_iv[1],
                         k_iv[2],
                         k_iv[3],
                         static_cast<std::uint32_t>(counter),
                         static_cast<std::uint32_t>(counter >> 32),
                         block_len,
                         flags};
  for (int round = 0; round < 7; ++round) {
    g(v, 0, 4, 8, 12, m[0], m[1]);
    g(v, 1, 5, 9, 13, m[2], m[3]);
    g(v, 2, 6, 10, 14, m[4], m[5]);
    g(v, 3, 7, 11, 15, m[6], m[7]);
    g(v, 0, 5, 10, 15, m[8], m[9]);
    g(v, 1, 6, 11, 12, m[10], m[11]);
    g(v, 2, 7, 8, 13, m[12], m[13]);
    g(v, 3, 4, 9, 14, m[14], m[15]);
    std::uint32_t permuted[16];
    for (int i = 0; i < 16; ++i) permuted[i] = m[k_permutation[i]];
    std::copy(permuted, permuted + 16, m);
  }
  for (int i = 0; i < 8; ++i) {
    out[i] = v[i] ^ v[i + 8];
    out[i + 8] = v[i + 8] ^ cv[i];
  }
}

void hash_chunks_portable(const std::uint8_t* input, std::size_t count, std::uint64_t counter,
                          std::array<std::uint32_t, 8>* out) {
  for (std::size_t c = 0; c < count; ++c) {
    Words8 cv = k_iv;
    for (std::size_t b = 0; b < 16; ++b) {
      std::uint32_t flags = (b == 0 ? k_chunk_start : 0) | (b == 15 ? k_chunk_end : 0);
      std::uint32_t state[16];
      compress(cv.data(), input + c * 1024 + b * 64, counter + c, 64, flags, state);
      std::copy(state, state + 8, cv.begin());
    }
    out[c] = cv;
  }
}

}  // namespace blake3_detail

namespace {
const bool k_have_avx2 = __builtin_cpu_supports("avx2");
}  // namespace

bool Blake3::uses_avx2() {
  return k_have_avx2;
}

Blake3::Blake3() {
  m_chunk.cv = k_iv;
}

void Blake3::push_chunk_cv(const Words8& cv, std::uint64_t total) {
  Words8 merged = cv;
  while ((total & 1) == 0) {  // each trailing zero bit completes a subtree
    merged = parent_output(m_stack[--m_stack_len], merged).chaining_value();
    total >>= 1;
  }
  m_stack[m_stack_len++] = merged;
}

namespace {

constexpr std::size_t k_max_subtree_chunks = 64;  // 64 KiB hashed as one subtree

// The chaining value of the subtree of `chunks` whole chunks (a power of two,
// at most k_max_subtree_chunks) starting at chunk `counter`: the chunks eight
// at a time with AVX2 when available, then each level of parent nodes, eight
// at a time too while a level has eight or more.
Words8 subtree_cv(const std::uint8_t* input, std::size_t chunks, std::uint64_t counter) {
  std::array<Words8, k_max_subtree_chunks> cvs;
  std::array<Words8, k_max_subtree_chunks / 2> parents;
  for (std::size_t done = 0; done < chunks; done += 8) {
    const std::size_t batch = std::min<std::size_t>(8, chunks - done);
    if (batch == 8 && k_have_avx2) {
      hash_8_chunks_avx2(input + done * Blake3::k_chunk_bytes, counter + done, &cvs[done]);
    } else {
      hash_chunks_portable(input + done * Blake3::k_chunk_bytes, batch, counter + done, &cvs[done]);
    }
  }
  // Each CV is eight little-endian words in memory, so two neighbours are
  // exactly a parent's 64-byte block (AVX2 implies x86, which is little-endian).
  for (std::size_t n = chunks; n > 1; n /= 2) {
    for (std::size_t p = 0; p < n / 2;) {
      if (n / 2 - p >= 8 && k_have_avx2) {
        hash_8_parents_avx2(reinterpret_cast<const std::uint8_t*>(&cvs[2 * p]), &parents[p]);
        p += 8;
      } else {
        parents[p] = parent_output(cvs[2 * p], cvs[2 * p + 1]).chaining_value();
        p += 1;
      }
    }
    std::copy(parents.begin(), parents.begin() + n / 2, cvs.begin());
  }
  return cvs[0];
}

}  // namespace

void Blake3::hash_whole_chunks(const std::uint8_t* input, std::size_t chunks) {
  std::uint64_t counter = m_chunk.counter;
  while (chunks > 0) {
    // The largest power-of-two subtree that fits and starts at a multiple of
    // its size (the tree's shape depends only on chunk positions).
    std::size_t size = k_max_subtree_chunks;
    while (size > chunks || counter % size != 0) size /= 2;
    const Words8 cv = subtree_cv(input, size, counter);
    const int level = std::countr_zero(size);
    // The stack holds subtrees of the sizes of counter's set bits, all of them
    // at least `size`: push this one as a node of its level.
    push_chunk_cv(cv, (counter + size) >> level);
    input += size * k_chunk_bytes;
    counter += size;
    chunks -= size;
  }
  m_chunk = ChunkState{};
  m_chunk.cv = k_iv;
  m_chunk.counter = counter;
}

void Blake3::chunk_update(ByteView data) {
  while (!data.empty()) {
    if (m_chunk.block_len == k_block_bytes) {  // compress only once more input follows
      const std::uint32_t flags = m_chunk.blocks_compressed == 0 ? k_chunk_start : 0;
      std::uint32_t state[16];
      compress(m_chunk.cv.data(), m_chunk.block.data(), m_chunk.counter, 64, flags, state);
      std::copy(state, state + 8, m_chunk.cv.begin());
      ++m_chunk.blocks_compressed;
      m_chunk.block.fill(0);
      m_chunk.block_len = 0;
    }
    const std::size_t take = std::min(k_block_bytes - m_chunk.block_len, data.size());
    std::memcpy(m_chunk.block.data() + m_chunk.block_len, data.data(), take);
    m_chunk.block_len += take;
    data = data.subspan(take);
  }
}

void Blake3::update(ByteView data) {
  while (!data.empty()) {
    if (m_chunk.length() == k_chunk_bytes) {  // the full chunk is not the last one: finish it
      const std::uint32_t flags =
          k_chunk_end | (m_chunk.blocks_compressed == 0 ? k_chunk_start : 0);
      Output o{m_chunk.cv, m_chunk.block, m_chunk.counter,
               static_cast<std::uint32_t>(m_chunk.block_len), flags};
      const std::uint64_t total = m_chunk.counter + 1;
      push_chunk_cv(o.chaining_value(), total);
      m_chunk = ChunkState{};
      m_chunk.cv = k_iv;
      m_chunk.counter = total;
    }
    if (m_chunk.length() == 0 && data.size() > k_chunk_bytes) {
      // Whole chunks that are certainly not the last (at least one byte follows).
      const std::size_t chunks = (data.size() - 1) / k_chunk_bytes;
      hash_whole_chunks(data.data(), chunks);
      data = data.subspan(chunks * k_chunk_bytes);
      continue;
    }
    const std::size_t take = std::min(k_chunk_bytes - m_chunk.length(), data.size());
    chunk_update(data.first(take));
    data = data.subspan(take);
  }
}

void Blake3::finalize(std::span<std::uint8_t> out) const {
  const std::uint32_t flags = k_chunk_end | (m_chunk.blocks_compressed == 0 ? k_chunk_start : 0);
  Output o{m_chunk.cv, m_chunk.block, m_chunk.counter,
           static_cast<std::uint32_t>(m_chunk.block_len), flags};
  for (std::size_t i = m_stack_len; i-- > 0;) o = parent_output(m_stack[i], o.chaining_value());
  o.root_bytes(out);
}

std::array<std::uint8_t, Blake3::k_digest_bytes> Blake3::digest() const {
  std::array<std::uint8_t, k_digest_bytes> out;
  finalize(out);
  return out;
}

std::array<std::uint8_t, Blake3::k_digest_bytes> blake3(ByteView data) {
  Blake3 h;
  h.update(data);
  return h.digest();
}

std::string blake3_hex(ByteView data) {
  auto d = blake3(data);
  return to_hex(d);
}

}  // namespace pedigree::hash
