#include "pedigree/site/site_dir.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <nlohmann/json.hpp>

#include "pedigree/util/file.hpp"

namespace pedigree::site {
namespace {

namespace fs = std::filesystem;

// Whether `dir` holds a marker file pedigree wrote.
bool has_marker(const fs::path& dir) {
  auto text = read_file(dir / k_marker_file, 1 << 20);
  if (!text) return false;
  auto parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_object() && parsed.value("schema", "") == "pedigree-site/1";
}

Result<void> check_writable(const fs::path& dir, Overwrite overwrite) {
  PD_ASSIGN_OR_RETURN(DirState state, dir_state(dir));
  if (state != DirState::k_other || overwrite == Overwrite::k_force) return {};
  return conflict(dir.string() + ": not empty and not a site pedigree wrote (no " + k_marker_file +
                  "); refusing to replace it (--force replaces it anyway)");
}

std::string errno_text() {
  return std::strerror(errno);
}

}  // namespace

Result<DirState> dir_state(const fs::path& dir) {
  std::error_code ec;
  const auto status = fs::symlink_status(dir, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    return io_error(dir.string() + ": " + ec.message());
  if (!fs::exists(status)) return DirState::k_absent;
  if (!fs::is_directory(status)) return DirState::k_other;  // a file, or a symbolic link
  if (has_marker(dir)) return DirState::k_previous_site;
  const bool empty = fs::is_empty(dir, ec);
  if (ec) return io_error(dir.string() + ": " + ec.message());
  return empty ? DirState::k_empty : DirState::k_other;
}

Result<fs::path> begin_site(const fs::path& dir, Overwrite overwrite) {
  if (dir.empty() || dir.filename().empty() || dir.filename() == "." || dir.filename() == "..")
    return invalid_argument("site: give the directory by name, e.g. `pedigree site public`");
  PD_TRY(check_writable(dir, overwrite));
  const fs::path parent = dir.has_parent_path() ? dir.parent_path() : fs::path(".");
  std::string pattern = (parent / ("." + dir.filename().string() + ".tmp-XXXXXX")).string();
  if (::mkdtemp(pattern.data()) == nullptr)
    return io_error(parent.string() + ": cannot create a directory beside " + dir.string() + ": " +
                    errno_text());
  // mkdtemp makes 0700; a static host's web server must read the site.
  if (::chmod(pattern.c_str(), 0755) != 0) {
    abandon_site(pattern);
    return io_error(pattern + ": " + errno_text());
  }
  return fs::path(pattern);
}

Result<void> publish_site(const fs::path& staging, const fs::path& dir, Overwrite overwrite) {
  PD_TRY(check_writable(dir, overwrite));
  // Every file on disk before the site becomes visible: a crash after the
  // rename must not leave empty files behind a complete-looking site.
  const int fd = ::open(staging.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(staging.string() + ": " + errno_text());
  const int synced = ::syncfs(fd);
  ::close(fd);
  if (synced != 0) return io_error(staging.string() + ": cannot sync: " + errno_text());
  PD_ASSIGN_OR_RETURN(DirState state, dir_state(dir));
  if (state == DirState::k_absent) {
    if (::rename(staging.c_str(), dir.c_str()) != 0)
      return io_error(dir.string() + ": cannot rename the new site into place: " + errno_text());
    return {};
  }
  // One atomic swap; the old site ends up at `staging` and is removed.
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0)
    return io_error(dir.string() + ": cannot swap the new site into place: " + errno_text());
  abandon_site(staging);
  return {};
}

void abandon_site(const fs::path& staging) {
  std::error_code ec;
  fs::remove_all(staging, ec);
}

}  // namespace pedigree::site
