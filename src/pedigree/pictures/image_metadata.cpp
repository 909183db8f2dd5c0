// Image containers: PNG text chunks, JPEG APP1 EXIF, WebP EXIF chunk, and the
// TIFF structure inside EXIF. Specs: PNG (W3C, 3rd ed.) §11.3.3, JPEG
// (ITU T.81 B.1.1), Exif 2.32 §4.6 (UserComment 0x9286 in the Exif IFD,
// pointer 0x8769 in IFD0), WebP container (RFC 9649 §2.7).
#include "pedigree/pictures/image_metadata.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace pedigree::pictures {
namespace {

constexpr std::array<std::uint8_t, 8> k_png_magic = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t k_max_png_chunks = 100000;
constexpr std::size_t k_max_jpeg_segments = 100000;

std::uint32_t load_be32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::string located(std::string_view what, std::uint64_t offset, std::string_view message) {
  return std::string(what) + ": " + std::string(message) + " at offset " + std::to_string(offset);
}

// zlib-inflates `input`, refusing output larger than k_max_image_text.
Result<std::string> inflate_bounded(ByteView input, std::string_view what) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK)
    return internal_error(std::string(what) + ": inflateInit failed");
  struct Guard {
    z_stream* s;
    ~Guard() { inflateEnd(s); }
  } guard{&stream};
  stream.next_in = const_cast<Bytef*>(input.data());
  stream.avail_in = static_cast<uInt>(input.size());
  std::string out;
  std::array<char, 65536> buf{};
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef*>(buf.data());
    stream.avail_out = static_cast<uInt>(buf.size());
    int rc = inflate(&stream, Z_NO_FLUSH);
    std::size_t produced = buf.size() - stream.avail_out;
    if (out.size() + produced > k_max_image_text)
      return corruption(std::string(what) + ": compressed text inflates beyond " +
                        std::to_string(k_max_image_text) + " bytes");
    out.append(buf.data(), produced);
    if (rc == Z_STREAM_END) return out;
    if (rc != Z_OK || (produced == 0 && stream.avail_in == 0))
      return corruption(std::string(what) + ": invalid or truncated zlib stream");
  }
}

// Files a text chunk under its keyword.
void keep_text(ImageMetadata& meta, std::string_view keyword, std::string text) {
  if (text.size() > k_max_image_text) text.resize(k_max_image_text);
  if (keyword == "parameters")
    meta.parameters = std::move(text);
  else if (keyword == "prompt")
    meta.comfy_prompt = std::move(text);
  else if (keyword == "workflow")
    meta.comfy_workflow = std::move(text);
  else if (keyword == "Software" || keyword == "Source")
    (keyword == "Software" ? meta.software : meta.source) = text.substr(0, k_max_marker_text);
}

bool kept_keyword(std::string_view keyword) {
  return keyword == "parameters" || keyword == "prompt" || keyword == "workflow" ||
         keyword == "Software" || keyword == "Source";
}

// tEXt: keyword NUL text. zTXt: keyword NUL method(0) zlib. iTXt: keyword NUL
// flag method language NUL translated NUL text (zlib when flag == 1).
Result<void> read_png_text(ImageMetadata& meta, std::string_view type, ByteView data,
                           std::string_view where) {
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(data.data(), 0, data.size()));
  if (!nul) return corruption(std::string(where) + ": text chunk keyword is not NUL-terminated");
  std::string_view keyword(reinterpret_cast<const char*>(data.data()), nul - data.data());
  if (!kept_keyword(keyword)) return {};
  ByteView rest = data.subspan(keyword.size() + 1);
  if (type == "tEXt") {
    keep_text(meta, keyword, std::string(as_string_view(rest)));
    return {};
  }
  if (type == "zTXt") {
    if (rest.empty() || rest[0] != 0)
      return corruption(std::string(where) + ": zTXt compression method is not 0");
    PD_ASSIGN_OR_RETURN(auto text, inflate_bounded(rest.subspan(1), where));
    keep_text(meta, keyword, std::move(text));
    return {};
  }
  // iTXt
  if (rest.size() < 2) return corruption(std::string(where) + ": iTXt chunk too short");
  bool compressed = rest[0] == 1;
  if (rest[0] > 1 || rest[1] != 0)
    return corruption(std::string(where) + ": iTXt compression flag/method invalid");
  rest = rest.subspan(2);
  for (int skip = 0; skip < 2; ++skip) {  // language tag, translated keyword
    const auto* end = static_cast<const std::uint8_t*>(std::memchr(rest.data(), 0, rest.size()));
    if (!end) return corruption(std::string(where) + ": iTXt field is not NUL-terminated");
    rest = rest.subspan(end - rest.data() + 1);
  }
  if (compressed) {
    PD_ASSIGN_OR_RETURN(auto text, inflate_bounded(rest, where));
    keep_text(meta, keyword, std::move(text));
  } else {
    keep_text(meta, keyword, std::string(as_string_view(rest)));
  }
  return {};
}

