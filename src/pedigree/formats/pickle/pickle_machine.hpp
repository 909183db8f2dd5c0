// Internal to the pickle interpreter: the Machine that runs a pickle's
// opcodes over a value arena. Split over pickle.cpp (opcode dispatch) and
// pickle_calls.cpp (applying allowed callables, BUILD). Not a public
// interface: include only from src/pedigree/formats/pickle*.cpp.
#pragma once

#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pedigree/formats/pickle/pickle.hpp"
#include "pedigree/formats/pickle/pickle_detail.hpp"

namespace pedigree::formats::pickle::detail {

inline Value make_value(Kind kind, bool boolean = false, double real = 0, std::string text = {}) {
  Value v;
  v.kind = kind;
  v.boolean = boolean;
  v.real = real;
  v.text = std::move(text);
  return v;
}

class Machine {
public:
  Machine(ByteView bytes, std::uint64_t base, const Limits& limits)
      : m_in(bytes, base), m_limits(limits) {}

  Result<Pickle> run() {
    for (;;) {
      m_op_offset = m_in.file_offset();
      PD_ASSIGN_OR_RETURN(auto op, m_in.read_u8("pickle opcode"));
      PD_ASSIGN_OR_RETURN(bool stop, step(op));
      if (stop) break;
    }
    m_out.end_offset = m_in.file_offset();
    return std::move(m_out);
  }

private:
  std::unexpected<Error> fail(std::string what) const {
    return corruption("pickle " + what + " at offset " + std::to_string(m_op_offset));
  }

  Value& at(ValueId id) { return m_out.values[id]; }

  Result<ValueId> add(Value v) {
    if (m_out.values.size() >= m_limits.max_objects) {
      return fail("builds more than " + std::to_string(m_limits.max_objects) + " objects");
    }
    v.offset = m_op_offset;
    m_out.values.push_back(std::move(v));
    return static_cast<ValueId>(m_out.values.size() - 1);
  }

  Result<void> push(ValueId id) {
    if (m_stack.size() >= m_limits.max_stack) {
      return fail("stack exceeds " + std::to_string(m_limits.max_stack) + " values");
    }
    m_stack.push_back(id);
    return {};
  }

  Result<void> push_new(Value v) {
    PD_ASSIGN_OR_RETURN(auto id, add(std::move(v)));
    return push(id);
  }

  std::size_t frame_base() const { return m_marks.empty() ? 0 : m_marks.back(); }

  Result<void> need(std::size_t n) const {
    if (m_stack.size() - frame_base() < n) return fail("stack underflow");
    return {};
  }

  Result<ValueId> pop() {
    PD_TRY(need(1));
    ValueId id = m_stack.back();
    m_stack.pop_back();
    return id;
  }

  Result<std::vector<ValueId>> pop_mark() {
    if (m_marks.empty()) return fail("needs a MARK but none is open");
    std::vector<ValueId> items(m_stack.begin() + static_cast<std::ptrdiff_t>(m_marks.back()),
                               m_stack.end());
    m_stack.resize(m_marks.back());
    m_marks.pop_back();
    return items;
  }

  // Records the nesting of `child` inside `parent`, refusing excessive depth.
  Result<void> nest(ValueId parent, ValueId child) {
    const std::uint32_t d = at(child).depth + 1;
    if (d > m_limits.max_depth) {
      return fail("nests containers deeper than " + std::to_string(m_limits.max_depth));
    }
    if (d > at(parent).depth) at(parent).depth = d;
    return {};
  }

  // Counts references stored in containers, so copying calls cannot amplify memory.
  Result<void> count_refs(std::size_t n) {
    m_refs += n;
    if (m_refs > m_limits.max_refs) {
      return fail("stores more than " + std::to_string(m_limits.max_refs) + " references");
    }
    return {};
  }

  Result<ValueId> container(Kind kind, std::vector<ValueId> items) {
    PD_TRY(count_refs(items.size()));
    Value v;
    v.kind = kind;
    PD_ASSIGN_OR_RETURN(auto id, add(std::move(v)));
    for (ValueId item : items) PD_TRY(nest(id, item));
    at(id).items = std::move(items);
    return id;
  }

  Result<void> extend(Kind want, std::vector<ValueId> items, std::string_view op) {
    PD_TRY(need(1));
    const ValueId target = m_stack.back();
    if (at(target).kind != want) return fail(std::string(op) + " on a value of the wrong type");
    if (want == Kind::k_dict && items.size() % 2 != 0) return fail("SETITEMS with an odd count");
    PD_TRY(count_refs(items.size()));
    for (ValueId item : items) PD_TRY(nest(target, item));
    auto& dst = at(target).items;
    dst.insert(dst.end(), items.begin(), items.end());
    return {};
  }

