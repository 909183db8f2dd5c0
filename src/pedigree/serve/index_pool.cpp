#include "pedigree/serve/index_pool.hpp"

namespace pedigree::serve {
namespace {

// query_only: the server never writes to the index, and SQLite enforces it.
constexpr const char* k_read_pragmas = "PRAGMA query_only = 1; PRAGMA cache_size = -2048;";

}  // namespace

IndexPool::Lease::~Lease() {
  if (m_connection) m_pool->give_back(std::move(m_connection));
}

Result<IndexPool::Lease> IndexPool::acquire() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_idle.empty()) {
      auto connection = std::move(m_idle.back());
      m_idle.pop_back();
      return Lease(*this, std::move(connection));
    }
  }
  PD_ASSIGN_OR_RETURN(auto opened, index::Index::open(m_path));
  // A server connection only reads, and there is one per request in flight:
  // the index's own page cache (128 MiB, sized for rebuilds) per connection
  // grew the server past 1 GB on a 100,000-artifact index. SQLite's default
  // 2 MiB instead; the kernel's page cache holds the file once for all of
  // them. (Not mmap: each connection maps the file on its own, and its
  // resident pages then count once per connection.)
  PD_TRY(opened.database().exec(k_read_pragmas));
  return Lease(*this, std::make_unique<Connection>(Connection{std::move(opened), -1}));
}

Result<std::uint64_t> IndexPool::generation(Lease& lease) {
  Connection& c = *lease.m_connection;
  PD_ASSIGN_OR_RETURN(index::Statement st, c.index.database().prepare("PRAGMA data_version"));
  PD_ASSIGN_OR_RETURN(bool row, st.step());
  if (!row) return internal_error("index: PRAGMA data_version returned nothing");
  const std::int64_t version = st.column_int(0);
  // A connection's first reading has nothing to compare with: the index may
  // have changed before it was opened, so a new connection moves the
  // generation too (the pool opens one per concurrent request, then reuses).
  if (version != c.data_version) m_generation.fetch_add(1);
  c.data_version = version;
  return m_generation.load();
}

void IndexPool::give_back(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(m_mutex);
  m_idle.push_back(std::move(connection));
}

}  // namespace pedigree::serve
