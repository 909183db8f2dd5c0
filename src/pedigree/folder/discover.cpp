#include "pedigree/folder/discover.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <system_error>
#include <utility>

#include "pedigree/formats/checkpoint.hpp"
#include "pedigree/util/text.hpp"

namespace pedigree::folder {
namespace {

namespace fs = std::filesystem;

// Extensions model files carry in the WebUIs' folders (.sft: Forge/ComfyUI's
// short safetensors name; .pt/.pth/.bin: PyTorch, embeddings, hypernetworks).
bool has_model_extension(const fs::path& path) {
  static const std::array<std::string, 6> k_extensions = {".safetensors", ".sft", ".ckpt",
                                                          ".pt",          ".pth", ".bin"};
  const std::string ext = to_lower_ascii(path.extension().string());
  return std::find(k_extensions.begin(), k_extensions.end(), ext) != k_extensions.end();
}

bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

std::string join(const std::string& rel, const std::string& name) {
  return rel.empty() || rel == "." ? name : rel + "/" + name;
}

struct Walker {
  Discovery& out;
  std::set<std::pair<std::uint64_t, std::uint64_t>> visited;  // (device, inode) of folders

  // Looks at the first bytes of a candidate; a file whose bytes are no
  // checkpoint is skipped with what they look like.
  void consider_file(const fs::path& path, const std::string& rel, const FileStat& st) {
    if (!has_model_extension(path)) return;
    auto file = File::open_read(path);
    if (!file) {
      out.problems.push_back({rel, "cannot read: " + file.error().message()});
      return;
    }
    std::uint8_t head[64] = {};
    auto got = file->read_some(0, head);
    if (!got) {
      out.problems.push_back({rel, "cannot read: " + got.error().message()});
      return;
    }
    const ByteView bytes(head, *got);
    auto format = formats::detect_format(bytes);
    if (!format) {
      out.skipped.push_back({rel, "not a model file: " + formats::describe_content(bytes)});
      return;
    }
    out.files.push_back({path, rel, kind_from_path(rel), *format, st});
  }

  void walk(const fs::path& dir, const std::string& rel) {
    auto st = stat_file(dir);
    if (!st) {
      out.problems.push_back({rel, st.error().message()});
      return;
    }
    if (!visited.insert({st->device, st->inode}).second) {
      out.problems.push_back(
          {rel, "folder already scanned through another path (a symlink loop or a second link)"});
      return;
    }
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) {
      out.problems.push_back({rel, "cannot list the folder: " + ec.message()});
      return;
    }
    std::vector<fs::path> entries;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      entries.push_back(it->path());
    }
    if (ec) out.problems.push_back({rel, "cannot list the whole folder: " + ec.message()});
    std::sort(entries.begin(), entries.end());
    for (const auto& entry : entries) visit(entry, join(rel, entry.filename().string()));
  }

  void visit(const fs::path& path, const std::string& rel) {
    auto st = stat_file(path);  // follows symlinks
    if (!st) {
      std::error_code ec;
      const bool link = fs::is_symlink(path, ec);
      if (link || has_model_extension(path))
        out.problems.push_back(
            {rel, link ? "broken symlink: " + st.error().message() : st.error().message()});
      return;
    }
    if (st->is_directory) {
      // Hidden folders (.git, .cache) hold no models a WebUI loads.
      if (path.filename().string().starts_with(".")) return;
      walk(path, rel);
      return;
    }
    if (st->is_regular) {
      consider_file(path, rel, *st);
    } else if (has_model_extension(path)) {
      out.problems.push_back({rel, "not a regular file (a FIFO, socket or device): not read"});
    }
  }
};

// The A1111/Forge install `root` lies in (itself or up to three folders
// above, e.g. root = <install>/models/Stable-diffusion), for its cache.json.
std::optional<fs::path> find_a1111_root(const fs::path& root) {
  std::error_code ec;
  fs::path p = fs::absolute(root, ec).lexically_normal();
  if (ec) return std::nullopt;
  if (!p.has_filename()) p = p.parent_path();  // "dir/" normalizes to a trailing empty name
  for (int up = 0; up <= 3 && !p.empty(); ++up) {
    if (is_dir(p / "models" / "Stable-diffusion")) return p;
    if (p == p.parent_path()) break;
    p = p.parent_path();
  }
  return std::nullopt;
}

}  // namespace

std::string_view layout_name(Layout layout) {
  switch (layout) {
    case Layout::k_a1111: return "a1111";
    case Layout::k_comfyui: return "comfyui";
    case Layout::k_plain: break;
  }
  return "folder";
}

std::string kind_from_path(const std::string& relative) {
  static const std::array<std::pair<const char*, const char*>, 10> k_folders = {{
      {"stable-diffusion", "checkpoint"},
      {"checkpoints", "checkpoint"},
      {"lora", "lora"},
      {"loras", "lora"},
      {"lycoris", "lycoris"},
      {"vae", "vae"},
      {"embeddings", "embedding"},
      {"hypernetworks", "hypernetwork"},
      {"unet", "checkpoint"},
      {"diffusion_models", "checkpoint"},
  }};
  const fs::path parent = fs::path(relative).parent_path();
  std::vector<std::string> parts;
  for (const auto& part : parent) parts.push_back(to_lower_ascii(part.string()));
  for (auto it = parts.rbegin(); it != parts.rend(); ++it)
    for (const auto& [folder, kind] : k_folders)
      if (*it == folder) return kind;
  return "model";
}

Result<Discovery> discover(const fs::path& root) {
  PD_ASSIGN_OR_RETURN(auto st, stat_file(root));
  if (!st.is_directory) return invalid_argument(root.string() + ": not a folder");
  Discovery out;
  out.root = root;
  Walker walker{out, {}};
  if (is_dir(root / "models" / "Stable-diffusion")) {
    out.layout = Layout::k_a1111;
    for (const char* sub : {"models", "embeddings"})
      if (is_dir(root / sub)) {
        out.walked.push_back(sub);
        walker.walk(root / sub, sub);
      }
  } else if (is_dir(root / "models" / "checkpoints")) {
    out.layout = Layout::k_comfyui;
    out.walked.push_back("models");
    walker.walk(root / "models", "models");
  } else {
    out.walked.push_back(".");
    walker.walk(root, "");
  }
  out.a1111_root = find_a1111_root(root);
  std::sort(out.files.begin(), out.files.end(),
            [](const FoundFile& a, const FoundFile& b) { return a.relative < b.relative; });
  return out;
}

}  // namespace pedigree::folder
