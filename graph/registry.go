package graph

import (
	"fmt"
	"sort"
	"sync"

	"t2c/tensor"
)

// Kernel is a node compiled for execution: attributes parsed and checked
// once, so Run only computes.
type Kernel interface {
	// Run computes the node's outputs from its inputs (nil for omitted
	// optional inputs). It may return fewer outputs than the op defines if
	// the trailing optional ones are not requested.
	Run(ctx *Ctx, in []*tensor.Tensor) ([]*tensor.Tensor, error)
}

// ShapeInferer is implemented by kernels that derive output types without
// computing (conv, matmul, elementwise ...). Kernels without it are inferred
// by running them on zero tensors of the right shape, which is exact for the
// cheap shape-manipulating ops that lack it. consts holds the constant value
// of each input when known, nil otherwise.
type ShapeInferer interface {
	InferShapes(in []ValueInfo, consts []*tensor.Tensor) ([]ValueInfo, error)
}

// TypeFolder is implemented by kernels whose outputs depend only on input
// types (Shape, Size): Compile folds them to constants once shapes are known.
type TypeFolder interface {
	FoldTypes(in []ValueInfo) ([]*tensor.Tensor, error)
}

// Builder compiles a node at a given opset. It reads attributes through a;
// attributes it does not read are reported as unsupported.
type Builder func(n *Node, a *Attrs, opset int) (Kernel, error)

var (
	registryMu sync.RWMutex
	registry   = map[string]Builder{}
)

// Register makes an op type available to Compile. Registering an op twice
// panics: it is a programming error.
func Register(op string, b Builder) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[op]; dup {
		panic("graph: op registered twice: " + op)
	}
	registry[op] = b
}

// Supported reports whether op has a registered implementation.
func Supported(op string) bool {
	registryMu.RLock()
	defer registryMu.RUnlock()
	_, ok := registry[op]
	return ok
}

// SupportedOps lists registered op types, sorted.
func SupportedOps() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	ops := make([]string, 0, len(registry))
	for op := range registry {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	return ops
}

// Build compiles one node, with errors naming the node, op and attribute.
func Build(n *Node, opset int) (Kernel, error) {
	registryMu.RLock()
	b, ok := registry[n.Op]
	empty := len(registry) == 0
	registryMu.RUnlock()
	if !ok {
		if empty {
			return nil, fmt.Errorf("%v: no ops are registered (import package t2c/ops)", n)
		}
		return nil, fmt.Errorf("%v: unsupported op %q", n, n.Op)
	}
	a := NewAttrs(n)
	k, err := b(n, a, opset)
	if err != nil {
		if a.err != nil {
			return nil, a.err
		}
		return nil, fmt.Errorf("%v: %w", n, err)
	}
	if err := a.Err(); err != nil {
		return nil, err
	}
	return k, nil
}
