// A model file checked as it is uploaded: the scan of scan_file_identity
// (check.hpp) over bytes pushed in order, with nothing of the file kept
// beyond the scan's bounded rings (no temporary file, no whole-file buffer).
//
// The tensor table must come before the tensors. A safetensors file has it
// at the front (u64 length + JSON header); a PyTorch zip .ckpt written by
// torch.save has its object pickle first and its storages after it, in an
// order the pickle fixes (formats/torch_zip_stream.hpp). For both the weights
// hash, component hashes and fingerprint are computed exactly as for the
// file on disk. Anything else (a legacy pre-1.6 torch file, a zip laid out
// otherwise, or one whose central directory disagrees with its local
// headers) is hashed as bytes only (SHA-256 and the other whole-file hashes)
// and the result says why there is no weights hash or fingerprint
// (weights_error / sketch_error), so the verdict can only rest on what the
// ledger knows of its SHA-256.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "pedigree/fingerprint/builder.hpp"
#include "pedigree/formats/tensor.hpp"
#include "pedigree/formats/torch_zip_stream.hpp"
#include "pedigree/hash/hash_file.hpp"
#include "pedigree/hash/model_hashes.hpp"
#include "pedigree/lineage/check.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::lineage {

// Largest safetensors header buffered before the scan starts (a bigger one
// is hashed as bytes only, with that reason). SD1.x headers are ~100 KiB.
inline constexpr std::uint64_t k_upload_max_header = 16ull << 20;

class UploadScan {
public:
  // `display` names the upload in the report; `size` is the byte count that
  // will be pushed (an HTTP Content-Length).
  UploadScan(std::string display, std::uint64_t size, FingerprintPass pass,
             scan::ScanOptions scan = {});
  ~UploadScan();
  UploadScan(const UploadScan&) = delete;
  UploadScan& operator=(const UploadScan&) = delete;

  // The next bytes. Errors: InvalidArgument past `size`; those of the scan.
  Result<void> write(ByteView bytes);
  // Room to receive the next bytes into directly, saving write()'s copy:
  // offered once the scan has started (past a safetensors header or a
  // PyTorch zip's tensor table, or for a file hashed as bytes only), empty
  // before (then write() them). Fill a prefix and commit() its length.
  std::span<std::uint8_t> write_space();
  Result<void> commit(std::size_t count);
  // Ends the upload: the FileScanResult scan_file_identity would give for
  // the same bytes on disk (safetensors), or bytes-only hashes (others).
  // Corruption when fewer than `size` bytes arrived.
  Result<FileScanResult> finish();

private:
  // The fingerprint builders (the file's own, and its EMA copy's) as sinks of `options`.
  void plan_sketches(hash::HashOptions& options);
  // Bytes still wanted in m_head before the format can be decided (0: decide now).
  std::size_t head_wanted() const;
  Result<void> start_scan();
  // A PyTorch zip: its leading bytes go to m_zip until it knows the tensor
  // table, then the scan starts with the payload stream.
  Result<void> write_zip_head(ByteView& bytes);
  Result<void> start_zip_scan();
  // Bytes after the scan started: to the hasher, and through m_zip if any.
  Result<void> push(ByteView bytes);
  // Bytes the hasher has: through m_zip, whose storages become the payload.
  Result<void> feed_zip(ByteView bytes);
  // m_zip failed after the scan started: no weights evidence, and why.
  void give_up_zip(const Error& why);

  std::string m_display;
  std::uint64_t m_size;
  FingerprintPass m_pass;
  scan::ScanOptions m_scan;
  std::vector<std::uint8_t> m_head;  // leading bytes until the scan starts
  std::optional<formats::Checkpoint> m_checkpoint;
  std::optional<Error> m_why_not;
  std::string m_sketch_error;
  std::optional<fingerprint::FingerprintBuilder> m_builder;  // outlives m_hasher
  // The file's EMA copy of the UNet sketched as a UNet (lineage/ema_evidence.hpp).
  std::optional<fingerprint::FingerprintBuilder> m_ema_builder;  // outlives m_hasher
  std::string m_ema_error;
  std::unique_ptr<hash::StreamHasher> m_hasher;
  std::span<std::uint8_t> m_space;               // the last write_space(), until commit()
  std::optional<formats::TorchZipStream> m_zip;  // while it is followed
};

// The FileScanResult of one finished scan (shared by scan_file_identity and
// UploadScan): identity from `hashes`, recipes from the checkpoint's
// metadata, the fingerprint a builder finished (or its error) when one was built.
FileScanResult file_scan_result(const std::string& input, const hash::ModelHashes& hashes,
                                const formats::Checkpoint* checkpoint,
                                std::optional<Result<fingerprint::Fingerprint>> built,
                                std::string sketch_error);

}  // namespace pedigree::lineage
