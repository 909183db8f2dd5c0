#include "pedigree/sync/transport.hpp"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <git2.h>

#include "pedigree/ledger/git_handles.hpp"
#include "pedigree/sync/credentials.hpp"
#include "pedigree/sync/object_bounds.hpp"
#include "pedigree/sync/tree_check.hpp"
#include "pedigree/sync/url.hpp"

namespace pedigree::sync {
namespace {

// State shared with libgit2's C callbacks through their payload pointer.
struct CallbackState {
  CallbackState(const std::string& url, const ProgressFn* p) : credentials(url), progress(p) {}
  Credentials credentials;
  const ProgressFn* progress = nullptr;
  std::string push_refusal;  // set by push_update_reference
};

int on_fetch_progress(const git_indexer_progress* stats, void* payload) {
  auto* state = static_cast<CallbackState*>(payload);
  if (state->progress && *state->progress) {
    (*state->progress)(TransferProgress{TransferProgress::Phase::k_fetch, stats->received_objects,
                                        stats->total_objects, stats->received_bytes});
  }
  return 0;
}

int on_push_progress(unsigned int current, unsigned int total, size_t bytes, void* payload) {
  auto* state = static_cast<CallbackState*>(payload);
  if (state->progress && *state->progress) {
    (*state->progress)(TransferProgress{TransferProgress::Phase::k_push, current, total, bytes});
  }
  return 0;
}

int on_credentials(git_credential** out, const char*, const char* username_from_url,
                   unsigned int allowed_types, void* payload) {
  return static_cast<CallbackState*>(payload)->credentials.acquire(out, username_from_url,
                                                                   allowed_types);
}

int on_certificate(git_cert* cert, int valid, const char* host, void* payload) {
  return static_cast<CallbackState*>(payload)->credentials.check_certificate(cert, valid, host);
}

int on_push_update(const char* refname, const char* status, void* payload) {
  if (status) {
    static_cast<CallbackState*>(payload)->push_refusal = std::string(refname) + ": " + status;
  }
  return 0;
}

git_remote_callbacks make_callbacks(CallbackState& state) {
  git_remote_callbacks cb = GIT_REMOTE_CALLBACKS_INIT;
  cb.transfer_progress = on_fetch_progress;
  cb.push_transfer_progress = on_push_progress;
  cb.credentials = on_credentials;
  cb.certificate_check = on_certificate;
  cb.push_update_reference = on_push_update;
  cb.payload = &state;
  return cb;
}

// The first of the environment variables `names` that is set and not empty.
const char* first_env(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    if (const char* value = std::getenv(name); value && *value) return value;
  }
  return nullptr;
}

// The CA certificates https:// trusts: those named by GIT_SSL_CAINFO /
// GIT_SSL_CAPATH (as git) or SSL_CERT_FILE / SSL_CERT_DIR (as OpenSSL), else
// the system bundle libgit2 loads at initialisation. Done once per process.
Result<void> configure_tls_trust() {
  static std::once_flag once;
  static std::optional<Error> failure;
  std::call_once(once, [] {
    const char* file = first_env({"GIT_SSL_CAINFO", "SSL_CERT_FILE"});
    const char* dir = first_env({"GIT_SSL_CAPATH", "SSL_CERT_DIR"});
    if (!file && !dir) return;
    if (git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, file, dir) != 0) {
      failure = Error(ErrorCode::k_invalid_argument,
                      std::string("cannot load the CA certificates named by ") +
                          (file ? "GIT_SSL_CAINFO or SSL_CERT_FILE (" + std::string(file) + ")"
                                : "GIT_SSL_CAPATH or SSL_CERT_DIR (" + std::string(dir) + ")") +
                          ": " + last_git_error());
    }
  });
  if (failure) return std::unexpected(*failure);
  return {};
}

Result<GitRemotePtr> anonymous_remote(ledger::GitRepo& repo, const std::string& url) {
  PD_TRY(repo.handle());  // initialises libgit2 (done lazily)
  if (auto parsed = parse_remote_url(url); parsed && parsed->scheme == "https") {
    PD_TRY(configure_tls_trust());
  }
  git_remote* raw = nullptr;
  int rc = git_remote_create_anonymous(&raw, repo.native(), url.c_str());
  GitRemotePtr remote(raw);
  if (rc != 0) {
    return invalid_argument("invalid remote URL '" + redact_url(url) +
                            "': " + redact_url_in(last_git_error(), url));
  }
  return remote;
}

