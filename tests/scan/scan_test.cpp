#include "pedigree/scan/scan.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "pedigree/util/file.hpp"

namespace pedigree::scan {
namespace {

namespace fs = std::filesystem;
using formats::Checkpoint;
using formats::DType;
using formats::TensorInfo;

class ScanTest : public ::testing::Test {
protected:
  void SetUp() override {
    m_dir = fs::temp_directory_path() /
            ("pedigree-scan-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(m_dir);
    fs::create_directories(m_dir);
  }
  void TearDown() override { fs::remove_all(m_dir); }

  fs::path write(const std::string& name, const std::vector<std::uint8_t>& bytes) {
    auto path = m_dir / name;
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  fs::path m_dir;
};

ScanOptions options_with(unsigned threads, std::size_t chunk_bytes,
                         std::uint64_t max_gather = 1ull << 30) {
  ScanOptions options;
  options.threads = threads;
  options.chunk_bytes = chunk_bytes;
  options.max_gather_bytes = max_gather;
  return options;
}

std::vector<std::uint8_t> random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<std::uint8_t> out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

// Records every call it receives and checks the ByteSink contract as it goes.
class RecordingByteSink : public ByteSink {
public:
  void begin_source(std::uint32_t source, std::uint64_t size) override {
    EXPECT_EQ(m_open, -1);
    m_open = static_cast<int>(source);
    m_sizes[source] = size;
    m_bytes[source];
  }
  void update(std::uint32_t source, std::uint64_t offset, ByteView chunk) override {
    EXPECT_EQ(static_cast<int>(source), m_open);
    EXPECT_EQ(offset, m_bytes[source].size());
    m_bytes[source].insert(m_bytes[source].end(), chunk.begin(), chunk.end());
  }
  void end_source(std::uint32_t source) override {
    EXPECT_EQ(static_cast<int>(source), m_open);
    m_open = -1;
    ++m_ended;
  }
  int m_open = -1;
  int m_ended = 0;
  std::map<std::uint32_t, std::uint64_t> m_sizes;
  std::map<std::uint32_t, std::vector<std::uint8_t>> m_bytes;
};

// Collects each tensor's elements and checks the TensorSink contract.
class CollectingTensorSink : public TensorSink {
public:
  explicit CollectingTensorSink(std::size_t count, std::size_t element_size_for_check = 0)
      : m_data(count), m_state(count), m_element_size(element_size_for_check) {}
  bool wants(std::size_t index) const override { return !m_skip.contains(index); }
  void begin_tensor(std::size_t index) override {
    EXPECT_EQ(m_state[index].exchange(1), 0) << "begin twice " << index;
  }
  void tensor_data(std::size_t index, std::uint64_t first, ByteView elements) override {
    EXPECT_EQ(m_state[index].load(), 1);
    const std::size_t es = m_sizes.at(index);
    EXPECT_EQ(elements.size() % es, 0u) << "piece is not whole elements";
    EXPECT_EQ(first * es, m_data[index].size()) << "out of order";
    m_data[index].insert(m_data[index].end(), elements.begin(), elements.end());
  }
  void end_tensor(std::size_t index) override {
    EXPECT_EQ(m_state[index].exchange(2), 1);
    std::lock_guard lock(m_mutex);
    m_threads.insert(std::this_thread::get_id());
  }
  std::vector<std::vector<std::uint8_t>> m_data;
  std::vector<std::atomic<int>> m_state;
  std::map<std::size_t, std::size_t> m_sizes;
  std::set<std::size_t> m_skip;
  std::size_t m_element_size;
  std::mutex m_mutex;
  std::set<std::thread::id> m_threads;
};

TensorInfo contiguous(std::string name, DType dtype, std::vector<std::uint64_t> shape,
                      std::uint64_t offset, std::uint32_t source = 0) {
  TensorInfo t;
  t.name = std::move(name);
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.strides = formats::contiguous_strides(t.shape);
  t.offset = offset;
  t.source = source;
  t.storage_begin = offset;
  t.storage_end = offset + t.nbytes();
  return t;
}

TEST_F(ScanTest, ByteSinksSeeEveryByteOfEverySourceInOrder) {
  auto a = random_bytes(1000, 1);
  auto b = random_bytes(0, 2);
  auto c = random_bytes(4097, 3);
  Checkpoint ck;
  ck.sources = {write("a", a), write("b", b), write("c", c)};
  ck.source_sizes = {a.size(), b.size(), c.size()};
  RecordingByteSink s1, s2;
  ByteSink* sinks[] = {&s1, &s2};
  ScanOptions options;
  options.chunk_bytes = 100;  // many chunks, a partial last one
  options.ring_chunks = 3;
  std::uint64_t last_done = 0, last_total = 0;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    EXPECT_GE(done, last_done);
    last_done = done;
    last_total = total;
  };
  ASSERT_TRUE(scan_checkpoint(ck, sinks, {}, options));
  for (auto* s : {&s1, &s2}) {
    EXPECT_EQ(s->m_ended, 3);
    EXPECT_EQ(s->m_bytes[0], a);
    EXPECT_EQ(s->m_bytes[1], b);  // empty source still begins and ends
    EXPECT_EQ(s->m_bytes[2], c);
    EXPECT_EQ(s->m_sizes[2], c.size());
  }
  EXPECT_EQ(last_done, a.size() + c.size());
  EXPECT_EQ(last_total, a.size() + c.size());
}

TEST_F(ScanTest, ScanFileStreamsAPlainFile) {
  auto a = random_bytes(300000, 4);
  RecordingByteSink sink;
  ByteSink* sinks[] = {&sink};
  ASSERT_TRUE(scan_file(write("plain", a), sinks, options_with(0, 4096)));
  EXPECT_EQ(sink.m_bytes[0], a);
}

TEST_F(ScanTest, TensorsArriveRowMajorLittleEndianWhateverTheStorage) {
  // File layout: 3 junk bytes, then an F16 [5,7] tensor at an odd offset,
  // a big-endian F32 [4] tensor, a column-major (transposed) I32 [3,4] view,
  // a tensor sharing the F16 storage, and a zero-element tensor.
  std::vector<std::uint8_t> file = {0xEE, 0xEE, 0xEE};
  std::vector<std::uint8_t> f16(5 * 7 * 2);
  for (std::size_t i = 0; i < f16.size(); ++i) f16[i] = static_cast<std::uint8_t>(i * 7 + 1);
  const std::uint64_t f16_at = file.size();
  file.insert(file.end(), f16.begin(), f16.end());

  const float be_values[4] = {1.5f, -2.25f, 1e9f, 0.0f};
  std::vector<std::uint8_t> expected_be;
  const std::uint64_t be_at = file.size();
  for (float v : be_values) {
    std::uint8_t le[4];
    std::memcpy(le, &v, 4);  // this machine is little-endian
    expected_be.insert(expected_be.end(), le, le + 4);
    for (int k = 3; k >= 0; --k) file.push_back(le[k]);
  }

  // Logical [3,4] tensor with value 100*r + c, stored column-major (strides {1,3}).
  const std::uint64_t strided_at = file.size();
  for (int c = 0; c < 4; ++c) {
    for (int r = 0; r < 3; ++r) {
      std::int32_t v = 100 * r + c;
      auto* p = reinterpret_cast<std::uint8_t*>(&v);
      file.insert(file.end(), p, p + 4);
    }
  }
  std::vector<std::uint8_t> expected_strided;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      std::int32_t v = 100 * r + c;
      auto* p = reinterpret_cast<std::uint8_t*>(&v);
      expected_strided.insert(expected_strided.end(), p, p + 4);
    }
  }
  file.push_back(0xEE);

