// Where each file of a ledger lives (docs/formats/ledger.md):
//   LEDGER.json                          format version and name
//   README.md                            optional description
//   keys/<keyid>.json                    public key + self-signed identity
//   events/<s0s1>/<s2s3>/<subject>/<event-id>.json
// with <s0s1><s2s3> the first four hex digits of the subject's SHA-256 and
// <event-id> the SHA-256 of the event file's bytes. Anything else is stray.
#pragma once

#include <string>
#include <string_view>

namespace pedigree::ledger {

enum class EntryKind { k_ledger_json, k_readme, k_key, k_event, k_stray };

struct LayoutEntry {
  EntryKind kind = EntryKind::k_stray;
  std::string keyid;     // k_key
  std::string subject;   // k_event
  std::string event_id;  // k_event
};

// Classifies a '/'-separated path relative to the ledger root (no leading '/').
LayoutEntry classify_path(std::string_view rel_path);

// Ledger-relative paths of an event and of a key file.
std::string event_path(std::string_view subject_sha256, std::string_view event_id);
std::string key_path(std::string_view keyid);

}  // namespace pedigree::ledger
