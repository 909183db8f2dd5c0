// pedigree attest model|lineage|claim|fingerprint|revoke|raw: builds one
// statement (ledger/attest.hpp), signs it with the user's key and commits it
// to the ledger (Ledger::add_event), printing the event id and path.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/ledger_context.hpp"
#include "cli/signing_key.hpp"
#include "pedigree/crypto/canonical_json.hpp"
#include "pedigree/examine/attest.hpp"
#include "pedigree/hash/hash_kind.hpp"
#include "pedigree/index/resolve_artifact.hpp"
#include "pedigree/ledger/attest.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::cli {
namespace {

struct AttestOptions {
  // common
  std::string key, ledger_dir, passphrase_file;
  bool json = false;
  // model / fingerprint / lineage / claim subject
  std::string target;
  ledger::ModelDetails details;
  bool no_fingerprint = false;
  bool units = false;  // attest fingerprint --units: the unit signatures too
  // lineage
  std::vector<std::string> parents, block_weights;
  std::string relation, method, basis = "author-statement", note;
  bool from_metadata = false;
  // claim
  std::string contains_nai, claim_basis;
  std::vector<std::string> evidence;
  // revoke
  std::string event_id, reason;
  // raw
  std::string raw_kind, subject, subject_name, subject_weights, predicate_file;
};

// What one attest run opened: the signing key, the ledger, and (only when a
// name or short hash must be resolved, or an event looked up) its index.
class Session {
public:
  explicit Session(const AttestOptions& o) : m_opts(o) {}

  Result<void> open() {
    PD_ASSIGN_OR_RETURN(auto key, load_signing_key(m_opts.key, m_opts.passphrase_file));
    m_key.emplace(std::move(key));
    PD_ASSIGN_OR_RETURN(auto where, locate_ledger(m_opts.ledger_dir));
    auto opened = where.is_default
                      ? ledger::Ledger::open_or_create(where.dir, ledger::bundled_ledger_dir())
                      : ledger::Ledger::open(where.dir);
    if (!opened) return std::unexpected(opened.error());
    m_ledger.emplace(std::move(*opened));
    return {};
  }

  Result<index::Index*> index() {
    if (!m_context) {
      PD_ASSIGN_OR_RETURN(auto ctx, open_ledger_context(m_ledger->dir().string()));
      m_context.emplace(std::move(ctx));
    }
    return &m_context->index;
  }

  // A file (hashed), a 64-hex SHA-256, or a hash / name the index resolves.
  Result<ledger::Subject> subject(const std::string& text) {
    std::error_code ec;
    if (std::filesystem::is_regular_file(text, ec)) {
      PD_ASSIGN_OR_RETURN(auto file, read_model_file(text, examine::FingerprintPass::k_skip));
      return ledger::subject_of(file.facts);
    }
    const std::string lower = to_lower_ascii(text);
    if (ledger::is_sha256_hex(lower)) return ledger::Subject{"", lower, ""};
    PD_ASSIGN_OR_RETURN(index::Index * idx, index());
    PD_ASSIGN_OR_RETURN(auto ref, index::resolve_artifact(*idx, text, m_key->key.keyid()));
    return ledger::Subject{ref.name, ref.sha256, ""};
  }

  // One read of the file at most, for its hashes and (k_build) its fingerprint.
  Result<examine::ModelFile> read_model_file(const std::filesystem::path& path,
                                             examine::FingerprintPass fingerprint) {
    std::optional<hash::HashCache> cache;
    if (auto p = hash::HashCache::default_path()) cache = hash::HashCache::load(*p);
    auto file = examine::examine_model_file(path, cache ? &*cache : nullptr, fingerprint);
    if (cache) (void)cache->save();  // a cache that cannot be saved only costs time later
    return file;
  }

  // Signs and commits `st`; records what to print.
  Result<void> add(const ledger::Statement& st) {
    PD_ASSIGN_OR_RETURN(auto added, m_ledger->add_event(m_key->key, m_key->identity, st));
    m_out.push_back({{"kind", ledger::predicate_name(st.kind)},
                     {"subject", st.subject.sha256},
                     {"event", added.event_id},
                     {"path", added.path},
                     {"commit", added.commit},
                     {"already_present", added.already_present}});
    return {};
  }

  void warn(std::string text) { m_warnings.push_back(std::move(text)); }
  const SigningKey& key() const { return *m_key; }

