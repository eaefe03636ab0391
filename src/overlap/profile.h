// Layer profiles of the overlap benchmark: a model described by its layers (gradient bytes and backward
// compute time), as a preset (ResNet-50-like, transformer-block-like), a list of sizes or a JSON file.
// Pure: no MPI, no timing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ccb {

struct Layer {
  std::string name;
  std::uint64_t gradientBytes = 0;
  double forwardFlops = 0;  // per sample; 0 = unknown (lists and files without "flops")
  double backwardUs = -1;   // backward compute time; < 0 = not set yet
};

// Layers in forward (model) order: layer 0 is the input side. Backward produces gradients last-first.
struct LayerProfile {
  std::string name;
  std::vector<Layer> layers;

  std::uint64_t totalBytes() const;
  double backwardUs() const;  // sum of the layers' set times
};

// "resnet50", "transformer".
std::vector<std::string> presetNames();

// ResNet-50-like: one layer per convolution (its batch-norm folded in) and the classifier, float32 parameter
// bytes and forward FLOPs per 224x224 image. Transformer-block-like: BERT-base shapes (hidden 768, 12 blocks,
// sequence 128), one layer per weight matrix or layer norm, and the embeddings. Throws UsageError for an
// unknown name (naming the presets).
LayerProfile presetProfile(std::string_view name);

// "4M,1M,256K": gradient sizes in forward order (units.h suffixes). Throws UsageError naming `flag` for an
// empty list, an empty item or a malformed size.
LayerProfile parseLayerList(std::string_view text, std::string_view flag);

// A preset name or a size list (a list starts with a digit; anything else must name a preset).
LayerProfile resolveLayers(std::string_view spec, std::string_view flag);

// {"name": "...", "layers": [{"name": "fc", "bytes": 4096 | "4K", "compute_us": 12.5, "flops": 1e6}, ...]}
// with "name", "compute_us" and "flops" optional. Throws UsageError("<source>: <what is wrong>") for text
// that is not JSON, a missing or empty "layers", or a field of the wrong type or sign.
LayerProfile parseProfileJson(std::string_view text, const std::string& source);
// Reads and parses a file; UsageError when it cannot be read.
LayerProfile loadProfileFile(const std::string& path);

// Multiplies every gradient size by `factor`, rounded to whole elements of `elementBytes` (a non-empty
// layer keeps at least one element). Throws UsageError unless factor > 0.
void scaleGradients(LayerProfile& profile, double factor, std::size_t elementBytes);

// Spreads `totalUs` of backward time over the layers in proportion to their FLOPs when every layer has
// them, else to their gradient bytes. Throws UsageError for a negative or non-finite total.
void setBackwardTotal(LayerProfile& profile, double totalUs);

// Backward time from a FLOP rate: 2 x forward FLOPs x batch / rate (backward costs about twice the forward
// pass). Throws UsageError unless gflops > 0, batch >= 1 and every layer has FLOPs.
void setBackwardFromRate(LayerProfile& profile, double gflops, int batch);

// Throws UsageError for an empty profile, no gradient bytes at all, a size that is not whole elements of
// `elementBytes`, or a layer whose backward time is unset, negative or not finite.
void validateProfile(const LayerProfile& profile, std::size_t elementBytes);

}  // namespace ccb