Result<void> read_png(ImageMetadata& meta, ByteView file, std::string_view what) {
  ByteReader reader(file);
  PD_TRY(reader.skip(k_png_magic.size(), "PNG signature"));
  for (std::size_t count = 0; !reader.at_end(); ++count) {
    if (count >= k_max_png_chunks) return corruption(std::string(what) + ": too many PNG chunks");
    std::uint64_t chunk_offset = reader.file_offset();
    PD_ASSIGN_OR_RETURN(auto header, reader.read_bytes(8, "PNG chunk header"));
    std::uint32_t length = load_be32(header.data());
    std::string type(reinterpret_cast<const char*>(header.data() + 4), 4);
    if (length > 0x7fffffffu || length > reader.remaining())
      return corruption(located(
          what, chunk_offset,
          "PNG chunk '" + type + "' length " + std::to_string(length) + " exceeds the file"));
    PD_ASSIGN_OR_RETURN(auto data, reader.read_bytes(length, "PNG chunk data"));
    PD_ASSIGN_OR_RETURN(auto crc_bytes, reader.read_bytes(4, "PNG chunk CRC"));
    uLong crc = crc32(0L, header.data() + 4, 4);
    crc = crc32(crc, data.data(), static_cast<uInt>(data.size()));
    if (crc != load_be32(crc_bytes.data()))
      return corruption(located(what, chunk_offset, "PNG chunk '" + type + "' CRC mismatch"));
    if (type == "tEXt" || type == "zTXt" || type == "iTXt")
      PD_TRY(read_png_text(meta, type, data, located(what, chunk_offset, "PNG " + type)));
    if (type == "IEND") return {};
  }
  return corruption(std::string(what) + ": PNG ends without an IEND chunk");
}

// A TIFF structure (EXIF body): finds UserComment in the Exif IFD (or IFD0).
class TiffReader {
public:
  TiffReader(ByteView tiff, std::string_view what) : m_tiff(tiff), m_what(what) {}

  Result<std::optional<std::string>> user_comment() {
    if (m_tiff.size() < 8) return corruption(std::string(m_what) + ": EXIF TIFF header truncated");
    if (m_tiff[0] == 'I' && m_tiff[1] == 'I')
      m_big = false;
    else if (m_tiff[0] == 'M' && m_tiff[1] == 'M')
      m_big = true;
    else
      return corruption(std::string(m_what) + ": EXIF byte order mark is not II or MM");
    if (u16(2) != 42) return corruption(std::string(m_what) + ": EXIF TIFF magic is not 42");
    std::uint32_t ifd0 = u32(4);
    PD_ASSIGN_OR_RETURN(auto from_ifd0, find_tag(ifd0, 0x9286));
    if (from_ifd0) return from_ifd0;
    PD_ASSIGN_OR_RETURN(auto exif_ptr, find_tag_value(ifd0, 0x8769));
    if (!exif_ptr) return std::optional<std::string>{};
    return find_tag(*exif_ptr, 0x9286);
  }

private:
  std::uint16_t u16(std::size_t at) const {
    return m_big ? static_cast<std::uint16_t>((m_tiff[at] << 8) | m_tiff[at + 1])
                 : load_le16(&m_tiff[at]);
  }
  std::uint32_t u32(std::size_t at) const {
    return m_big ? load_be32(&m_tiff[at]) : load_le32(&m_tiff[at]);
  }

