// Phase-1 training speed (images/s) on Fashion-MNIST-sized input, through the library's own
// Trainer: conv + deepcluster-v2 and mlp + acai, batch 256, a fixed number of timed steps.
// Compare with bench/phase1_speed.py (same models and recipe in python3-torch); driver:
// bench/phase1_speed.sh. Usage:
//   phase1_speed [--pretext deepcluster-v2|acai] [--threads 2] [--steps 20] [--batch 256] [--n 4096]
//                [--data /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz]
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "rdc/data/readers.h"
#include "rdc/pretext/pretext.h"
#include "rdc/train/data_tensor.h"
#include "rdc/train/trainer.h"

int main(int argc, char** argv) {
  std::string pretext = "deepcluster-v2", data = "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz";
  std::string encoder = "auto";
  int threads = 2, steps = 20;
  int64_t batch = 256, n = 4096;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--pretext") pretext = v;
    else if (a == "--encoder") encoder = v;
    else if (a == "--threads") threads = std::atoi(v.c_str());
    else if (a == "--steps") steps = std::atoi(v.c_str());
    else if (a == "--batch") batch = std::atoll(v.c_str());
    else if (a == "--n") n = std::atoll(v.c_str());
    else if (a == "--data") data = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  try {
    rdc::Context ctx;
    ctx.threads = threads;
    ctx.seed = 1;
    rdc::apply_context(ctx);
    rdc::Dataset d = rdc::read_idx(data);
    std::vector<int64_t> rows(static_cast<size_t>(std::min(n, d.n())));
    for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
    d = d.subset(rows);
    auto x = rdc::dataset_tensor(d, torch::Device(torch::kCPU));
    rdc::PretextConfig pc;
    pc.name = pretext;
    pc.encoder = encoder == "auto" ? (pretext == "acai" ? "mlp" : "conv") : encoder;
    pc.input_shape = std::vector<int64_t>(d.shape.begin() + 1, d.shape.end());
    auto p = rdc::make_pretext(pc, x.size(0), ctx);
    rdc::TrainConfig tc;
    tc.epochs = 2;  // epoch 1 warms up (allocator, first k-means); epoch 2 is timed
    tc.batch_size = batch;
    tc.max_steps_per_epoch = steps;
    tc.log_every_steps = 0;
    tc.stop_on_collapse = false;
    rdc::Trainer t(*p, tc, ctx);
    auto stats = t.fit(x);
    const auto& s = stats.back();
    std::printf("{\"impl\": \"cpp\", \"pretext\": \"%s\", \"encoder\": \"%s\", \"threads\": %d, \"batch\": %lld, "
                "\"steps\": %lld, \"images_per_s\": %.1f, \"loss\": %.4f}\n",
                pretext.c_str(), pc.encoder.c_str(), threads, static_cast<long long>(batch),
                static_cast<long long>(s.steps), s.images_per_s, s.loss);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "phase1_speed: %s\n", e.what());
    return 1;
  }
  return 0;
}
