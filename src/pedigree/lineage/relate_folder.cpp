#include "pedigree/lineage/relate_folder.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include "pedigree/examine/examine.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/util/hex.hpp"
#include "pedigree/util/terminal_text.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::lineage {

namespace fs = std::filesystem;

namespace {

bool is_model_file(const fs::path& p) {
  const std::string ext = to_lower_ascii(p.extension().string());
  return ext == ".safetensors" || ext == ".ckpt" || ext == ".pt" || ext == ".pth" || ext == ".fp";
}

// Every model file under `inputs`, sorted within each folder, each path once.
std::vector<fs::path> model_files(std::span<const fs::path> inputs,
                                  std::vector<std::pair<std::string, std::string>>& skipped) {
  std::vector<fs::path> out;
  std::set<fs::path> seen;
  auto add = [&](const fs::path& p) {
    std::error_code ec;
    fs::path key = fs::weakly_canonical(p, ec);
    if (ec) key = p;
    if (seen.insert(key).second) out.push_back(p);
  };
  for (const auto& in : inputs) {
    std::error_code ec;
    if (fs::is_directory(in, ec)) {
      std::vector<fs::path> found;
      fs::recursive_directory_iterator it(in, fs::directory_options::skip_permission_denied, ec),
          end;
      if (ec) {
        skipped.push_back({in.string(), "cannot list the folder: " + ec.message()});
        continue;
      }
      for (; it != end; it.increment(ec)) {
        if (ec) {
          skipped.push_back({in.string(), "listing stopped: " + ec.message()});
          break;
        }
        std::error_code fe;
        if (it->is_regular_file(fe) && is_model_file(it->path())) found.push_back(it->path());
      }
      std::sort(found.begin(), found.end());
      for (const auto& f : found) add(f);
    } else if (fs::exists(in, ec)) {
      add(in);
    } else {
      skipped.push_back({in.string(), "no such file or folder"});
    }
  }
  return out;
}

// Whether `fp` holds at least 99% of the base's UNet matrices with their shape.
bool covers_unet(const fingerprint::Fingerprint& fp, const fingerprint::Fingerprint& base) {
  std::size_t total = 0, held = 0;
  for (const auto& t : base.tensors) {
    if (t.component != fingerprint::Component::k_unet || !t.matrix) continue;
    ++total;
    const auto* s = fp.find(t.name);
    if (s && s->shape == t.shape && s->cells.size() == t.cells.size()) ++held;
  }
  return total > 0 && held * 100 >= total * 99;
}

// The common base: the file given, else the earliest-published base reference
// with a fingerprint (the NAI model is a fine-tune of SD1.4, the earliest).
const ReferenceModel* ledger_base(const std::vector<ReferenceModel>& refs) {
  const ReferenceModel* best = nullptr;
  for (const auto& r : refs) {
    if (r.role != Role::k_base || !r.fingerprint) continue;
    auto date = [](const ReferenceModel& m) { return m.published.empty() ? "9999" : m.published; };
    if (!best || date(r) < date(*best)) best = &r;
  }
  return best;
}

std::string format_share(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

}  // namespace

Result<FolderRelation> relate_files(FactSource& source, std::span<const fs::path> inputs,
                                    const RelateFolderOptions& options) {
  FolderRelation out;
  PD_ASSIGN_OR_RETURN(auto refs, source.reference_models());
  std::optional<fingerprint::Fingerprint> base_fp;
  std::string base_sha;
  if (options.base) {
    auto fp = examine::load_fingerprint(*options.base, options.scan);
    if (!fp) return std::unexpected(fp.error().with_context("--base"));
    base_fp = std::move(*fp);
    out.base = options.base->string();
  } else if (const ReferenceModel* b = ledger_base(refs)) {
    base_fp = *b->fingerprint;
    base_sha = b->sha256;
    out.base = b->name;
  } else {
    return not_found(
        "no base fingerprint: the ledger holds none for SD1.4/SD1.5 (check the base file once "
        "with `pedigree check FILE`, or pull a ledger that publishes it) and no --base FILE "
        "was given");
  }

  // The folder's files, each read once (hashes and fingerprint in one pass).
  std::vector<fingerprint::Fingerprint> fps;
  const auto files = model_files(inputs, out.skipped);
  for (std::size_t i = 0; i < files.size(); ++i) {
    const fs::path& f = files[i];
    if (options.on_file) options.on_file(i, files.size(), f);
    RelatedModel m;
    m.id = m.path = f.string();
    m.name = f.filename().string();
    std::optional<fingerprint::Fingerprint> fp;
    if (to_lower_ascii(f.extension().string()) == ".fp") {
      auto loaded = examine::load_fingerprint(f, options.scan);
      if (!loaded) {
        out.skipped.push_back({f.string(), loaded.error().message()});
        continue;
      }
      fp = std::move(*loaded);
    } else {
      auto scanned = scan_file_identity(f, FingerprintPass::k_build, options.scan);
      if (!scanned) {
        out.skipped.push_back({f.string(), scanned.error().message()});
        continue;
      }
      m.sha256 = scanned->identity.sha256;
      if (!scanned->sketch) {
        out.skipped.push_back(
            {f.string(),
             "no fingerprint: " + (scanned->sketch_error.empty() ? std::string("not a checkpoint")
                                                                 : scanned->sketch_error)});
        continue;
      }
      fp = std::move(*scanned->sketch);
    }
    if (!(fp->params.of(fingerprint::Component::k_unet) ==
          base_fp->params.of(fingerprint::Component::k_unet))) {
      out.skipped.push_back({f.string(), "sketched with another UNet sketch size than the base"});
      continue;
    }
    if (!covers_unet(*fp, *base_fp)) {
      out.skipped.push_back(
          {f.string(), "not a whole SD1.x UNet (a LoRA, VAE, text encoder or pruned file)"});
      continue;
    }
    for (const auto& r : refs)
      if (!m.sha256.empty() && r.sha256 == m.sha256) {
        m.name = r.name;
        m.role = r.role;
      }
    m.nai = is_nai_role(m.role);
    out.models.push_back(std::move(m));
    fps.push_back(std::move(*fp));
  }
  // The ledger's other references with a fingerprint: candidate parents.
  for (const auto& r : refs) {
    if (!r.fingerprint || r.sha256 == base_sha || r.role == Role::k_nai_vae) continue;
    if (!covers_unet(*r.fingerprint, *base_fp)) continue;
    RelatedModel m;
    m.id = "ledger:" + r.name;
    m.sha256 = r.sha256;
    m.name = r.name;
    m.role = r.role;
    m.reference = true;
    m.nai = is_nai_role(r.role);
    out.models.push_back(std::move(m));
    fps.push_back(*r.fingerprint);
  }
  std::size_t files_related = 0;
  for (const auto& m : out.models) files_related += m.reference ? 0 : 1;
  if (files_related < 1 || out.models.size() < 2)
    return invalid_argument(
        "relate needs at least one whole SD1.x checkpoint and one more model (" +
        std::to_string(files_related) + " file(s) usable, " + std::to_string(out.skipped.size()) +
        " skipped)");

  std::vector<fingerprint::RelateModel> input;
  for (std::size_t i = 0; i < out.models.size(); ++i)
    input.push_back({out.models[i].id, &fps[i], out.models[i].reference});
  PD_ASSIGN_OR_RETURN(out.relation, fingerprint::relate(input, *base_fp, options.relate));

  // Same weights as a NAI reference is NAI; then NAI shares through the edges.
  for (std::size_t i = 0; i < out.models.size(); ++i)
    if (const auto& s = out.relation.nodes[i].same_as; s && out.models[*s].nai)
      out.models[i].nai = true;
  std::map<std::size_t, std::vector<const fingerprint::RelateEdge*>> parents;
  for (const auto& e : out.relation.edges) parents[e.child].push_back(&e);
  std::vector<std::optional<double>> memo(out.models.size());
  std::vector<bool> visiting(out.models.size(), false);
  std::function<std::optional<double>(std::size_t)> nai_share = [&](std::size_t i) {
    if (out.models[i].nai) return std::optional<double>(1.0);
    if (const auto& s = out.relation.nodes[i].same_as) return nai_share(*s);
    if (memo[i] || visiting[i]) return memo[i];
    visiting[i] = true;
    std::optional<double> sum;
    for (const auto* e : parents[i])
      if (auto p = nai_share(e->parent)) sum = sum.value_or(0) + e->share.share * *p;
    visiting[i] = false;
    if (sum) sum = std::clamp(*sum, 0.0, 1.0);
    memo[i] = sum;
    return sum;
  };
  for (std::size_t i = 0; i < out.models.size(); ++i)
    if (!out.models[i].reference) out.models[i].nai_share = nai_share(i);
  return out;
}

AncestryGraph relation_graph(const FolderRelation& r) {
  AncestryGraph g;
  for (std::size_t i = 0; i < r.models.size(); ++i) {
    const auto& m = r.models[i];
    g.nodes.push_back({m.id, m.name, m.role, m.nai, !m.nai && m.nai_share.has_value()});
  }
  for (const auto& e : r.relation.edges) {
    GraphEdge edge;
    edge.child = r.models[e.child].id;
    edge.parent = r.models[e.parent].id;
    edge.relation = e.kind == fingerprint::RelateKind::k_merge ? "merge" : "fine-tune";
    edge.weight = e.share.share;
    edge.on_nai_path = r.models[e.child].nai_share.has_value() &&
                       (r.models[e.parent].nai || r.models[e.parent].nai_share.has_value());
    g.edges.push_back(edge);
  }
  for (std::size_t i = 0; i < r.models.size(); ++i)
    if (const auto& s = r.relation.nodes[i].same_as) {
      GraphEdge edge;
      edge.child = r.models[i].id;
      edge.parent = r.models[*s].id;
      edge.relation = "same-weights";
      g.edges.push_back(edge);
    }
  return g;
}

nlohmann::json relation_json(const FolderRelation& r) {
  nlohmann::json models = nlohmann::json::array(), edges = nlohmann::json::array(),
                 skipped = nlohmann::json::array();
  for (std::size_t i = 0; i < r.models.size(); ++i) {
    const auto& m = r.models[i];
    const auto& n = r.relation.nodes[i];
    models.push_back(
        {{"id", m.id},
         {"path", m.path.empty() ? nlohmann::json() : nlohmann::json(m.path)},
         {"sha256", m.sha256.empty() ? nlohmann::json() : nlohmann::json(m.sha256)},
         {"name", m.name},
         {"role", m.role == Role::k_none ? nlohmann::json() : nlohmann::json(role_name(m.role))},
         {"ledger_reference", m.reference},
         {"nai", m.nai},
         {"nai_share", m.nai_share ? nlohmann::json(*m.nai_share) : nlohmann::json()},
         {"base", n.base},
         {"same_weights_as",
          n.same_as ? nlohmann::json(r.models[*n.same_as].id) : nlohmann::json()},
         {"explained", n.explained},
         {"update_norm", n.update_norm}});
  }
  for (const auto& e : r.relation.edges)
    edges.push_back(
        {{"child", r.models[e.child].id},
         {"parent", r.models[e.parent].id},
         {"relation", e.kind == fingerprint::RelateKind::k_merge ? "merge" : "fine-tune"},
         {"share", e.share.share},
         {"stderr", e.share.stderr},
         {"blocks", e.blocks ? nlohmann::json(*e.blocks) : nlohmann::json()},
         {"size_reliable", e.size_reliable}});
  for (const auto& [path, why] : r.skipped) skipped.push_back({{"path", path}, {"reason", why}});
  return {{"base", r.base},
          {"models", models},
          {"edges", edges},
          {"skipped", skipped},
          {"tensors_used", r.relation.tensors_used}};
}

std::string relation_text(const FolderRelation& r) {
  std::string out = "base: " + terminal_safe(r.base) + "\n";
  for (std::size_t i = 0; i < r.models.size(); ++i) {
    const auto& m = r.models[i];
    const auto& n = r.relation.nodes[i];
    if (m.reference) continue;
    out += "\n" + terminal_safe(m.name) +
           (m.name != m.path ? "  (" + terminal_safe(m.path) + ")" : "") + "\n";
    if (m.role != Role::k_none) out += "  ledger role: " + std::string(role_name(m.role)) + "\n";
    if (n.base) {
      out += "  the base itself\n";
      continue;
    }
    if (n.same_as) {
      out += "  same weights as " + terminal_safe(r.models[*n.same_as].name) + "\n";
    } else {
      bool any = false;
      for (const auto& e : r.relation.edges) {
        if (e.child != i) continue;
        any = true;
        out += std::string(e.kind == fingerprint::RelateKind::k_merge ? "  merge of "
                                                                      : "  trained from ") +
               terminal_safe(r.models[e.parent].name) + ": share " + format_share(e.share.share) +
               " +/- " + format_share(2 * e.share.stderr) +
               (e.blocks ? "  [" + *e.blocks + "]" : "") +
               (e.size_reliable ? "" : "  (size unreliable)") + "\n";
      }
      if (!any)
        out += "  no parent in the set explains it (explained " + format_share(n.explained) +
               "): a fine-tune of the base, or a merge of models not in the set\n";
    }
    if (m.nai)
      out += "  NAI: this is a NAI reference model\n";
    else if (m.nai_share)
      out +=
          "  NAI: reaches NAI through the merges above, share " + format_share(*m.nai_share) + "\n";
  }
  for (const auto& [path, why] : r.skipped)
    out += "\nskipped " + terminal_safe(path) + ": " + terminal_safe(why) + "\n";
  return out;
}

}  // namespace pedigree::lineage
