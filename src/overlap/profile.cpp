// Layer profiles: presets, size lists, JSON files, and the ways backward times are set.
#include "overlap/profile.h"

#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/units.h"

namespace ccb {
namespace {

constexpr std::uint64_t kFloatBytes = 4;

// A convolution (k x k, cin -> cout, no bias) with its batch norm (scale and shift per output channel),
// at `outSide` x `outSide` output positions.
Layer convLayer(const std::string& name, int k, int cin, int cout, int outSide) {
  const double weights = static_cast<double>(k) * k * cin * cout;
  const auto params = static_cast<std::uint64_t>(weights) + 2ull * static_cast<std::uint64_t>(cout);
  return Layer{name, params * kFloatBytes, 2.0 * weights * outSide * outSide, -1};
}

// A dense layer applied at `positions` positions (tokens): weights plus bias.
Layer denseLayer(const std::string& name, int in, int out, int positions) {
  const double weights = static_cast<double>(in) * out;
  const auto params = static_cast<std::uint64_t>(weights) + static_cast<std::uint64_t>(out);
  return Layer{name, params * kFloatBytes, 2.0 * weights * positions, -1};
}

// torchvision's resnet50 (v1.5: the stride sits on the 3x3 convolution): 25,557,032 parameters.
LayerProfile resnet50() {
  LayerProfile p{"resnet50", {}};
  p.layers.push_back(convLayer("conv1", 7, 3, 64, 112));
  const int blocks[] = {3, 4, 6, 3};
  const int widths[] = {64, 128, 256, 512};
  const int sides[] = {56, 28, 14, 7};
  int in = 64;
  for (int s = 0; s < 4; ++s) {
    const int w = widths[s];
    for (int b = 0; b < blocks[s]; ++b) {
      const std::string prefix = "layer" + std::to_string(s + 1) + "." + std::to_string(b) + ".";
      // The first block of stages 2-4 reads the previous stage's larger map.
      const int inSide = (b == 0 && s > 0) ? 2 * sides[s] : sides[s];
      p.layers.push_back(convLayer(prefix + "conv1", 1, in, w, inSide));
      p.layers.push_back(convLayer(prefix + "conv2", 3, w, w, sides[s]));
      p.layers.push_back(convLayer(prefix + "conv3", 1, w, 4 * w, sides[s]));
      if (b == 0) p.layers.push_back(convLayer(prefix + "downsample", 1, in, 4 * w, sides[s]));
      in = 4 * w;
    }
  }
  p.layers.push_back(denseLayer("fc", 2048, 1000, 1));
  return p;
}

// BERT-base shapes: hidden 768, 12 blocks, MLP 3072, vocabulary 30522, sequence 128 (no pooler).
LayerProfile transformer() {
  constexpr int kHidden = 768, kBlocks = 12, kMlp = 3072, kVocab = 30522, kMaxPositions = 512, kSeq = 128;
  LayerProfile p{"transformer", {}};
  const std::uint64_t embeddingParams = static_cast<std::uint64_t>(kVocab + kMaxPositions + 2 + 2) * kHidden;
  p.layers.push_back(Layer{"embeddings", embeddingParams * kFloatBytes, 2.0 * kSeq * kHidden, -1});
  const Layer norm{"", 2ull * kHidden * kFloatBytes, 8.0 * kSeq * kHidden, -1};
  for (int b = 0; b < kBlocks; ++b) {
    const std::string prefix = "block" + std::to_string(b) + ".";
    Layer qkv = denseLayer(prefix + "qkv", kHidden, 3 * kHidden, kSeq);
    qkv.forwardFlops += 4.0 * kSeq * kSeq * kHidden;  // scores QK^T and their product with V
    p.layers.push_back(qkv);
    p.layers.push_back(denseLayer(prefix + "attn_out", kHidden, kHidden, kSeq));
    p.layers.push_back(Layer{prefix + "ln1", norm.gradientBytes, norm.forwardFlops, -1});
    p.layers.push_back(denseLayer(prefix + "fc1", kHidden, kMlp, kSeq));
    p.layers.push_back(denseLayer(prefix + "fc2", kMlp, kHidden, kSeq));
    p.layers.push_back(Layer{prefix + "ln2", norm.gradientBytes, norm.forwardFlops, -1});
  }
  return p;
}

void requireFiniteNonNegative(double value, const std::string& what) {
  if (!std::isfinite(value) || value < 0) {
    std::ostringstream os;
    os << what << " must be a finite number >= 0, got " << value;
    throw UsageError(os.str());
  }
}

std::uint64_t layerBytes(const nlohmann::json& j, const std::string& what) {
  if (j.is_number_unsigned()) return j.get<std::uint64_t>();
  if (j.is_string()) return parseBytes(j.get<std::string>(), what);
  throw UsageError(what + " must be a byte count (a number >= 0 or a string such as \"4M\")");
}

}  // namespace

std::uint64_t LayerProfile::totalBytes() const {
  std::uint64_t total = 0;
  for (const Layer& l : layers) total += l.gradientBytes;
  return total;
}

double LayerProfile::backwardUs() const {
  double total = 0;
  for (const Layer& l : layers) total += l.backwardUs > 0 ? l.backwardUs : 0;
  return total;
}

std::vector<std::string> presetNames() { return {"resnet50", "transformer"}; }

LayerProfile presetProfile(std::string_view name) {
  if (name == "resnet50") return resnet50();
  if (name == "transformer") return transformer();
  throw UsageError("unknown layer preset '" + std::string(name) + "' (presets: resnet50, transformer)");
}

LayerProfile parseLayerList(std::string_view text, std::string_view flag) {
  const std::string what(flag);
  LayerProfile p{"list", {}};
  if (text.find_first_not_of(" \t") == std::string_view::npos) throw UsageError(what + ": empty layer list");
  std::size_t begin = 0;
  while (true) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    std::string_view item = text.substr(begin, end - begin);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    const std::string layerName = "layer" + std::to_string(p.layers.size());
    if (item.empty()) throw UsageError(what + ": empty item in the layer list '" + std::string(text) + "'");
    p.layers.push_back(Layer{layerName, parseBytes(item, what), 0, -1});
    if (end == text.size()) break;
    begin = end + 1;
  }
  return p;
}