  void print() const {
    if (m_opts.json) {
      print_json({{"events", m_out}, {"warnings", m_warnings}});
      return;
    }
    for (const auto& w : m_warnings) std::cerr << "pedigree: warning: " << terminal_safe(w) << '\n';
    for (const auto& e : m_out) {
      std::cout << terminal_safe(e["kind"].get<std::string>()) << " event "
                << terminal_safe(e["event"].get<std::string>())
                << (e["already_present"].get<bool>() ? " (already in the ledger)" : "") << '\n'
                << "  path    " << terminal_safe(e["path"].get<std::string>()) << '\n';
      if (!e["commit"].get<std::string>().empty()) {
        std::cout << "  commit  " << terminal_safe(e["commit"].get<std::string>()) << '\n';
      }
    }
  }

private:
  const AttestOptions& m_opts;
  std::optional<SigningKey> m_key;
  std::optional<ledger::Ledger> m_ledger;
  std::optional<LedgerContext> m_context;
  nlohmann::json m_out = nlohmann::json::array();
  std::vector<std::string> m_warnings;
};

// One units event per .units file of `path` (docs/formats/units-v1.md).
Result<void> attest_units(Session& s, const std::string& path, const ledger::Subject& subject) {
  PD_ASSIGN_OR_RETURN(auto files, examine::unit_signature_files(path));
  if (files.empty())
    s.warn(path + ": no unit group (feed-forward, attention, ResBlock) to sign, no units event");
  for (const auto& f : files) {
    PD_ASSIGN_OR_RETURN(auto st, ledger::units_statement(subject, f));
    PD_TRY(s.add(st));
  }
  return {};
}

Result<void> attest_model(Session& s, const AttestOptions& o) {
  PD_ASSIGN_OR_RETURN(
      auto file, s.read_model_file(o.target, o.no_fingerprint ? examine::FingerprintPass::k_skip
                                                              : examine::FingerprintPass::k_build));
  PD_ASSIGN_OR_RETURN(auto model, ledger::model_statement(file.facts, o.details));
  PD_TRY(s.add(model));
  if (o.no_fingerprint) return {};
  if (!file.facts.hashes.format) {
    s.warn(o.target + ": not a checkpoint, no fingerprint event");
    return {};
  }
  if (!file.fp_file) {
    return std::unexpected(file.fp_error.value_or(Error(ErrorCode::k_internal, "no fingerprint"))
                               .with_context("model event recorded, fingerprint not"));
  }
  PD_ASSIGN_OR_RETURN(auto fp, ledger::fingerprint_statement(model.subject, *file.fp_file));
  PD_TRY(s.add(fp));
  // A base's unit signatures: what re-aligns merges whose units were re-ordered or rescaled.
  if (o.details.role == "base") return attest_units(s, o.target, model.subject);
  return {};
}

Result<void> attest_fingerprint(Session& s, const AttestOptions& o) {
  PD_ASSIGN_OR_RETURN(auto file, s.read_model_file(o.target, examine::FingerprintPass::k_build));
  if (!file.fp_file) {
    return std::unexpected(
        file.fp_error.value_or(Error(ErrorCode::k_internal, o.target + ": no fingerprint")));
  }
  const ledger::Subject subject = ledger::subject_of(file.facts);
  PD_ASSIGN_OR_RETURN(auto fp, ledger::fingerprint_statement(subject, *file.fp_file));
  PD_TRY(s.add(fp));
  if (o.units) return attest_units(s, o.target, subject);
  return {};
}

// Whether `tail` was meant as a number although it is no plain decimal
// ("NaN", "inf", "1e3", "+0.5", ".5"): refused as a weight rather than read as
// part of a name (which would only fail later as "not found").
bool looks_numeric(const std::string& tail) {
  if (tail.empty()) return false;
  char* end = nullptr;
  (void)std::strtod(tail.c_str(), &end);
  return end == tail.c_str() + tail.size();
}

// Splits "P:0.3" into ("P", "0.3"); a trailing ":<decimal>" is a weight unless
// the whole text is a file or the part before it names a hash kind ("crc32:1234abcd").
// InvalidArgument when the tail is a number but no decimal weight.
Result<std::pair<std::string, std::string>> split_weight(const std::string& text) {
  std::error_code ec;
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || std::filesystem::exists(text, ec)) {
    return std::pair{text, std::string()};
  }
  std::string head = text.substr(0, colon), tail = text.substr(colon + 1);
  if (hash::is_hash_kind_prefix(to_lower_ascii(head))) return std::pair{text, std::string()};
  if (!ledger::is_decimal_string(tail)) {
    if (looks_numeric(tail))
      return invalid_argument("--parent '" + text + "': weight '" + tail +
                              "' is not a finite decimal like 0.3 (no exponent, no NaN or inf)");
    return std::pair{text, std::string()};
  }
  return std::pair{head, tail};
}

Result<std::vector<std::string>> split_decimals(const std::string& list, const std::string& what) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!ledger::is_decimal_string(item)) {
      return invalid_argument(what + ": '" + item + "' is not a decimal like 0.3");
    }
    out.push_back(item);
  }
  if (out.size() != 26) {
    return invalid_argument(what +
                            ": expected 26 block weights (BASE, IN00..IN11, M00, "
                            "OUT00..OUT11), got " +
                            std::to_string(out.size()));
  }
  return out;
}

