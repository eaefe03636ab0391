// main() of the GPU tests (suite 'gpu'): exit 77, Meson's "skipped", when no CUDA device answers (or CUDA is
// not compiled in), so a build on a machine without a GPU stays green and says why.
#include <gtest/gtest.h>

#include <cstdio>

#include "backends/backends.h"

int main(int argc, char** argv) {
  if (ccb::cudaDeviceCount() == 0) {
    std::printf("skipped: no CUDA device answers (%s)\n",
                ccb::cudaCompiledIn() ? "cudaGetDeviceCount failed or found none" : "CUDA not compiled in");
    return 77;
  }
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
