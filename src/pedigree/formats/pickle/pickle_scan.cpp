// Lists the globals a pickle names by walking its opcodes, without building values.
#include <cstring>
#include <optional>
#include <unordered_map>

#include "pedigree/formats/pickle/pickle.hpp"
#include "pedigree/formats/pickle/pickle_detail.hpp"

namespace pedigree::formats::pickle {
namespace {

// How an opcode's argument is encoded.
enum class Arg : std::uint8_t { k_none, k_line, k_two_lines, k_fixed, k_counted, k_unknown };

struct OpInfo {
  Arg arg = Arg::k_unknown;
  std::uint8_t size = 0;  // fixed: argument bytes; counted: bytes of the length prefix
};

OpInfo op_info(std::uint8_t op) {
  switch (op) {
    case '(':
    case '.':
    case '0':
    case '1':
    case '2':
    case 'N':
    case 'R':
    case 'a':
    case 'b':
    case 'd':
    case '}':
    case 'e':
    case 'l':
    case ']':
    case 'o':
    case 's':
    case 't':
    case ')':
    case 'u':
    case 'Q':
    case 0x81:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8f:
    case 0x90:
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x97:
    case 0x98: return {Arg::k_none, 0};
    case 'F':
    case 'I':
    case 'L':
    case 'P':
    case 'S':
    case 'V':
    case 'g':
    case 'p': return {Arg::k_line, 0};
    case 'c':
    case 'i': return {Arg::k_two_lines, 0};
    case 'K':
    case 'h':
    case 'q':
    case 0x80:
    case 0x82: return {Arg::k_fixed, 1};
    case 'M':
    case 0x83: return {Arg::k_fixed, 2};
    case 'J':
    case 'j':
    case 'r':
    case 0x84: return {Arg::k_fixed, 4};
    case 'G':
    case 0x95: return {Arg::k_fixed, 8};
    case 'U':
    case 'C':
    case 0x8c:
    case 0x8a: return {Arg::k_counted, 1};
    case 'T':
    case 'X':
    case 'B':
    case 0x8b: return {Arg::k_counted, 4};
    case 0x8d:
    case 0x8e:
    case 0x96: return {Arg::k_counted, 8};
    default: return {};
  }
}

std::uint64_t load_n(ByteView b) {
  std::uint64_t v = 0;
  for (std::size_t i = b.size(); i-- > 0;) v = (v << 8) | b[i];
  return v;
}

class Scanner {
public:
  explicit Scanner(ByteView bytes) : m_in(bytes) {}

  std::vector<PickleGlobal> run() {
    while (!m_in.at_end()) {
      auto op = m_in.read_u8("opcode");
      if (!op || *op == '.' || !step(*op)) break;
    }
    return std::move(m_globals);
  }

private:
  std::optional<std::string_view> read_line() {
    ByteReader probe = m_in;
    auto rest = probe.read_bytes(probe.remaining(), "line");
    if (!rest) return std::nullopt;
    const void* nl = std::memchr(rest->data(), '\n', rest->size());
    if (nl == nullptr) return std::nullopt;
    const auto n = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - rest->data());
    auto bytes = m_in.read_bytes(n + 1, "line");
    return as_string_view(bytes->first(n));
  }

  void record(std::string_view raw_module, std::string_view name) {
    const std::string module(detail::modern_module(raw_module));
    for (const auto& g : m_globals) {
      if (g.module == module && g.name == name) return;
    }
    m_globals.push_back({module, std::string(name), is_allowed_global(module, name)});
  }

  // Pushes a reference to a string (by index: memo entries never copy text).
  void push(std::optional<std::size_t> s) {
    m_recent.push_back(s);
    if (m_recent.size() > 2) m_recent.erase(m_recent.begin());
  }

  bool step(std::uint8_t op) {
    const OpInfo info = op_info(op);
    switch (info.arg) {
      case Arg::k_unknown: return false;
      case Arg::k_none:
        if (op == 0x93 && m_recent.size() == 2 && m_recent[0] && m_recent[1]) {
          record(m_strings[*m_recent[0]], m_strings[*m_recent[1]]);
        }
        if (op == 0x94) {  // MEMOIZE stores the top without pushing anything
          if (!m_recent.empty()) m_memo[m_memo.size()] = m_recent.back();
          return true;
        }
        push(std::nullopt);
        return true;
      case Arg::k_line: {
        auto line = read_line();
        if (!line) return false;
        push(std::nullopt);
        return true;
      }
      case Arg::k_two_lines: {
        auto module = read_line();
        auto name = module ? read_line() : std::nullopt;
        if (!name) return false;
        record(*module, *name);
        push(std::nullopt);
        return true;
      }
      case Arg::k_fixed: {
        auto arg = m_in.read_bytes(info.size, "argument");
        if (!arg) return false;
        const std::uint64_t v = load_n(*arg);
        if (op == 'q' || op == 'r') {
          if (!m_recent.empty()) m_memo[v] = m_recent.back();
          return true;  // PUT leaves the stack unchanged
        }
        if (op == 0x80 || op == 0x95) return true;
        if (op == 'h' || op == 'j') {
          auto it = m_memo.find(v);
          push(it == m_memo.end() ? std::nullopt : it->second);
          return true;
        }
        push(std::nullopt);
        return true;
      }
      case Arg::k_counted: {
        auto len = m_in.read_bytes(info.size, "length");
        if (!len) return false;
        const std::uint64_t n = load_n(*len);
        if (n > m_in.remaining()) return false;
        auto body = m_in.read_bytes(static_cast<std::size_t>(n), "body");
        const bool text = op == 'X' || op == 0x8c || op == 0x8d || op == 'U' || op == 'T';
        if (!text) {
          push(std::nullopt);
          return true;
        }
        m_strings.emplace_back(as_string_view(*body));
        push(m_strings.size() - 1);
        return true;
      }
    }
    return false;
  }

  ByteReader m_in;
  std::vector<PickleGlobal> m_globals;
  std::vector<std::string> m_strings;  // total size bounded by the input's size
  std::vector<std::optional<std::size_t>> m_recent;
  std::unordered_map<std::uint64_t, std::optional<std::size_t>> m_memo;
};

}  // namespace

std::vector<PickleGlobal> scan_pickle_globals(ByteView bytes) {
  Scanner scanner(bytes);
  return scanner.run();
}

}  // namespace pedigree::formats::pickle
