// Package zoo builds standard image classifiers as t2c graphs: ResNet
// (torchvision's 18/34/50 and the CIFAR 20/32/44/56), VGG with batch norm,
// MobileNetV1, MobileNetV2 and Vision Transformers (timm layout).
//
// Graphs read like the PyTorch modules they mirror. Every parameter has its
// PyTorch state_dict name and shape ("layer1.0.conv1.weight" [64,64,3,3],
// "blocks.3.attn.qkv.weight" [576,192]), every node is named by its module
// path ("layer1.0.conv1"), and the value a node produces carries the node's
// name. The parameter set is exactly the state_dict minus BatchNorm's
// num_batches_tracked counters, so a torchvision or timm checkpoint loads
// with checkpoint.LoadInto, and tests (pytorch_test.go) check names,
// shapes and outputs against PyTorch. Non-learned constants (Clip bounds,
// reshape targets, gather indices) are Constant nodes, not parameters, so
// g.Params is the model's state and nothing else.
//
// Ops follow ONNX opset 17 as PyTorch exports them: Conv,
// BatchNormalization (inference form; running statistics are parameters),
// Relu, Clip(0, 6) for ReLU6, MaxPool, GlobalAveragePool, Flatten, and
// Gemm(transB=1) for every nn.Linear, so weights keep PyTorch's [out, in]
// layout. Transformers also use LayerNormalization, Gelu, MatMul, Softmax,
// Reshape, Transpose, Gather, Concat, Shape and Expand (see vit.go). Dropout
// is omitted: graphs are inference graphs, and training wraps them.
//
// Initial weights follow each model's PyTorch initialisation (documented
// per family) and are deterministic: parameter p draws from a PCG stream
// seeded by (Config.Seed, FNV-1a hash of p's name).
package zoo
