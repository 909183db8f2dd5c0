#include "pedigree/serve/index_pool.hpp"

namespace pedigree::serve {

IndexPool::Lease::~Lease() {
  if (m_index) m_pool->give_back(std::move(m_index));
}

Result<IndexPool::Lease> IndexPool::acquire() {
  {
    std::lock_guard lock(m_mutex);
    if (!m_idle.empty()) {
      auto index = std::move(m_idle.back());
      m_idle.pop_back();
      return Lease(*this, std::move(index));
    }
  }
  PD_ASSIGN_OR_RETURN(auto opened, index::Index::open(m_path));
  return Lease(*this, std::make_unique<index::Index>(std::move(opened)));
}

void IndexPool::give_back(std::unique_ptr<index::Index> index) {
  std::lock_guard lock(m_mutex);
  m_idle.push_back(std::move(index));
}

}  // namespace pedigree::serve
