#include "fake_staging_device.h"

#include <cstring>

#include "core/error.h"

namespace ccb {
namespace {

class DeferredOp final : public PendingOp {
 public:
  DeferredOp(int delay, std::function<void()> work, int& pending)
      : delay_(delay), work_(std::move(work)), pending_(pending) {
    ++pending_;
  }
  ~DeferredOp() override {
    if (!done_) --pending_;
  }
  bool test() override {
    if (done_) return true;
    if (delay_-- > 0) return false;
    work_();
    done_ = true;
    --pending_;
    return true;
  }

 private:
  int delay_;
  std::function<void()> work_;
  int& pending_;
  bool done_ = false;
};

bool within(const void* p, std::size_t bytes, const std::vector<std::uint64_t>& area) {
  const auto* begin = reinterpret_cast<const std::byte*>(area.data());
  const auto* q = static_cast<const std::byte*>(p);
  return q >= begin && q + bytes <= begin + area.size() * sizeof(std::uint64_t);
}

std::span<std::byte> asBytes(std::vector<std::uint64_t>& area) {
  return {reinterpret_cast<std::byte*>(area.data()), area.size() * sizeof(std::uint64_t)};
}

}  // namespace

Request FakeStagingDevice::deferred(std::function<void()> work) {
  ++started_;
  return std::make_unique<DeferredOp>(std::uniform_int_distribution<int>(0, maxDelay_)(rng_), std::move(work),
                                      pending_);
}

std::span<std::byte> FakeStagingDevice::hostSlots(std::size_t bytes) {
  CCB_CHECK_EQ(pending_, 0);  // growing moves the slots: nothing may be in flight
  if (host_.size() * 8 < bytes) host_.resize((bytes + 7) / 8);
  return asBytes(host_);
}

std::span<std::byte> FakeStagingDevice::deviceScratch(std::size_t bytes) {
  CCB_CHECK_EQ(pending_, 0);
  if (scratch_.size() * 8 < bytes) scratch_.resize((bytes + 7) / 8);
  return asBytes(scratch_);
}

Request FakeStagingDevice::copyToHost(std::byte* host, const std::byte* device, std::size_t bytes) {
  CCB_CHECK(within(host, bytes, host_));
  return deferred([=] { std::memcpy(host, device, bytes); });
}

Request FakeStagingDevice::copyFromHost(std::byte* device, const std::byte* host, std::size_t bytes) {
  CCB_CHECK(within(host, bytes, host_));
  return deferred([=] { std::memcpy(device, host, bytes); });
}

Request FakeStagingDevice::reduceFromHost(const ReduceLanding& landing) {
  const std::size_t bytes = landing.count * dtypeSize(landing.dtype);
  CCB_CHECK(within(landing.host, bytes, host_));
  CCB_CHECK(within(landing.scratch, bytes, scratch_));
  return deferred([this, landing, bytes] {
    std::memcpy(landing.scratch, landing.host, bytes);
    reducer_.reduce(landing.output, landing.input, landing.scratch, landing.count, landing.dtype, landing.op);
    if (landing.finalizeRanks > 0) {
      reducer_.finalize(landing.output, landing.count, landing.dtype, landing.op, landing.finalizeRanks);
    }
  });
}

}  // namespace ccb
