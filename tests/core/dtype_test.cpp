#include "core/dtype.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ccb {
namespace {

TEST(DType, SizesAndNames) {
  EXPECT_EQ(dtypeSize(DType::kFloat32), 4u);
  EXPECT_EQ(dtypeSize(DType::kFloat64), 8u);
  EXPECT_EQ(dtypeSize(DType::kFloat16), 2u);
  EXPECT_EQ(dtypeSize(DType::kBFloat16), 2u);
  EXPECT_EQ(dtypeSize(DType::kInt32), 4u);
  EXPECT_EQ(dtypeSize(DType::kInt64), 8u);
  EXPECT_EQ(dtypeName(DType::kBFloat16), "bfloat16");
  EXPECT_TRUE(isFloating(DType::kFloat16));
  EXPECT_FALSE(isFloating(DType::kInt64));
}

TEST(DType, CanonicalNamesRoundTrip) {
  for (DType dtype : kAllDTypes) EXPECT_EQ(parseDType(dtypeName(dtype)), dtype) << dtypeName(dtype);
  for (ReduceOp op : kAllOps) EXPECT_EQ(parseOp(opName(op)), op) << opName(op);
}

TEST(DType, NcclTestsAliases) {
  EXPECT_EQ(parseDType("float"), DType::kFloat32);
  EXPECT_EQ(parseDType("double"), DType::kFloat64);
  EXPECT_EQ(parseDType("half"), DType::kFloat16);
  EXPECT_EQ(parseDType("bf16"), DType::kBFloat16);
  EXPECT_EQ(parseDType("int"), DType::kInt32);
  EXPECT_EQ(parseDType("fp32"), DType::kFloat32);
  EXPECT_EQ(parseDType("FP16"), DType::kFloat16);
  EXPECT_EQ(parseDType("Int64"), DType::kInt64);
  EXPECT_EQ(parseOp("MAX"), ReduceOp::kMax);
  EXPECT_EQ(parseOp("mean"), ReduceOp::kAvg);
  EXPECT_EQ(parseOp("product"), ReduceOp::kProd);
}

TEST(DType, UnknownNamesAreUsageErrors) {
  EXPECT_THROW(parseDType(""), UsageError);
  EXPECT_THROW(parseDType("int8"), UsageError);
  EXPECT_THROW(parseDType("float32 "), UsageError);
  EXPECT_THROW(parseOp("mulsum"), UsageError);
  EXPECT_THROW(parseOp(""), UsageError);
  try {
    parseDType("quad");
    FAIL() << "no exception";
  } catch (const UsageError& e) {
    // One line that names the bad value and what is accepted.
    EXPECT_NE(std::string(e.what()).find("'quad'"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("bfloat16"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
}

}  // namespace
}  // namespace ccb
