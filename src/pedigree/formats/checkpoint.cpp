#include "pedigree/formats/checkpoint.hpp"

#include <array>
#include <cstring>
#include <system_error>

#include "pedigree/formats/diffusers.hpp"
#include "pedigree/formats/safetensors.hpp"
#include "pedigree/formats/torch_legacy.hpp"
#include "pedigree/formats/torch_zip.hpp"
#include "pedigree/util/file.hpp"
#include "pedigree/util/hex.hpp"

namespace pedigree::formats {
namespace {

// "PK\x03\x04": a zip local file header (APPNOTE.TXT 4.3.7); torch >= 1.6 saves zips.
constexpr std::array<std::uint8_t, 4> k_zip_magic = {0x50, 0x4B, 0x03, 0x04};
// The long 0x1950a86a20f9469cfc6c (torch/serialization.py MAGIC_NUMBER) as pickle
// opcode LONG1 (0x8a) with 10 little-endian bytes, after PROTO (0x80, version).
constexpr std::array<std::uint8_t, 12> k_legacy_magic = {0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46,
                                                         0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19};

bool starts_with(ByteView file, std::span<const std::uint8_t> magic, std::size_t at = 0) {
  return file.size() >= at + magic.size() &&
         std::memcmp(file.data() + at, magic.data(), magic.size()) == 0;
}

bool starts_with_text(ByteView file, std::string_view text) {
  return file.size() >= text.size() && std::memcmp(file.data(), text.data(), text.size()) == 0;
}

bool looks_like_text(ByteView head) {
  if (!is_valid_utf8(as_string_view(head.first(head.size() > 3 ? head.size() - 3 : head.size())))) {
    return false;  // (the last 3 bytes may cut a multi-byte character)
  }
  for (auto c : head) {
    if (c < 0x20 && c != '\n' && c != '\r' && c != '\t') return false;
  }
  return true;
}

// Names well-known non-checkpoint formats users mistake for models.
std::string_view known_kind(ByteView file) {
  struct Magic {
    std::string_view bytes;
    std::string_view kind;
  };
  static constexpr std::array<Magic, 11> k_magics = {{
      {"\x89PNG\r\n\x1a\n", "a PNG image"},
      {"\xFF\xD8\xFF", "a JPEG image"},
      {"GIF8", "a GIF image"},
      {"RIFF", "a RIFF file (WebP image, WAV, AVI)"},
      {"\x1F\x8B", "gzip-compressed data"},
      {"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"},
      {"Rar!", "a RAR archive"},
      {"\x7F"
       "ELF",
       "an ELF executable"},
      {"%PDF", "a PDF document"},
      {"\x93NUMPY", "a NumPy .npy array"},
      {"GGUF", "a GGUF model (llama.cpp), not a Stable Diffusion checkpoint"},
  }};
  for (const auto& m : k_magics) {
    if (starts_with_text(file, m.bytes)) return m.kind;
  }
  if (file.size() >= 2 && file[0] == 0x80 && file[1] >= 2 && file[1] <= 5) {
    return "a bare pickle stream without the torch magic number";
  }
  return {};
}

// Directories are diffusers folders (formats/diffusers.cpp).
Result<Checkpoint> open_directory(const std::filesystem::path& dir) {
  return open_diffusers(dir);
}

}  // namespace

std::optional<Format> detect_format(ByteView file) {
  if (starts_with(file, k_zip_magic)) return Format::k_torch_zip;
  if (file.size() >= 2 && file[0] == 0x80 && starts_with(file, k_legacy_magic, 2)) {
    return Format::k_torch_legacy;
  }
  if (looks_like_safetensors(file)) return Format::k_safetensors;
  return std::nullopt;
}

std::string describe_content(ByteView file) {
  if (file.empty()) return "an empty file";
  ByteView head = file.first(std::min<std::size_t>(file.size(), 16));
  std::string hex;
  for (auto b : head) {
    if (!hex.empty()) hex += ' ';
    hex += to_hex(ByteView(&b, 1));
  }
  std::string kind(known_kind(file));
  if (kind.empty()) {
    ByteView text_head = file.first(std::min<std::size_t>(file.size(), 512));
    if (looks_like_text(text_head)) {
      std::string sample(as_string_view(file.first(std::min<std::size_t>(file.size(), 24))));
      for (auto& c : sample) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
      }
      kind = "text starting \"" + sample + "\"";
    } else if (file.size() < 8) {
      kind = "too short for any checkpoint format";
    } else {
      kind = "unrecognised binary data";
    }
  }
  return kind + " (" + std::to_string(file.size()) + " bytes, starting " + hex + ")";
}

Result<Checkpoint> parse_checkpoint(ByteView file) {
  if (file.empty()) return corruption("empty file (0 bytes), not a checkpoint");
  auto format = detect_format(file);
  if (!format) return corruption("not a checkpoint: " + describe_content(file));
  switch (*format) {
    case Format::k_safetensors: return parse_safetensors(file);
    case Format::k_torch_zip: return parse_torch_zip(file);
    case Format::k_torch_legacy: return parse_torch_legacy(file);
    case Format::k_diffusers: break;
  }
  return internal_error("parse_checkpoint: unexpected format");
}

Result<Checkpoint> open_checkpoint(const std::filesystem::path& path) {
  PD_ASSIGN_OR_RETURN(FileStat st, stat_file(path));
  if (st.is_directory) return open_directory(path);
  if (!st.is_regular) return invalid_argument(path.string() + ": not a regular file or directory");
  auto mapped = MappedFile::open(path);
  if (!mapped) return std::unexpected(mapped.error());
  auto parsed = parse_checkpoint(mapped->bytes());
  if (!parsed) return std::unexpected(parsed.error().with_context(path.string()));
  parsed->sources = {path};
  parsed->source_sizes = {mapped->size()};
  return parsed;
}

}  // namespace pedigree::formats
