package zoo

import (
	"fmt"
	"math"

	"t2c/graph"
	"t2c/tensor"
)

// Vision Transformers with timm's VisionTransformer names and shapes:
// patch_embed.proj (Conv, kernel = stride = patch), cls_token [1,1,D],
// pos_embed [1,N,D], blocks.{i}.norm1, blocks.{i}.attn.qkv,
// blocks.{i}.attn.proj, blocks.{i}.norm2, blocks.{i}.mlp.fc1,
// blocks.{i}.mlp.fc2, norm, head; LayerNorm eps 1e-6, exact (erf) GELU,
// qkv with bias, class-token pooling. Presets: vit_tiny (D 192, depth 12,
// 3 heads), vit_small (384, 12, 6), vit_base (768, 12, 12); "vit" is
// vit_tiny's shape, meant to be resized through Config. Defaults: patch
// 16, image 224, MLP ratio 4. Initialisation as timm: Linear weights,
// pos_embed and cls_token trunc_normal_(std=.02), zero Linear biases,
// LayerNorm 1/0, patch conv with PyTorch's default U(±1/√fan_in).
//
// Layout. Every Linear is Gemm(transB=1) on the weight as PyTorch stores it
// ([out, in]), so a timm state_dict loads unchanged and every Linear in the
// zoo is the same pattern for quantizers and fusion. To make that possible
// the token stream between blocks is kept 2-D, [batch·N, D]: LayerNorm,
// Linear, GELU and the residual adds are row-wise, so this is the same
// computation as timm's [batch, N, D]. Attention reshapes qkv to
// [batch, N, 3, heads, D/heads], permutes to [3, batch, heads, N, D/heads],
// gathers q, k and v, and computes softmax(q·kᵀ·scale)·v with batched
// MatMul. The class token is Expand(cls_token, [batch, 1, D]) with the
// batch size read by Shape, so the graph takes any batch size;
// graph.Specialize folds that chain to a constant for a fixed batch.

// vitPresets are (Dim, Depth, Heads) of the named models.
var vitPresets = map[string][3]int{
	"vit":       {192, 12, 3},
	"vit_tiny":  {192, 12, 3},
	"vit_small": {384, 12, 6},
	"vit_base":  {768, 12, 12},
}

func init() {
	for name, p := range vitPresets {
		models[name] = model{
			build: buildViT,
			defaults: func(c *Config) {
				c.PatchSize = orDefault(c.PatchSize, 16)
				c.Dim = orDefault(c.Dim, p[0])
				c.Depth = orDefault(c.Depth, p[1])
				c.Heads = orDefault(c.Heads, p[2])
				if c.MLPRatio == 0 {
					c.MLPRatio = 4
				}
			},
			uses: []string{"PatchSize", "Dim", "Depth", "Heads", "MLPRatio"},
		}
	}
}

// orDefault returns v, or def when v is zero.
func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// vitShape is a checked ViT configuration.
type vitShape struct {
	patch, grid, tokens, dim, depth, heads, hidden int
}

func checkViT(cfg Config) (vitShape, error) {
	s := vitShape{patch: cfg.PatchSize, dim: cfg.Dim, depth: cfg.Depth, heads: cfg.Heads}
	switch {
	case s.patch < 1 || s.dim < 1 || s.depth < 1 || s.heads < 1:
		return s, fmt.Errorf("PatchSize, Dim, Depth and Heads must be positive, got %d, %d, %d, %d", s.patch, s.dim, s.depth, s.heads)
	case cfg.ImageSize%s.patch != 0:
		return s, fmt.Errorf("Config.ImageSize %d is not divisible by Config.PatchSize %d", cfg.ImageSize, s.patch)
	case s.dim%s.heads != 0:
		return s, fmt.Errorf("Config.Dim %d is not divisible by Config.Heads %d", s.dim, s.heads)
	case !(cfg.MLPRatio > 0) || math.IsInf(cfg.MLPRatio, 0):
		return s, fmt.Errorf("Config.MLPRatio must be positive, got %v", cfg.MLPRatio)
	}
	s.grid = cfg.ImageSize / s.patch
	s.tokens = s.grid*s.grid + 1
	s.hidden = int(float64(s.dim) * cfg.MLPRatio) // timm: int(dim * mlp_ratio)
	if s.hidden < 1 {
		return s, fmt.Errorf("MLP hidden size Dim·MLPRatio = %d·%v rounds to 0", s.dim, cfg.MLPRatio)
	}
	return s, nil
}

