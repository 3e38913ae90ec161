// Evaluation protocols: merge all splits, or fit on train(+val) and score on test.
#include "rdc/core/error.h"
#include "rdc/data/reader_util.h"
#include "rdc/data/readers.h"

namespace rdc {

Protocol parse_protocol(const std::string& s) {
  const std::string v = detail::to_lower(s);
  if (v == "all") return Protocol::kAll;
  if (v == "train-test" || v == "train_test") return Protocol::kTrainTest;
  RDC_FAIL("protocol = '{}' is not known; allowed: all, train-test", s);
}

const char* protocol_name(Protocol p) {
  switch (p) {
    case Protocol::kAll: return "all";
    case Protocol::kTrainTest: return "train-test";
  }
  return "?";
}

ProtocolSplit apply_protocol(const Dataset& d, Protocol p) {
  if (p == Protocol::kAll) return {d, d};
  RDC_CHECK(!d.split.empty(),
            "{}: protocol train-test needs split tags (train/val/test) but this dataset has none; use protocol all",
            d.source);
  std::vector<int64_t> fit, score;
  int64_t unknown = 0;
  for (int64_t i = 0; i < static_cast<int64_t>(d.split.size()); ++i) {
    switch (d.split[i]) {
      case Split::kTrain:
      case Split::kVal: fit.push_back(i); break;
      case Split::kTest: score.push_back(i); break;
      default: ++unknown;
    }
  }
  RDC_CHECK(!score.empty(), "{}: protocol train-test needs test rows, but none of the {} rows is tagged test",
            d.source, d.n());
  RDC_CHECK(!fit.empty(), "{}: protocol train-test needs train or val rows, but all {} tagged rows are test",
            d.source, score.size());
  RDC_CHECK(unknown == 0, "{}: {} rows have no split tag; protocol train-test needs every row tagged", d.source,
            unknown);
  return {d.subset(fit), d.subset(score)};
}

}  // namespace rdc
