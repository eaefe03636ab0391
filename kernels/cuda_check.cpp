#include "kernels/cuda_check.h"

#include "core/error.h"

namespace ccb {
namespace {

// CUDA encodes versions as 1000 * major + 10 * minor.
std::string versionText(int code) {
  return std::to_string(code / 1000) + "." + std::to_string((code % 1000) / 10);
}

}  // namespace

void checkCuda(cudaError_t code, std::string_view what) {
  if (code == cudaSuccess) return;
  throw BackendError(std::string(what) + ": " + cudaGetErrorString(code));
}

int cudaDevicesAnswering(std::string* why) {
  int count = 0;
  const cudaError_t code = cudaGetDeviceCount(&count);
  if (code != cudaSuccess) {
    cudaGetLastError();  // reset the "last error" a failed query leaves
    if (why != nullptr) *why = std::string("cudaGetDeviceCount: ") + cudaGetErrorString(code);
    return 0;
  }
  if (count == 0 && why != nullptr) *why = "cudaGetDeviceCount reports no device";
  return count;
}

DeviceInfo currentDeviceInfo() {
  DeviceInfo info;
  checkCuda(cudaGetDevice(&info.index), "cudaGetDevice");
  cudaDeviceProp prop{};
  checkCuda(cudaGetDeviceProperties(&prop, info.index), "cudaGetDeviceProperties");
  info.name = prop.name;
  info.smCount = prop.multiProcessorCount;
  info.computeMajor = prop.major;
  info.computeMinor = prop.minor;
  checkCuda(cudaMemGetInfo(&info.freeBytes, &info.totalBytes), "cudaMemGetInfo");
  return info;
}

std::string cudaRuntimeVersion() {
  int code = 0;
  checkCuda(cudaRuntimeGetVersion(&code), "cudaRuntimeGetVersion");
  return versionText(code);
}

std::string cudaDriverVersion() {
  int code = 0;
  if (cudaDriverGetVersion(&code) != cudaSuccess || code == 0) return "none";
  return versionText(code);
}

}  // namespace ccb
