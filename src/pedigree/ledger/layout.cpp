#include "pedigree/ledger/layout.hpp"

#include <vector>

#include "pedigree/ledger/event.hpp"

namespace pedigree::ledger {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return parts;
}

bool strip_json(std::string_view name, std::string_view& stem) {
  if (!name.ends_with(".json")) return false;
  stem = name.substr(0, name.size() - 5);
  return true;
}

}  // namespace

LayoutEntry classify_path(std::string_view rel_path) {
  LayoutEntry entry;
  if (rel_path == "LEDGER.json") {
    entry.kind = EntryKind::k_ledger_json;
    return entry;
  }
  if (rel_path == "README.md") {
    entry.kind = EntryKind::k_readme;
    return entry;
  }
  auto parts = split(rel_path);
  std::string_view stem;
  if (parts.size() == 2 && parts[0] == "keys" && strip_json(parts[1], stem) &&
      is_sha256_hex(stem)) {
    entry.kind = EntryKind::k_key;
    entry.keyid = stem;
    return entry;
  }
  if (parts.size() == 5 && parts[0] == "events" && is_sha256_hex(parts[3]) &&
      parts[1] == parts[3].substr(0, 2) && parts[2] == parts[3].substr(2, 2) &&
      strip_json(parts[4], stem) && is_sha256_hex(stem)) {
    entry.kind = EntryKind::k_event;
    entry.subject = parts[3];
    entry.event_id = stem;
  }
  return entry;
}

std::string event_path(std::string_view subject, std::string_view event_id) {
  std::string out = "events/";
  out += subject.substr(0, 2);
  out += '/';
  out += subject.substr(2, 2);
  out += '/';
  out += subject;
  out += '/';
  out += event_id;
  out += ".json";
  return out;
}

std::string key_path(std::string_view keyid) {
  return "keys/" + std::string(keyid) + ".json";
}

}  // namespace pedigree::ledger