  // Reads a protocol-0 argument line up to (not including) its newline.
  Result<std::string_view> line(std::string_view what) {
    ByteReader probe = m_in;
    PD_ASSIGN_OR_RETURN(auto rest, probe.read_bytes(probe.remaining(), what));
    const void* nl = std::memchr(rest.data(), '\n', rest.size());
    if (nl == nullptr) return fail(std::string(what) + " has no terminating newline");
    const auto n = static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - rest.data());
    PD_ASSIGN_OR_RETURN(auto bytes, m_in.read_bytes(n, what));
    PD_TRY(m_in.skip(1, what));
    return as_string_view(bytes);
  }

  Result<void> push_text(Kind kind, std::string_view bytes) {
    if (kind == Kind::k_string && !is_valid_utf8(bytes)) return fail("string is not valid UTF-8");
    Value v;
    v.kind = kind;
    v.text.assign(bytes);
    return push_new(std::move(v));
  }

  template <typename Len>
  Result<void> counted(Kind kind, Len length) {
    if (length > m_in.remaining()) {
      return fail("string of " + std::to_string(length) + " bytes exceeds the " +
                  std::to_string(m_in.remaining()) + " bytes left");
    }
    PD_ASSIGN_OR_RETURN(auto bytes,
                        m_in.read_bytes(static_cast<std::size_t>(length), "pickle string"));
    return push_text(kind, as_string_view(bytes));
  }

  Result<void> push_int(std::int64_t value) {
    Value v;
    v.kind = Kind::k_int;
    v.integer = value;
    return push_new(std::move(v));
  }

  Result<void> push_long(ByteView le) {
    if (le.size() <= 8) {
      std::uint64_t u = 0;
      for (std::size_t i = 0; i < le.size(); ++i) u |= static_cast<std::uint64_t>(le[i]) << (8 * i);
      if (!le.empty() && le.size() < 8 && (le.back() & 0x80)) u |= ~0ull << (8 * le.size());
      return push_int(static_cast<std::int64_t>(u));
    }
    // Wider than 64 bits: "0x" + big-endian hex when non-negative (e.g. torch's
    // legacy magic number), otherwise a description.
    Value v;
    v.kind = Kind::k_big_int;
    if (le.back() & 0x80) {
      v.text = "negative " + std::to_string(le.size()) + "-byte integer";
    } else {
      static constexpr char k_hex[] = "0123456789abcdef";
      std::size_t top = le.size();
      while (top > 1 && le[top - 1] == 0) --top;
      v.text = "0x";
      for (std::size_t i = top; i-- > 0;) {
        if (i + 1 == top && le[i] < 0x10) {
          v.text += k_hex[le[i]];
        } else {
          v.text += k_hex[le[i] >> 4];
          v.text += k_hex[le[i] & 15];
        }
      }
    }
    return push_new(std::move(v));
  }

  Result<void> push_global(std::string_view raw_module, std::string_view name) {
    const std::string_view module = detail::modern_module(raw_module);
    const bool allowed = detail::global_role(module, name) != GlobalRole::k_refused;
    bool seen = false;
    for (const auto& g : m_out.globals) seen = seen || (g.module == module && g.name == name);
    if (!seen) m_out.globals.push_back({std::string(module), std::string(name), allowed});
    if (!allowed) {
      return fail("references disallowed global " + std::string(module) + "." + std::string(name));
    }
    Value v;
    v.kind = Kind::k_global;
    v.text.assign(module);
    v.name.assign(name);
    return push_new(std::move(v));
  }

  Result<void> memo_put(std::uint64_t index) {
    PD_TRY(need(1));
    if (!m_memo.contains(index) && m_memo.size() >= m_limits.max_memo) {
      return fail("memo exceeds " + std::to_string(m_limits.max_memo) + " entries");
    }
    m_memo[index] = m_stack.back();
    return {};
  }

  Result<void> memo_get(std::uint64_t index) {
    auto it = m_memo.find(index);
    if (it == m_memo.end())
      return fail("memo index " + std::to_string(index) + " was never stored");
    return push(it->second);
  }

  Result<ValueId> fold_call(ValueId callable, ValueId args, std::optional<ValueId> kwargs);
  Result<bool> step(std::uint8_t op);
  Result<void> build();

  ByteReader m_in;
  Limits m_limits;
  Pickle m_out;
  std::vector<ValueId> m_stack;
  std::vector<std::size_t> m_marks;
  std::unordered_map<std::uint64_t, ValueId> m_memo;
  std::uint64_t m_op_offset = 0;
  std::size_t m_refs = 0;
};

}  // namespace pedigree::formats::pickle::detail
