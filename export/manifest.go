package export

// Schema identifies the manifest format; it changes when a field changes
// meaning or disappears (new fields may be added within a version).
const Schema = "t2c-export/1"

// Manifest is manifest.json: everything a hardware team needs to find and
// interpret the exported files. docs/EXPORT.md documents every field.
type Manifest struct {
	Schema  string     `json:"schema"`
	Model   string     `json:"model"`
	Format  FileFormat `json:"format"`
	Options Settings   `json:"options"`
	// SampleShapes is the input shape of every exported sample (the
	// shapes the graph was specialised to).
	SampleShapes map[string][]int `json:"sample_shapes"`
	// Samples is how many samples have tensors under tensors/.
	Samples int     `json:"samples"`
	Inputs  []Value `json:"inputs"`
	Outputs []Value `json:"outputs"`
	// Nodes is the integer graph in execution order.
	Nodes []Node `json:"nodes"`
	// Params lists every exported parameter: the graph's parameters and
	// the integer arrays of rescaling nodes (multiplier, shift, bias).
	Params []Param `json:"params"`
	// Layers groups nodes by their layer attribute, with the per-sample
	// tensor files and the GEMM tiles.
	Layers []Layer `json:"layers"`
	// CHeader is the C header's path ("" when not written).
	CHeader string `json:"c_header,omitempty"`
	// Sparse states the compressed weight formats and counts the weights
	// written in them (docs/EXPORT.md, "Sparse weights").
	Sparse *SparseSection `json:"sparse,omitempty"`
}

// Settings records the options the export ran with.
type Settings struct {
	Samples int      `json:"samples"`
	PE      int      `json:"pe"`
	Formats []string `json:"formats"`
}

// Value describes one tensor of the graph.
type Value struct {
	Name string `json:"name"`
	// Kind is "input" (a graph input), "param" (a parameter) or
	// "activation" (a node output).
	Kind  string `json:"kind"`
	Shape []int  `json:"shape"`
	DType string `json:"dtype"`
	// Word is the integers' width and signedness: the producer's grid for
	// activations, the declared width for parameters, the dtype's for
	// everything else.
	Word
	// Grid is the value's quantization grid when known.
	Grid *Grid `json:"grid,omitempty"`
}

// Grid is real = scale·(q − zero_point); one scale, or one per channel
// along axis.
type Grid struct {
	Scale     []float32 `json:"scale"`
	ZeroPoint int64     `json:"zero_point"`
	Axis      *int      `json:"axis,omitempty"`
}

// Node is one node of the integer graph.
type Node struct {
	Index   int     `json:"index"`
	Name    string  `json:"name"`
	Op      string  `json:"op"`
	Layer   string  `json:"layer,omitempty"`
	Inputs  []Value `json:"inputs"`
	Outputs []Value `json:"outputs"`
	// Attrs holds every attribute: integers and integer lists exactly,
	// floats, strings; tensor attributes as {"dtype", "shape"}.
	Attrs map[string]any `json:"attrs"`
	// MACs counts multiply-accumulates (IntConv, IntMatMul).
	MACs int64 `json:"macs,omitempty"`
}

// Param is one exported parameter array.
type Param struct {
	Name string `json:"name"`
	// Source is "graph" (a graph parameter such as a weight) or
	// "attribute" (an integer-list attribute of Node, such as a Requant's
	// multiplier).
	Source string `json:"source"`
	Node   string `json:"node,omitempty"`
	Attr   string `json:"attr,omitempty"`
	CName  string `json:"c_name"`
	Shape  []int  `json:"shape"`
	DType  string `json:"dtype"`
	Word
	Elements int     `json:"elements"`
	Zeros    int     `json:"zeros"`
	Sparsity float64 `json:"sparsity"`
	Min      int64   `json:"min"`
	Max      int64   `json:"max"`
	// Consumers are the nodes that read a graph parameter.
	Consumers []string `json:"consumers,omitempty"`
	// Files are the written files, relative to the export directory.
	Files []string `json:"files"`
	// Sparse describes an IntConv/IntMatMul weight's matrix view, N:M
	// pattern and compressed files.
	Sparse *SparseWeight `json:"sparse,omitempty"`
}

