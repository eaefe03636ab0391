// The parameter server's messages on the wire.
//
// A push from a worker to one server is a header followed by one message per partition of that server's
// shard, all with tag kPsPushTag; a reply is a header and the shard's partitions with tag kPsReplyTag.
// Header and partitions share a tag, so the Transport's per-pair, per-tag FIFO order matches them to the
// receives the peer posted in the same order, and every message has a fixed size its receiver knows.
//
// Tags: the ring executor tags messages with its step index (< 2(K-1)); the PS tags sit far above that and
// below 32767, the smallest MPI_TAG_UB the MPI standard allows.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace ccb {

inline constexpr int kPsPushTag = 30001;
inline constexpr int kPsReplyTag = 30002;

struct PsHeader {
  static constexpr std::uint32_t kDone = 1;     // reply: the worker's last reply from this server
  static constexpr std::uint32_t kApplied = 2;  // reply: the push it answers was applied (not dropped)

  std::int64_t attempt = 0;  // the worker's push index (echoed in the reply)
  std::int64_t version = 0;  // push: version the worker computed on; reply: version of the parameters sent
  std::uint32_t flags = 0;
  bool operator==(const PsHeader&) const = default;
};

inline constexpr std::size_t kPsHeaderBytes = 24;
using PsHeaderBytes = std::array<std::byte, kPsHeaderBytes>;

// Fixed layout (native byte order: every rank of a run is the same build on the same kind of host).
PsHeaderBytes encodeHeader(const PsHeader& header);
PsHeader decodeHeader(const PsHeaderBytes& bytes);

}  // namespace ccb
