#include "pedigree/index/verify_pipeline.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace pedigree::index {
namespace {

// Files verified ahead of the one being applied, at most (about 1.5 MB of
// envelopes for typical events)...
constexpr std::size_t k_window = 1024;
// ...and bytes held ahead, at most (plus one file per worker): a ledger of
// large fingerprint events must not hold 1,024 of them in memory.
constexpr std::size_t k_max_bytes_ahead = 64 * 1024 * 1024;
// Below this many files, threads cost more than they save (one `attest`).
constexpr std::size_t k_min_parallel = 32;

class Pipeline {
public:
  Pipeline(const std::vector<EventFile>& files, const ReadFn& read, const ledger::KeyRing& keys,
           const ledger::VerifiedSignatures* remembered)
      : m_files(files), m_read(read), m_keys(keys), m_remembered(remembered), m_slots(k_window) {}

  CheckedEvent check(const EventFile& file) {
    Result<std::string> bytes = [&] {
      std::lock_guard lock(m_read_mutex);
      return m_read(file.ref);
    }();
    if (!bytes) return {{}, std::unexpected(bytes.error().with_context(file.path))};
    auto verified = ledger::verify_event_file(file.path, *bytes, m_keys, m_remembered);
    return {std::move(*bytes), std::move(verified)};
  }

  // A worker: claims the next file within the window, checks it, and
  // leaves the result in the file's slot.
  void work() {
    while (true) {
      std::size_t i = 0;
      {
        std::unique_lock lock(m_mutex);
        m_space.wait(lock, [&] {
          return m_stop || m_next >= m_files.size() ||
                 (m_next < m_consumed + k_window && m_bytes_ahead < k_max_bytes_ahead);
        });
        if (m_stop || m_next >= m_files.size()) return;
        i = m_next++;
      }
      CheckedEvent checked = check(m_files[i]);
      {
        std::lock_guard lock(m_mutex);
        m_bytes_ahead += checked.bytes.size();
        m_slots[i % k_window].emplace(std::move(checked));
      }
      m_ready.notify_all();
    }
  }

  // The result for file `i`, once a worker has left it (files are taken in order).
  CheckedEvent take(std::size_t i) {
    CheckedEvent out;
    {
      std::unique_lock lock(m_mutex);
      auto& slot = m_slots[i % k_window];
      m_ready.wait(lock, [&] { return slot.has_value(); });
      out = std::move(*slot);
      slot.reset();
      m_bytes_ahead -= out.bytes.size();
      m_consumed = i + 1;
    }
    m_space.notify_all();
    return out;
  }

  void stop() {
    {
      std::lock_guard lock(m_mutex);
      m_stop = true;
    }
    m_space.notify_all();
  }

private:
  const std::vector<EventFile>& m_files;
  const ReadFn& m_read;
  const ledger::KeyRing& m_keys;
  const ledger::VerifiedSignatures* m_remembered;
  std::mutex m_read_mutex;  // `read` is used by one thread at a time
  std::mutex m_mutex;       // guards everything below
  std::condition_variable m_ready, m_space;
  std::vector<std::optional<CheckedEvent>> m_slots;  // file i in slot i % k_window
  std::size_t m_next = 0;                            // next file a worker claims
  std::size_t m_consumed = 0;                        // files taken by the applying thread
  std::size_t m_bytes_ahead = 0;                     // bytes of the results not taken yet
  bool m_stop = false;
};

// Stops the workers on every way out of verify_in_order, before they are joined.
struct StopOnExit {
  Pipeline& pipeline;
  ~StopOnExit() { pipeline.stop(); }
};

}  // namespace

Result<void> verify_in_order(const std::vector<EventFile>& files, const ReadFn& read,
                             const ledger::KeyRing& keys, const ApplyFn& apply,
                             const ledger::VerifiedSignatures* remembered) {
  Pipeline pipeline(files, read, keys, remembered);
  if (files.size() < k_min_parallel) {
    for (const auto& file : files) PD_TRY(apply(file, pipeline.check(file)));
    return {};
  }
  unsigned threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<std::jthread> workers;  // joined after `stop` (declared before it)
  StopOnExit stop{pipeline};
  for (unsigned t = 0; t < threads; ++t) workers.emplace_back([&pipeline] { pipeline.work(); });
  for (std::size_t i = 0; i < files.size(); ++i) PD_TRY(apply(files[i], pipeline.take(i)));
  return {};
}

}  // namespace pedigree::index
