// Private scratch folders: created with mode 0700 and distinct names, refused with the root
// named, and removed with their contents when a ScratchDir goes out of scope.
#include "edgebench/core/temp_dir.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

namespace edgebench {
namespace {

TEST(TempDir, PrivateFoldersAreDistinctAndOwnerOnly) {
  auto a = make_private_dir("edgebench-test");
  auto b = make_private_dir("edgebench-test");
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->filename().string().rfind("edgebench-test-", 0), 0u) << *a;
  struct stat st {};
  ASSERT_EQ(::stat(a->c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::filesystem::remove_all(*a);
  std::filesystem::remove_all(*b);
}

TEST(TempDir, AMissingRootIsNamed) {
  auto made = make_private_dir("edgebench-test", "/nonexistent/edgebench-root");
  ASSERT_FALSE(made.is_ok());
  EXPECT_EQ(made.status().code(), StatusCode::kIoError);
  EXPECT_NE(made.status().message().find("/nonexistent/edgebench-root"), std::string::npos);
}

TEST(TempDir, AScratchDirLeavesNothingBehind) {
  std::filesystem::path path;
  {
    auto scratch = ScratchDir::create("edgebench-test");
    ASSERT_TRUE(scratch.is_ok()) << scratch.status().to_string();
    path = scratch->path();
    std::ofstream(path / "file.txt") << "contents";
    std::filesystem::create_directories(path / "sub" / "deeper");
    ASSERT_TRUE(std::filesystem::exists(path / "file.txt"));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace edgebench