Result<void> attest_lineage(Session& s, const AttestOptions& o) {
  PD_ASSIGN_OR_RETURN(auto child, s.subject(o.target));
  if (o.from_metadata) {
    if (!o.parents.empty()) return invalid_argument("--from-metadata takes no --parent");
    PD_ASSIGN_OR_RETURN(auto lineage, examine::lineage_from_metadata(o.target, child));
    for (auto& w : lineage.skipped) s.warn(o.target + ": " + w);
    return s.add(lineage.statement);
  }
  if (o.parents.empty()) return invalid_argument("give at least one --parent (or --from-metadata)");
  if (o.relation.empty() || o.method.empty()) {
    return invalid_argument("--relation and --method are required");
  }
  std::vector<ledger::ParentRef> refs;
  for (const auto& spec : o.parents) {
    PD_ASSIGN_OR_RETURN(auto split, split_weight(spec));
    auto [text, weight] = split;
    PD_ASSIGN_OR_RETURN(auto parent, s.subject(text));
    ledger::ParentRef ref{parent.sha256, parent.weights, parent.name, weight, {}};
    for (const auto& bw : o.block_weights) {
      auto eq = bw.rfind('=');
      if (eq == std::string::npos)
        return invalid_argument("--block-weights '" + bw + "': expected P=w1,...,w26");
      if (bw.substr(0, eq) != text) continue;
      PD_ASSIGN_OR_RETURN(ref.block_weights,
                          split_decimals(bw.substr(eq + 1), "--block-weights " + text));
    }
    refs.push_back(std::move(ref));
  }
  for (const auto& bw : o.block_weights) {
    auto eq = bw.rfind('=');
    bool used = false;
    for (const auto& spec : o.parents) {
      auto split = split_weight(spec);
      used = used || (split && split->first == bw.substr(0, eq));
    }
    if (!used)
      return invalid_argument("--block-weights '" + bw.substr(0, eq) + "' names no --parent");
  }
  ledger::LineageDetails details{o.relation, o.method, o.basis, o.note};
  PD_ASSIGN_OR_RETURN(auto warnings, ledger::check_parent_weights(refs, details));
  for (auto& w : warnings) s.warn(std::move(w));
  PD_ASSIGN_OR_RETURN(auto st, ledger::lineage_statement(child, refs, details));
  return s.add(st);
}

Result<void> attest_claim(Session& s, const AttestOptions& o) {
  PD_ASSIGN_OR_RETURN(auto subject, s.subject(o.target));
  PD_ASSIGN_OR_RETURN(auto st,
                      ledger::claim_statement(subject, o.contains_nai, o.claim_basis, o.evidence));
  return s.add(st);
}

Result<void> attest_revoke(Session& s, const AttestOptions& o) {
  const std::string id = to_lower_ascii(o.event_id);
  if (!ledger::is_sha256_hex(id)) return invalid_argument("EVENT_ID must be 64 hex digits");
  PD_ASSIGN_OR_RETURN(index::Index * idx, s.index());
  PD_ASSIGN_OR_RETURN(auto row, idx->event(id));
  if (!row) return not_found("no event " + id + " in the ledger");
  if (row->signer != s.key().key.keyid()) {
    return untrusted("only the event's own signer may revoke it: event " + id.substr(0, 16) +
                     " was signed by key " + row->signer.substr(0, 16) + ", yours is " +
                     s.key().key.keyid().substr(0, 16));
  }
  PD_ASSIGN_OR_RETURN(
      auto st, ledger::revocation_statement(ledger::Subject{"", row->subject, ""}, id, o.reason));
  return s.add(st);
}

Result<void> attest_raw(Session& s, const AttestOptions& o) {
  auto kind = ledger::predicate_from_name(o.raw_kind);
  if (!kind) {
    return invalid_argument("KIND '" + o.raw_kind +
                            "': expected model, lineage, claim, fingerprint or revocation");
  }
  if (!ledger::is_sha256_hex(o.subject)) {
    return invalid_argument("--subject must be 64 lower-case hex digits");
  }
  if (!o.subject_weights.empty() && !ledger::is_sha256_hex(o.subject_weights)) {
    return invalid_argument("--subject-weights must be 64 lower-case hex digits");
  }
  PD_ASSIGN_OR_RETURN(std::string text, read_file(o.predicate_file, ledger::k_max_event_bytes));
  PD_ASSIGN_OR_RETURN(auto predicate,
                      crypto::parse_json(text, o.predicate_file, ledger::k_max_event_bytes));
  PD_TRY(ledger::validate_predicate(*kind, predicate, o.predicate_file));
  ledger::Statement st{{o.subject_name, o.subject, o.subject_weights}, *kind, predicate};
  return s.add(st);
}