  // Offset of the 12-byte entry with `tag` in the IFD at `ifd`, or nullopt.
  Result<std::optional<std::size_t>> find_entry(std::uint32_t ifd, std::uint16_t tag) const {
    if (ifd > m_tiff.size() || m_tiff.size() - ifd < 2)
      return corruption(located(m_what, ifd, "EXIF IFD offset outside the EXIF data"));
    std::size_t count = u16(ifd);
    if (count * 12 > m_tiff.size() - ifd - 2)
      return corruption(located(m_what, ifd, "EXIF IFD entry count exceeds the EXIF data"));
    for (std::size_t i = 0; i < count; ++i) {
      std::size_t entry = ifd + 2 + i * 12;
      if (u16(entry) == tag) return std::optional<std::size_t>{entry};
    }
    return std::optional<std::size_t>{};
  }

  Result<std::optional<std::uint32_t>> find_tag_value(std::uint32_t ifd, std::uint16_t tag) const {
    PD_ASSIGN_OR_RETURN(auto entry, find_entry(ifd, tag));
    if (!entry) return std::optional<std::uint32_t>{};
    return std::optional<std::uint32_t>{u32(*entry + 8)};
  }

  // The bytes of an UNDEFINED/ASCII/BYTE entry, decoded as a UserComment.
  Result<std::optional<std::string>> find_tag(std::uint32_t ifd, std::uint16_t tag) const {
    PD_ASSIGN_OR_RETURN(auto entry, find_entry(ifd, tag));
    if (!entry) return std::optional<std::string>{};
    std::uint16_t type = u16(*entry + 2);
    if (type != 1 && type != 2 && type != 7)
      return corruption(located(
          m_what, *entry, "EXIF UserComment has type " + std::to_string(type) + ", not UNDEFINED"));
    std::uint32_t count = u32(*entry + 4);
    ByteView value;
    if (count <= 4) {
      value = m_tiff.subspan(*entry + 8, count);
    } else {
      std::uint32_t offset = u32(*entry + 8);
      if (offset > m_tiff.size() || count > m_tiff.size() - offset)
        return corruption(located(
            m_what, *entry,
            "EXIF UserComment (" + std::to_string(count) + " bytes) exceeds the EXIF data"));
      value = m_tiff.subspan(offset, count);
    }
    return std::optional<std::string>{decode_user_comment(value)};
  }

  ByteView m_tiff;
  std::string_view m_what;
  bool m_big = false;
};

Result<void> read_exif(ImageMetadata& meta, ByteView exif, std::string_view what) {
  static constexpr std::uint8_t k_exif_prefix[6] = {'E', 'x', 'i', 'f', 0, 0};
  if (exif.size() >= 6 && std::memcmp(exif.data(), k_exif_prefix, 6) == 0) exif = exif.subspan(6);
  TiffReader tiff(exif, what);
  PD_ASSIGN_OR_RETURN(auto comment, tiff.user_comment());
  if (comment && meta.parameters.empty()) meta.parameters = std::move(*comment);
  return {};
}

// Walks JPEG marker segments up to the start of scan, reading APP1 "Exif".
Result<void> read_jpeg(ImageMetadata& meta, ByteView file, std::string_view what) {
  ByteReader reader(file);
  PD_TRY(reader.skip(2, "JPEG SOI"));
  for (std::size_t count = 0; count < k_max_jpeg_segments; ++count) {
    std::uint64_t seg_offset = reader.file_offset();
    PD_ASSIGN_OR_RETURN(auto marker, reader.read_bytes(2, "JPEG marker"));
    if (marker[0] != 0xff)
      return corruption(located(what, seg_offset, "expected a JPEG marker (0xFF)"));
    std::uint8_t code = marker[1];
    if (code == 0xd9 || code == 0xda) return {};  // EOI or start of scan: no metadata after
    if (code == 0x01 || (code >= 0xd0 && code <= 0xd7)) continue;  // markers without a length
    PD_ASSIGN_OR_RETURN(auto len_bytes, reader.read_bytes(2, "JPEG segment length"));
    std::size_t length = (std::size_t{len_bytes[0]} << 8) | len_bytes[1];
    if (length < 2 || length - 2 > reader.remaining())
      return corruption(located(
          what, seg_offset, "JPEG segment length " + std::to_string(length) + " exceeds the file"));
    PD_ASSIGN_OR_RETURN(auto body, reader.read_bytes(length - 2, "JPEG segment"));
    if (code == 0xe1 && body.size() >= 6 && std::memcmp(body.data(), "Exif\0\0", 6) == 0)
      PD_TRY(read_exif(meta, body, located(what, seg_offset, "JPEG APP1 EXIF")));
  }
  return corruption(std::string(what) + ": too many JPEG segments");
}

