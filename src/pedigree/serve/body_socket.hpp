// The rest of a large request body read from its connection's socket in
// large blocks, past httplib. Internal to serve/.
//
// Why: Debian's compiled cpp-httplib (0.11.4) hands a request body over
// 4 KiB at a time (CPPHTTPLIB_RECV_BUFSIZ is compiled into its shared
// library), each read preceded by a poll: a million system calls and ~0.7
// CPU-s per 2 GiB upload that `check FILE` on the same bytes never pays
// (docs/benchmarks.md#serve).
//
// Why it stays byte-exact: while httplib reads the request's headers it
// buffers what one recv returned (at most 4 KiB), so the first bytes of the
// body may sit in httplib's buffer rather than in the socket. In 0.11.4 a
// body read served from that buffer returns the buffered bytes and nothing
// else (it never also reads the socket), and since the header's last byte
// came out of the same buffer, fewer than the 4 KiB asked for remain there:
// the first chunk httplib hands over empties its buffer. From then on every
// remaining body byte is in the socket, in order. The upload route takes
// that first chunk from httplib and the rest from the socket, reading no
// byte past the body (keep-alive continues in httplib). Any other httplib
// version, or a body httplib would decode (Content-Encoding, chunked), keeps
// httplib's own reader.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <httplib.h>

#include "pedigree/util/error.hpp"

namespace pedigree::serve {

// Whether the body of `req` may be handed over to the socket after httplib's
// first chunk: the linked httplib is the version whose buffering is described
// above, and the body arrives as sent (no Content-Encoding, not chunked).
bool body_handover_possible(const httplib::Request& req);

// This process's socket of the TCP connection between `local` and `remote`
// (addresses and ports as httplib wrote them into the Request), or nullopt
// when no socket, or more than one, matches. Linux (/proc/self/fd).
std::optional<int> find_connection_socket(const std::string& local_addr, int local_port,
                                          const std::string& remote_addr, int remote_port);

// Reads from a connection's socket in batches: poll wakes the reader once
// `batch` bytes are queued (SO_RCVLOWAT) rather than for every segment that
// arrives, which on loopback halves the wake-ups and system time of a large
// upload. The mark is put back to 1 byte on destruction, as httplib expects
// for the connection's next request.
class SocketReader {
public:
  SocketReader(int fd, std::size_t batch) : m_fd(fd), m_batch(batch) {}
  ~SocketReader();
  SocketReader(const SocketReader&) = delete;
  SocketReader& operator=(const SocketReader&) = delete;

  // Waits at most `timeout` for min(batch, into.size()) bytes, then reads up
  // to into.size() of what is queued (fewer when the wait ran out with some
  // bytes queued): the count, 0 at the end of the stream. Errors: k_io when
  // nothing arrived in time, or the socket failed.
  Result<std::size_t> receive(std::span<std::uint8_t> into, std::chrono::milliseconds timeout);

private:
  int m_fd;
  std::size_t m_batch;
  int m_low_water = 1;  // the socket's SO_RCVLOWAT as last set
};

}  // namespace pedigree::serve
