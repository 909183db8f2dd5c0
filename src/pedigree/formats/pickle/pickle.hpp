// A restricted pickle interpreter: reads Python pickles (protocols 0-5) into an
// inert value tree, and never executes anything.
//
// GLOBAL / STACK_GLOBAL / INST names are resolved against a fixed allowlist
// (PyTorch's weights_only allowlist plus the Lightning ModelCheckpoint and numpy
// scalar globals real Stable Diffusion checkpoints carry). Any other global is
// refused by name ("pickle references disallowed global posix.system at offset
// 57"). Calls (REDUCE, NEWOBJ, NEWOBJ_EX, INST, OBJ) are recorded as Call nodes,
// never performed; only a few structural callables are folded into plain values
// (collections.OrderedDict() -> dict, builtins.set/frozenset -> set,
// _codecs.encode -> bytes). docs/formats/pickle-subset.md lists every opcode,
// the allowlist and the limits.
//
// Values live in an arena (Pickle::values) and refer to each other by index,
// so shared and even self-referencing containers are representable without
// ownership cycles; code walking the tree must bound its own depth.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// A global a pickle referenced, and whether pedigree's allowlist permitted it
// (Checkpoint::globals lists them for `inspect`).
struct PickleGlobal {
  std::string module;
  std::string name;
  bool allowed = false;
};

}  // namespace pedigree::formats

namespace pedigree::formats::pickle {

using ValueId = std::uint32_t;

enum class Kind : std::uint8_t {
  k_none,
  k_bool,
  k_int,         // fits in int64: `integer`
  k_big_int,     // wider than 64 bits: `text` holds its description
  k_float,       // `real`
  k_string,      // UTF-8 in `text`
  k_bytes,       // raw bytes in `text`
  k_list,        // `items`
  k_tuple,       // `items`
  k_dict,        // `items` = key0, value0, key1, value1, ... in insertion order
  k_set,         // `items` (set and frozenset)
  k_global,      // an allowed global: `text` = module, `name` = name
  k_call,        // an allowed callable applied: items = {callable, args[, kwargs]}
  k_persistent,  // a persistent id (BINPERSID/PERSID): items = {pid}
};

struct Value {
  Kind kind = Kind::k_none;
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
  std::string name;
  std::vector<ValueId> items;
  std::optional<ValueId> state;  // BUILD state applied to a dict or call
  std::uint32_t depth = 0;       // container nesting depth when built
  std::uint64_t offset = 0;      // file offset of the opcode that made it
};

// Bounds on everything a hostile pickle could inflate. Each is far above what
// real checkpoints need (an SD1.x checkpoint: ~10k objects, depth < 10).
struct Limits {
  std::size_t max_objects = 4'000'000;
  std::size_t max_stack = 1'000'000;  // values on the stack, all MARK frames together
  std::size_t max_marks = 1'000;      // nested MARKs
  std::size_t max_depth = 1'000;      // nested containers
  std::size_t max_memo = 1'000'000;   // memo entries
  std::size_t max_refs = 16'000'000;  // references held by all containers together
};

struct Pickle {
  std::vector<Value> values;
  ValueId root = 0;
  std::vector<PickleGlobal> globals;  // every global named, in order, without duplicates
  std::uint64_t end_offset = 0;       // file offset just after the STOP opcode

  const Value& at(ValueId id) const { return values[id]; }
};

// Interprets one pickle starting at the beginning of `bytes` (which may continue
// after its STOP). `base_offset` is the file offset of bytes[0], for messages.
// Corruption for malformed input, a disallowed global or call, or an exceeded limit.
Result<Pickle> parse_pickle(ByteView bytes, std::uint64_t base_offset = 0,
                            const Limits& limits = {});

// Whether `module.name` is on the allowlist (after Python 2 module renames).
bool is_allowed_global(std::string_view module, std::string_view name);

// Every global a pickle names, found by walking its opcodes without building
// anything (so it also lists the globals after a refused one). Stops at STOP
// or at the first malformed opcode. STACK_GLOBAL names are recovered when
// pushed by string opcodes or memo gets of strings.
std::vector<PickleGlobal> scan_pickle_globals(ByteView bytes);

// Joins the disallowed globals as "a.b, c.d" (empty when there are none).
std::string disallowed_globals_text(const std::vector<PickleGlobal>& globals);

}  // namespace pedigree::formats::pickle
