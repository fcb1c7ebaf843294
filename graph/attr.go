package graph

import (
	"fmt"
	"slices"
	"sort"

	"t2c/tensor"
)

// AttrKind says which field of an Attr is set.
type AttrKind uint8

// Attribute kinds, mirroring ONNX AttributeProto types t2c supports.
const (
	AttrInt AttrKind = iota + 1
	AttrFloat
	AttrString
	AttrInts
	AttrFloats
	AttrStrings
	AttrTensor
)

// Attr is one node attribute.
type Attr struct {
	Kind    AttrKind
	Int     int64
	Float   float32
	String  string
	Ints    []int64
	Floats  []float32
	Strings []string
	Tensor  *tensor.Tensor
}

// IntAttr, FloatAttr, ... build attributes; they keep node construction in
// the zoo and in passes short.
func IntAttr(v int64) Attr { return Attr{Kind: AttrInt, Int: v} }

// FloatAttr builds a float attribute.
func FloatAttr(v float32) Attr { return Attr{Kind: AttrFloat, Float: v} }

// StringAttr builds a string attribute.
func StringAttr(v string) Attr { return Attr{Kind: AttrString, String: v} }

// IntsAttr builds an integer-list attribute.
func IntsAttr(v ...int64) Attr { return Attr{Kind: AttrInts, Ints: v} }

// FloatsAttr builds a float-list attribute.
func FloatsAttr(v ...float32) Attr { return Attr{Kind: AttrFloats, Floats: v} }

// TensorAttr builds a tensor attribute.
func TensorAttr(t *tensor.Tensor) Attr { return Attr{Kind: AttrTensor, Tensor: t} }

// Attrs reads a node's attributes with defaults and type checks, and
// remembers which were read so that Unused can report attributes an op
// implementation does not understand (never silently ignore one).
type Attrs struct {
	node *Node
	read map[string]bool
	err  error
}

// NewAttrs starts reading n's attributes.
func NewAttrs(n *Node) *Attrs { return &Attrs{node: n, read: map[string]bool{}} }

func (a *Attrs) get(name string, kind AttrKind) (Attr, bool) {
	a.read[name] = true
	v, ok := a.node.Attrs[name]
	if ok && v.Kind != kind && a.err == nil {
		a.err = fmt.Errorf("%v: attribute %q has the wrong type", a.node, name)
		return Attr{}, false
	}
	return v, ok
}

// Has reports whether the attribute is present (and marks it read).
func (a *Attrs) Has(name string) bool {
	a.read[name] = true
	_, ok := a.node.Attrs[name]
	return ok
}

// Int returns an int attribute or def.
func (a *Attrs) Int(name string, def int64) int64 {
	if v, ok := a.get(name, AttrInt); ok {
		return v.Int
	}
	return def
}

// Float returns a float attribute or def.
func (a *Attrs) Float(name string, def float32) float32 {
	if v, ok := a.get(name, AttrFloat); ok {
		return v.Float
	}
	return def
}

// String returns a string attribute or def.
func (a *Attrs) String(name string, def string) string {
	if v, ok := a.get(name, AttrString); ok {
		return v.String
	}
	return def
}

// Ints returns an int-list attribute as ints, or def.
func (a *Attrs) Ints(name string, def []int) []int {
	if v, ok := a.get(name, AttrInts); ok {
		out := make([]int, len(v.Ints))
		for i, x := range v.Ints {
			out[i] = int(x)
		}
		return out
	}
	return def
}

// Floats returns a float-list attribute or def.
func (a *Attrs) Floats(name string, def []float32) []float32 {
	if v, ok := a.get(name, AttrFloats); ok {
		return v.Floats
	}
	return def
}

// Tensor returns a tensor attribute or nil.
func (a *Attrs) Tensor(name string) *tensor.Tensor {
	if v, ok := a.get(name, AttrTensor); ok {
		return v.Tensor
	}
	return nil
}

// Fail records an error about attribute name (its value is unsupported or
// invalid), keeping the first one.
func (a *Attrs) Fail(name, format string, args ...any) {
	if a.err == nil {
		a.err = fmt.Errorf("%v: attribute %q: %s", a.node, name, fmt.Sprintf(format, args...))
	}
}

// Err returns the first type or value error, or an error naming attributes
// the op never read: they are unsupported, and ignoring them could silently
// change results.
func (a *Attrs) Err() error {
	if a.err != nil {
		return a.err
	}
	var unused []string
	for name := range a.node.Attrs {
		if !a.read[name] {
			unused = append(unused, name)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		return fmt.Errorf("%v: unsupported attribute %q", a.node, unused[0])
	}
	return nil
}

// OneOf checks that a string attribute value is one of allowed.
func (a *Attrs) OneOf(name, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		a.Fail(name, "value %q is not supported (supported: %v)", value, allowed)
	}
}
