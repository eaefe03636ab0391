// partition(): the one place that splits a count into near-equal parts (see schedule.h).
#include <algorithm>

#include "algo/schedule.h"
#include "core/error.h"

namespace ccb {

// Part i holds base = count / parts elements, plus one more for the first rem = count % parts parts.
// So the parts before i hold i * base elements plus one extra for each of the min(i, rem) larger ones.
// i * base <= count, so nothing here can overflow.
ElementRange partition(std::size_t count, int parts, int index) {
  CCB_CHECK_LE(1, parts);
  CCB_CHECK_LE(0, index);
  CCB_CHECK_LT(index, parts);
  const auto n = static_cast<std::size_t>(parts);
  const auto i = static_cast<std::size_t>(index);
  const std::size_t base = count / n;
  const std::size_t rem = count % n;
  return ElementRange{i * base + std::min(i, rem), base + (i < rem ? 1 : 0)};
}

}  // namespace ccb
