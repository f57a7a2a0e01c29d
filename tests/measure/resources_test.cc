// Resource sampling: peak RSS and CPU time of this process, and the powercap reader against a
// fake sysfs tree (zones, sub-zones, links, a counter wrap, unreadable counters).
#include "edgebench/measure/resources.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "edgebench/measure/scenario.h"
#include "measure/measure_test_util.h"

namespace edgebench::measure {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// One zone folder as the kernel lays it out.
void make_zone(const fs::path& dir, const std::string& name, std::uint64_t energy_uj,
               std::uint64_t max_range_uj) {
  write_file(dir / "name", name + "\n");
  write_file(dir / "energy_uj", std::to_string(energy_uj) + "\n");
  write_file(dir / "max_energy_range_uj", std::to_string(max_range_uj) + "\n");
}

const results::EnergyDomain* find_domain(const results::Energy& energy, const std::string& name) {
  for (const auto& d : energy.domains) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

TEST(MeasureResources, PeakRssIsPlausible) {
  const std::uint64_t before = peak_rss_bytes();
  EXPECT_GT(before, 1u << 20);  // a gtest binary is more than 1 MiB resident
  {
    std::vector<char> block(64 << 20, 1);  // touch 64 MiB
    EXPECT_EQ(block[12345], 1);
  }
  EXPECT_GE(peak_rss_bytes(), before + (48u << 20));
}

TEST(MeasureResources, CpuTimeGrowsWithWork) {
  // Spin until 30 ms of CPU time show up (however long a loaded machine takes to give them),
  // and check they fit in the wall time it took on this one thread.
  const CpuTimes before = process_cpu_times();
  const auto start = std::chrono::steady_clock::now();
  volatile double sink = 0;
  results::CpuTime cpu;
  while (cpu.user_s + cpu.system_s < 0.03 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(20)) {
    for (int i = 0; i < 100000; ++i) sink = sink + 1.0;
    cpu = cpu_time_between(before, process_cpu_times());
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(cpu.user_s + cpu.system_s, 0.03);
  EXPECT_LE(cpu.user_s + cpu.system_s, wall_s + 0.01);  // getrusage has ~4 ms granularity
  const results::CpuTime backwards = cpu_time_between(process_cpu_times(), before);
  EXPECT_EQ(backwards.user_s, 0);  // never negative
}

TEST(MeasureResources, PowercapFakeTreeWithWrapAndSubZones) {
  TempDir tmp;
  const fs::path root = tmp.path();
  make_zone(root / "intel-rapl:0", "package-0", 1'000'000, 262'143'328'850);
  make_zone(root / "intel-rapl:0" / "intel-rapl:0:0", "core", 500'000, 262'143'328'850);
  make_zone(root / "intel-rapl:0" / "intel-rapl:0:1", "dram", 10, 262'143'328'850);
  // The kernel also links sub-zones at the root: the same zone must be counted once.
  fs::create_directory_symlink(root / "intel-rapl:0" / "intel-rapl:0:0", root / "intel-rapl:0:0");
  make_zone(root / "intel-rapl:1", "package-1", 900, 1000);     // about to wrap
  fs::create_directories(root / "intel-rapl");                  // control type: no counter
  make_zone(root / "intel-rapl-mmio:0", "package-0", 5, 1000);  // mirror of package-0: ignored

  PowercapReader reader(root);
  ASSERT_TRUE(reader.available()) << reader.unavailable_reason();
  ASSERT_EQ(reader.zones().size(), 4u);
  EXPECT_EQ(reader.zones()[0].id, "intel-rapl:0");
  EXPECT_EQ(reader.zones()[1].id, "intel-rapl:0:0");
  EXPECT_EQ(reader.zones()[1].parent, "intel-rapl:0");
  EXPECT_EQ(reader.zones()[3].name, "package-1");
  EXPECT_EQ(reader.zones()[3].max_energy_range_uj, 1000u);
  EXPECT_EQ(reader.source(), "powercap:" + root.string());

  const PowercapReader::Snapshot before = reader.read();
  write_file(root / "intel-rapl:0" / "energy_uj", "3500000\n");                     // +2.5 J
  write_file(root / "intel-rapl:0" / "intel-rapl:0:0" / "energy_uj", "1500000\n");  // +1 J
  write_file(root / "intel-rapl:0" / "intel-rapl:0:1" / "energy_uj", "250010\n");   // +0.25 J
  write_file(root / "intel-rapl:1" / "energy_uj", "100\n");  // wrapped: 100 + 100 uJ
  const PowercapReader::Snapshot after = reader.read();

  const results::Energy energy = reader.energy_between(before, after);
  ASSERT_TRUE(energy.available);
  EXPECT_DOUBLE_EQ(energy.joules, 2.5 + 200e-6);  // top-level zones only
  ASSERT_EQ(energy.domains.size(), 4u);
  ASSERT_NE(find_domain(energy, "package-0"), nullptr);
  EXPECT_DOUBLE_EQ(find_domain(energy, "package-0")->joules, 2.5);
  ASSERT_NE(find_domain(energy, "package-0/core"), nullptr);
  EXPECT_DOUBLE_EQ(find_domain(energy, "package-0/core")->joules, 1.0);
  ASSERT_NE(find_domain(energy, "package-0/dram"), nullptr);
  EXPECT_DOUBLE_EQ(find_domain(energy, "package-0/dram")->joules, 0.25);
  ASSERT_NE(find_domain(energy, "package-1"), nullptr);
  EXPECT_DOUBLE_EQ(find_domain(energy, "package-1")->joules, 200e-6);
}

TEST(MeasureResources, PowercapUnreadableCounterIsLeftOut) {
  TempDir tmp;
  const fs::path root = tmp.path();
  make_zone(root / "intel-rapl:0", "package-0", 100, 1000);
  // A counter that cannot be read: a folder in its place (unreadable even for root) ...
  write_file(root / "intel-rapl:1" / "name", "package-1\n");
  fs::create_directories(root / "intel-rapl:1" / "energy_uj");
  // ... and a file without read permission (effective when the tests do not run as root).
  make_zone(root / "intel-rapl:2", "package-2", 100, 1000);
  fs::permissions(root / "intel-rapl:2" / "energy_uj", fs::perms::none);
  PowercapReader reader(root);
  ASSERT_TRUE(reader.available());
  const bool root_user = ::geteuid() == 0;
  EXPECT_EQ(reader.zones().size(), root_user ? 2u : 1u);
  EXPECT_EQ(reader.zones()[0].name, "package-0");

  // A counter that disappears between snapshots is skipped, not read as zero.
  const PowercapReader::Snapshot before = reader.read();
  write_file(root / "intel-rapl:0" / "energy_uj", "600\n");
  if (root_user) fs::remove(root / "intel-rapl:2" / "energy_uj");
  const results::Energy energy = reader.energy_between(before, reader.read());
  ASSERT_TRUE(energy.available);
  EXPECT_DOUBLE_EQ(energy.joules, 500e-6);
  EXPECT_EQ(energy.domains.size(), 1u);
}

TEST(MeasureResources, PowercapNothingReadableIsUnavailableNotZero) {
  TempDir tmp;
  const fs::path root = tmp.path();
  write_file(root / "intel-rapl:0" / "name", "package-0\n");
  fs::create_directories(root / "intel-rapl:0" / "energy_uj");
  PowercapReader reader(root);
  EXPECT_FALSE(reader.available());
  EXPECT_NE(reader.unavailable_reason().find("cannot be read"), std::string::npos)
      << reader.unavailable_reason();
  const results::Energy energy = reader.energy_between(reader.read(), reader.read());
  EXPECT_FALSE(energy.available);
  EXPECT_TRUE(energy.domains.empty());

  PowercapReader missing(root / "no-such-folder");
  EXPECT_FALSE(missing.available());
  EXPECT_NE(missing.unavailable_reason().find("no powercap folder"), std::string::npos);
  EXPECT_FALSE(missing.energy_between(missing.read(), missing.read()).available);

  PowercapReader empty(tmp.path() / "intel-rapl:0");  // a folder with no zones in it
  EXPECT_FALSE(empty.available());
}

TEST(MeasureResources, PowercapPsysCountedOnlyAlone) {
  TempDir tmp;
  const fs::path root = tmp.path();
  make_zone(root / "intel-rapl:0", "package-0", 0, 1'000'000);
  make_zone(root / "intel-rapl:1", "psys", 0, 1'000'000);
  PowercapReader reader(root);
  const PowercapReader::Snapshot before = reader.read();
  write_file(root / "intel-rapl:0" / "energy_uj", "2000\n");
  write_file(root / "intel-rapl:1" / "energy_uj", "5000\n");
  const results::Energy energy = reader.energy_between(before, reader.read());
  ASSERT_TRUE(energy.available);
  EXPECT_DOUBLE_EQ(energy.joules, 2000e-6);  // psys contains the package
  ASSERT_NE(find_domain(energy, "psys"), nullptr);
  EXPECT_DOUBLE_EQ(find_domain(energy, "psys")->joules, 5000e-6);

  TempDir only;
  make_zone(only.path() / "intel-rapl:0", "psys", 10, 1'000'000);
  PowercapReader psys_only(only.path());
  const PowercapReader::Snapshot b = psys_only.read();
  write_file(only.path() / "intel-rapl:0" / "energy_uj", "20\n");
  EXPECT_DOUBLE_EQ(psys_only.energy_between(b, psys_only.read()).joules, 10e-6);
}

TEST(MeasureResources, MeterWithoutEnergy) {
  ResourceMeter meter;
  meter.start();
  const ResourceUsage usage = meter.stop();
  EXPECT_FALSE(usage.energy.available);
  EXPECT_GT(usage.peak_rss_bytes, 0u);
  EXPECT_GE(usage.cpu.user_s, 0);

  TempDir tmp;
  make_zone(tmp.path() / "intel-rapl:0", "package-0", 100, 1000);
  PowercapReader reader(tmp.path());
  ResourceMeter with_energy(&reader);
  with_energy.start();
  write_file(tmp.path() / "intel-rapl:0" / "energy_uj", "400\n");
  const ResourceUsage measured = with_energy.stop();
  ASSERT_TRUE(measured.energy.available);
  EXPECT_DOUBLE_EQ(measured.energy.joules, 300e-6);
}

TEST(MeasureResources, ScenarioReportsEnergyOfTheMeasuredPhase) {
  TempDir tmp;
  make_zone(tmp.path() / "intel-rapl:0", "package-0", 1000, 1'000'000);
  PowercapReader reader(tmp.path());
  testing::FakeExecutable exe;
  ScenarioSettings s;
  s.min_queries = 64;
  s.min_duration_s = 0;
  ScenarioHooks hooks;
  hooks.powercap = &reader;
  auto r = Scenario(s).run(exe, testing::random_samples(1, {1}, 1), hooks);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_TRUE(r->resources.energy.available);  // a fake counter that did not move: 0 J, present
  EXPECT_EQ(r->resources.energy.joules, 0.0);
  EXPECT_EQ(r->resources.energy.source, "powercap:" + tmp.path().string());
  EXPECT_GT(r->resources.peak_rss_bytes, 0u);
  EXPECT_GE(r->resources.cpu.user_s + r->resources.cpu.system_s, 0.0);

  PowercapReader missing(tmp.path() / "none");
  hooks.powercap = &missing;
  auto without = Scenario(s).run(exe, testing::random_samples(1, {1}, 1), hooks);
  ASSERT_TRUE(without.is_ok());
  EXPECT_FALSE(without->resources.energy.available);
}

}  // namespace
}  // namespace edgebench::measure
