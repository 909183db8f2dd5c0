// The JSON form of a folder scan (docs/json/scan.md).
#include <array>

#include "pedigree/folder/folder_scan.hpp"
#include "pedigree/lineage/verdict_json.hpp"

namespace pedigree::folder {
namespace {

nlohmann::json or_null(const std::string& s) {
  return s.empty() ? nlohmann::json() : nlohmann::json(s);
}

nlohmann::json entry_json(const ScanEntry& e) {
  const auto* r = e.report ? &*e.report : nullptr;
  nlohmann::json a1111 = nullptr;
  if (e.a1111_sha256)
    a1111 = {{"sha256", *e.a1111_sha256},
             {"agrees", r != nullptr && r->identity.sha256 == *e.a1111_sha256}};
  return {
      {"path", e.file.path.string()},
      {"relative", e.file.relative},
      {"kind", e.file.kind},
      {"format", std::string(formats::format_name(e.file.format))},
      {"size", e.file.stat.size},
      {"hashed_by", e.error ? nlohmann::json() : nlohmann::json(hashed_by_name(e.hashed_by))},
      {"a1111", a1111},
      {"sha256", r ? or_null(r->identity.sha256) : nlohmann::json()},
      {"verdict",
       r ? nlohmann::json(lineage::verdict_name(r->verdict.verdict)) : nlohmann::json("error")},
      {"confidence", r ? nlohmann::json(r->verdict.confidence) : nlohmann::json()},
      {"summary", r ? nlohmann::json(r->verdict.summary) : nlohmann::json()},
      {"nai_relation", r ? or_null(r->verdict.nai_relation) : nlohmann::json()},
      {"commercial_use",
       r ? nlohmann::json(r->verdict.licence.commercial_use) : nlohmann::json("unknown")},
      {"reason", or_null(unknown_reason(e))},
      {"error", e.error ? nlohmann::json(e.error->message()) : nlohmann::json()},
      {"check", r ? lineage::to_json(*r) : nlohmann::json()},
  };
}

}  // namespace

nlohmann::json to_json(const FolderReport& report) {
  static const std::array<const char*, 6> k_classes = {"nai-leak", "nai",   "nai-official",
                                                       "unknown",  "error", "no-nai-found"};
  nlohmann::json counts = nlohmann::json::object();
  for (const char* c : k_classes) counts[c] = 0;
  nlohmann::json hashed = {{"read", 0}, {"cache", 0}, {"a1111-cache", 0}};
  nlohmann::json files = nlohmann::json::array();
  for (const auto& e : report.entries) {
    counts[k_classes[severity_rank(e)]] = counts[k_classes[severity_rank(e)]].get<int>() + 1;
    if (!e.error) {
      auto& n = hashed[std::string(hashed_by_name(e.hashed_by))];
      n = n.get<int>() + 1;
    }
    files.push_back(entry_json(e));
  }
  auto listed = [](const std::vector<Skipped>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : list) out.push_back({{"relative", s.relative}, {"reason", s.reason}});
    return out;
  };
  const auto& d = report.discovery;
  return {
      {"schema", "pedigree-scan/1"},
      {"root", d.root.string()},
      {"layout", std::string(layout_name(d.layout))},
      {"walked", d.walked},
      {"depth", std::string(depth_name(report.depth))},
      {"cache", report.cache_path ? nlohmann::json(report.cache_path->string()) : nlohmann::json()},
      {"a1111_cache",
       report.a1111_cache ? nlohmann::json(report.a1111_cache->string()) : nlohmann::json()},
      {"counts", counts},
      {"hashed_by", hashed},
      {"files", files},
      {"skipped", listed(d.skipped)},
      {"problems", listed(d.problems)},
      {"warnings", report.warnings},
  };
}

}  // namespace pedigree::folder
