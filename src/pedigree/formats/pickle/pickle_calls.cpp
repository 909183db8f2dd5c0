// Applying allowed callables and BUILD for the restricted pickle interpreter.
#include <string>

#include "pedigree/formats/pickle/pickle_machine.hpp"

namespace pedigree::formats::pickle::detail {

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

}  // namespace pedigree::formats::pickle::detail
