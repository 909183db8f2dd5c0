// Opening any checkpoint: picks the reader by content, never by extension.
//
//   directory                        -> diffusers folder  (formats/diffusers.hpp)
//   "PK\x03\x04"                     -> PyTorch zip .ckpt (formats/torch_zip.hpp)
//   pickled magic 0x1950a86a20f9469cfc6c -> legacy torch  (formats/torch_legacy.hpp)
//   u64 length + '{'                 -> safetensors       (formats/safetensors.hpp)
//   anything else                    -> Corruption "not a checkpoint (...)"
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "pedigree/formats/tensor.hpp"
#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::formats {

// Which reader the leading bytes of a file call for; nullopt when none does.
// Never Format::k_diffusers (that is a property of directories).
std::optional<Format> detect_format(ByteView file);

// One line saying what the first bytes of `file` look like, for "not a
// checkpoint" errors: e.g. `a PNG image (89 50 4e 47 0d 0a 1a 0a)`.
std::string describe_content(ByteView file);

// Parses the bytes of a single-file checkpoint with the reader detect_format
// picks. Errors as the reader returns them (no file name added); Corruption
// "not a checkpoint (...)" when no reader fits; NotSupported when the format
// is recognised but its reader is not part of this build.
Result<Checkpoint> parse_checkpoint(ByteView file);

// Opens a checkpoint file or diffusers folder. The file is memory-mapped only
// while it is parsed; the returned Checkpoint holds no pointer into it, and
// its `sources`/`source_sizes` name the file(s) tensor offsets refer to.
// Every error message starts with `path`. Errors: NotFound (no such path, or
// a directory holding no model files), IOError (unreadable), InvalidArgument
// (not a regular file or directory), Corruption (empty file, not a
// checkpoint, or the reader's complaint), NotSupported (recognised format
// whose reader is not available yet).
Result<Checkpoint> open_checkpoint(const std::filesystem::path& path);

}  // namespace pedigree::formats
