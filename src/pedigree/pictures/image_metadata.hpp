// What a generated picture says about the model that made it.
//
// A1111/Forge write their generation parameters as text ("parameters") in a
// PNG tEXt/zTXt/iTXt chunk, or in the EXIF UserComment of a JPEG or WebP;
// ComfyUI stores its `prompt` (API graph) and `workflow` (UI graph) JSON in PNG
// text chunks. This module extracts the model hash and name(s) from them.
// Every parser reads untrusted bytes through bounds checks; compressed text is
// inflated with a hard output limit; JSON nesting is bounded before parsing.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pedigree/util/bytes.hpp"
#include "pedigree/util/error.hpp"

namespace pedigree::pictures {

// Largest text kept from one chunk or EXIF field (bytes, after inflation).
inline constexpr std::size_t k_max_image_text = 4u << 20;
// Largest Software/Source text kept (they are short names).
inline constexpr std::size_t k_max_marker_text = 256;
// Largest nesting accepted in ComfyUI JSON.
inline constexpr int k_max_json_depth = 64;

enum class ImageFormat { k_png, k_jpeg, k_webp };
// "png", "jpeg", "webp".
std::string_view image_format_name(ImageFormat format);

// Detects an image by its magic bytes; nullopt when `head` is not PNG/JPEG/WebP.
std::optional<ImageFormat> detect_image_format(ByteView head);

// The kinds of resource a picture may name.
inline constexpr std::string_view k_role_checkpoint = "checkpoint";
inline constexpr std::string_view k_role_vae = "vae";
inline constexpr std::string_view k_role_lora = "lora";  // LoRA, LyCORIS, LoCon, ...
inline constexpr std::string_view k_role_embedding = "embedding";
inline constexpr std::string_view k_role_hypernetwork = "hypernetwork";

// One model file (resource) the picture names, and where the picture says so.
struct ImageModelReference {
  std::string hash;    // as written (e.g. "925997e9", "89d59c3dde", "0x<64 hex>"); may be empty
  std::string name;    // the resource's name as written; may be empty
  std::string origin;  // e.g. "parameters (Model hash, Model)", "ComfyUI prompt node 4 LoraLoader"
  std::string role = std::string(k_role_checkpoint);  // one of the k_role_* values
  std::string air;  // its Civitai identity as the picture gives it ("urn:air:...", or
                    // "civitai model version N"), "" if none
};

// The parsed fields of A1111/Forge "parameters" text.
struct A1111Parameters {
  std::string model_hash;  // "Model hash: ..."
  std::string model_name;  // "Model: ..."
  std::string vae_hash;    // "VAE hash: ..."
  std::string vae_name;    // "VAE: ..."
  // Every "Key: value" of the settings line in order, values unquoted (a
  // quoted value is a JSON string; a value opening with '{' or '[' runs to
  // its matching bracket, as A1111 writes `Hashes: {...}` and Civitai
  // `Civitai resources: [...]`).
  std::vector<std::pair<std::string, std::string>> fields;
  std::string prompt;  // the text before the settings line (prompts, "<lora:name:w>" tags)
};

// Parses the settings line(s) of A1111 parameters text ("Steps: 20, Sampler:
// ..., Model hash: 925997e9, Model: name"). Quoted values may contain commas.
// Never fails: absent fields stay empty.
A1111Parameters parse_a1111_parameters(std::string_view text);

// Every resource A1111/Forge/Civitai parameters name (docs/formats/pictures.md):
// "Model hash"/"Model", "VAE hash"/"VAE", the `Hashes` JSON object ("model",
// "vae", "lora:NAME", "lyco:NAME", "embed:NAME", "hypernet:NAME"), "Lora
// hashes" and "TI hashes" ("NAME: HASH, ..."), `Civitai resources` (a JSON
// list of {type, modelVersionId, modelName, hash, air...}) and the prompt's
// "<lora:NAME:W>" / "<lyco:...>" / "<hypernet:...>" tags; one entry per
// resource (the same role and name, or hash, merged). Malformed JSON in a
// field adds a warning, never an error.
std::vector<ImageModelReference> a1111_resources(const A1111Parameters& params,
                                                 std::vector<std::string>& warnings);

// SwarmUI writes its parameters text as JSON: {"sui_image_params": {...},
// "sui_models": [{"name", "param", "hash"}]}. The resources it names (model,
// loras, vae, ...); nullopt when `text` is not such JSON.
std::optional<std::vector<ImageModelReference>> swarmui_resources(std::string_view text);

// Model files loaded by a ComfyUI `prompt` (API) or `workflow` (UI) JSON:
// checkpoint loaders (ckpt_name, UNETLoader unet_name), LoRA loaders
// (lora_name), VAELoader (vae_name), HypernetworkLoader (hypernetwork_name),
// and "embedding:NAME" in text inputs; widgets_values[0] in a workflow.
// Corruption (naming `what`) on invalid JSON or nesting deeper than k_max_json_depth.
Result<std::vector<ImageModelReference>> comfyui_checkpoints(std::string_view json_text,
                                                             std::string_view what);

struct ImageMetadata {
  ImageFormat format = ImageFormat::k_png;
  std::string parameters;      // A1111/Forge parameters text, empty if none
  std::string comfy_prompt;    // ComfyUI API graph JSON, empty if none
  std::string comfy_workflow;  // ComfyUI UI graph JSON, empty if none
  // PNG "Software" and "Source" text (NovelAI's service writes "NovelAI" and
  // "Stable Diffusion <CRC32>"; lineage/image_service.hpp), at most
  // k_max_marker_text bytes each, empty if none.
  std::string software;
  std::string source;
  // Every resource the picture names (checkpoint, VAE, LoRAs, embeddings,
  // hypernetworks), parameters first, then ComfyUI nodes.
  std::vector<ImageModelReference> models;
  // Non-fatal problems (e.g. unparsable ComfyUI JSON), for the report.
  std::vector<std::string> warnings;
};

// Reads the generation metadata of a whole image file held in `file`.
// `what` (the file name) starts every error message. Corruption on truncated
// or malformed containers (naming the offset), NotSupported for other formats.
// Succeeds with empty fields when the picture carries no generation metadata.
Result<ImageMetadata> read_image_metadata(ByteView file, std::string_view what);

// Decodes an EXIF UserComment value: an 8-byte charset prefix ("ASCII\0\0\0",
// "UNICODE\0" followed by UTF-16 of either byte order, detected from a BOM or
// from where the zero bytes fall, or an unknown/empty prefix read as UTF-8).
std::string decode_user_comment(ByteView value);

}  // namespace pedigree::pictures
