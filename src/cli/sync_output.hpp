// Shared by `pedigree sync` and `pedigree clone`: the transfer progress line,
// the signer of merge commits, the JSON form of a sync report
// (docs/json/sync.md), its human form and its exit code.
#pragma once

#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "pedigree/sync/sync.hpp"

namespace pedigree::cli {

// A progress callback drawing one line on stderr when it is a terminal, and
// an empty function otherwise (silent when piped).
sync::ProgressFn transfer_progress_line();
// Erases the progress line if one was drawn.
void end_progress_line();

// The user's only pedigree key when it is not passphrase-protected, to sign
// merge commits; nullptr (unsigned merges) otherwise.
std::shared_ptr<crypto::PrivateKey> merge_signing_key(crypto::KeyIdentity& identity);

nlohmann::json sync_report_json(const sync::SyncReport& report);
// Prints the report for people: a summary on stdout, refusals on stderr.
void print_sync_report(const sync::SyncReport& report, std::string_view verb);
// 0 for ok; otherwise the documented code for the outcome.
int sync_exit_code(const sync::SyncReport& report);

}  // namespace pedigree::cli
