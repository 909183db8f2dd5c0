#include "pedigree/util/file.hpp"
#include "pedigree/util/fault.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

namespace pedigree {
namespace {

std::unexpected<Error> errno_error(std::string_view action, const std::filesystem::path& path,
                                   int err) {
  std::string message =
      path.string() + ": cannot " + std::string(action) + ": " + std::strerror(err);
  if (err == ENOENT) return not_found(std::move(message));
  return io_error(std::move(message));
}

}  // namespace

Result<FileStat> stat_file(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_error("stat", path, errno);
  FileStat out;
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  out.inode = st.st_ino;
  out.device = st.st_dev;
  out.is_regular = S_ISREG(st.st_mode);
  out.is_directory = S_ISDIR(st.st_mode);
  return out;
}

Result<File> File::open_read(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open", path, errno);
  File file(fd, 0, path);  // owns fd from here on, closes on every return below
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_error("stat", path, errno);
  if (S_ISDIR(st.st_mode)) return invalid_argument(path.string() + ": is a directory");
  if (!S_ISREG(st.st_mode)) return invalid_argument(path.string() + ": not a regular file");
  file.m_size = static_cast<std::uint64_t>(st.st_size);
  return file;
}

File::File(File&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_size(other.m_size), m_path(std::move(other.m_path)) {}

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (m_fd >= 0) ::close(m_fd);
    m_fd = std::exchange(other.m_fd, -1);
    m_size = other.m_size;
    m_path = std::move(other.m_path);
  }
  return *this;
}

File::~File() {
  if (m_fd >= 0) ::close(m_fd);
}

Result<std::size_t> File::read_some(std::uint64_t offset, std::span<std::uint8_t> out) const {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n =
        ::pread(m_fd, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("read", m_path, errno);
    }
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  return done;
}

Result<void> File::read_exact(std::uint64_t offset, std::span<std::uint8_t> out) const {
  PD_ASSIGN_OR_RETURN(std::size_t got, read_some(offset, out));
  if (got != out.size()) {
    return corruption(m_path.string() + ": file ends at " + std::to_string(offset + got) +
                      ", expected " + std::to_string(out.size()) + " bytes at offset " +
                      std::to_string(offset));
  }
  return {};
}

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  PD_ASSIGN_OR_RETURN(File file, File::open_read(path));
  if (file.size() == 0) return MappedFile(nullptr, 0);
  if (file.size() > SIZE_MAX) return not_supported(path.string() + ": too large to map");
  void* data = ::mmap(nullptr, file.size(), PROT_READ, MAP_PRIVATE, file.fd(), 0);
  if (data == MAP_FAILED) return errno_error("map", path, errno);
  return MappedFile(static_cast<const std::uint8_t*>(data), file.size());
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (m_data) ::munmap(const_cast<std::uint8_t*>(m_data), m_size);
    m_data = std::exchange(other.m_data, nullptr);
    m_size = std::exchange(other.m_size, 0);
  }
  return *this;
}

void MappedFile::drop(std::uint64_t offset, std::uint64_t size) const {
  if (m_data == nullptr || offset >= m_size) return;
  size = std::min<std::uint64_t>(size, m_size - offset);
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t start = offset / page * page;
  (void)::madvise(const_cast<std::uint8_t*>(m_data) + start, offset + size - start, MADV_DONTNEED);
}

MappedFile::~MappedFile() {
  if (m_data) ::munmap(const_cast<std::uint8_t*>(m_data), m_size);
}

Result<std::string> read_file(const std::filesystem::path& path, std::uint64_t max_bytes) {
  PD_ASSIGN_OR_RETURN(File file, File::open_read(path));
  if (file.size() > max_bytes) {
    return invalid_argument(path.string() + ": " + std::to_string(file.size()) +
                            " bytes is larger than the limit of " + std::to_string(max_bytes));
  }
  std::string out(file.size(), '\0');
  PD_TRY(file.read_exact(0, {reinterpret_cast<std::uint8_t*>(out.data()), out.size()}));
  return out;
}

int write_fully(int fd, const void* data, std::size_t size) {
  const auto* p = static_cast<const char*>(data);
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, p + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;
    done += static_cast<std::size_t>(n);
  }
  return 0;
}

Result<void> write_file_atomic(const std::filesystem::path& path, std::string_view contents,
                               unsigned mode) {
  std::random_device random;
  auto temp = path;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(random());
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return errno_error("create", temp, errno);
  if (int err = write_fully(fd, contents.data(), contents.size())) {
    ::close(fd);
    ::unlink(temp.c_str());
    return errno_error("write", temp, err);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return errno_error("sync", temp, err);
  }
  fault_point("write temporary file");
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(temp.c_str());
    return errno_error("rename", path, err);
  }
  fault_point("rename into place");
  return {};
}

void remove_dead_temporaries(const std::filesystem::path& path) {
  // write_file_atomic's names: <file>.tmp-<pid>-<random>.
  const std::string prefix = path.filename().string() + ".tmp-";
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(path.parent_path(), ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string rest = name.substr(prefix.size());
    const auto dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos || dash > 9) continue;
    if (!std::all_of(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(dash),
                     [](char c) { return c >= '0' && c <= '9'; }))
      continue;
    const auto pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (pid <= 0 || ::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    std::error_code ignored;
    std::filesystem::remove(it->path(), ignored);
  }
}

}  // namespace pedigree
