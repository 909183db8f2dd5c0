#include "pedigree/crypto/base64.hpp"

#include <array>

namespace pedigree::crypto {
namespace {

constexpr char k_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<int, 256> make_decode_table() {
  std::array<int, 256> table{};
  for (int& v : table) v = -1;
  for (int i = 0; i < 64; ++i) table[static_cast<unsigned char>(k_alphabet[i])] = i;
  return table;
}

constexpr std::array<int, 256> k_decode = make_decode_table();

}  // namespace

std::string base64_encode(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += k_alphabet[(v >> 6) & 63];
    out += k_alphabet[v & 63];
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = bytes[i] << 16;
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += "==";
  } else if (rest == 2) {
    std::uint32_t v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += k_alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string base64_encode(std::string_view text) {
  return base64_encode(ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int v[4];
    for (int k = 0; k < 4 - pad; ++k) {
      v[k] = k_decode[static_cast<unsigned char>(text[i + k])];
      if (v[k] < 0) return std::nullopt;
    }
    for (int k = 4 - pad; k < 4; ++k) v[k] = 0;
    std::uint32_t word = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out += static_cast<char>((word >> 16) & 0xFF);
    if (pad == 2) {
      if ((word & 0xFFFF) != 0) return std::nullopt;  // non-zero unused bits
      break;
    }
    out += static_cast<char>((word >> 8) & 0xFF);
    if (pad == 1) {
      if ((word & 0xFF) != 0) return std::nullopt;
      break;
    }
    out += static_cast<char>(word & 0xFF);
  }
  return out;
}

}  // namespace pedigree::crypto
