// CUDA runtime errors as exceptions, and what the runtime says about its devices. Compiled only when CUDA is
// (see src/backends/backends.h for the queries every build has).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace ccb {

// Throws BackendError("<what>: <cudaGetErrorString(code)>") unless code == cudaSuccess.
void checkCuda(cudaError_t code, std::string_view what);

// Devices the runtime reports; 0 on any error (no driver, driver too old for this runtime, no GPU), with the
// runtime's reason in *why when given. Clears the runtime's last-error state, so a failed query leaves
// nothing behind for a later check.
int cudaDevicesAnswering(std::string* why = nullptr);

struct DeviceInfo {
  int index = 0;
  std::string name;  // "NVIDIA H100 80GB HBM3"
  int smCount = 0;
  int computeMajor = 0;
  int computeMinor = 0;
  std::size_t freeBytes = 0;
  std::size_t totalBytes = 0;
};

// The current device (cudaGetDevice). Throws BackendError when the runtime fails.
DeviceInfo currentDeviceInfo();

// "13.0" style versions of the runtime this binary uses and of the installed driver ("none" without one).
std::string cudaRuntimeVersion();
std::string cudaDriverVersion();

}  // namespace ccb