func buildViT(name string, cfg Config) (*graph.Graph, error) {
	s, err := checkViT(cfg)
	if err != nil {
		return nil, err
	}
	b := newBuilder(name, cfg)
	d, n := int64(s.dim), int64(s.tokens)
	fanIn := cfg.InChannels * s.patch * s.patch
	x := b.conv("patch_embed.proj", InputName, conv2d{cin: cfg.InChannels, cout: s.dim, k: s.patch, stride: s.patch,
		weight: torchDefault(fanIn), bias: torchDefault(fanIn), hasBias: true})
	x = b.op("Reshape", "patch_embed.flatten", nil, x, b.ints("patch_embed.flatten.shape", 0, d, -1))
	x = b.op("Transpose", "patch_embed.transpose", map[string]graph.Attr{"perm": graph.IntsAttr(0, 2, 1)}, x) // [B, L, D]

	batch := b.op("Shape", "cls_token.batch", map[string]graph.Attr{"start": graph.IntAttr(0), "end": graph.IntAttr(1)}, InputName)
	shape := b.op("Concat", "cls_token.shape", map[string]graph.Attr{"axis": graph.IntAttr(0)}, batch, b.ints("cls_token.dims", 1, d))
	cls := b.op("Expand", "cls_token.expand", nil, b.param("cls_token", truncNormal(.02), 1, 1, s.dim), shape)
	x = b.op("Concat", "cat", map[string]graph.Attr{"axis": graph.IntAttr(1)}, cls, x) // [B, N, D]
	x = b.add("pos_embed.add", x, b.param("pos_embed", truncNormal(.02), 1, s.tokens, s.dim))
	x = b.op("Reshape", "tokens", nil, x, b.ints("tokens.shape", -1, d)) // [B·N, D]

	for i := range s.depth {
		x = b.vitBlock(fmt.Sprintf("blocks.%d", i), x, s)
	}
	x = b.layerNorm("norm", x, s.dim, 1e-6)
	x = b.op("Reshape", "unflatten", nil, x, b.ints("unflatten.shape", -1, n, d))
	x = b.op("Gather", "pool", map[string]graph.Attr{"axis": graph.IntAttr(1)}, x, b.constant("pool.index", tensor.Scalar[int64](0)))
	x = b.linear("head", x, s.dim, cfg.Classes, truncNormal(.02), nil)
	return b.finish(x, cfg.Classes)
}

// vitBlock is timm's Block: x + attn(norm1(x)), then x + mlp(norm2(x)).
func (b *builder) vitBlock(p, x string, s vitShape) string {
	h := b.attention(p+".attn", b.layerNorm(p+".norm1", x, s.dim, 1e-6), s)
	x = b.add(p+".add", x, h)
	h = b.layerNorm(p+".norm2", x, s.dim, 1e-6)
	h = b.linear(p+".mlp.fc1", h, s.dim, s.hidden, truncNormal(.02), nil)
	h = b.op("Gelu", p+".mlp.act", nil, h)
	h = b.linear(p+".mlp.fc2", h, s.hidden, s.dim, truncNormal(.02), nil)
	return b.add(p+".add", x, h)
}

// attention is timm's Attention on 2-D tokens [B·N, D].
func (b *builder) attention(p, x string, s vitShape) string {
	d, n, h, hd := int64(s.dim), int64(s.tokens), int64(s.heads), int64(s.dim/s.heads)
	perm := func(v ...int64) map[string]graph.Attr { return map[string]graph.Attr{"perm": graph.IntsAttr(v...)} }
	qkv := b.linear(p+".qkv", x, s.dim, 3*s.dim, truncNormal(.02), nil)
	qkv = b.op("Reshape", p+".reshape", nil, qkv, b.ints(p+".reshape.shape", -1, n, 3, h, hd))
	qkv = b.op("Transpose", p+".permute", perm(2, 0, 3, 1, 4), qkv) // [3, B, H, N, hd]
	var qkvs [3]string
	for i, part := range []string{"q", "k", "v"} {
		idx := b.constant(p+"."+part+".index", tensor.Scalar(int64(i)))
		qkvs[i] = b.op("Gather", p+"."+part, map[string]graph.Attr{"axis": graph.IntAttr(0)}, qkv, idx)
	}
	kt := b.op("Transpose", p+".k_t", perm(0, 1, 3, 2), qkvs[1])
	attn := b.op("MatMul", p+".scores", nil, qkvs[0], kt)
	scale := b.constant(p+".scale.value", tensor.Scalar(float32(math.Pow(float64(hd), -0.5))))
	attn = b.op("Mul", p+".scale", nil, attn, scale)
	attn = b.op("Softmax", p+".softmax", map[string]graph.Attr{"axis": graph.IntAttr(-1)}, attn)
	out := b.op("MatMul", p+".context", nil, attn, qkvs[2])
	out = b.op("Transpose", p+".merge", perm(0, 2, 1, 3), out) // [B, N, H, hd]
	out = b.op("Reshape", p+".flatten", nil, out, b.ints(p+".flatten.shape", -1, d))
	return b.linear(p+".proj", out, s.dim, s.dim, truncNormal(.02), nil)
}
