// `pedigree serve ...` in the main binary: replaces this process (execv)
// with the `pedigree-serve` helper installed beside it, passing every
// argument on. The helper holds the HTTP server, so the shared libraries it
// needs (cpp-httplib, libssl, libstdc++.so) never slow the start of other
// commands.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"

namespace pedigree::cli {
namespace {

int launch(const std::vector<std::string>& args) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec)
    return report_error(
        Error(ErrorCode::k_io, "serve: cannot locate this binary: " + ec.message()));
  const std::string helper = (self.parent_path() / "pedigree-serve").string();
  std::vector<std::string> argv_text = {helper, "serve"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(helper.c_str(), argv.data());
  return report_error(
      Error(ErrorCode::k_not_found, "serve: cannot run " + helper + ": " + std::strerror(errno) +
                                        " (it is built and installed beside pedigree)"));
}

}  // namespace

void setup_serve_launcher(CLI::App& app, int& exit_code) {
  auto* sub = app.add_subcommand(
      "serve",
      "Serve the web page and JSON API for checking models (loopback by default; "
      "`pedigree serve --help` for its options)");
  sub->prefix_command();  // every argument goes to the helper, --help included
  sub->set_help_flag();
  sub->callback([sub, &exit_code] { exit_code = launch(sub->remaining()); });
}

}  // namespace pedigree::cli
