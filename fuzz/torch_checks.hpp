// What a successful parse of the torch readers must guarantee, checked by
// their fuzz targets (fuzz/fuzz_{zip,pickle,torch_zip,torch_legacy}.cpp) and by
// tests/formats/torch_corpus_test.cpp, which runs every seed in
// fuzz/corpus/<name>/ through the same checks as a plain test.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/formats/pickle/pickle.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/formats/torch_legacy.hpp"
#include "pedigree/formats/torch_pickle.hpp"
#include "pedigree/formats/torch_zip.hpp"
#include "pedigree/formats/torch_zip_stream.hpp"
#include "pedigree/formats/zip.hpp"

namespace pedigree::fuzz {

inline std::optional<std::string> check_error(const Error& e) {
  if (e.message().empty()) return "empty error message";
  if (e.message().find('\n') != std::string::npos) return "multi-line error: " + e.message();
  return std::nullopt;
}

// Every tensor's elements lie inside its storage, and its storage inside the file.
inline std::optional<std::string> check_checkpoint(ByteView file,
                                                   const Result<formats::Checkpoint>& parsed) {
  if (!parsed) return check_error(parsed.error());
  for (const auto& t : parsed->tensors) {
    if (t.storage_begin > t.storage_end || t.storage_end > file.size()) {
      return "tensor '" + t.name + "' storage lies outside the file";
    }
    if (t.shape.size() != t.strides.size()) return "tensor '" + t.name + "' rank mismatch";
    if (t.numel() == 0) continue;
    unsigned __int128 last = 0;
    for (std::size_t i = 0; i < t.shape.size(); ++i) {
      last += static_cast<unsigned __int128>(t.shape[i] - 1) * t.strides[i];
    }
    const auto es = formats::dtype_size(t.dtype);
    const unsigned __int128 end = t.offset + (last + 1) * es;
    if (t.offset < t.storage_begin || end > t.storage_end) {
      return "tensor '" + t.name + "' elements lie outside its storage";
    }
  }
  return std::nullopt;
}

inline std::optional<std::string> check_zip(ByteView file) {
  auto zip = formats::parse_zip(file);
  if (!zip) return check_error(zip.error());
  for (const auto& e : zip->entries) {
    if (e.data_offset > file.size() || e.compressed_size > file.size() - e.data_offset) {
      return "entry '" + e.name + "' lies outside the file";
    }
    if (e.uncompressed_size <= 4096) {
      auto data = formats::zip_read_small_entry(file, e, 4096);
      if (!data) {
        if (auto bad = check_error(data.error())) return bad;
      }
    }
  }
  return std::nullopt;
}

inline std::optional<std::string> check_pickle(ByteView file) {
  (void)formats::pickle::scan_pickle_globals(file);
  pedigree::formats::pickle::Limits limits;
  limits.max_objects = 200'000;  // keep each fuzz run fast; the logic is the same
  auto parsed = formats::pickle::parse_pickle(file, 0, limits);
  if (!parsed) return check_error(parsed.error());
  if (parsed->root >= parsed->values.size()) return "root out of range";
  auto object = formats::torch::read_torch_object(*parsed, "fuzz.pkl");
  if (!object) return check_error(object.error());
  return std::nullopt;
}

// Reading `file` as a stream, in pieces of `piece` bytes, must never tell
// another story than parse_torch_zip: when the stream accepts the file, the
// file reader accepts it too, with the same tensors over the same bytes.
inline std::optional<std::string> check_torch_zip_stream(ByteView file, std::size_t piece) {
  formats::TorchZipStream stream(file.size());
  std::vector<std::uint8_t> payload;
  auto keep = [&](ByteView bytes) -> Result<void> {
    payload.insert(payload.end(), bytes.begin(), bytes.end());
    return {};
  };
  ByteView rest = file;
  while (!rest.empty()) {
    auto used = stream.feed(rest.first(std::min(piece, rest.size())), keep);
    if (!used) return check_error(used.error());
    if (*used == 0) return "the stream consumed nothing";
    rest = rest.subspan(*used);
  }
  auto done = stream.finish();
  if (!done) return check_error(done.error());
  if (stream.plan() == nullptr) return "a finished stream without a plan";
  if (payload.size() != stream.payload_size()) return "payload size differs from the plan";
  auto parsed = formats::parse_torch_zip(file);
  if (!parsed)
    return "the stream accepted a file parse_torch_zip refuses: " + parsed.error().message();
  const auto& streamed = stream.plan()->tensors;
  if (streamed.size() != parsed->tensors.size()) return "tensor counts differ";
  for (std::size_t i = 0; i < streamed.size(); ++i) {
    const auto& a = streamed[i];
    const auto& b = parsed->tensors[i];
    if (a.name != b.name || a.dtype != b.dtype || a.shape != b.shape || a.strides != b.strides)
      return "tensor '" + a.name + "' differs from the file reader's";
    if (a.storage_end - a.storage_begin != b.storage_end - b.storage_begin ||
        a.offset - a.storage_begin != b.offset - b.storage_begin)
      return "tensor '" + a.name + "' storage differs";
    if (a.storage_end > payload.size() || b.storage_end > file.size())
      return "tensor '" + a.name + "' storage lies outside its stream";
    if (!std::equal(payload.begin() + a.storage_begin, payload.begin() + a.storage_end,
                    file.begin() + b.storage_begin))
      return "tensor '" + a.name + "' bytes differ between the stream and the file";
  }
  return std::nullopt;
}

// Runs the named parser's checks; nullopt when every promise holds.
inline std::optional<std::string> check_torch_input(std::string_view name, ByteView file) {
  if (name == "zip") return check_zip(file);
  if (name == "pickle") return check_pickle(file);
  if (name == "torch_zip") {
    if (auto bad = check_checkpoint(file, formats::parse_torch_zip(file))) return bad;
    for (std::size_t piece : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, file.size()}) {
      if (piece == 0) continue;
      if (auto bad = check_torch_zip_stream(file, piece)) return bad;
    }
    return std::nullopt;
  }
  if (name == "torch_legacy") return check_checkpoint(file, formats::parse_torch_legacy(file));
  return "unknown parser " + std::string(name);
}

}  // namespace pedigree::fuzz
