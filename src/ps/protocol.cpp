#include "ps/protocol.h"

#include <cstring>

namespace ccb {

PsHeaderBytes encodeHeader(const PsHeader& header) {
  PsHeaderBytes bytes{};
  std::memcpy(bytes.data(), &header.attempt, 8);
  std::memcpy(bytes.data() + 8, &header.version, 8);
  std::memcpy(bytes.data() + 16, &header.flags, 4);
  return bytes;
}

PsHeader decodeHeader(const PsHeaderBytes& bytes) {
  PsHeader header;
  std::memcpy(&header.attempt, bytes.data(), 8);
  std::memcpy(&header.version, bytes.data() + 8, 8);
  std::memcpy(&header.flags, bytes.data() + 16, 4);
  return header;
}

}  // namespace ccb
