#include "pedigree/hash/identifier.hpp"

#include <algorithm>
#include <cctype>

#include "pedigree/util/hex.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::hash {
namespace {

std::string shown(std::string_view text) {
  return std::string(trim(text).substr(0, 80));
}

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && to_lower_ascii(text.substr(0, prefix.size())) == prefix;
}

// Characters of an AIR field, a Civitai id, or a HF owner/name segment.
bool field_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}
bool all_field_chars(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), field_char);
}
bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t start = 0;;) {
    std::size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == s.npos ? s.npos : end - start));
    if (end == s.npos) return out;
    start = end + 1;
  }
}

// "Model hash: <hex>" anywhere in a pasted settings fragment; the "Model:" value too.
std::optional<std::pair<std::string, std::string>> settings_model_hash(std::string_view text) {
  const std::string lower = to_lower_ascii(text);
  std::size_t at = lower.find("model hash:");
  if (at == std::string::npos) return std::nullopt;
  std::string_view rest = text.substr(at + 11);
  std::string hash(trim(rest.substr(0, rest.find(','))));
  std::string name;
  for (std::size_t from = 0;;) {
    std::size_t m = lower.find("model:", from);
    if (m == std::string::npos) break;
    from = m + 6;
    // "Model:" only as a whole key (not the tail of "Lora model:" or "VAE model:").
    if (m > 0 && lower[m - 1] != ' ' && lower[m - 1] != ',') continue;
    if (m >= 2 && lower[m - 1] == ' ' && lower[m - 2] != ',') continue;
    std::string_view v = text.substr(m + 6);
    name = std::string(trim(v.substr(0, v.find(','))));
    break;
  }
  return std::pair{hash, name};
}

Result<AirUrn> parse_air(std::string_view text) {
  // urn:air:{ecosystem}:{type}:{source}:{id}[@{version}][:{layer}][.{format}]
  const std::string lower = to_lower_ascii(text);
  auto parts = split(std::string_view(lower).substr(8), ':');
  auto bad = [&](const std::string& why) {
    return invalid_argument("'" + shown(text) + "' is not a valid AIR (" + why +
                            "): expected urn:air:ECOSYSTEM:TYPE:SOURCE:ID@VERSION");
  };
  if (parts.size() < 4) return bad("too few fields");
  AirUrn air;
  air.ecosystem = std::string(parts[0]);
  air.type = std::string(parts[1]);
  air.source = std::string(parts[2]);
  std::string_view id = parts[3];
  if (auto dot = id.find('.'); dot != id.npos) id = id.substr(0, dot);  // format suffix
  if (auto at = id.find('@'); at != id.npos) {
    air.version = std::string(id.substr(at + 1));
    id = id.substr(0, at);
    if (!all_field_chars(air.version)) return bad("empty or malformed version");
  }
  air.id = std::string(id);
  for (auto* f : {&air.ecosystem, &air.type})  // "*": not given (canonical() of a site URL)
    if (*f == "*") f->clear();
  if (air.id == "*" && !air.version.empty()) air.id = "?";  // a model-version id alone
  // "?" stands for "any model" and only makes sense beside a version.
  if (air.id == "?" && air.version.empty()) return bad("a model id of '?' or '*' needs a version");
  for (const auto* f : {&air.source, &air.id})
    if (!all_field_chars(*f) && *f != "?") return bad("empty or malformed field");
  for (const auto* f : {&air.ecosystem, &air.type})
    if (!f->empty() && !all_field_chars(*f)) return bad("malformed field");
  return air;
}

// https://civitai.com/models/{id}[/slug][?modelVersionId={version}]
std::optional<AirUrn> civitai_url(std::string_view text) {
  std::string lower = to_lower_ascii(text);
  for (std::string_view scheme : {"https://", "http://"})
    if (lower.starts_with(scheme)) lower = lower.substr(scheme.size());
  if (lower.starts_with("www.")) lower = lower.substr(4);
  if (!lower.starts_with("civitai.com/models/")) return std::nullopt;
  std::string_view rest = std::string_view(lower).substr(19);
  std::string_view query;
  if (auto q = rest.find('?'); q != rest.npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  std::string_view id = rest.substr(0, rest.find('/'));
  if (!all_digits(id)) return std::nullopt;
  AirUrn air{"", "", "civitai", std::string(id), ""};
  for (auto kv : split(query, '&'))
    if (kv.starts_with("modelversionid=") && all_digits(kv.substr(15)))
      air.version = std::string(kv.substr(15));
  return air;
}

bool hf_repo_id(std::string_view repo) {
  auto parts = split(repo, '/');
  return parts.size() == 2 && all_field_chars(parts[0]) && all_field_chars(parts[1]) &&
         parts[0].front() != '.' && parts[1].front() != '.';
}

// owner/name@rev, hf:owner/name[@rev], https://huggingface.co/owner/name[/tree/rev/...]
std::optional<HfRepo> hf_repo(std::string_view text) {
  std::string_view t = text;
  bool explicit_hf = false;
  if (starts_with_ci(t, "hf:")) {
    t.remove_prefix(3);
    explicit_hf = true;
  }
  // After "hf:" the text is owner/name itself (an owner may look like a host).
  for (std::string_view host : {"https://huggingface.co/", "http://huggingface.co/",
                                "huggingface.co/", "https://hf.co/", "hf.co/"})
    if (!explicit_hf && starts_with_ci(t, host)) {
      t.remove_prefix(host.size());
      auto parts = split(t, '/');
      if (parts.size() < 2) return std::nullopt;
      HfRepo out{std::string(parts[0]) + "/" + std::string(parts[1]), ""};
      if (parts.size() >= 4 && (parts[2] == "tree" || parts[2] == "blob" || parts[2] == "resolve"))
        out.revision = std::string(parts[3]);
      // The revision must read back as owner/name@rev: the same characters as the @ form.
      if (!std::all_of(out.revision.begin(), out.revision.end(),
                       [](char c) { return field_char(c); }))
        return std::nullopt;
      if (!hf_repo_id(out.repo)) return std::nullopt;
      return out;
    }
  HfRepo out;
  if (auto at = t.find('@'); at != t.npos) {
    out.revision = std::string(t.substr(at + 1));
    t = t.substr(0, at);
    if (out.revision.empty() || !std::all_of(out.revision.begin(), out.revision.end(),
                                             [](char c) { return field_char(c) || c == '/'; }))
      return std::nullopt;
  } else if (!explicit_hf) {
    return std::nullopt;  // a bare owner/name is a relative path
  }
  if (!hf_repo_id(t)) return std::nullopt;
  out.repo = std::string(t);
  return out;
}

}  // namespace

