#pragma once
// Boundary between the torch-free Dataset and libtorch tensors.
#include <torch/torch.h>

#include <string>

#include "rdc/core/context.h"
#include "rdc/data/dataset.h"

namespace rdc {

/// The samples as one (N, ...) float32 tensor on `dev` (a copy).
torch::Tensor dataset_tensor(const Dataset& d, const torch::Device& dev);
/// Parses ctx.device ("cpu", "cuda", "cuda:N"); throws rdc::Error when CUDA is asked for but absent.
torch::Device torch_device(const Context& ctx);
/// Applies threads (torch intra-op + OpenMP) and seeds torch's generators from ctx.seed.
void apply_context(const Context& ctx);
/// (N, m) float tensor -> contiguous CPU std::vector<float>.
std::vector<float> to_vector(const torch::Tensor& t);

}  // namespace rdc
