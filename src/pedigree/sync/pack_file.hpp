// Writing objects into a git object store as one pack (version 2, every
// object whole: no deltas) with its index (.idx version 2), without libgit2's
// indexer. The indexer parses the pack it is given, inflating and hashing
// every object again; here the writer knows each object's bytes and id, so
// it computes the index itself. Formats: gitformat-pack(5).
//
// Integrity: add() hashes every object it is given and refuses one whose
// hash is not the expected id, so a pack never holds an object under a
// wrong name. The pack appears under objects/pack/ only when finished: it is
// streamed to a temporary file (objects/pack/tmp_pedigree_*, removed if the
// writer is destroyed unfinished), then renamed pack-<sha>.pack, and its
// index is written likewise, last (git and libgit2 ignore a pack without an
// index), so a process killed midway leaves at most an unreferenced
// temporary file or an unindexed pack, never a partial object.
// Not fsynced, like libgit2's own pack and loose objects (durability of the
// ledger against power loss is the filesystem's; a kill is covered).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <vector>

#include "pedigree/util/error.hpp"

namespace pedigree::sync {

using ObjectId = std::array<unsigned char, 20>;  // a SHA-1 object id, raw bytes

// Git's object type numbers (the same in packs and in libgit2's git_object_t).
enum class ObjectType : int { k_commit = 1, k_tree = 2, k_blob = 3, k_tag = 4 };

class PackFileWriter {
public:
  // A writer for a pack of exactly `count` objects, to be stored in
  // `objects_dir` (a repository's objects/ directory). Nothing is visible
  // to git before finish().
  explicit PackFileWriter(std::filesystem::path objects_dir, std::uint32_t count);
  ~PackFileWriter();
  PackFileWriter(const PackFileWriter&) = delete;
  PackFileWriter& operator=(const PackFileWriter&) = delete;

  // Appends one object. Corruption when `data` of `type` does not hash to
  // `id`; InvalidArgument when more than `count` objects are added.
  Result<void> add(const ObjectId& id, ObjectType type, std::span<const unsigned char> data);

  // Writes the pack and its index into objects_dir/pack/ and returns the
  // pack's path. InvalidArgument when fewer than `count` objects were added;
  // IOError when a file cannot be written (nothing is left behind then).
  Result<std::filesystem::path> finish();

private:
  struct Entry {
    ObjectId id;
    std::uint64_t offset;
    std::uint32_t crc;
  };
  std::vector<unsigned char> index_bytes(const ObjectId& pack_hash);
  Result<void> flush();  // appends m_pack to the temporary file (created on first use)

  std::filesystem::path m_objects_dir;
  std::uint32_t m_count;
  std::filesystem::path m_temp;       // the pack being written, until renamed
  int m_fd = -1;                      // open on m_temp
  std::uint64_t m_flushed = 0;        // bytes of the pack already in m_temp
  std::vector<unsigned char> m_pack;  // bytes of the pack not yet flushed
  std::vector<Entry> m_entries;
  struct Codec;  // zlib stream and SHA-1 context, reused for every object
  std::unique_ptr<Codec> m_codec;
};

}  // namespace pedigree::sync
