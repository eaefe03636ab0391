// The alpha-beta-gamma cost vocabulary (DESIGN.md, "Models"): alpha = latency per message (us),
// beta = transfer time per byte on the wire (us/byte), gamma = reduction time per byte of input (us/byte).
#pragma once

namespace ccb::sim {

struct AlphaBetaGamma {
  double alphaUs = 0;
  double betaUsPerByte = 0;
  double gammaUsPerByte = 0;
};

// Microseconds per byte at `GBps` (1e9 bytes/s = 1e3 bytes/us); 0 GB/s means "free" and gives 0.
constexpr double usPerByte(double GBps) { return GBps > 0 ? 1.0 / (GBps * 1e3) : 0.0; }
// The inverse: GB/s from microseconds per byte; 0 us/byte gives 0 ("free", no finite rate).
constexpr double GBpsFromUsPerByte(double usPerByteValue) {
  return usPerByteValue > 0 ? 1.0 / (usPerByteValue * 1e3) : 0.0;
}

// A time split by cause, so outputs can say whether a point is latency- or bandwidth-bound.
struct TimeSplit {
  double latencyUs = 0;    // alpha terms
  double bandwidthUs = 0;  // beta terms
  double reduceUs = 0;     // gamma terms
  constexpr double totalUs() const { return latencyUs + bandwidthUs + reduceUs; }
  constexpr TimeSplit& operator+=(const TimeSplit& o) {
    latencyUs += o.latencyUs;
    bandwidthUs += o.bandwidthUs;
    reduceUs += o.reduceUs;
    return *this;
  }
  // Latency-bound when the alpha terms are at least the rest.
  constexpr bool latencyBound() const { return latencyUs >= bandwidthUs + reduceUs; }
};

// A cost linear in alpha, beta and gamma: T = messages * alpha + wireBytes * beta + reducedBytes * gamma.
// "messages" and "wireBytes" count the critical path, not the whole network. Linearity is what lets
// calibration fit alpha, beta and gamma by least squares.
struct CostTerms {
  double messages = 0;
  double wireBytes = 0;
  double reducedBytes = 0;

  constexpr TimeSplit split(const AlphaBetaGamma& p) const {
    return TimeSplit{messages * p.alphaUs, wireBytes * p.betaUsPerByte, reducedBytes * p.gammaUsPerByte};
  }
  constexpr double timeUs(const AlphaBetaGamma& p) const {
    return messages * p.alphaUs + wireBytes * p.betaUsPerByte + reducedBytes * p.gammaUsPerByte;
  }
  constexpr CostTerms& operator+=(const CostTerms& o) {
    messages += o.messages;
    wireBytes += o.wireBytes;
    reducedBytes += o.reducedBytes;
    return *this;
  }
  friend constexpr CostTerms operator+(CostTerms a, const CostTerms& b) { return a += b; }
  friend constexpr CostTerms operator*(double k, const CostTerms& t) {
    return CostTerms{k * t.messages, k * t.wireBytes, k * t.reducedBytes};
  }
};

}  // namespace ccb::sim
