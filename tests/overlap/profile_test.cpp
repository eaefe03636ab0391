// Layer profiles: presets against published parameter counts, lists, files, and every bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "core/error.h"
#include "overlap/profile.h"

namespace ccb {
namespace {

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Profile, ResNet50MatchesTorchvision) {
  const LayerProfile p = presetProfile("resnet50");
  EXPECT_EQ(p.totalBytes(), 25557032ull * 4);  // torchvision resnet50: 25,557,032 parameters
  EXPECT_EQ(p.layers.size(), 54u);              // 53 convolutions + fc
  double flops = 0;
  for (const Layer& l : p.layers) flops += l.forwardFlops;
  EXPECT_GT(flops, 7.5e9);  // ~4.1 G multiply-adds per image
  EXPECT_LT(flops, 8.5e9);
}

TEST(Profile, TransformerMatchesBertBase) {
  const LayerProfile p = presetProfile("transformer");
  EXPECT_EQ(p.totalBytes(), 108891648ull * 4);  // BERT-base without its pooler
  EXPECT_EQ(p.layers.size(), 1u + 12 * 6);
}

TEST(Profile, UnknownPreset) {
  EXPECT_EQ(errorOf([] { presetProfile("vgg"); }), "unknown layer preset 'vgg' (presets: resnet50, transformer)");
}

TEST(Profile, SizeList) {
  const LayerProfile p = resolveLayers("4M, 1K,12", "--layers");
  ASSERT_EQ(p.layers.size(), 3u);
  EXPECT_EQ(p.layers[0].gradientBytes, 4u << 20);
  EXPECT_EQ(p.layers[1].gradientBytes, 1024u);
  EXPECT_EQ(p.layers[2].gradientBytes, 12u);
  EXPECT_EQ(errorOf([] { parseLayerList("", "--layers"); }), "--layers: empty layer list");
  EXPECT_EQ(errorOf([] { parseLayerList("4M,,1M", "--layers"); }), "--layers: empty item in the layer list '4M,,1M'");
  EXPECT_NE(errorOf([] { parseLayerList("4M,abc", "--layers"); }), "");
  EXPECT_NE(errorOf([] { parseLayerList("-4", "--layers"); }), "");
}

TEST(Profile, JsonFile) {
  const LayerProfile p = parseProfileJson(
      R"({"name": "tiny", "layers": [{"name": "a", "bytes": "1K", "compute_us": 10}, {"bytes": 8, "flops": 5}]})", "f");
  EXPECT_EQ(p.name, "tiny");
  ASSERT_EQ(p.layers.size(), 2u);
  EXPECT_EQ(p.layers[0].gradientBytes, 1024u);
  EXPECT_EQ(p.layers[0].backwardUs, 10);
  EXPECT_EQ(p.layers[1].name, "layer1");
  EXPECT_EQ(p.layers[1].forwardFlops, 5);
  EXPECT_LT(p.layers[1].backwardUs, 0);
}

TEST(Profile, BadJsonIsRefused) {
  EXPECT_EQ(errorOf([] { parseProfileJson("{\"layers\": [", "p.json"); }), "p.json: not valid JSON");
  EXPECT_EQ(errorOf([] { parseProfileJson("{}", "p.json"); }), "p.json: missing \"layers\" array");
  EXPECT_EQ(errorOf([] { parseProfileJson("{\"layers\": []}", "p.json"); }), "p.json: empty layer list");
  EXPECT_EQ(errorOf([] { parseProfileJson("{\"layers\": [{}]}", "p.json"); }), "p.json: layer 0: missing \"bytes\"");
  EXPECT_EQ(errorOf([] { parseProfileJson(R"({"layers": [{"bytes": 4, "compute_us": -1}]})", "p.json"); }),
            "p.json: layer 0 \"compute_us\" must be a finite number >= 0, got -1");
  EXPECT_NE(errorOf([] { parseProfileJson(R"({"layers": [{"bytes": -4}]})", "p.json"); }), "");
  EXPECT_EQ(errorOf([] { loadProfileFile("/nonexistent/p.json"); }), "--profile /nonexistent/p.json: cannot be read");
}

TEST(Profile, LoadsAFile) {
  const std::string path = ::testing::TempDir() + "overlap_profile_test.json";
  {
    std::ofstream out(path);
    out << R"({"layers": [{"bytes": 16, "compute_us": 1}]})";
  }
  EXPECT_EQ(loadProfileFile(path).totalBytes(), 16u);
  std::remove(path.c_str());
}

TEST(Profile, BackwardTimes) {
  LayerProfile p = parseLayerList("4K,12K", "--layers");
  setBackwardTotal(p, 100);  // no FLOPs: in proportion to bytes
  EXPECT_DOUBLE_EQ(p.layers[0].backwardUs, 25);
  EXPECT_DOUBLE_EQ(p.layers[1].backwardUs, 75);
  EXPECT_EQ(errorOf([&] { setBackwardTotal(p, -5); }), "--compute-us must be a finite number >= 0, got -5");
  EXPECT_EQ(errorOf([&] { setBackwardFromRate(p, 100, 1); }),
            "--gflops needs FLOPs for every layer (layer 'layer0' has none): use --compute-us");

  LayerProfile r = presetProfile("resnet50");
  setBackwardFromRate(r, 1000, 32);  // 2 x ~8.2 GFLOP x 32 at 1 TFLOP/s: ~0.5 s
  EXPECT_GT(r.backwardUs(), 4.8e5);
  EXPECT_LT(r.backwardUs(), 5.5e5);
  setBackwardTotal(r, 1000);  // in proportion to FLOPs
  EXPECT_NEAR(r.backwardUs(), 1000, 1e-6);
  EXPECT_GT(r.layers[0].backwardUs, r.layers.back().backwardUs);  // conv1 costs more than fc
}

TEST(Profile, ScaleAndValidate) {
  LayerProfile p = parseLayerList("4M,4,0", "--layers");
  scaleGradients(p, 0.001, 4);
  EXPECT_EQ(p.layers[0].gradientBytes, 4196u);  // round(4194304 * 0.001 / 4) = 1049 elements
  EXPECT_EQ(p.layers[1].gradientBytes, 4u);     // at least one element
  EXPECT_EQ(p.layers[2].gradientBytes, 0u);
  EXPECT_EQ(errorOf([&] { scaleGradients(p, 0, 4); }), "--scale must be a number > 0, got 0");
  EXPECT_EQ(errorOf([&] { validateProfile(p, 4); }),
            "layer 'layer0' has no backward time (give --compute-us, --gflops or compute_us)");
  setBackwardTotal(p, 10);
  EXPECT_NO_THROW(validateProfile(p, 4));
  LayerProfile odd = parseLayerList("6", "--layers");
  setBackwardTotal(odd, 1);
  EXPECT_EQ(errorOf([&] { validateProfile(odd, 4); }),
            "layer 'layer0': 6 bytes is not a whole number of 4-byte elements");
  LayerProfile none = parseLayerList("0,0", "--layers");
  setBackwardTotal(none, 1);
  EXPECT_EQ(errorOf([&] { validateProfile(none, 4); }), "the layers hold no gradient bytes");
  EXPECT_EQ(errorOf([] { validateProfile(LayerProfile{}, 4); }), "empty layer list");
}

}  // namespace
}  // namespace ccb
