// Training loop: checkpoints, exact resume, interruption, mismatches (C01), collapse (C13), NaN (C14).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <utility>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "nn_test_util.h"
#include "rdc/augment/augment.h"
#include "rdc/core/fs.h"
#include "rdc/core/interrupt.h"
#include "rdc/pretext/deepcluster_v2.h"
#include "rdc/train/data_tensor.h"
#include "rdc/train/trainer.h"

using namespace rdc;

namespace {

Context cpu_ctx() {
  Context c;
  c.threads = 2;
  c.seed = 7;
  return c;
}

TrainConfig tiny_train(const std::string& dir, int epochs) {
  TrainConfig t;
  t.epochs = epochs;
  t.batch_size = 24;
  t.out_dir = dir;
  t.log_every_steps = 0;
  return t;
}

struct Run {
  std::unique_ptr<Pretext> p;
  std::vector<EpochStats> stats;
};

/// Trains a fresh pretext for `epochs` (resuming from dir when asked).
Run train(const PretextConfig& pc, const torch::Tensor& x, const std::string& dir, int epochs, bool resume,
          Trainer::StepHook hook = nullptr) {
  auto ctx = cpu_ctx();
  Run r;
  r.p = make_pretext(pc, x.size(0), ctx);
  auto tc = tiny_train(dir, epochs);
  tc.resume = resume;
  Trainer t(*r.p, tc, ctx);
  if (hook) t.set_step_hook(hook);
  r.stats = t.fit(x);
  return r;
}

std::string what_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/// Runs f; returns {kind, message} of the TrainingDiverged it throws ({"", ""} when none).
std::pair<std::string, std::string> divergence_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const TrainingDiverged& e) {
    return {e.kind(), e.what()};
  }
  return {"", ""};
}

}  // namespace

