package export

// FileFormat is the manifest's "format" section: the conventions of every
// file, stated in the manifest itself so it can be read without the docs.
type FileFormat struct {
	Layout    string `json:"layout"`
	NPY       string `json:"npy"`
	Hex       string `json:"hex"`
	Bin       string `json:"bin"`
	CHeader   string `json:"c_header"`
	Params    string `json:"params"`
	Tensors   string `json:"tensors"`
	GEMM      string `json:"gemm"`
	Tiles     string `json:"tiles"`
	Requant   string `json:"requant"`
	Integers  string `json:"integers"`
	Reference string `json:"reference"`
}

// fileFormat is the text of the format section.
var fileFormat = FileFormat{
	Layout: "every array is row-major (C order) in the shape the manifest gives; images NCHW, weights OIHW",
	NPY:    "NumPy .npy format 1.0, little-endian, the storage dtype (int8/uint8/int16/uint16/int32/int64, float32 for the float graph input)",
	Hex: "one word per line for Verilog $readmemh, row-major: the two's complement of the value masked to `bits` bits, ceil(bits/4) lower-case hex digits, no prefix " +
		"(-1 in 4 bits = f, -128 in 8 bits = 80); a signed reader sign-extends from `bits`; float tensors are written as their IEEE-754 bit patterns",
	Bin:     "raw little-endian elements of the storage dtype, row-major, no header",
	CHeader: "params.h: for every parameter NAME (C identifier c_name), #define NAME_NDIM, NAME_DIMi, NAME_SIZE, NAME_BITS, NAME_SIGNED and static const <stdint type> NAME[NAME_SIZE]; rescale scalars (lo, hi, zero points) as #define STEM_ATTR",
	Params:  "params/<name>.{npy,hex,bin}: graph parameters by their name, rescale arrays as <layer stem>.<attr> (multiplier 32-bit signed, shift 8-bit unsigned, bias 64-bit signed); an array of length 1 applies to every channel",
	Tensors: "tensors/<sample>/<layer stem>.<role>.{npy,hex}, role x1 (first operand), x2 (second operand: weights or second activation), acc (int32 accumulator), y (the layer's output), y2, y3, … (further outputs), xcol (IntConv: im2col of x1, [G, C/G·R·S, OH·OW])",
	GEMM: "IntConv: A = weights [K/G × C/G·R·S] (row = output channel, column = (c, r, s) row-major), B = xcol [C/G·R·S × OH·OW] of image 0, C = acc [K/G × OH·OW], per group; " +
		"IntMatMul: A = x2 as [N × K] (transposed unless trans_b), B = x1 transposed [K × M], C = acc transposed [N × M], per leading (batch, head) index",
	Tiles: "tiles/<layer stem>.{w,x,acc}.hex: A, B, C padded to multiples of pe (A with its zero point, B with its zero point, so padded products are 0 and padded acc entries are 0), " +
		"cut into pe×pe tiles, each tile row-major; A tiles in order group, row block, k block; B tiles group, k block, column block; C tiles group, row block, column block",
	Requant:   "t = (x - in_zero_point)·multiplier[k] + bias[k] (int64); y = clamp(((t + 2^(shift[k]-1)) >> shift[k]) + out_zero_point, lo, hi), >> arithmetic, no rounding term when shift = 0",
	Integers:  "integers in this manifest are exact decimal (biases may exceed 2^53: parse them as int64); scales are float32",
	Reference: "docs/INTEGER.md (op semantics), docs/EXPORT.md (this layout)",
}
