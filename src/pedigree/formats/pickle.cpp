// The restricted pickle interpreter (see pickle.hpp and docs/formats/pickle-subset.md).
#include "pedigree/formats/pickle.hpp"

#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "pedigree/formats/pickle_detail.hpp"

namespace pedigree::formats::pickle {
namespace {

using detail::GlobalRole;

Value make_value(Kind kind, bool boolean = false, double real = 0, std::string text = {}) {
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

// Applies an allowed callable: structural builtins become plain values; every
// other call is recorded as a Call node for the caller to interpret.
Result<ValueId> Machine::fold_call(ValueId callable, ValueId args, std::optional<ValueId> kwargs) {
  const Value& fn = at(callable);
  if (fn.kind != Kind::k_global ||
      detail::global_role(fn.text, fn.name) != GlobalRole::k_callable) {
    const std::string what = fn.kind == Kind::k_global ? fn.text + "." + fn.name : "a non-global";
    return fail("calls " + what + ", which is not an allowed callable");
  }
  if (at(args).kind != Kind::k_tuple) return fail("call arguments are not a tuple");
  const std::string full = fn.text + "." + fn.name;
  std::vector<ValueId> a;  // folded callables take at most two arguments
  if (at(args).items.size() <= 2) a = at(args).items;
  const bool no_args = at(args).items.empty();
  if (full == "collections.OrderedDict" && no_args && !kwargs) {
    return container(Kind::k_dict, {});
  }
  if ((full == "builtins.set" || full == "builtins.frozenset") && !kwargs) {
    if (no_args) return container(Kind::k_set, {});
    const Kind k = a.size() == 1 ? at(a[0]).kind : Kind::k_none;
    if (a.size() == 1 && (k == Kind::k_list || k == Kind::k_tuple || k == Kind::k_set)) {
      return container(Kind::k_set, at(a[0]).items);
    }
    return fail("calls " + full + " with unexpected arguments");
  }
  if ((full == "_codecs.encode" || full == "builtins.bytearray") && !kwargs) {
    if (no_args && full == "builtins.bytearray") return add(make_value(Kind::k_bytes));
    if (a.size() == 1 && at(a[0]).kind == Kind::k_bytes) {
      PD_TRY(count_refs(at(a[0]).text.size()));  // copied bytes count against the same budget
      return add(make_value(Kind::k_bytes, false, 0, at(a[0]).text));
    }
    if (a.size() != 2 || at(a[0]).kind != Kind::k_string || at(a[1]).kind != Kind::k_string) {
      return fail("calls " + full + " with unexpected arguments");
    }
    PD_TRY(count_refs(at(a[0]).text.size()));
    const std::string& enc = at(a[1]).text;
    const std::string& s = at(a[0]).text;
    Value out = make_value(Kind::k_bytes);
    if (enc == "latin1" || enc == "latin-1" || enc == "iso-8859-1") {
      for (std::size_t i = 0; i < s.size(); ++i) {  // UTF-8 code points <= U+00FF to bytes
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
          out.text += static_cast<char>(c);
        } else if ((c == 0xC2 || c == 0xC3) && i + 1 < s.size()) {
          out.text += static_cast<char>(((c & 0x03) << 6) | (s[++i] & 0x3F));
        } else {
          return fail("calls " + full + " with a character outside Latin-1");
        }
      }
    } else if (enc == "utf-8" || enc == "utf8") {
      out.text = s;
    } else {
      return fail("calls " + full + " with encoding '" + enc + "'");
    }
    return add(std::move(out));
  }
  std::vector<ValueId> items = {callable, args};
  if (kwargs) items.push_back(*kwargs);
  return container(Kind::k_call, std::move(items));
}

Result<void> Machine::build() {
  PD_ASSIGN_OR_RETURN(auto state, pop());
  PD_TRY(need(1));
  const ValueId target = m_stack.back();
  const Kind k = at(target).kind;
  if (k != Kind::k_dict && k != Kind::k_call) {
    return fail("BUILD on a value that is not a dict or an allowed object");
  }
  PD_TRY(nest(target, state));
  at(target).state = state;
  return {};
}

Result<bool> Machine::step(std::uint8_t op) {
  switch (op) {
    case '(':
      if (m_marks.size() >= m_limits.max_marks) {
        return fail("nests more than " + std::to_string(m_limits.max_marks) + " MARKs");
      }
      m_marks.push_back(m_stack.size());
      return false;
    case '.': {
      PD_ASSIGN_OR_RETURN(m_out.root, pop());
      return true;
    }
    case '0':
      if (m_stack.size() > frame_base()) {
        m_stack.pop_back();
      } else if (!m_marks.empty()) {
        m_marks.pop_back();
      } else {
        return fail("POP on an empty stack");
      }
      return false;
    case '1': PD_TRY(pop_mark()); return false;
    case '2':
      PD_TRY(need(1));
      PD_TRY(push(m_stack.back()));
      return false;
    case 'F': {
      PD_ASSIGN_OR_RETURN(auto text, line("FLOAT"));
      double value = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      if (ec != std::errc() || p != text.data() + text.size()) return fail("FLOAT is not a number");
      PD_TRY(push_new(make_value(Kind::k_float, false, value)));
      return false;
    }
    case 'I':
    case 'L': {
      PD_ASSIGN_OR_RETURN(auto text, line("INT"));
      if (op == 'I' && (text == "00" || text == "01")) {
        PD_TRY(push_new(make_value(Kind::k_bool, text == "01")));
        return false;
      }
      auto value = detail::parse_decimal(text);
      if (value) {
        PD_TRY(push_int(*value));
      } else {
        if (text.empty() || text.find_first_not_of("+-0123456789L") != std::string_view::npos) {
          return fail("INT/LONG is not a decimal number");
        }
        PD_TRY(push_new(make_value(Kind::k_big_int, false, 0, std::string(text))));
      }
      return false;
    }
    case 'J': {
      PD_ASSIGN_OR_RETURN(auto v, m_in.read_le32("BININT"));
      PD_TRY(push_int(static_cast<std::int32_t>(v)));
      return false;
    }
    case 'K': {
      PD_ASSIGN_OR_RETURN(auto v, m_in.read_u8("BININT1"));
      PD_TRY(push_int(v));
      return false;
    }
    case 'M': {
      PD_ASSIGN_OR_RETURN(auto v, m_in.read_le16("BININT2"));
      PD_TRY(push_int(v));
      return false;
    }
    case 'N': PD_TRY(push_new(make_value(Kind::k_none))); return false;
    case 'P': {
      PD_ASSIGN_OR_RETURN(auto text, line("PERSID"));
      PD_TRY(push_text(Kind::k_string, text));
      PD_ASSIGN_OR_RETURN(auto pid, pop());
      PD_ASSIGN_OR_RETURN(auto id, container(Kind::k_persistent, {pid}));
      PD_TRY(push(id));
      return false;
    }
    case 'Q': {
      PD_ASSIGN_OR_RETURN(auto pid, pop());
      PD_ASSIGN_OR_RETURN(auto id, container(Kind::k_persistent, {pid}));
      PD_TRY(push(id));
      return false;
    }
    case 'R':
    case 0x81: {
      PD_ASSIGN_OR_RETURN(auto args, pop());
      PD_ASSIGN_OR_RETURN(auto fn, pop());
      PD_ASSIGN_OR_RETURN(auto id, fold_call(fn, args, std::nullopt));
      PD_TRY(push(id));
      return false;
    }
    case 0x92: {
      PD_ASSIGN_OR_RETURN(auto kwargs, pop());
      PD_ASSIGN_OR_RETURN(auto args, pop());
      PD_ASSIGN_OR_RETURN(auto fn, pop());
      PD_ASSIGN_OR_RETURN(auto id, fold_call(fn, args, kwargs));
      PD_TRY(push(id));
      return false;
    }
    case 'S': {
      PD_ASSIGN_OR_RETURN(auto text, line("STRING"));
      auto decoded = detail::decode_quoted_string(text);
      if (!decoded) return fail(decoded.error().message());
      PD_TRY(push_text(is_valid_utf8(*decoded) ? Kind::k_string : Kind::k_bytes, *decoded));
      return false;
    }
    case 'V': {
      PD_ASSIGN_OR_RETURN(auto text, line("UNICODE"));
      auto decoded = detail::decode_raw_unicode_escape(text);
      if (!decoded) return fail(decoded.error().message());
      PD_TRY(push_text(Kind::k_string, *decoded));
      return false;
    }
    case 'T':
    case 'U': {
      std::uint64_t n = 0;
      if (op == 'T') {
        PD_ASSIGN_OR_RETURN(auto v, m_in.read_le32("BINSTRING length"));
        if (static_cast<std::int32_t>(v) < 0) return fail("BINSTRING has a negative length");
        n = v;
      } else {
        PD_ASSIGN_OR_RETURN(n, m_in.read_u8("SHORT_BINSTRING length"));
      }
      if (n > m_in.remaining())
        return fail("string of " + std::to_string(n) + " bytes exceeds the input");
      PD_ASSIGN_OR_RETURN(auto bytes, m_in.read_bytes(static_cast<std::size_t>(n), "BINSTRING"));
      const auto text = as_string_view(bytes);
      PD_TRY(push_text(is_valid_utf8(text) ? Kind::k_string : Kind::k_bytes, text));
      return false;
    }
    case 'X': {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_le32("BINUNICODE length"));
      PD_TRY(counted(Kind::k_string, n));
      return false;
    }
    case 0x8c: {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_u8("SHORT_BINUNICODE length"));
      PD_TRY(counted(Kind::k_string, n));
      return false;
    }
    case 0x8d: {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_le64("BINUNICODE8 length"));
      PD_TRY(counted(Kind::k_string, n));
      return false;
    }
    case 'B': {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_le32("BINBYTES length"));
      PD_TRY(counted(Kind::k_bytes, n));
      return false;
    }
    case 'C': {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_u8("SHORT_BINBYTES length"));
      PD_TRY(counted(Kind::k_bytes, n));
      return false;
    }
    case 0x8e:
    case 0x96: {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_le64("BINBYTES8 length"));
      PD_TRY(counted(Kind::k_bytes, n));
      return false;
    }
    case 'a': {
      PD_ASSIGN_OR_RETURN(auto item, pop());
      PD_TRY(extend(Kind::k_list, {item}, "APPEND"));
      return false;
    }
    case 'e': {
      PD_ASSIGN_OR_RETURN(auto items, pop_mark());
      PD_TRY(extend(Kind::k_list, std::move(items), "APPENDS"));
      return false;
    }
    case 's': {
      PD_ASSIGN_OR_RETURN(auto value, pop());
      PD_ASSIGN_OR_RETURN(auto key, pop());
      PD_TRY(extend(Kind::k_dict, {key, value}, "SETITEM"));
      return false;
    }
    case 'u': {
      PD_ASSIGN_OR_RETURN(auto items, pop_mark());
      PD_TRY(extend(Kind::k_dict, std::move(items), "SETITEMS"));
      return false;
    }
    case 0x90: {
      PD_ASSIGN_OR_RETURN(auto items, pop_mark());
      PD_TRY(extend(Kind::k_set, std::move(items), "ADDITEMS"));
      return false;
    }
    case 'b': PD_TRY(build()); return false;
    case 'c':
    case 'i': {
      PD_ASSIGN_OR_RETURN(auto module, line("GLOBAL module"));
      PD_ASSIGN_OR_RETURN(auto name, line("GLOBAL name"));
      PD_TRY(push_global(module, name));
      if (op == 'i') {  // INST: the marked items are the arguments
        PD_ASSIGN_OR_RETURN(auto fn, pop());
        PD_ASSIGN_OR_RETURN(auto items, pop_mark());
        PD_ASSIGN_OR_RETURN(auto args, container(Kind::k_tuple, std::move(items)));
        PD_ASSIGN_OR_RETURN(auto id, fold_call(fn, args, std::nullopt));
        PD_TRY(push(id));
      }
      return false;
    }
    case 'o': {
      PD_ASSIGN_OR_RETURN(auto items, pop_mark());
      if (items.empty()) return fail("OBJ without a class");
      const ValueId fn = items.front();
      items.erase(items.begin());
      PD_ASSIGN_OR_RETURN(auto args, container(Kind::k_tuple, std::move(items)));
      PD_ASSIGN_OR_RETURN(auto id, fold_call(fn, args, std::nullopt));
      PD_TRY(push(id));
      return false;
    }
    case 0x93: {
      PD_ASSIGN_OR_RETURN(auto name, pop());
      PD_ASSIGN_OR_RETURN(auto module, pop());
      if (at(name).kind != Kind::k_string || at(module).kind != Kind::k_string) {
        return fail("STACK_GLOBAL with non-string names");
      }
      const std::string m = at(module).text, n = at(name).text;
      PD_TRY(push_global(m, n));
      return false;
    }
    case 'd':
    case 'l':
    case 't':
    case 0x91: {
      PD_ASSIGN_OR_RETURN(auto items, pop_mark());
      if (op == 'd' && items.size() % 2 != 0) return fail("DICT with an odd count");
      const Kind k = op == 'd'   ? Kind::k_dict
                     : op == 'l' ? Kind::k_list
                     : op == 't' ? Kind::k_tuple
                                 : Kind::k_set;
      PD_ASSIGN_OR_RETURN(auto id, container(k, std::move(items)));
      PD_TRY(push(id));
      return false;
    }
    case '}':
    case ']':
    case ')':
    case 0x8f: {
      const Kind k = op == '}'   ? Kind::k_dict
                     : op == ']' ? Kind::k_list
                     : op == ')' ? Kind::k_tuple
                                 : Kind::k_set;
      PD_ASSIGN_OR_RETURN(auto id, container(k, {}));
      PD_TRY(push(id));
      return false;
    }
    case 0x85:
    case 0x86:
    case 0x87: {
      const std::size_t n = op - 0x84u;
      PD_TRY(need(n));
      std::vector<ValueId> items(m_stack.end() - static_cast<std::ptrdiff_t>(n), m_stack.end());
      m_stack.resize(m_stack.size() - n);
      PD_ASSIGN_OR_RETURN(auto id, container(Kind::k_tuple, std::move(items)));
      PD_TRY(push(id));
      return false;
    }
    case 0x88:
    case 0x89: PD_TRY(push_new(make_value(Kind::k_bool, op == 0x88))); return false;
    case 0x8a: {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_u8("LONG1 length"));
      PD_ASSIGN_OR_RETURN(auto bytes, m_in.read_bytes(n, "LONG1"));
      PD_TRY(push_long(bytes));
      return false;
    }
    case 0x8b: {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_le32("LONG4 length"));
      if (static_cast<std::int32_t>(n) < 0) return fail("LONG4 has a negative length");
      PD_ASSIGN_OR_RETURN(auto bytes, m_in.read_bytes(n, "LONG4"));
      PD_TRY(push_long(bytes));
      return false;
    }
    case 'G': {
      PD_ASSIGN_OR_RETURN(auto raw, m_in.read_bytes(8, "BINFLOAT"));
      std::uint64_t bits = 0;
      for (auto b : raw) bits = (bits << 8) | b;  // big-endian
      PD_TRY(push_new(make_value(Kind::k_float, false, std::bit_cast<double>(bits))));
      return false;
    }
    case 'g': {
      PD_ASSIGN_OR_RETURN(auto text, line("GET"));
      auto index = detail::parse_decimal(text);
      if (!index || *index < 0) return fail("GET index is not a number");
      PD_TRY(memo_get(static_cast<std::uint64_t>(*index)));
      return false;
    }
    case 'h': {
      PD_ASSIGN_OR_RETURN(auto i, m_in.read_u8("BINGET"));
      PD_TRY(memo_get(i));
      return false;
    }
    case 'j': {
      PD_ASSIGN_OR_RETURN(auto i, m_in.read_le32("LONG_BINGET"));
      PD_TRY(memo_get(i));
      return false;
    }
    case 'p': {
      PD_ASSIGN_OR_RETURN(auto text, line("PUT"));
      auto index = detail::parse_decimal(text);
      if (!index || *index < 0) return fail("PUT index is not a number");
      PD_TRY(memo_put(static_cast<std::uint64_t>(*index)));
      return false;
    }
    case 'q': {
      PD_ASSIGN_OR_RETURN(auto i, m_in.read_u8("BINPUT"));
      PD_TRY(memo_put(i));
      return false;
    }
    case 'r': {
      PD_ASSIGN_OR_RETURN(auto i, m_in.read_le32("LONG_BINPUT"));
      PD_TRY(memo_put(i));
      return false;
    }
    case 0x94: PD_TRY(memo_put(m_memo.size())); return false;
    case 0x80: {
      PD_ASSIGN_OR_RETURN(auto v, m_in.read_u8("PROTO"));
      if (v > 5) return fail("protocol " + std::to_string(v) + " is newer than 5");
      return false;
    }
    case 0x95: {
      PD_ASSIGN_OR_RETURN(auto n, m_in.read_le64("FRAME length"));
      if (n > m_in.remaining())
        return fail("FRAME of " + std::to_string(n) + " bytes exceeds the input");
      return false;
    }
    case 0x82:
    case 0x83:
    case 0x84: return fail("uses the copyreg extension registry (EXT opcodes)");
    case 0x97:
    case 0x98: return fail("uses out-of-band buffers (protocol 5), which are not supported");
    default: {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", op);
      return fail(std::string("has unknown opcode ") + hex);
    }
  }
}

}  // namespace

Result<Pickle> parse_pickle(ByteView bytes, std::uint64_t base_offset, const Limits& limits) {
  Machine machine(bytes, base_offset, limits);
  return machine.run();
}

}  // namespace pedigree::formats::pickle