std::string_view identifier_kind_name(IdentifierKind kind) {
  switch (kind) {
    case IdentifierKind::k_hash: return "hash";
    case IdentifierKind::k_air: return "air";
    case IdentifierKind::k_hf_repo: return "hf";
    case IdentifierKind::k_name: return "name";
  }
  return "name";
}

std::string AirUrn::canonical() const {
  auto f = [](const std::string& s) { return s.empty() ? std::string("*") : s; };
  return "urn:air:" + f(ecosystem) + ":" + f(type) + ":" + f(source) + ":" +
         (id == "?" ? std::string("*") : id) + (version.empty() ? "" : "@" + version);
}

std::string AirUrn::key() const {
  return source + ":" + id + (version.empty() ? "" : "@" + version);
}

std::string HfRepo::key() const {
  return to_lower_ascii(repo) + (revision.empty() ? "" : "@" + revision);
}

Result<Identifier> classify_identifier(std::string_view text) {
  Identifier out;
  out.input = std::string(text);
  const std::string_view t = trim(text);
  if (t.empty()) return invalid_argument("an empty identifier names nothing");
  if (auto h = classify_hash(t)) {
    out.kind = IdentifierKind::k_hash;
    out.hash = std::move(*h);
    out.normalized = out.hash.hex;
    return out;
  }
  if (auto pasted = settings_model_hash(t)) {
    PD_ASSIGN_OR_RETURN(out.hash, classify_hash("Model hash: " + pasted->first));
    out.kind = IdentifierKind::k_hash;
    out.normalized = out.hash.hex;
    out.name = pasted->second;
    return out;
  }
  if (starts_with_ci(t, "urn:air:")) {
    PD_ASSIGN_OR_RETURN(out.air, parse_air(t));
    out.kind = IdentifierKind::k_air;
    out.normalized = out.air.canonical();
    return out;
  }
  if (auto air = civitai_url(t)) {
    out.kind = IdentifierKind::k_air;
    out.air = std::move(*air);
    out.normalized = out.air.canonical();
    return out;
  }
  if (auto hf = hf_repo(t)) {
    out.kind = IdentifierKind::k_hf_repo;
    out.hf = std::move(*hf);
    out.normalized = out.hf.key();
    return out;
  }
  // A kind prefix ("AutoV2: ...", "SHA256: ...") with a value that is no such
  // hash: say why, rather than looking it up as a name.
  if (auto colon = t.find_first_of(":="); colon != t.npos && colon < 12) {
    const std::string prefix = to_lower_ascii(trim(t.substr(0, colon)));
    for (std::string_view k : {"autov1", "autov2", "autov3", "sha256", "sha256_12", "crc32",
                               "blake3", "weights", "model hash"})
      if (prefix == k) return std::unexpected(classify_hash(t).error());
  }
  out.kind = IdentifierKind::k_name;
  out.normalized = std::string(t);
  return out;
}

bool allows(const PastedHash& pasted, HashKind kind) {
  return std::find(pasted.kinds.begin(), pasted.kinds.end(), kind) != pasted.kinds.end();
}

bool pasted_may_be(const PastedHash& p, std::string_view stored) {
  const std::size_t n = p.hex.size();
  if (stored == "sha256")
    return (n == 64 && allows(p, HashKind::k_sha256)) ||
           (n == 10 && allows(p, HashKind::k_autov2)) ||
           (n == 12 && allows(p, HashKind::k_sha256_12));
  if (stored == "autov2") return n == 10 && allows(p, HashKind::k_autov2);
  if (stored == "sha256_12") return n == 12 && allows(p, HashKind::k_sha256_12);
  if (stored == "autov1") return n == 8 && allows(p, HashKind::k_autov1);
  if (stored == "crc32")
    return n == 8 && (allows(p, HashKind::k_crc32) || allows(p, HashKind::k_crc32_civitai));
  if (stored == "autov3")
    return (n == 64 && allows(p, HashKind::k_autov3)) ||
           (n == 12 && allows(p, HashKind::k_autov3_12));
  if (stored == "blake3") return n == 64 && allows(p, HashKind::k_blake3);
  if (stored == "weights") return n == 64 && allows(p, HashKind::k_weights);
  if (stored == "unet" || stored == "text_encoder" || stored == "vae" || stored == "ema_unet")
    return n == 64 && allows(p, HashKind::k_component);
  return false;
}

}  // namespace pedigree::hash
