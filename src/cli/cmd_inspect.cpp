// `pedigree inspect FILE|DIR [--json]`: what a checkpoint holds (docs/cli.md).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "pedigree/formats/inspect.hpp"

namespace pedigree::cli {
namespace {

using formats::InspectReport;

struct InspectOptions {
  std::string path;
  bool json = false;
};

// 1234567 -> "1,234,567".
std::string grouped(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string dtype_list(const std::map<std::string, std::uint64_t>& dtypes) {
  std::string out;
  for (const auto& [name, count] : dtypes) {
    if (!out.empty()) out += ", ";
    out += name;
    if (dtypes.size() > 1) out += " " + grouped(count);
  }
  return out;
}

// Untrusted text on one line, escaped by terminal_safe(), cut after about
// `limit` bytes (at a character boundary) with "...".
std::string clip_text(std::string_view text, std::size_t limit = 72) {
  // Each input byte becomes at most 6 output bytes, so this prefix is enough.
  std::string out = terminal_safe(text.substr(0, std::min(text.size(), 6 * limit + 8)));
  if (out.size() <= limit && text.size() <= 6 * limit + 8) return out;
  std::size_t cut = std::min(limit, out.size());
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
  return out.substr(0, cut) + "...";
}

std::string short_hash(const formats::RecipeParent& p) {
  if (!p.sha256.empty()) return p.sha256.substr(0, 12);
  if (!p.short_hash.empty()) return p.short_hash;
  return "-";
}

void print_recipes(std::ostream& os, const InspectReport& r) {
  if (r.recipes.recipes.empty() && r.recipes.problems.empty()) return;
  os << "  recipes       (claims from metadata: anyone can write them)\n";
  for (const auto& recipe : r.recipes.recipes) {
    os << "    " << formats::recipe_source_name(recipe.source);
    if (!recipe.method.empty()) os << ": " << clip_text(recipe.method, 40);
    if (!recipe.subject_sha256.empty())
      os << " (how " << clip_text(recipe.subject_sha256.substr(0, 12), 16) << " was made)";
    os << "\n";
    std::size_t shown = 0;
    for (const auto& p : recipe.parents) {
      if (++shown > 12) {
        os << "      ... " << recipe.parents.size() - 12 << " more\n";
        break;
      }
      os << "      " << clip_text(p.role, 40) << " " << clip_text(short_hash(p), 16);
      if (p.weight) os << " weight " << *p.weight;
      if (!p.block_weights.empty()) os << " block weights (26)";
      if (!p.name.empty()) os << "  " << clip_text(p.name, 48);
      os << "\n";
    }
  }
  for (const auto& problem : r.recipes.problems) {
    os << "    problem: " << clip_text(problem.key, 40) << ": " << clip_text(problem.message)
       << "\n";
  }
}

void print_clip(std::ostream& os, const InspectReport& r) {
  const auto& p = r.position_ids;
  os << "  CLIP          " << (r.old_clip_prefix ? "old NAI prefix" : "current prefix")
     << "; position_ids " << formats::position_ids_state_name(p.state);
  if (p.state != formats::PositionIdsState::k_missing) {
    os << " (" << clip_text(p.dtype, 16) << ", " << p.count << " values";
    if (p.first_wrong_index) {
      os << "; " << p.wrong << " off, e.g. [" << *p.first_wrong_index << "] = ";
      if (p.first_wrong_value) os << *p.first_wrong_value;
    }
    os << ")";
  }
  if (p.state == formats::PositionIdsState::k_non_integer) os << ": a merge-arithmetic hint";
  os << "\n";
}

void print_inspect_report(std::ostream& os, const InspectReport& r) {
  os << clip_text(r.path.string(), 200) << "\n";
  os << "  format        " << formats::format_name(r.format) << ", " << grouped(r.size) << " bytes";
  if (r.sources.size() > 1) os << " in " << r.sources.size() << " files";
  os << "\n";
  os << "  architecture  " << formats::architecture_title(r.architecture) << "\n";
  os << "  tensors       " << grouped(r.tensors) << " (" << grouped(r.parameters)
     << " parameters)\n";
  for (int c = 0; c < formats::k_component_count; ++c) {
    const auto& s = r.components[static_cast<std::size_t>(c)];
    if (s.tensors == 0) continue;
    char line[128];
    std::snprintf(line, sizeof line, "    %-13s %7s tensors %14s params  ",
                  std::string(formats::component_name(static_cast<formats::Component>(c))).c_str(),
                  grouped(s.tensors).c_str(), grouped(s.parameters).c_str());
    os << line << dtype_list(s.dtypes) << "\n";
  }
  os << "  EMA           " << (r.ema_tensors ? grouped(r.ema_tensors) + " tensors" : "none")
     << "\n";
  const auto& p = r.position_ids;
  const auto& te = r.components[static_cast<std::size_t>(formats::Component::k_text_encoder)];
  if (te.tensors == 0 && p.state == formats::PositionIdsState::k_missing) {
    os << "  CLIP          no text encoder\n";
  } else {
    print_clip(os, r);
  }
  if (!r.metadata.empty()) {
    os << "  metadata      " << r.metadata.size() << " keys\n";
    for (const auto& [k, v] : r.metadata) {
      os << "    " << clip_text(k, 40) << " = ";
      if (v.size() > 80) {
        os << "(" << grouped(v.size()) << " bytes)\n";
      } else {
        os << clip_text(v, 80) << "\n";
      }
    }
  }
  print_recipes(os, r);
  for (const auto& [k, v] : r.scalars)
    os << "  scalar        " << clip_text(k, 40) << " = " << clip_text(v, 40) << "\n";
  if (r.is_torch) {
    bool all = true;
    for (const auto& g : r.globals) all &= g.allowed;
    os << "  pickle        " << r.globals.size() << " globals, "
       << (all ? "all allowed" : "SOME NOT ALLOWED") << "\n";
    for (const auto& g : r.globals) {
      os << "    " << (g.allowed ? "  " : "! ") << clip_text(g.module, 60) << "."
         << clip_text(g.name, 60) << "\n";
    }
  }
  for (const auto& w : r.warnings) os << "  warning       " << clip_text(w, 160) << "\n";
}

int run_inspect(const InspectOptions& options) {
  auto report = formats::inspect_path(options.path);
  if (!report) return report_error(report.error());
  if (options.json) {
    print_json(formats::inspect_to_json(*report));
  } else {
    print_inspect_report(std::cout, *report);
  }
  return k_exit_ok;
}

}  // namespace

void setup_inspect(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<InspectOptions>();
  CLI::App* sub = app.add_subcommand(
      "inspect",
      "Show what a checkpoint holds: format, components, architecture, CLIP ids, recipes");
  sub->add_option("path", options->path, "checkpoint file or diffusers folder")->required();
  sub->add_flag("--json", options->json, "print the report as JSON (docs/json/inspect.md)");
  sub->callback([options, &exit_code] { exit_code = run_inspect(*options); });
}

}  // namespace pedigree::cli
