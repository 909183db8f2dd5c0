// The restricted pickle interpreter (see pickle.hpp and docs/formats/pickle-subset.md).
#include "pedigree/formats/pickle/pickle.hpp"

#include <bit>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "pedigree/formats/pickle/pickle_machine.hpp"

namespace pedigree::formats::pickle {
namespace detail {

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

}  // namespace detail

Result<Pickle> parse_pickle(ByteView bytes, std::uint64_t base_offset, const Limits& limits) {
  detail::Machine machine(bytes, base_offset, limits);
  return machine.run();
}

}  // namespace pedigree::formats::pickle
