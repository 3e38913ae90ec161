#include "rdc/train/data_tensor.h"

#include "rdc/core/error.h"

namespace rdc {

torch::Tensor dataset_tensor(const Dataset& d, const torch::Device& dev) {
  RDC_CHECK(d.n() > 0, "{}: empty dataset", d.source);
  auto t = torch::from_blob(const_cast<float*>(d.x.data()), d.shape, torch::kFloat32).clone();
  return dev.is_cpu() ? t : t.to(dev);
}

torch::Device torch_device(const Context& ctx) {
  ctx.validate();
  if (ctx.device == "cpu") return torch::Device(torch::kCPU);
  RDC_CHECK(torch::cuda::is_available(),
            "device '{}' requested but this libtorch build has no CUDA device available; use --device cpu",
            ctx.device);
  int idx = 0;
  if (ctx.device.size() > 5) idx = std::stoi(ctx.device.substr(5));
  RDC_CHECK(idx < static_cast<int>(torch::cuda::device_count()), "device '{}': only {} CUDA devices", ctx.device,
            torch::cuda::device_count());
  return torch::Device(torch::kCUDA, idx);
}

void apply_context(const Context& ctx) {
  ctx.validate();
  apply_threads_omp(ctx);
  torch::set_num_threads(ctx.effective_threads());
  torch::manual_seed(ctx.seed);
  if (torch::cuda::is_available()) torch::cuda::manual_seed_all(ctx.seed);
}

std::vector<float> to_vector(const torch::Tensor& t) {
  auto c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

}  // namespace rdc
