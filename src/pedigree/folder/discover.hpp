// Finding the model files under a folder: an A1111/Forge or ComfyUI install,
// or any folder (docs/cli.md, "scan"). Nothing here reads more than the first
// bytes of a file, and no file is ever executed or unpickled.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/error.hpp"
#include "pedigree/util/file.hpp"

namespace pedigree::folder {

// What the folder is: decides which of its subfolders are walked.
enum class Layout { k_a1111, k_comfyui, k_plain };
// "a1111" (A1111 and Forge share the layout), "comfyui", "folder".
std::string_view layout_name(Layout layout);

// A model file found: its path, what its folder says it is, what its first
// bytes say it is, and the stat that keys the scan cache.
struct FoundFile {
  std::filesystem::path path;  // as reached from the root (through symlinks)
  std::string relative;        // relative to the scanned root, '/'-separated
  std::string kind;            // checkpoint, lora, lycoris, vae, embedding, hypernetwork, model
  formats::Format format = formats::Format::k_safetensors;
  FileStat stat;
};

// A path that was not scanned: a file whose extension says model but whose
// bytes do not (skipped), or something that could not be visited at all
// (a symlink loop, an unreadable folder or file: a problem).
struct Skipped {
  std::string relative;
  std::string reason;
};

struct Discovery {
  Layout layout = Layout::k_plain;
  std::filesystem::path root;                       // the folder given
  std::vector<std::string> walked;                  // folders walked, relative to root ("." = all)
  std::vector<FoundFile> files;                     // sorted by relative path
  std::vector<Skipped> skipped;                     // model extension, other content
  std::vector<Skipped> problems;                    // loops, unreadable entries
  std::optional<std::filesystem::path> a1111_root;  // the install holding cache.json, if any
};

// Walks `root`. Layout: a folder holding `models/Stable-diffusion` is an
// A1111/Forge install (walks models/ and embeddings/ only, so venv/ and
// repositories/ are never read), one holding `models/checkpoints` is
// ComfyUI (walks models/), anything else is walked whole. Symlinks are
// followed; a folder reached twice (a loop, or two links to one folder) is
// a problem the second time; so is any entry that cannot be read. Candidates
// are regular files named *.safetensors, *.sft, *.ckpt, *.pt, *.pth or *.bin
// whose first bytes are a safetensors header, a zip (PyTorch) or a legacy
// torch pickle (formats::detect_format). Errors: NotFound / InvalidArgument
// when `root` is missing or not a folder; nothing below it is fatal.
Result<Discovery> discover(const std::filesystem::path& root);

// The kind a model file's folder gives it, from the nearest folder name that
// one of the WebUIs uses ("Stable-diffusion", "checkpoints" -> checkpoint,
// "Lora"/"loras" -> lora, "LyCORIS" -> lycoris, "VAE"/"vae" -> vae,
// "embeddings" -> embedding, "hypernetworks" -> hypernetwork), else "model".
std::string kind_from_path(const std::string& relative);

}  // namespace pedigree::folder
