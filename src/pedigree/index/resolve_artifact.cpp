#include "pedigree/index/resolve_artifact.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace pedigree::index {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string without_extension(const std::string& name) {
  auto dot = name.rfind('.');
  return dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
}

bool is_hex(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(c); });
}

// Names given to artifacts by valid model events, matched against `text`.
Result<std::map<std::string, std::string>> by_name(Index& index, std::string_view text) {
  std::string wanted = lower(text);
  PD_ASSIGN_OR_RETURN(Statement st,
                      index.database().prepare("SELECT subject, payload FROM events WHERE "
                                               "status = 'valid' AND predicate = 'model'"));
  std::map<std::string, std::string> hits;
  while (true) {
    PD_ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    auto doc = nlohmann::json::parse(st.column_text(1), nullptr, false);
    if (doc.is_discarded()) continue;
    std::vector<std::string> names;
    if (doc.contains("subject") && doc["subject"].is_array() && !doc["subject"].empty()) {
      names.push_back(doc["subject"][0].value("name", ""));
    }
    const auto& p = doc.value("predicate", nlohmann::json::object());
    names.push_back(p.value("file_name", ""));
    names.push_back(p.value("title", ""));
    for (const auto& n : names) {
      if (n.empty()) continue;
      std::string l = lower(n);
      if (l == wanted || without_extension(l) == wanted) hits.emplace(st.column_text(0), n);
    }
  }
  return hits;
}

}  // namespace

Result<ArtifactRef> resolve_artifact(Index& index, std::string_view text) {
  std::string value(text);
  if (auto colon = value.find(':'); colon != std::string::npos) value = value.substr(colon + 1);
  std::map<std::string, std::string> hits;
  if (is_hex(value) && value.size() >= 8) {
    PD_ASSIGN_OR_RETURN(auto matches, index.lookup_hash(value));
    for (const auto& m : matches) hits.emplace(m.sha256, "");
  }
  if (hits.empty()) {
    PD_ASSIGN_OR_RETURN(hits, by_name(index, text));
  }
  if (hits.empty()) {
    return not_found("'" + std::string(text) +
                     "' is neither a file nor a hash or model name the ledger knows");
  }
  if (hits.size() > 1) {
    std::string list;
    for (const auto& [sha, name] : hits) {
      list += (list.empty() ? "" : ", ") + sha.substr(0, 12) + (name.empty() ? "" : " " + name);
    }
    return invalid_argument("'" + std::string(text) + "' matches " + std::to_string(hits.size()) +
                            " artifacts (" + list + "): give a full SHA-256");
  }
  return ArtifactRef{hits.begin()->first, hits.begin()->second};
}

}  // namespace pedigree::index
