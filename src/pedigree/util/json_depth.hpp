// A cheap pre-check of JSON nesting, run on untrusted text before a JSON
// library builds a value from it (deep nesting would exhaust its stack).
#pragma once

#include <string_view>

namespace pedigree {

// True when `[`/`{` nesting outside strings never exceeds `max_depth`.
// Does not validate the JSON; the parser that follows does.
bool json_nesting_within(std::string_view text, int max_depth);

}  // namespace pedigree