// Why a transfer with `url` failed: the credentials' own explanation when
// they refused, a TLS verdict with what to do, else libgit2's message; never
// the URL's password.
std::string transfer_error(const CallbackState& state, const std::string& url) {
  if (!state.credentials.failure().empty()) return state.credentials.failure();
  const git_error* e = git_error_last();
  std::string why = redact_url_in(last_git_error(), url);
  auto parsed = parse_remote_url(url);
  if (e && e->klass == GIT_ERROR_SSL && parsed && parsed->scheme == "https" &&
      why.find("certificate") != std::string::npos) {
    // mbedTLS's reasons (x509_crt.c): "... not correctly signed by the trusted CA",
    // "... Common Name (CN) does not match with the expected CN".
    const std::string host = host_and_port(*parsed);
    const bool by_ip = parsed->host.find_first_not_of("0123456789.:") == std::string::npos;
    std::string hints;
    if (why.find("Common Name") != std::string::npos) {
      hints += by_ip ? "; Debian's libgit2 (mbedTLS) matches certificates to host names only, "
                       "not to IP addresses: use the server's name"
                     : "; the certificate is not issued for " + parsed->host;
    }
    if (why.find("Common Name") == std::string::npos ||
        why.find("trusted CA") != std::string::npos) {
      hints +=
          "; if the server uses a private certificate authority, set GIT_SSL_CAINFO (or "
          "SSL_CERT_FILE) to its certificate";
    }
    why = "the TLS certificate of " + host + " is not trusted (" + why + ")" + hints;
  }
  return why;
}

// fetch_branch for a repository on this machine, read in place: its refs
// directly, its objects borrowed (nothing is written into the ledger).
Result<FetchResult> borrow_branch(ledger::GitRepo& repo, const std::filesystem::path& dir,
                                  const std::string& url, const std::string& branch) {
  PD_TRY(repo.handle());  // opens the ledger and initialises libgit2 (done lazily)
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(&raw, dir.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH, nullptr);
  GitRepositoryPtr remote(raw);
  if (rc != 0) {
    return io_error("cannot reach remote " + redact_url(url) + ": " +
                    redact_url_in(last_git_error(), url));
  }
  FetchResult result;
  git_oid tip;
  const std::string wanted = "refs/heads/" + branch;
  if (git_reference_name_to_id(&tip, remote.get(), wanted.c_str()) != 0) {
    git_reference_iterator* it = nullptr;
    const char* name = nullptr;
    bool any = git_reference_iterator_new(&it, remote.get()) == 0 &&
               git_reference_next_name(&name, it) == 0;
    git_reference_iterator_free(it);
    result.state = any ? FetchResult::State::k_no_branch : FetchResult::State::k_empty;
    return result;
  }
  result.state = FetchResult::State::k_tip;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &tip);
  result.tip = hex;
  if (has_commit(repo.native(), tip)) return result;  // nothing to read
  git_buf objects = GIT_BUF_INIT;
  if (git_repository_item_path(&objects, remote.get(), GIT_REPOSITORY_ITEM_OBJECTS) != 0) {
    return io_error("cannot locate the objects of " + url + ": " + last_git_error());
  }
  std::filesystem::path objects_dir = objects.ptr;
  git_buf_dispose(&objects);
  PD_ASSIGN_OR_RETURN(result.borrowed, BorrowedObjects::borrow(repo, objects_dir));
  if (!has_commit(repo.native(), tip)) {
    return io_error("remote " + url + " lacks its own tip commit " + result.tip);
  }
  return result;
}

}  // namespace

Result<FetchResult> fetch_branch(ledger::GitRepo& repo, const std::string& url,
                                 const std::string& branch, const ProgressFn* progress,
                                 LocalFetch local) {
  if (local == LocalFetch::k_borrow) {
    if (auto dir = local_remote_dir(url)) return borrow_branch(repo, *dir, url, branch);
  }
  PD_ASSIGN_OR_RETURN(GitRemotePtr remote, anonymous_remote(repo, url));
  CallbackState state(url, progress);
  git_remote_callbacks callbacks = make_callbacks(state);
  const std::string shown = redact_url(url);
  if (git_remote_connect(remote.get(), GIT_DIRECTION_FETCH, &callbacks, nullptr, nullptr) != 0) {
    state.credentials.settle(false);
    return io_error("cannot reach remote " + shown + ": " + transfer_error(state, url));
  }
  const git_remote_head** heads = nullptr;
  size_t count = 0;
  if (git_remote_ls(&heads, &count, remote.get()) != 0) {
    return io_error("cannot list the refs of " + shown + ": " + transfer_error(state, url));
  }
  state.credentials.settle(true);  // the server accepted them: it listed its refs
  FetchResult result;
  const std::string wanted = "refs/heads/" + branch;
  const git_remote_head* found = nullptr;
  for (size_t i = 0; i < count; ++i) {
    if (wanted == heads[i]->name) found = heads[i];
  }
  if (!found) {
    result.state = count == 0 ? FetchResult::State::k_empty : FetchResult::State::k_no_branch;
    return result;
  }
  result.state = FetchResult::State::k_tip;
  char hex[GIT_OID_HEXSZ + 1];
  git_oid_tostr(hex, sizeof hex, &found->oid);
  result.tip = hex;
  if (has_commit(repo.native(), found->oid)) return result;  // nothing to download
  git_fetch_options opts = GIT_FETCH_OPTIONS_INIT;
  opts.callbacks = callbacks;
  opts.update_fetchhead = 0;
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
  std::string spec = wanted;  // no destination: objects only, no ref written
  char* specs[] = {spec.data()};
  git_strarray refspecs = {specs, 1};
  if (git_remote_download(remote.get(), &refspecs, &opts) != 0) {
    return io_error("cannot fetch from " + shown + ": " + transfer_error(state, url));
  }
  if (!has_commit(repo.native(), found->oid)) {
    return io_error("fetch from " + shown + " did not bring commit " + result.tip);
  }
  result.downloaded = true;
  return result;
}

