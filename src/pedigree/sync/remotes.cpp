#include "pedigree/sync/remotes.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "pedigree/util/file.hpp"

namespace pedigree::sync {
namespace {

constexpr std::size_t k_max_store_bytes = 1 << 20;

bool is_commit_id(const std::string& s) {
  return s.size() == 40 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

Result<void> check_remote_name(std::string_view name) {
  auto ok_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  };
  if (name.empty() || name.size() > 64 || !ok_char(name[0]) || name[0] == '.' || name[0] == '_' ||
      name[0] == '-' || !std::all_of(name.begin(), name.end(), ok_char)) {
    return invalid_argument("invalid remote name '" + std::string(name) +
                            "' (letters, digits, '.', '_', '-'; starting with a letter or digit)");
  }
  return {};
}

std::filesystem::path RemoteStore::path_for(const std::filesystem::path& ledger_dir) {
  return ledger_dir / ".git" / "pedigree" / "remotes.json";
}

Result<RemoteStore> RemoteStore::load(const std::filesystem::path& file) {
  RemoteStore store(file);
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return store;
  PD_ASSIGN_OR_RETURN(std::string text, read_file(file, k_max_store_bytes));
  const std::string w = file.string();
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || doc.value("format", 0) != 1 || !doc.contains("remotes") ||
      !doc["remotes"].is_array()) {
    return corruption(w + ": not a pedigree remotes file (format 1)");
  }
  for (const auto& r : doc["remotes"]) {
    if (!r.is_object() || !r.contains("name") || !r["name"].is_string() || !r.contains("url") ||
        !r["url"].is_string()) {
      return corruption(w + ": remote entry without a name or url");
    }
    Remote remote;
    remote.name = r["name"].get<std::string>();
    remote.url = r["url"].get<std::string>();
    if (r.contains("branch") && r["branch"].is_string()) remote.branch = r["branch"];
    if (r.contains("accepted_tip") && r["accepted_tip"].is_string()) {
      remote.accepted_tip = r["accepted_tip"].get<std::string>();
      if (!is_commit_id(*remote.accepted_tip)) {
        return corruption(w + ": remote '" + remote.name + "': accepted_tip is not a commit id");
      }
    }
    if (!check_remote_name(remote.name)) return corruption(w + ": invalid remote name");
    store.m_remotes.push_back(std::move(remote));
  }
  return store;
}

const Remote* RemoteStore::find(std::string_view name) const {
  for (const auto& r : m_remotes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

Result<void> RemoteStore::add(const std::string& name, const std::string& url) {
  PD_TRY(check_remote_name(name));
  if (url.empty()) return invalid_argument("remote '" + name + "': empty URL");
  if (find(name)) return conflict("remote '" + name + "' already exists");
  Remote remote;
  remote.name = name;
  remote.url = url;
  m_remotes.push_back(std::move(remote));
  return {};
}

Result<void> RemoteStore::remove(std::string_view name) {
  auto it = std::find_if(m_remotes.begin(), m_remotes.end(),
                         [&](const Remote& r) { return r.name == name; });
  if (it == m_remotes.end()) return not_found("no remote named '" + std::string(name) + "'");
  m_remotes.erase(it);
  return {};
}

Result<void> RemoteStore::set_accepted_tip(std::string_view name, const std::string& tip) {
  for (auto& r : m_remotes) {
    if (r.name == name) {
      r.accepted_tip = tip;
      return {};
    }
  }
  return not_found("no remote named '" + std::string(name) + "'");
}

Result<void> RemoteStore::save() const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& r : m_remotes) {
    list.push_back({{"name", r.name},
                    {"url", r.url},
                    {"branch", r.branch},
                    {"accepted_tip", r.accepted_tip ? nlohmann::json(*r.accepted_tip) : nullptr}});
  }
  nlohmann::json doc = {{"format", 1}, {"remotes", list}};
  std::error_code ec;
  std::filesystem::create_directories(m_file.parent_path(), ec);
  if (ec) return io_error(m_file.parent_path().string() + ": cannot create: " + ec.message());
  // Owner-only: a URL may carry a password or token (https://user:token@host/...).
  return write_file_atomic(m_file, doc.dump(2) + "\n", 0600);
}

}  // namespace pedigree::sync