LayerProfile resolveLayers(std::string_view spec, std::string_view flag) {
  // A list starts with a digit; anything else is meant as a preset name.
  const std::size_t first = spec.find_first_not_of(' ');
  if (first != std::string_view::npos && !std::isdigit(static_cast<unsigned char>(spec[first]))) {
    return presetProfile(spec);
  }
  return parseLayerList(spec, flag);
}

LayerProfile parseProfileJson(std::string_view text, const std::string& source) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw UsageError(source + ": not valid JSON");
  if (!j.is_object()) throw UsageError(source + ": expected a JSON object with a \"layers\" array");
  const auto layers = j.find("layers");
  if (layers == j.end() || !layers->is_array()) throw UsageError(source + ": missing \"layers\" array");
  if (layers->empty()) throw UsageError(source + ": empty layer list");
  LayerProfile p{source, {}};
  if (const auto n = j.find("name"); n != j.end() && n->is_string()) p.name = n->get<std::string>();
  for (const nlohmann::json& item : *layers) {
    const std::string where = source + ": layer " + std::to_string(p.layers.size());
    if (!item.is_object()) throw UsageError(where + ": expected an object with \"bytes\"");
    Layer layer{"layer" + std::to_string(p.layers.size()), 0, 0, -1};
    if (const auto n = item.find("name"); n != item.end()) {
      if (!n->is_string()) throw UsageError(where + ": \"name\" must be a string");
      layer.name = n->get<std::string>();
    }
    const auto bytes = item.find("bytes");
    if (bytes == item.end()) throw UsageError(where + ": missing \"bytes\"");
    layer.gradientBytes = layerBytes(*bytes, where + " \"bytes\"");
    for (const char* key : {"compute_us", "flops"}) {
      const auto v = item.find(key);
      if (v == item.end()) continue;
      if (!v->is_number()) throw UsageError(where + ": \"" + key + "\" must be a number");
      requireFiniteNonNegative(v->get<double>(), where + " \"" + key + "\"");
      (std::string_view(key) == "flops" ? layer.forwardFlops : layer.backwardUs) = v->get<double>();
    }
    p.layers.push_back(layer);
  }
  return p;
}

LayerProfile loadProfileFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("--profile " + path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parseProfileJson(text.str(), "--profile " + path);
}

void scaleGradients(LayerProfile& profile, double factor, std::size_t elementBytes) {
  if (!(factor > 0) || !std::isfinite(factor)) {
    std::ostringstream os;
    os << "--scale must be a number > 0, got " << factor;
    throw UsageError(os.str());
  }
  for (Layer& l : profile.layers) {
    if (l.gradientBytes == 0) continue;
    const double elements = std::round(static_cast<double>(l.gradientBytes) * factor / elementBytes);
    l.gradientBytes = static_cast<std::uint64_t>(std::max(1.0, elements)) * elementBytes;
  }
}

void setBackwardTotal(LayerProfile& profile, double totalUs) {
  requireFiniteNonNegative(totalUs, "--compute-us");
  bool allFlops = true;
  double flops = 0;
  for (const Layer& l : profile.layers) {
    allFlops = allFlops && l.forwardFlops > 0;
    flops += l.forwardFlops;
  }
  const double bytes = static_cast<double>(profile.totalBytes());
  for (Layer& l : profile.layers) {
    const double share = allFlops ? l.forwardFlops / flops
                                  : (bytes > 0 ? static_cast<double>(l.gradientBytes) / bytes
                                               : 1.0 / static_cast<double>(profile.layers.size()));
    l.backwardUs = totalUs * share;
  }
}

void setBackwardFromRate(LayerProfile& profile, double gflops, int batch) {
  if (!(gflops > 0) || !std::isfinite(gflops)) throw UsageError("--gflops must be a number > 0");
  if (batch < 1) throw UsageError("--batch must be >= 1, got " + std::to_string(batch));
  for (Layer& l : profile.layers) {
    if (!(l.forwardFlops > 0)) {
      throw UsageError("--gflops needs FLOPs for every layer (layer '" + l.name + "' has none): use --compute-us");
    }
    // GFLOP/s = 1e3 FLOP per microsecond.
    l.backwardUs = 2.0 * l.forwardFlops * batch / (gflops * 1e3);
  }
}

void validateProfile(const LayerProfile& profile, std::size_t elementBytes) {
  if (profile.layers.empty()) throw UsageError("empty layer list");
  if (profile.totalBytes() == 0) throw UsageError("the layers hold no gradient bytes");
  for (const Layer& l : profile.layers) {
    if (l.gradientBytes % elementBytes != 0) {
      throw UsageError("layer '" + l.name + "': " + std::to_string(l.gradientBytes) +
                       " bytes is not a whole number of " + std::to_string(elementBytes) + "-byte elements");
    }
    if (l.backwardUs < 0 || !std::isfinite(l.backwardUs)) {
      throw UsageError("layer '" + l.name + "' has no backward time (give --compute-us, --gflops or compute_us)");
    }
  }
}

}  // namespace ccb