  Checkpoint ck;
  ck.sources = {write("tensors", file)};
  ck.source_sizes = {file.size()};
  ck.tensors.push_back(contiguous("f16", DType::k_f16, {5, 7}, f16_at));
  auto be = contiguous("be", DType::k_f32, {4}, be_at);
  be.big_endian = true;
  ck.tensors.push_back(be);
  auto strided = contiguous("strided", DType::k_i32, {3, 4}, strided_at);
  strided.strides = {1, 3};
  ck.tensors.push_back(strided);
  ck.tensors.push_back(contiguous("shared_tail", DType::k_f16, {10}, f16_at + 50));
  ck.tensors.push_back(contiguous("empty", DType::k_f32, {0, 3}, f16_at));
  ck.tensors.push_back(contiguous("unwanted", DType::k_u8, {2}, 0));

  for (std::size_t chunk : {1ul, 3ul, 5ul, 64ul, 1ul << 20}) {
    SCOPED_TRACE("chunk_bytes=" + std::to_string(chunk));
    CollectingTensorSink sink(ck.tensors.size());
    for (std::size_t i = 0; i < ck.tensors.size(); ++i) {
      sink.m_sizes[i] = formats::dtype_size(ck.tensors[i].dtype);
    }
    sink.m_skip = {5};
    TensorSink* sinks[] = {&sink};
    ASSERT_TRUE(scan_checkpoint(ck, {}, sinks, options_with(3, chunk)));
    EXPECT_EQ(sink.m_data[0], f16);
    EXPECT_EQ(sink.m_data[1], expected_be);
    EXPECT_EQ(sink.m_data[2], expected_strided);
    EXPECT_EQ(sink.m_data[3], std::vector<std::uint8_t>(f16.begin() + 50, f16.begin() + 70));
    EXPECT_TRUE(sink.m_data[4].empty());
    EXPECT_EQ(sink.m_state[4].load(), 2);  // empty tensors still begin and end
    EXPECT_EQ(sink.m_state[5].load(), 0);  // not wanted, never touched
  }
}

TEST_F(ScanTest, TensorsSpreadOverLanesAndEveryTensorOfEverySourceArrives) {
  std::vector<std::vector<std::uint8_t>> files = {random_bytes(64 * 1024, 5),
                                                  random_bytes(32 * 1024, 6)};
  Checkpoint ck;
  for (std::size_t s = 0; s < files.size(); ++s) {
    ck.sources.push_back(write("part" + std::to_string(s), files[s]));
    ck.source_sizes.push_back(files[s].size());
    for (std::uint64_t off = 0; off < files[s].size(); off += 4096) {
      ck.tensors.push_back(
          contiguous("t", DType::k_f32, {1024}, off, static_cast<std::uint32_t>(s)));
    }
  }
  CollectingTensorSink sink(ck.tensors.size());
  for (std::size_t i = 0; i < ck.tensors.size(); ++i) sink.m_sizes[i] = 4;
  RecordingByteSink bytes;
  ByteSink* byte_sinks[] = {&bytes};
  TensorSink* sinks[] = {&sink};
  ASSERT_TRUE(scan_checkpoint(ck, byte_sinks, sinks, options_with(2, 5000)));
  for (std::size_t i = 0; i < ck.tensors.size(); ++i) {
    const auto& t = ck.tensors[i];
    const auto& src = files[t.source];
    ASSERT_EQ(sink.m_data[i],
              std::vector<std::uint8_t>(src.begin() + t.offset, src.begin() + t.offset + 4096));
  }
  EXPECT_EQ(sink.m_threads.size(), 2u);
  EXPECT_EQ(bytes.m_bytes[1], files[1]);
}

TEST_F(ScanTest, RefusesTensorsOutsideTheirFile) {
  auto bytes = random_bytes(100, 7);
  Checkpoint ck;
  ck.sources = {write("short", bytes)};
  ck.source_sizes = {bytes.size()};
  ck.tensors.push_back(contiguous("too_long", DType::k_f32, {30}, 0));
  CollectingTensorSink sink(1);
  TensorSink* sinks[] = {&sink};
  auto result = scan_checkpoint(ck, {}, sinks);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(result.error().message().find("too_long"), std::string::npos);
}

TEST_F(ScanTest, RefusesAFileWhoseSizeChanged) {
  auto bytes = random_bytes(100, 8);
  Checkpoint ck;
  ck.sources = {write("changed", bytes)};
  ck.source_sizes = {99};
  auto result = scan_checkpoint(ck, {}, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::k_corruption);
  EXPECT_NE(result.error().message().find("changed"), std::string::npos);
}

TEST_F(ScanTest, MissingAndUnreadableFilesAreClearErrors) {
  RecordingByteSink sink;
  ByteSink* sinks[] = {&sink};
  auto missing = scan_file(m_dir / "nope", sinks);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), ErrorCode::k_not_found);
  auto dir = scan_file(m_dir, sinks);
  ASSERT_FALSE(dir);
  EXPECT_EQ(dir.error().code(), ErrorCode::k_invalid_argument);
}

TEST_F(ScanTest, HugeStridedViewIsRefusedNotAllocated) {
  auto bytes = random_bytes(64, 9);
  Checkpoint ck;
  ck.sources = {write("strided", bytes)};
  ck.source_sizes = {bytes.size()};
  auto t = contiguous("view", DType::k_f32, {4, 4}, 0);
  t.strides = {1, 4};
  ck.tensors.push_back(t);
  CollectingTensorSink sink(1);
  TensorSink* sinks[] = {&sink};
  auto result = scan_checkpoint(ck, {}, sinks, options_with(0, 1024, 16));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code(), ErrorCode::k_not_supported);
}

}  // namespace
}  // namespace pedigree::scan