// RIFF "WEBP": chunks of fourcc, LE u32 size, data padded to an even size.
Result<void> read_webp(ImageMetadata& meta, ByteView file, std::string_view what) {
  ByteReader reader(file);
  PD_TRY(reader.skip(12, "RIFF header"));
  while (!reader.at_end()) {
    std::uint64_t chunk_offset = reader.file_offset();
    PD_ASSIGN_OR_RETURN(auto header, reader.read_bytes(8, "WebP chunk header"));
    std::string_view fourcc(reinterpret_cast<const char*>(header.data()), 4);
    std::uint32_t size = load_le32(header.data() + 4);
    if (size > reader.remaining())
      return corruption(located(what, chunk_offset,
                                "WebP chunk '" + std::string(fourcc) + "' size exceeds the file"));
    PD_ASSIGN_OR_RETURN(auto data, reader.read_bytes(size, "WebP chunk"));
    if (size % 2 == 1 && !reader.at_end()) PD_TRY(reader.skip(1, "WebP chunk padding"));
    if (fourcc == "EXIF") PD_TRY(read_exif(meta, data, located(what, chunk_offset, "WebP EXIF")));
  }
  return {};
}

void collect_models(ImageMetadata& meta) {
  if (!meta.parameters.empty()) {
    if (auto swarm = swarmui_resources(meta.parameters)) {
      meta.models = std::move(*swarm);
    } else {
      meta.models = a1111_resources(parse_a1111_parameters(meta.parameters), meta.warnings);
    }
  }
  for (auto [json, label] : {std::pair{&meta.comfy_prompt, "ComfyUI prompt"},
                             std::pair{&meta.comfy_workflow, "ComfyUI workflow"}}) {
    if (json->empty()) continue;
    auto refs = comfyui_checkpoints(*json, label);
    if (!refs) {
      meta.warnings.push_back(refs.error().message());
      continue;
    }
    for (auto& ref : *refs) {
      bool seen = false;
      for (const auto& m : meta.models)
        seen = seen || (m.role == ref.role && m.name == ref.name && m.hash.empty());
      if (!seen) meta.models.push_back(std::move(ref));
    }
  }
  // By role: the checkpoint first, then VAE, LoRAs, embeddings, hypernetworks.
  auto rank = [](const ImageModelReference& m) {
    const std::array<std::string_view, 4> order = {k_role_checkpoint, k_role_vae, k_role_lora,
                                                   k_role_embedding};
    return std::find(order.begin(), order.end(), m.role) - order.begin();
  };
  std::stable_sort(meta.models.begin(), meta.models.end(),
                   [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
}

}  // namespace

std::string_view image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::k_png: return "png";
    case ImageFormat::k_jpeg: return "jpeg";
    case ImageFormat::k_webp: return "webp";
  }
  return "?";
}

std::optional<ImageFormat> detect_image_format(ByteView head) {
  if (head.size() >= 8 && std::memcmp(head.data(), k_png_magic.data(), 8) == 0)
    return ImageFormat::k_png;
  if (head.size() >= 3 && head[0] == 0xff && head[1] == 0xd8 && head[2] == 0xff)
    return ImageFormat::k_jpeg;
  if (head.size() >= 12 && std::memcmp(head.data(), "RIFF", 4) == 0 &&
      std::memcmp(head.data() + 8, "WEBP", 4) == 0)
    return ImageFormat::k_webp;
  return std::nullopt;
}

Result<ImageMetadata> read_image_metadata(ByteView file, std::string_view what) {
  auto format = detect_image_format(file);
  if (!format) return not_supported(std::string(what) + ": not a PNG, JPEG or WebP image");
  ImageMetadata meta;
  meta.format = *format;
  Result<void> read = {};
  switch (*format) {
    case ImageFormat::k_png: read = read_png(meta, file, what); break;
    case ImageFormat::k_jpeg: read = read_jpeg(meta, file, what); break;
    case ImageFormat::k_webp: read = read_webp(meta, file, what); break;
  }
  if (!read) {
    // ByteReader errors name the field and offset; make sure the file is named too.
    if (read.error().message().starts_with(what)) return std::unexpected(read.error());
    return std::unexpected(read.error().with_context(what));
  }
  collect_models(meta);
  return meta;
}

}  // namespace pedigree::pictures
