// The HTTP routes of `pedigree serve` on an httplib::Server (server.cpp owns
// the server and its lifetime). Internal to serve/.
#pragma once

#include <atomic>
#include <optional>

#include <httplib.h>

#include "pedigree/serve/api.hpp"

namespace pedigree::serve {

// At most `limit` holders at once; try_acquire fails beyond (the 503 of docs/serve.md).
class Slots {
public:
  explicit Slots(unsigned limit) : m_limit(limit) {}
  class Held {
  public:
    explicit Held(Slots& slots) : m_slots(&slots) {}
    Held(Held&& other) noexcept : m_slots(std::exchange(other.m_slots, nullptr)) {}
    Held& operator=(Held&&) = delete;
    ~Held() {
      if (m_slots) m_slots->m_used.fetch_sub(1);
    }

  private:
    Slots* m_slots;
  };
  std::optional<Held> try_acquire() {
    unsigned used = m_used.load();
    do {
      if (used >= m_limit) return std::nullopt;
    } while (!m_used.compare_exchange_weak(used, used + 1));
    return Held(*this);
  }

private:
  unsigned m_limit;
  std::atomic<unsigned> m_used{0};
};

struct RouteState {
  Api& api;
  Slots active;
  Slots uploads;
};

// Registers every route, the limit checks made before a body is read, and
// the JSON error and exception handlers.
void install_routes(httplib::Server& server, RouteState& state);

}  // namespace pedigree::serve