TEST(Trainer, CheckpointRoundTripAndStatsFile) {
  const auto dir = test::temp_dir("roundtrip");
  auto x = test::blob_vectors(60, 10, 3, 1);
  auto pc = test::tiny_acai({10});
  auto a = train(pc, x, dir, 2, false);
  ASSERT_EQ(a.stats.size(), 2u);
  const auto last = checkpoint_path(dir, "phase1", "last"), prev = checkpoint_path(dir, "phase1", "prev");
  EXPECT_TRUE(file_exists(last));
  EXPECT_TRUE(file_exists(prev));
  EXPECT_EQ(read_checkpoint_meta(last)["epoch"], 2);
  EXPECT_EQ(read_checkpoint_meta(prev)["epoch"], 1);
  // A differently seeded model differs, and loading makes it identical.
  Context other = cpu_ctx();
  other.seed = 99;
  auto b = make_pretext(pc, 60, other);
  EXPECT_FALSE(test::same_state(*a.p, *b));
  auto lc = load_checkpoint_file(last, *b);
  EXPECT_GT(lc.tensors, 10);
  std::string diff;
  EXPECT_TRUE(test::same_state(*a.p, *b, &diff)) << diff;
  // load_pretext rebuilds the model from the checkpoint alone and embeds identically.
  auto c = load_pretext(last, cpu_ctx());
  EXPECT_TRUE(torch::equal(Trainer::embed_all(*a.p, x), Trainer::embed_all(*c, x)));
  // Statistics: one JSON line per epoch with the documented keys.
  std::ifstream f(join_path(dir, "phase1_stats.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(f, line)) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["epoch"], lines);
    for (const char* k : {"loss", "seconds", "images_per_s", "spread", "recon"}) EXPECT_TRUE(j.contains(k)) << k;
    ++lines;
  }
  EXPECT_EQ(lines, 2);
}

TEST(Trainer, ResumeEqualsUninterruptedRunDeepClusterV2) {
  auto x = test::blob_images(60, 1, 10, 10, 3, 2);
  auto pc = test::tiny_dcv2({1, 10, 10});
  const auto d1 = test::temp_dir("dc_full"), d2 = test::temp_dir("dc_split");
  auto full = train(pc, x, d1, 3, false);
  train(pc, x, d2, 1, false);
  auto resumed = train(pc, x, d2, 3, true);
  std::string diff;
  EXPECT_TRUE(test::same_state(*full.p, *resumed.p, &diff)) << "first difference: " << diff;
  ASSERT_EQ(resumed.stats.size(), 3u);  // history restored from the checkpoint
  EXPECT_EQ(resumed.stats[0].loss, full.stats[0].loss);
  EXPECT_EQ(resumed.stats[2].loss, full.stats[2].loss);
  // A different seed gives different weights.
  Context other = cpu_ctx();
  other.seed = 8;
  auto q = make_pretext(pc, 60, other);
  TrainConfig tc = tiny_train("", 3);
  Trainer t(*q, tc, other);
  t.fit(x);
  EXPECT_FALSE(test::same_state(*full.p, *q));
}

TEST(Trainer, InterruptMidEpochThenResumeEqualsUninterruptedRunAcai) {
  auto x = test::blob_vectors(72, 10, 3, 3);
  auto pc = test::tiny_acai({10});
  pc.acai_lambda = 0.5;  // with the critic, whose optimiser must come back too
  const auto d1 = test::temp_dir("acai_full"), d2 = test::temp_dir("acai_int");
  auto full = train(pc, x, d1, 3, false);
  clear_interrupt();
  std::string msg = what_of([&] {
    train(pc, x, d2, 3, false, [](int epoch, int64_t step, double) {
      if (epoch == 1 && step == 0) request_interrupt();  // after the first step of the second epoch
    });
  });
  clear_interrupt();
  EXPECT_NE(msg.find("interrupted at epoch 2 step 1/3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--resume"), std::string::npos) << msg;
  auto meta = read_checkpoint_meta(checkpoint_path(d2, "phase1", "last"));
  EXPECT_EQ(meta["epoch"], 1);
  EXPECT_EQ(meta["step"], 1);
  auto resumed = train(pc, x, d2, 3, true);
  std::string diff;
  EXPECT_TRUE(test::same_state(*full.p, *resumed.p, &diff)) << "first difference: " << diff;
  // The critic's optimiser state came back too: one more identical step keeps them equal.
  EXPECT_TRUE(torch::equal(Trainer::embed_all(*full.p, x), Trainer::embed_all(*resumed.p, x)));
}

TEST(Trainer, C01_PrefixedCheckpointNamesAreAnError) {
  const auto dir = test::temp_dir("c01");
  auto x = test::blob_images(30, 1, 8, 8, 2, 4);
  auto pc = test::tiny_dcv2({1, 8, 8});
  auto a = train(pc, x, dir, 1, false);
  const auto path = checkpoint_path(dir, "phase1", "last");
  // Rewrite the checkpoint as a wrapped model would save it: "module." before every tensor name.
  auto payload = checkpoint_unpack(read_file(path), path);
  torch::serialize::InputArchive in;
  in.load_from(payload.data(), payload.size());
  torch::serialize::OutputArchive out;
  for (const auto& k : in.keys()) {
    if (k.rfind("model/", 0) == 0) {
      torch::Tensor t;
      in.read(k, t);
      out.write("model/module." + k.substr(6), t);
    } else if (k == "meta") {
      c10::IValue v;
      in.read(k, v);
      out.write(k, v);
    }
  }
  std::ostringstream os;
  out.save_to(os);
  const auto bad = join_path(dir, "prefixed.pt");
  write_file_atomic(bad, checkpoint_pack(os.str()));
  auto b = make_pretext(pc, 30, cpu_ctx());
  std::string msg;
  try {
    load_checkpoint_file(bad, *b);
  } catch (const CheckpointMismatch& e) {
    msg = e.what();
  }
  EXPECT_NE(msg.find("loaded 0 of"), std::string::npos) << msg;
  EXPECT_NE(msg.find("missing (first: backbone."), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected (first: module."), std::string::npos) << msg;
  EXPECT_NE(msg.find("extra prefix 'module.'"), std::string::npos) << msg;
  // A shape mismatch (another embedding size) is an error naming the tensor and both shapes.
  auto pc2 = pc;
  pc2.embed_dim = 6;
  auto c = make_pretext(pc2, 30, cpu_ctx());
  msg = what_of([&] { load_checkpoint_file(path, *c); });
  EXPECT_NE(msg.find("head.fc2.weight [8, 16]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vs model [6, 16]"), std::string::npos) << msg;
}

TEST(Trainer, CorruptLastCheckpointFallsBackToPrevious) {
  const auto dir = test::temp_dir("corrupt");
  auto x = test::blob_vectors(40, 6, 2, 5);
  auto pc = test::tiny_acai({6});
  train(pc, x, dir, 2, false);
  const auto last = checkpoint_path(dir, "phase1", "last");
  std::string bytes = read_file(last);
  bytes[bytes.size() / 2] ^= 0x5a;
  write_file_atomic(last, bytes);
  EXPECT_NE(what_of([&] { read_checkpoint_meta(last); }).find("CRC32"), std::string::npos);
  auto p = make_pretext(pc, 40, cpu_ctx());
  auto lc = load_checkpoint(dir, "phase1", *p, {});
  ASSERT_TRUE(lc.has_value());
  EXPECT_EQ(lc->path, checkpoint_path(dir, "phase1", "prev"));
  EXPECT_EQ(lc->meta["epoch"], 1);
  EXPECT_FALSE(load_checkpoint(test::temp_dir("empty"), "phase1", *p, {}).has_value());
}

TEST(Trainer, C13_CollapseDetectorFiresOnConstantData) {
  auto x = torch::full({40, 1, 8, 8}, 0.5f);
  auto [kind, msg] = divergence_of([&] { train(test::tiny_dcv2({1, 8, 8}), x, "", 3, false); });
  EXPECT_EQ(kind, "collapse");
  EXPECT_NE(msg.find("C13"), std::string::npos) << msg;
  auto v = torch::ones({40, 6});
  auto [kind2, msg2] = divergence_of([&] { train(test::tiny_acai({6}), v, "", 3, false); });
  EXPECT_EQ(kind2, "collapse");
  EXPECT_NE(msg2.find("no spread"), std::string::npos) << msg2;
}

// Partial collapse (spread below weak_spread, above the fatal threshold) is said once, as a warning,
// not once per epoch: a threshold above any real spread makes every epoch from the third qualify.
TEST(Trainer, PartialCollapseWarningIsGivenOnce) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::info);
  torch::manual_seed(3);
  auto x = torch::rand({48, 6});
  auto ctx = cpu_ctx();
  auto p = make_pretext(test::tiny_acai({6}), x.size(0), ctx);
  auto tc = tiny_train("", 5);
  tc.weak_spread = 1e9;
  Trainer t(*p, tc, ctx);
  t.fit(x);
  spdlog::set_default_logger(previous);
  const std::string text = log.str();
  size_t count = 0;
  for (size_t at = text.find("nearly collapsed"); at != std::string::npos; at = text.find("nearly collapsed", at + 1))
    ++count;
  EXPECT_EQ(count, 1u) << text;
  EXPECT_NE(text.find("epoch 3: the embeddings are nearly collapsed"), std::string::npos) << text;
}

TEST(Trainer, C14_NanGuardStopsAndKeepsLastGoodCheckpoint) {
  const auto dir = test::temp_dir("c14");
  auto x = test::blob_vectors(48, 8, 2, 6);
  auto pc = test::tiny_acai({8});
  auto ctx = cpu_ctx();
  {
    auto p = make_pretext(pc, 48, ctx);
    auto tc = tiny_train(dir, 1);
    tc.optimizer = "sgd";
    tc.lr = 1e-3;
    Trainer t(*p, tc, ctx);
    t.fit(x);  // one good epoch
  }
  auto p = make_pretext(pc, 48, ctx);
  auto tc = tiny_train(dir, 6);
  tc.resume = true;
  tc.optimizer = "sgd";
  tc.lr = 1e12;
  Trainer t(*p, tc, ctx);
  auto [kind, msg] = divergence_of([&] { t.fit(x); });
  EXPECT_EQ(kind, "nan");
  EXPECT_NE(msg.find("C14"), std::string::npos) << msg;
  EXPECT_NE(msg.find("--lr"), std::string::npos) << msg;
  EXPECT_NE(msg.find("last good checkpoint"), std::string::npos) << msg;
  auto meta = read_checkpoint_meta(checkpoint_path(dir, "phase1", "last"));
  EXPECT_GE(meta["epoch"].get<int>(), 1);
  for (const auto& h : meta["history"]) EXPECT_TRUE(h["loss"].is_number()) << h.dump();
  // The kept checkpoint holds finite weights.
  auto q = make_pretext(pc, 48, ctx);
  load_checkpoint_file(checkpoint_path(dir, "phase1", "last"), *q);
  for (auto& m : q->modules())
    for (auto& t2 : m.second->parameters()) EXPECT_TRUE(torch::isfinite(t2).all().item<bool>());
  // Resuming with another optimiser than the checkpoint's is a clear error, not a crash.
  auto r = make_pretext(pc, 48, ctx);
  auto tc2 = tiny_train(dir, 6);
  tc2.resume = true;
  tc2.optimizer = "adam";
  Trainer t2(*r, tc2, ctx);
  std::string m2;
  try {
    t2.fit(x);
  } catch (const CheckpointMismatch& e) {
    m2 = e.what();
  }
  EXPECT_NE(m2.find("optimiser 'main'"), std::string::npos) << m2;
}

// A finite loss that explodes (seen: acai at --lr 0.1 reaches 1e16 in one epoch) is divergence (C14),
// not representation collapse, and the message counts epochs from 1 as the log does.
TEST(Trainer, C14_ExplodedFiniteLossIsDivergence) {
  auto x = test::blob_vectors(48, 8, 2, 6) * 100.0;
  auto ctx = cpu_ctx();
  auto p = make_pretext(test::tiny_acai({8}), 48, ctx);
  auto tc = tiny_train("", 3);
  tc.optimizer = "adam";
  tc.lr = 0.3;
  Trainer t(*p, tc, ctx);
  auto [kind, msg] = divergence_of([&] { t.fit(x); });
  EXPECT_EQ(kind, "nan") << msg;
  EXPECT_NE(msg.find("exploded"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at epoch 1 "), std::string::npos) << msg;
}

TEST(Trainer, ScheduleEmbedAllAndBalancedBatches) {
  auto ctx = cpu_ctx();
  auto x = test::blob_vectors(50, 6, 2, 7);
  auto p = make_pretext(test::tiny_dcv2({6}), 50, ctx);
  TrainConfig tc = tiny_train("", 2);
  tc.lr = 0.1;
  tc.warmup_epochs = 1;
  tc.schedule = "cosine";
  Trainer t(*p, tc, ctx);
  EXPECT_EQ(t.optimizer_name(), "sgd");  // DCv2 default
  EXPECT_DOUBLE_EQ(t.lr_at(0, 20, 10), 0.01);
  EXPECT_DOUBLE_EQ(t.lr_at(9, 20, 10), 0.1);
  EXPECT_NEAR(t.lr_at(20, 20, 10), 0.1 * tc.final_lr_fraction, 1e-12);
  EXPECT_GT(t.lr_at(12, 20, 10), t.lr_at(17, 20, 10));
  std::vector<int64_t> batch_sizes;
  t.set_step_hook([&](int, int64_t, double) { batch_sizes.push_back(0); });
  auto stats = t.fit(x);
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats[0].steps, 3);  // 50 rows, batch 24 -> 3 balanced batches (16, 17, 17), no tiny batch
  EXPECT_EQ(batch_sizes.size(), 6u);
  p->set_train(true);
  auto z = Trainer::embed_all(*p, x, 7);
  EXPECT_EQ(z.sizes().vec(), (std::vector<int64_t>{50, 8}));
  EXPECT_TRUE(p->is_training());  // mode restored
  p->set_train(false);
  EXPECT_TRUE(torch::allclose(z, p->embed(x), 1e-5, 1e-6));
}

TEST(Interrupt, SignalSetsTheFlag) {
  clear_interrupt();
  install_interrupt_handler();
  EXPECT_FALSE(interrupt_requested());
  std::raise(SIGINT);
  EXPECT_TRUE(interrupt_requested());
  clear_interrupt();
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}
