package export

import "t2c/graph"

// Op types and the layer attribute of integer graphs (docs/INTEGER.md §4),
// the contract between package fuse, which writes them, and this package.
const (
	opIntConv   = "IntConv"
	opIntMatMul = "IntMatMul"
	opIntAdd    = "IntAdd"
	attrLayer   = "layer"
)

// layerOf is n's layer attribute, or "".
func layerOf(n *graph.Node) string {
	if a, ok := n.Attrs[attrLayer]; ok && a.Kind == graph.AttrString {
		return a.String
	}
	return ""
}
