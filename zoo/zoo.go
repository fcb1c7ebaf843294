package zoo

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"t2c/graph"
)

// Graph conventions of every model.
const (
	Opset      = 17       // ONNX opset the node semantics follow
	InputName  = "input"  // image batch [-1, InChannels, ImageSize, ImageSize]
	OutputName = "output" // logits [-1, Classes]
)

// Config sizes and seeds a model. Zero fields take the model's defaults;
// fields a model does not use must be left zero (setting one is reported
// as an error, since it would otherwise be silently ignored).
type Config struct {
	Classes    int // output classes; default 1000, or 10 for CIFAR models
	InChannels int // input channels; default 3
	ImageSize  int // input height and width; default 224, or 32 for CIFAR models

	// Stem selects the ResNet-18/34/50 stem: "imagenet" (default; 7×7/2
	// conv and 3×3/2 max pool) or "cifar" (3×3/1 conv, no pool; ImageSize
	// defaults to 32 and Classes to 10).
	Stem string
	// Width is MobileNetV2's width multiplier (default 1).
	Width float64
	// Hidden is the width of VGG's two hidden classifier layers (default
	// 4096 when the feature map is a multiple of 7×7, else 512; see vgg.go).
	Hidden int

	// Vision Transformer shape (defaults from the preset; "vit" is tiny).
	PatchSize int     // patch side; default 16
	Dim       int     // embedding dimension
	Depth     int     // number of blocks
	Heads     int     // attention heads; must divide Dim
	MLPRatio  float64 // MLP hidden size / Dim; default 4

	// Seed selects the random initial weights (math/rand/v2 PCG streams).
	Seed uint64
	// SkipInit leaves every parameter zero: for counting parameters, shape
	// inference, or a graph that a checkpoint will fill. The graph is not
	// a usable model until its parameters are loaded.
	SkipInit bool
}

// model is one registered architecture.
type model struct {
	build    func(name string, cfg Config) (*graph.Graph, error)
	defaults func(cfg *Config) // fills zero fields beyond the common ones
	uses     []string          // optional Config fields the model reads
}

// models is the registry; each model family's file adds its entries.
var models = map[string]model{}

// Names lists the models Build accepts, sorted.
func Names() []string {
	names := make([]string, 0, len(models))
	for name := range models {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Build returns the named model as a graph with input "input" [-1, C, S, S]
// and output "output" [-1, Classes], parameters named as in the PyTorch
// (torchvision or timm) state_dict and initialised as PyTorch initialises
// that model, deterministically from cfg.Seed.
func Build(name string, cfg Config) (*graph.Graph, error) {
	m, ok := models[name]
	if !ok {
		return nil, fmt.Errorf("zoo: unknown model %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	for _, f := range optionalFields(cfg) {
		if f.set && !slices.Contains(m.uses, f.name) {
			return nil, fmt.Errorf("zoo: %s does not use Config.%s", name, f.name)
		}
	}
	if cfg.InChannels == 0 {
		cfg.InChannels = 3
	}
	m.defaults(&cfg)
	if cfg.Classes == 0 {
		cfg.Classes = 1000
	}
	if cfg.ImageSize == 0 {
		cfg.ImageSize = 224
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Classes", cfg.Classes}, {"InChannels", cfg.InChannels}, {"ImageSize", cfg.ImageSize}} {
		if f.v < 1 {
			return nil, fmt.Errorf("zoo: %s: Config.%s must be positive, got %d", name, f.name, f.v)
		}
	}
	g, err := m.build(name, cfg)
	if err != nil {
		return nil, fmt.Errorf("zoo: %s: %w", name, err)
	}
	return g, nil
}

// optionalFields reports, in declaration order, which model-specific
// Config fields are set.
func optionalFields(c Config) []struct {
	name string
	set  bool
} {
	return []struct {
		name string
		set  bool
	}{
		{"Stem", c.Stem != ""}, {"Width", c.Width != 0}, {"Hidden", c.Hidden != 0},
		{"PatchSize", c.PatchSize != 0}, {"Dim", c.Dim != 0}, {"Depth", c.Depth != 0},
		{"Heads", c.Heads != 0}, {"MLPRatio", c.MLPRatio != 0},
	}
}

// noDefaults is the defaults function of models with only common fields.
func noDefaults(*Config) {}

// ParamCount is the number of learnable parameters, as PyTorch counts
// sum(p.numel() for p in model.parameters()): every floating-point
// parameter except BatchNorm running statistics (which PyTorch keeps as
// buffers). graph.ParamCount, by contrast, counts every float tensor.
func ParamCount(g *graph.Graph) int {
	return g.ParamCount()
}
