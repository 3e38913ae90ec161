// Phase-1 training speed (images/s) on Fashion-MNIST-sized input, through the library's own
// Trainer: conv + deepcluster-v2 and mlp + acai, batch 256, a fixed number of timed steps.
// Compare with bench/phase1_speed.py (same models and recipe in python3-torch); driver:
// bench/phase1_speed.sh. Usage:
//   phase1_speed [--pretext deepcluster-v2|acai] [--threads 2] [--steps 20] [--batch 256] [--n 4096]
//                [--data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz]
// Quality mode (choosing CPU defaults): --epochs E (whole epochs; default: 2 epochs of --steps) with
// --lr X --optimizer sgd|adam --save PREFIX writes PREFIX_z.npy (phase-1 embedding) and PREFIX_y.npy.
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstdlib>
#include <string>

#include "bench_util.h"
#include "rdc/core/npy.h"
#include "rdc/data/readers.h"
#include "rdc/pretext/pretext.h"
#include "rdc/train/data_tensor.h"
#include "rdc/train/trainer.h"

int main(int argc, char** argv) {
  std::string pretext = "deepcluster-v2", data = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  std::string encoder = "auto", optimizer, save;
  int threads = 2, steps = 20, epochs = 0;
  double lr = 0;
  int64_t batch = 256, n = 4096;
  auto str = [](std::string& dst) { return [&dst](const std::string& v) { dst = v; }; };
  const bool ok = rdc::bench::parse_options(
      argc, argv, 1,
      {{"--pretext", str(pretext)}, {"--encoder", str(encoder)}, {"--data", str(data)},
       {"--optimizer", str(optimizer)}, {"--save", str(save)},
       {"--threads", [&](const std::string& v) { threads = std::stoi(v); }},
       {"--steps", [&](const std::string& v) { steps = std::stoi(v); }},
       {"--batch", [&](const std::string& v) { batch = std::stoll(v); }},
       {"--n", [&](const std::string& v) { n = std::stoll(v); }},
       {"--epochs", [&](const std::string& v) { epochs = std::stoi(v); }},
       {"--lr", [&](const std::string& v) { lr = std::stod(v); }}});
  if (!ok) return 2;
  try {
    rdc::Context ctx;
    ctx.threads = threads;
    ctx.seed = 1;
    rdc::apply_context(ctx);
    std::string labels = data;
    const auto pos = labels.find("images-idx3");
    labels = pos == std::string::npos ? "" : labels.replace(pos, 11, "labels-idx1");
    rdc::Dataset d = rdc::read_idx(data, labels);
    std::vector<int64_t> rows(static_cast<size_t>(std::min(n, d.n())));
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
    d = d.subset(rows);
    auto x = rdc::dataset_tensor(d, torch::Device(torch::kCPU));
    rdc::PretextConfig pc;
    pc.name = pretext;
    pc.encoder = encoder == "auto" ? (pretext == "acai" ? "mlp" : "conv") : encoder;
    pc.input_shape = std::vector<int64_t>(d.shape.begin() + 1, d.shape.end());
    pc.acai_lambda = 0.5;  // the Python script trains the critic too: same work on both sides
    auto p = rdc::make_pretext(pc, x.size(0), ctx);
    rdc::TrainConfig tc;
    tc.epochs = epochs > 0 ? epochs : 2;  // speed: epoch 1 warms up (allocator, first k-means); epoch 2 is timed
    tc.batch_size = batch;
    tc.max_steps_per_epoch = epochs > 0 ? 0 : steps;
    tc.lr = lr;
    tc.optimizer = optimizer;
    tc.log_every_steps = 0;
    tc.stop_on_collapse = false;
    rdc::Trainer t(*p, tc, ctx);
    // Timed: steps 2..S of the second epoch (no k-means or probe inside), wall and process CPU time.
    using Clock = std::chrono::steady_clock;
    Clock::time_point w0, w1;
    std::clock_t c0 = 0, c1 = 0;
    t.set_step_hook([&](int epoch, int64_t step, double) {
      if (epoch != 1) return;
      if (step == 0) {
        w0 = Clock::now();
        c0 = std::clock();
      }
      w1 = Clock::now();
      c1 = std::clock();
    });
    auto stats = t.fit(x);
    const auto& s = stats.back();
    const double timed = static_cast<double>((s.steps - 1) * (x.size(0) / ((x.size(0) + batch - 1) / batch)));
    const double wall = std::chrono::duration<double>(w1 - w0).count();
    const double cpu = static_cast<double>(c1 - c0) / CLOCKS_PER_SEC;
    std::printf("{\"impl\": \"cpp\", \"pretext\": \"%s\", \"encoder\": \"%s\", \"threads\": %d, \"batch\": %lld, "
                "\"steps\": %lld, \"images_per_s\": %.1f, \"images_per_cpu_s\": %.1f, \"loss\": %.4f}\n",
                pretext.c_str(), pc.encoder.c_str(), threads, static_cast<long long>(batch),
                static_cast<long long>(s.steps), timed / wall, timed / cpu, s.loss);
    if (!save.empty()) {
      auto z = rdc::Trainer::embed_all(*p, x);
      rdc::write_npy(save + "_z.npy", rdc::to_vector(z), {z.size(0), z.size(1)});
      if (d.has_labels()) rdc::write_npy(save + "_y.npy", d.labels, {d.n()});
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phase1_speed: %s\n", e.what());
    return 1;
  }
  return 0;
}
