#include "edgebench/onnx/model_io.h"
