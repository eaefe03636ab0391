#include "core/units.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ccb {
namespace {

TEST(Units, ParseBytesPlainAndMultiples) {
  EXPECT_EQ(parseBytes("0", "--x"), 0u);
  EXPECT_EQ(parseBytes("4096", "--x"), 4096u);
  EXPECT_EQ(parseBytes("64K", "--x"), 65536u);
  EXPECT_EQ(parseBytes("64k", "--x"), 65536u);
  EXPECT_EQ(parseBytes("1M", "--x"), 1048576u);
  EXPECT_EQ(parseBytes("2G", "--x"), 2147483648u);
  EXPECT_EQ(parseBytes("3T", "--x"), 3ull << 40);
  EXPECT_EQ(parseBytes("8B", "--x"), 8u);
  EXPECT_EQ(parseBytes("64KB", "--x"), 65536u);
  EXPECT_EQ(parseBytes("64KiB", "--x"), 65536u);
  EXPECT_EQ(parseBytes("1MiB", "--x"), 1048576u);
  EXPECT_EQ(parseBytes("18446744073709551615", "--x"), 18446744073709551615ull);
  EXPECT_EQ(parseBytes("16777215T", "--x"), 16777215ull << 40);
}

TEST(Units, ParseBytesErrorsNameTheOption) {
  for (const char* bad : {"", "-1", "-1K", "K", "1.5M", "1 M", " 1", "1X", "1KiBB", "1iB", "1Ki", "0x10",
                          "18446744073709551616", "99999999999999999999", "16777216T", "17179869184G"}) {
    try {
      parseBytes(bad, "--minbytes");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--minbytes"), std::string::npos) << e.what();
    }
  }
}

TEST(Units, FormatBytes) {
  EXPECT_EQ(formatBytes(0), "0");
  EXPECT_EQ(formatBytes(8), "8");
  EXPECT_EQ(formatBytes(1536), "1536");
  EXPECT_EQ(formatBytes(1024), "1K");
  EXPECT_EQ(formatBytes(1048576), "1M");
  EXPECT_EQ(formatBytes(3ull << 30), "3G");
  EXPECT_EQ(formatBytes(1025ull << 20), "1025M");
  for (std::uint64_t bytes : {1ull, 1000ull, 4096ull, 3ull << 20, 5ull << 40, 123456789ull}) {
    EXPECT_EQ(parseBytes(formatBytes(bytes), "x"), bytes);
  }
}

TEST(Units, Bandwidth) {
  EXPECT_DOUBLE_EQ(algBwGBps(1000000000, 1e6), 1.0);  // 1 GB in 1 s
  EXPECT_DOUBLE_EQ(algBwGBps(1 << 20, 1000), 1.048576);
  EXPECT_EQ(algBwGBps(100, 0), 0.0);
  EXPECT_DOUBLE_EQ(allReduceBusFactor(1), 0.0);
  EXPECT_DOUBLE_EQ(allReduceBusFactor(2), 1.0);
  EXPECT_DOUBLE_EQ(allReduceBusFactor(4), 1.5);
  EXPECT_DOUBLE_EQ(allReduceBusFactor(8), 1.75);
}

}  // namespace
}  // namespace ccb
