// Reading and verifying event files on worker threads while the calling
// thread applies the results in order: signature verification (the floor of
// an index build) runs on every core, and SQLite is written by one thread
// only, in the order the files were listed, so the index does not depend on
// thread timing.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pedigree/ledger/keys.hpp"
#include "pedigree/ledger/verify.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::index {

// An event file to index: its ledger-relative path and the reference its
// bytes are read by (a git blob id, or the path for a working tree).
struct EventFile {
  std::string path;
  std::string ref;
};

// What the workers found for one file: its bytes ('' when unreadable) and
// the verification result (the read error, with the path, when unreadable).
struct CheckedEvent {
  std::string bytes;
  Result<ledger::VerifiedEvent> verified;
};

using ReadFn = std::function<Result<std::string>(const std::string& ref)>;
using ApplyFn = std::function<Result<void>(const EventFile& file, CheckedEvent checked)>;

// Calls `apply` for each of `files`, in order, on the calling thread, while
// worker threads (one per core, at most 8; none for a handful of files) read
// and verify the files ahead of it, at most 1,024 files and 64 MiB ahead
// (memory stays flat on large ledgers). `read` is called by one thread at a time, so
// it need not be thread-safe; `keys` must not change until this returns.
// `remembered` (may be null; must not change until this returns) holds
// signatures already verified (ledger::verify_event_file).
// A file that fails to read or verify is not an error here: its result goes
// to `apply` like any other. Returns the first error `apply` returns, after
// stopping the workers; the files after it are not applied.
Result<void> verify_in_order(const std::vector<EventFile>& files, const ReadFn& read,
                             const ledger::KeyRing& keys, const ApplyFn& apply,
                             const ledger::VerifiedSignatures* remembered = nullptr);

}  // namespace pedigree::index