// Layer is one layer: the nodes sharing a layer attribute (an IntConv or
// IntMatMul and the Requant after it), or one node without the attribute.
type Layer struct {
	Name  string   `json:"name"`
	Stem  string   `json:"stem"`
	Op    string   `json:"op"`
	Nodes []string `json:"nodes"`
	// X1 is the first operand, X2 the second (weights or a second
	// activation) of two-operand ops, Acc the int32 accumulator of IntConv
	// and IntMatMul, Y the layer's output: its first value read outside
	// the layer (the Requant after an accumulator).
	X1  *Value `json:"x1,omitempty"`
	X2  *Value `json:"x2,omitempty"`
	Acc *Value `json:"acc,omitempty"`
	Y   *Value `json:"y,omitempty"`
	// YMore are further outputs (roles y2, y3, …), such as a second
	// Requant of the accumulator onto a wide grid for a residual branch.
	YMore []Value `json:"y_more,omitempty"`
	// XShape … YShape repeat the shapes of X1, X2, Acc and Y.
	XShape   []int `json:"x_shape,omitempty"`
	WShape   []int `json:"w_shape,omitempty"`
	AccShape []int `json:"acc_shape,omitempty"`
	YShape   []int `json:"y_shape,omitempty"`
	// Params names the layer's entries of Manifest.Params.
	Params []string `json:"params,omitempty"`
	// Files maps, per sample, each role (x1, x2, acc, y, y2, …, xcol) to
	// the files written for it.
	Files []map[string][]string `json:"files,omitempty"`
	// GEMM is the layer's accumulation as a matrix product (IntConv,
	// IntMatMul).
	GEMM *GEMM `json:"gemm,omitempty"`
	// Tiles is the GEMM cut into PE×PE tiles (Options.PE > 0).
	Tiles *Tiles `json:"tiles,omitempty"`
	// Notes say why something was not exported for this layer.
	Notes []string `json:"notes,omitempty"`
	// Sparse is the sparsity of the layer's weight parameter and the
	// compressed forms written for it.
	Sparse *LayerSparsity `json:"sparse,omitempty"`
}

// GEMM describes acc as Groups independent products C = A·B with
// A [M × K] the weights (or second operand), B [K × N] the input
// activations and C [M × N] the accumulator.
type GEMM struct {
	Groups int `json:"groups"`
	M      int `json:"m"`
	K      int `json:"k"`
	N      int `json:"n"`
	// A, B and C say how the matrices are read from the layer's tensors.
	A string `json:"a"`
	B string `json:"b"`
	C string `json:"c"`
	// AZeroPoint and BZeroPoint are subtracted from A and B before
	// multiplying; padding uses them so padded products are 0.
	AZeroPoint int64 `json:"a_zero_point"`
	BZeroPoint int64 `json:"b_zero_point"`
	AWord      Word  `json:"a_word"`
	BWord      Word  `json:"b_word"`
}

// Tiles is a GEMM padded to multiples of PE and cut into PE×PE tiles.
type Tiles struct {
	PE int `json:"pe"`
	// MPad, KPad, NPad are M, K, N rounded up to multiples of PE; MBlocks,
	// KBlocks, NBlocks the tile counts along them.
	MPad    int `json:"m_pad"`
	KPad    int `json:"k_pad"`
	NPad    int `json:"n_pad"`
	MBlocks int `json:"m_blocks"`
	KBlocks int `json:"k_blocks"`
	NBlocks int `json:"n_blocks"`
	// WTiles, XTiles, AccTiles count the tiles of each file (over all
	// groups).
	WTiles   int `json:"w_tiles"`
	XTiles   int `json:"x_tiles"`
	AccTiles int `json:"acc_tiles"`
	// W, X and Acc are the tile files of A, B and C.
	W   string `json:"w"`
	X   string `json:"x"`
	Acc string `json:"acc"`
	// Sample is the sample the X and Acc tiles come from (image 0 of its
	// batch).
	Sample int `json:"sample"`
}