using Action = Result<void> (*)(Session&, const AttestOptions&);

int run(const AttestOptions& o, Action action) {
  Session session(o);
  auto result = session.open();
  if (result) result = action(session, o);
  session.print();
  return result ? k_exit_ok : report_error(result.error());
}

CLI::App* form(CLI::App* attest, const char* name, const char* help,
               std::shared_ptr<AttestOptions> o, Action action, int& exit_code) {
  auto* sub = attest->add_subcommand(name, help);
  sub->add_option("--key", o->key, "signing key id prefix (default: your only key)");
  add_ledger_option(sub, o->ledger_dir);
  add_passphrase_option(sub, o->passphrase_file);
  sub->add_flag("--json", o->json, "print {\"events\": [...], \"warnings\": [...]} as JSON");
  sub->callback([o, action, &exit_code] { exit_code = run(*o, action); });
  return sub;
}

}  // namespace

void setup_attest(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<AttestOptions>();
  auto* attest = app.add_subcommand("attest", "Sign a statement and commit it to the ledger");
  attest->require_subcommand(1);

  auto* model = form(attest, "model", "Record a model file's identities (and its fingerprint)", o,
                     attest_model, exit_code);
  model->add_option("FILE", o->target, "checkpoint file")->required();
  model->add_option("--title", o->details.title, "human title");
  model->add_option("--published", o->details.published, "publication date YYYY-MM-DD");
  model->add_option("--source", o->details.source, "where it was published (URL)");
  model->add_option("--license", o->details.license, "licence text or identifier");
  model->add_option("--role", o->details.role,
                    "reference role: base|nai-leak|nai-official|nai-vae|independent");
  model->add_flag("--no-fingerprint", o->no_fingerprint, "do not add the fingerprint event");

  auto* lineage =
      form(attest, "lineage", "Declare a model's parents", o, attest_lineage, exit_code);
  lineage->add_option("CHILD", o->target, "file, SHA-256, or a hash / name the ledger knows")
      ->required();
  lineage->add_option("--parent", o->parents, "parent P[:WEIGHT] (file, SHA-256, hash or name)");
  lineage->add_option("--relation", o->relation,
                      "merge|finetune|add-difference|lora-bake|conversion|same-weights|trained-on");
  lineage->add_option("--method", o->method, "how it was made, e.g. weighted-sum");
  lineage->add_option("--basis", o->basis,
                      "author-statement|file-metadata|fingerprint-analysis|other "
                      "(default: author-statement)");
  lineage->add_option("--block-weights", o->block_weights, "P=w1,...,w26 per-block weights");
  lineage->add_option("--note", o->note, "free text");
  lineage->add_flag(
      "--from-metadata", o->from_metadata,
      "the parents the merge recipes in CHILD's metadata state (basis file-metadata)");

  auto* claim = form(attest, "claim", "Claim whether a model contains NAI weights", o, attest_claim,
                     exit_code);
  claim->add_option("SUBJECT", o->target, "file, SHA-256, or a hash / name the ledger knows")
      ->required();
  claim->add_option("--contains-nai", o->contains_nai, "yes|no|unknown")->required();
  claim->add_option("--basis", o->claim_basis, "why you say so")->required();
  claim->add_option("--evidence", o->evidence, "url:URL, text:TEXT or image-sha256:HEX (repeat)");

  auto* fp = form(attest, "fingerprint", "Record a model file's fingerprint alone", o,
                  attest_fingerprint, exit_code);
  fp->add_option("FILE", o->target, "checkpoint file")->required();
  fp->add_flag("--units", o->units,
               "also record its unit signatures (a base model: re-aligns merges whose units "
               "were re-ordered or rescaled; `attest model --role base` does this itself)");

  auto* revoke =
      form(attest, "revoke", "Revoke one of your own events", o, attest_revoke, exit_code);
  revoke->add_option("EVENT_ID", o->event_id, "the event's id (64 hex)")->required();
  revoke->add_option("--reason", o->reason, "why");

  auto* raw = form(attest, "raw", "Sign an arbitrary predicate (validated first)", o, attest_raw,
                   exit_code);
  raw->add_option("KIND", o->raw_kind, "model|lineage|claim|fingerprint|revocation")->required();
  raw->add_option("--subject", o->subject, "subject SHA-256 (64 lower-case hex)")->required();
  raw->add_option("--subject-name", o->subject_name, "subject name (default sha256:<hex>)");
  raw->add_option("--subject-weights", o->subject_weights, "subject weights hash (optional)");
  raw->add_option("--predicate", o->predicate_file, "predicate JSON file")->required();
}

}  // namespace pedigree::cli
