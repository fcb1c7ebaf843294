// Package checkpoint saves and loads named tensors in the safetensors format
// (https://github.com/huggingface/safetensors), the format PyTorch, timm and
// Hugging Face use for state_dicts, and copies loaded tensors into a graph's
// parameters by name, like PyTorch's load_state_dict.
//
// # Format
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// UTF-8 JSON, then the raw little-endian, row-major tensor data. The JSON
// maps each tensor name to {"dtype", "shape", "data_offsets": [begin, end]}
// (byte offsets into the data section) and may hold a "__metadata__" object
// of string → string. Save writes the header keys sorted by name, pads the
// header with spaces to a multiple of 8 bytes, and lays the data out by
// descending element size and then by name (the reference writer's order),
// so every tensor is naturally aligned for zero-copy readers. Load checks
// what the reference reader checks: the header fits in the file, every
// dtype is known, every tensor's byte length matches its shape, and the
// offsets tile the data section exactly, without gaps, overlaps or bytes
// past the end. Errors name the file and the tensor at fault.
//
// Supported dtypes are F32, F64, I8, U8, I16, U16, I32, U32, I64, U64 and
// BOOL, each loaded into the tensor dtype of the same name. F16 and BF16
// tensors (common in published checkpoints) are converted exactly to F32
// on load, since t2c computes in float32; FP8 types are rejected.
//
// # Why not a library
//
// github.com/nlpodyssey/safetensors (the Go port of the reference
// implementation, in the module proxy) reads and writes the format, but it
// has no tagged release (only a pseudo-version), it deserialises from one
// in-memory buffer of the whole file (a 550 MB VGG checkpoint would be held twice), its errors
// name neither file nor tensor, and it has no F16/BF16 conversion or
// atomic save. Mapping its dtypes and byte views onto package tensor would
// take as much code as the format itself, which is about two hundred lines
// here: a JSON header and little-endian arrays, decoded with
// encoding/binary's slice fast paths.
package checkpoint
