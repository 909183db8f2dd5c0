// Files: read-only memory maps for parsing headers, positioned reads for
// streaming data, and atomic writes for everything pedigree stores.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree {

// Identity of a file on disk, used as a cache key (like A1111's cache.json, plus inode).
struct FileStat {
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint64_t inode = 0;
  std::uint64_t device = 0;
  bool is_regular = false;
  bool is_directory = false;
};

// stat(2) of `path`, following symlinks. NotFound when it does not exist.
Result<FileStat> stat_file(const std::filesystem::path& path);

// True when two stats name the same, unchanged file (size, mtime, inode and device agree):
// what a cache entry or a second read of a file checks before trusting the first.
inline bool same_file(const FileStat& a, const FileStat& b) {
  return a.size == b.size && a.mtime_ns == b.mtime_ns && a.inode == b.inode && a.device == b.device;
}

// An open, read-only file descriptor. Move-only; closes on destruction.
class File {
public:
  static Result<File> open_read(const std::filesystem::path& path);

  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  // Reads exactly `out.size()` bytes at `offset`; Corruption if the file ends first.
  Result<void> read_exact(std::uint64_t offset, std::span<std::uint8_t> out) const;
  // Reads up to `out.size()` bytes at `offset`; returns how many (0 at end of file).
  Result<std::size_t> read_some(std::uint64_t offset, std::span<std::uint8_t> out) const;
  std::uint64_t size() const { return m_size; }
  int fd() const { return m_fd; }
  const std::filesystem::path& path() const { return m_path; }

private:
  File(int fd, std::uint64_t size, std::filesystem::path path)
      : m_fd(fd), m_size(size), m_path(std::move(path)) {}
  int m_fd = -1;
  std::uint64_t m_size = 0;
  std::filesystem::path m_path;
};

// A read-only private memory map of a whole file. Parsers read headers through
// bytes(); only the pages they touch are loaded. An empty file maps to an
// empty span. Move-only; unmaps on destruction.
class MappedFile {
public:
  static Result<MappedFile> open(const std::filesystem::path& path);

  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  ByteView bytes() const { return {m_data, m_size}; }
  std::uint64_t size() const { return m_size; }
  // Gives back the pages of [offset, offset + size) (clamped to the file; pages
  // shared with a neighbour go too): touched again, they are read from the file
  // again. A long pass over a large map keeps its resident memory bounded.
  void drop(std::uint64_t offset, std::uint64_t size) const;

private:
  MappedFile(const std::uint8_t* data, std::size_t size) : m_data(data), m_size(size) {}
  const std::uint8_t* m_data = nullptr;
  std::size_t m_size = 0;
};

// Writes all `size` bytes at `data` to `fd`, retrying short writes and EINTR.
// Returns 0, or the errno of the write that failed (EIO if one wrote nothing).
int write_fully(int fd, const void* data, std::size_t size);

// Reads a whole (small) file. Refuses files larger than `max_bytes` with InvalidArgument.
Result<std::string> read_file(const std::filesystem::path& path,
                              std::uint64_t max_bytes = 64ull << 20);

// Writes `contents` to a temporary file beside `path`, fsyncs it and renames it
// over `path`, so readers see the old or the new file, never a partial one.
Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents,
                               unsigned mode = 0644);

// Removes the temporaries of write_file_atomic(`path`) whose writer process is
// gone (killed between writing and renaming). For files no lock guards (the
// key store, trust.json): a live writer's temporary is left alone. Best effort.
void remove_dead_temporaries(const std::filesystem::path& path);

}  // namespace pedigree