Result<void> push_branch(ledger::GitRepo& repo, const std::string& url, const std::string& branch,
                         const ProgressFn* progress) {
  PD_ASSIGN_OR_RETURN(GitRemotePtr remote, anonymous_remote(repo, url));
  CallbackState state(url, progress);
  const std::string shown = redact_url(url);
  git_push_options opts = GIT_PUSH_OPTIONS_INIT;
  opts.callbacks = make_callbacks(state);
  // libgit2 resolves the source as a reference name (not a commit id).
  std::string spec = "HEAD:refs/heads/" + branch;
  char* specs[] = {spec.data()};
  git_strarray refspecs = {specs, 1};
  if (git_remote_push(remote.get(), &refspecs, &opts) != 0) {
    std::string why = transfer_error(state, url);
    state.credentials.settle(false);
    if (why.find("fast-forward") != std::string::npos ||
        why.find("rejected") != std::string::npos) {
      return conflict("remote " + shown + " refused the push (" + why +
                      "); it changed since the fetch: run sync again");
    }
    return io_error("cannot push to " + shown + ": " + why);
  }
  state.credentials.settle(true);
  if (!state.push_refusal.empty()) {
    return conflict("remote " + shown + " refused the push (" + state.push_refusal +
                    "); run sync again");
  }
  return {};
}

Result<bool> has_ledger_json(ledger::GitRepo& repo, const std::string& commit) {
  git_oid oid;
  if (git_oid_fromstr(&oid, commit.c_str()) != 0) return invalid_argument("bad commit id");
  // An oversized or odd tip is left to verify_incoming, which refuses it
  // from its header without reading it (object_bounds.hpp).
  PD_ASSIGN_OR_RETURN(auto refusal,
                      object_refusal(repo.native(), oid, GIT_OBJECT_COMMIT, k_max_commit_bytes));
  if (!refusal.empty()) return true;
  git_commit* raw_commit = nullptr;
  if (git_commit_lookup(&raw_commit, repo.native(), &oid) != 0) {
    return not_found("commit " + commit + " missing");
  }
  GitCommitPtr c(raw_commit);
  // Read raw: libgit2 cannot parse some hand-made trees, and its lookup by
  // name assumes sorted entries.
  git_odb* raw_odb = nullptr;
  if (git_repository_odb(&raw_odb, repo.native()) != 0) return io_error("cannot open objects");
  GitOdbPtr odb(raw_odb);
  PD_ASSIGN_OR_RETURN(auto tree_refusal, object_refusal(repo.native(), *git_commit_tree_id(c.get()),
                                                        GIT_OBJECT_TREE, k_max_tree_bytes));
  if (!tree_refusal.empty()) return true;
  git_odb_object* raw_tree = nullptr;
  if (git_odb_read(&raw_tree, odb.get(), git_commit_tree_id(c.get())) != 0) return true;
  GitOdbObjectPtr tree(raw_tree);
  if (git_odb_object_type(tree.get()) != GIT_OBJECT_TREE) return true;
  std::vector<RawTreeEntry> entries;
  if (parse_canonical_tree({static_cast<const std::byte*>(git_odb_object_data(tree.get())),
                            git_odb_object_size(tree.get())},
                           entries)) {
    return true;
  }
  return std::any_of(entries.begin(), entries.end(), [](const RawTreeEntry& e) {
    return e.name == "LEDGER.json" && e.mode == "100644";
  });
}

}  // namespace pedigree::sync
