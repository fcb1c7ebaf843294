// Package onnx converts between ONNX models and t2c graphs.
//
// # Import
//
// Load and Decode read a serialized ModelProto (FromModel takes a parsed
// one) into a *graph.Graph:
//
//   - the default-domain opset comes from opset_import ("" or "ai.onnx");
//     opsets MinOpset–MaxOpset (7–17) are accepted, t2c targets 11–17;
//   - initializers become g.Params under their exact names (PyTorch names
//     such as "layer1.0.conv1.weight" are kept); graph inputs that are also
//     initializers are dropped from g.Inputs;
//   - graph inputs and outputs keep their dtype and shape; a symbolic
//     (dim_param) or missing dimension is -1, a missing shape is nil;
//   - nodes keep op type, name (an unnamed node gets "<Op>_<index>"), inputs
//     and outputs ("" marks an omitted optional input) and attributes of
//     type INT, FLOAT, STRING, INTS, FLOATS, STRINGS and TENSOR. Constant
//     nodes stay nodes; graph.Specialize folds them.
//
// After conversion the graph is sorted topologically and every node is
// compiled once with graph.Build, so an unsupported op, attribute or
// attribute value is reported at load time. Every error starts with the file
// name and names the node, op, attribute, tensor or value at fault; all
// distinct unsupported op types of a model are listed in one error
// (see UnsupportedOpsError).
//
// Tensors (TensorFromProto, TensorToProto, LoadTensor) support the element
// types FLOAT, DOUBLE, INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64,
// UINT64 and BOOL, stored in raw_data or in the typed fields.
//
// # Export
//
// Encode, Save and ToModel write IR version 8 models with producer "t2c",
// the default-domain opset g.Opset (13 if unset), initializers sorted by
// name in raw_data, inputs and outputs with dtype and shape (dynamic
// dimensions become dim_param "N" for dimension 0 and "d<i>" otherwise) and
// the nodes with their attributes. Encoding is deterministic. Save replaces
// the target file atomically.
//
// # Not supported
//
//   - element types FLOAT16, BFLOAT16, STRING, COMPLEX64/128 and the 8-bit
//     float and 4-bit types of later ONNX releases;
//   - external tensor data (models over 2 GB saved with
//     save_as_external_data) and segmented tensors;
//   - sparse initializers and attributes of type GRAPH, SPARSE_TENSOR,
//     TYPE_PROTO and their list forms (so control flow such as If, Loop and
//     Scan is not supported), model-local functions and nodes in domains
//     other than the default one (com.microsoft, ai.onnx.ml, ...);
//   - sequence, map and optional values as graph inputs or outputs;
//   - value_info, metadata, doc strings and training information are not
//     imported, so they are not exported either.
//
// Importing this package registers the op implementations of package ops.
package onnx
