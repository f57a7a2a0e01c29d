// optimize --finetune-epochs N (with --prune S: gradual magnitude pruning) and --qat
// (quantization-aware training): fine-tuning on a labelled dataset. The training runs in Python
// (python -m edgebench.finetune, with PyTorch); this side writes the model and the dataset for it
// and reads the result back.
#pragma once

#include "edgebench/api.h"
#include "edgebench/core/status.h"
#include "edgebench/ir/graph.h"

namespace edgebench::cli {

// Replaces `graph` by its fine-tuned version (pruned with options.prune, trained with int8 fake
// quantization with options.qat). The interpreter is $EDGEBENCH_TRAIN_PYTHON,
// else /usr/bin/python3 (Debian's python3-torch), else python3 on PATH. kInvalidArgument naming
// the problem for bad options, an unlabelled dataset, a missing PyTorch or a trainer error.
Status finetune(ir::Graph& graph, const api::OptimizeOptions& options, const api::OptimizeLog& log);

}  // namespace edgebench::cli
