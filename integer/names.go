package integer

// Op types of the CNN integer ops (docs/INTEGER.md §4). Package fuse emits
// them; importing this package registers them with package graph.
const (
	OpQuantizeInput = "QuantizeInput"
	OpIntConv       = "IntConv"
	OpIntMatMul     = "IntMatMul"
	OpRequant       = "Requant"
	OpIntAdd        = "IntAdd"
	OpIntAvgPool    = "IntAvgPool"
)

// AttrLayer is the optional string attribute every integer op accepts and
// ignores: the module path of the float layer the node came from
// ("layer1.0.conv1"), kept so that exports and diffs can name layers.
const AttrLayer = "layer"
