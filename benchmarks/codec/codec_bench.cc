// Wire codec costs per typical message and StreamDecoder framing throughput. Run a Release
// build: build/bin/codec_bench (add --benchmark_filter=Stream to pick).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "proxy/wire/messages.h"
#include "proxy/wire/stream_decoder.h"

namespace tombstone::wire {
namespace {

RowDescription ten_column_description() {
  RowDescription d;
  for (int i = 0; i < 10; ++i) {
    d.fields.push_back({.name = "column_" + std::to_string(i),
                        .table_oid = 16384,
                        .column_attr = static_cast<std::int16_t>(i + 1),
                        .type_oid = i % 2 ? 25u : 23u,
                        .type_size = static_cast<std::int16_t>(i % 2 ? -1 : 4),
                        .type_modifier = -1,
                        .format = 0});
  }
  return d;
}

DataRow ten_column_row() {
  DataRow r;
  for (int i = 0; i < 10; ++i) {
    if (i == 7) {
      r.columns.push_back(std::nullopt);
    } else {
      r.columns.push_back(i % 2 ? "some text value " + std::to_string(i)
                                : std::to_string(i * 1000));
    }
  }
  return r;
}

std::vector<FrontendMessage> extended_batch() {
  return {Parse{.name = "",
                .query = "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
                .param_types = {23}},
          Bind{.portal = "",
               .statement = "",
               .param_formats = {},
               .params = {std::string("4242")},
               .result_formats = {}},
          Describe{.kind = 'P', .name = ""}, Execute{.portal = "", .max_rows = 0}, Sync{}};
}

template <typename M>
std::string wire_of(const M& m) {
  std::string out;
  encode(m, out);
  return out;
}

// Decodes one encoded typed message per iteration (header parse + body decode).
template <typename M>
void decode_backend_bench(benchmark::State& state, const M& message) {
  const std::string wire = wire_of(message);
  for (auto _ : state) {
    const auto header = parse_header(wire, 1 << 20);
    auto decoded = decode_backend(header->type, std::string_view(wire).substr(kHeaderSize));
    benchmark::DoNotOptimize(decoded);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}

template <typename M>
void encode_bench(benchmark::State& state, const M& message) {
  std::string out;
  for (auto _ : state) {
    out.clear();
    encode(message, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(out.size()));
}

void BM_DecodeQuery(benchmark::State& state) {
  const std::string wire =
      wire_of(Query{.sql = "SELECT abalance FROM pgbench_accounts WHERE aid = 4242"});
  for (auto _ : state) {
    auto decoded = decode_frontend('Q', std::string_view(wire).substr(kHeaderSize));
    benchmark::DoNotOptimize(decoded);
  }
}
void BM_EncodeQuery(benchmark::State& state) {
  encode_bench(state, Query{.sql = "SELECT abalance FROM pgbench_accounts WHERE aid = 4242"});
}

void BM_DecodeExtendedBatch(benchmark::State& state) {
  std::string wire;
  for (const auto& m : extended_batch()) encode(m, wire);
  for (auto _ : state) {
    StreamDecoder decoder(Side::kFrontend, 1 << 20, false);
    decoder.feed(wire);
    while (auto raw = decoder.next()) {
      if (!*raw) break;
      auto decoded = decode_frontend((*raw)->type, (*raw)->body);
      benchmark::DoNotOptimize(decoded);
    }
  }
  state.SetItemsProcessed(state.iterations() * 5);
}
void BM_EncodeExtendedBatch(benchmark::State& state) {
  const auto batch = extended_batch();
  std::string out;
  for (auto _ : state) {
    out.clear();
    for (const auto& m : batch) encode(m, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * 5);
}

void BM_DecodeDataRow10(benchmark::State& state) { decode_backend_bench(state, ten_column_row()); }
void BM_EncodeDataRow10(benchmark::State& state) { encode_bench(state, ten_column_row()); }
void BM_DecodeRowDescription10(benchmark::State& state) {
  decode_backend_bench(state, ten_column_description());
}
void BM_EncodeRowDescription10(benchmark::State& state) {
  encode_bench(state, ten_column_description());
}
void BM_DecodeCommandComplete(benchmark::State& state) {
  decode_backend_bench(state, CommandComplete{.tag = "DELETE 42"});
}
void BM_EncodeCommandComplete(benchmark::State& state) {
  encode_bench(state, CommandComplete{.tag = "DELETE 42"});
}

// A result set as the server streams it (RowDescription, 1000 ten-column rows, CommandComplete,
// ReadyForQuery), fed in socket-sized chunks and framed into RawMessages.
void BM_StreamDecoderResultSet(benchmark::State& state) {
  std::string wire;
  encode(ten_column_description(), wire);
  const DataRow row = ten_column_row();
  for (int i = 0; i < 1000; ++i) encode(row, wire);
  encode(CommandComplete{.tag = "SELECT 1000"}, wire);
  encode(ReadyForQuery{.status = 'I'}, wire);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::int64_t messages = 0;
  for (auto _ : state) {
    StreamDecoder decoder(Side::kBackend, 1 << 20, false);
    for (std::size_t pos = 0; pos < wire.size(); pos += chunk) {
      decoder.feed(std::string_view(wire).substr(pos, chunk));
      while (auto raw = decoder.next()) {
        if (!*raw) break;
        benchmark::DoNotOptimize((*raw)->body.data());
        ++messages;
      }
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
  state.SetItemsProcessed(messages);
}

// COPY traffic: 64 KiB CopyData messages.
void BM_StreamDecoderCopyData(benchmark::State& state) {
  std::string wire;
  for (int i = 0; i < 16; ++i) encode(CopyData{.data = std::string(65536, 'x')}, wire);
  for (auto _ : state) {
    StreamDecoder decoder(Side::kFrontend, 1 << 20, false);
    for (std::size_t pos = 0; pos < wire.size(); pos += 16384) {
      decoder.feed(std::string_view(wire).substr(pos, 16384));
      while (auto raw = decoder.next()) {
        if (!*raw) break;
        benchmark::DoNotOptimize((*raw)->body.data());
      }
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}

BENCHMARK(BM_DecodeQuery);
BENCHMARK(BM_EncodeQuery);
BENCHMARK(BM_DecodeExtendedBatch);
BENCHMARK(BM_EncodeExtendedBatch);
BENCHMARK(BM_DecodeDataRow10);
BENCHMARK(BM_EncodeDataRow10);
BENCHMARK(BM_DecodeRowDescription10);
BENCHMARK(BM_EncodeRowDescription10);
BENCHMARK(BM_DecodeCommandComplete);
BENCHMARK(BM_EncodeCommandComplete);
BENCHMARK(BM_StreamDecoderResultSet)->Arg(1460)->Arg(16384);
BENCHMARK(BM_StreamDecoderCopyData);

}  // namespace
}  // namespace tombstone::wire

BENCHMARK_MAIN();
