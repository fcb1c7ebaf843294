// Package config reads t2c's YAML run configurations — in the spirit of
// Torch2Chip's configs (model, dataset, train: lr, momentum, weight_decay,
// epochs, batch_size, optim_type, lr_sch, loss_type, smoothing) — and
// checks them completely before any work starts: unknown keys, bad values
// and missing files are reported with the key path at fault.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// Config is one run. Sections not needed by a command may be omitted.
type Config struct {
	Model   Model   `yaml:"model"`
	Dataset Dataset `yaml:"dataset"`
	Train   Train   `yaml:"train"`
	Output  Output  `yaml:"output"`

	Quantization *Quantization `yaml:"quantization"` // ptq and qat (quant.go)
	Pruning      *Pruning      `yaml:"pruning"`      // prune (prune.go)
}

// Model selects the network: a zoo architecture or an ONNX file, and
// optionally weights to load.
type Model struct {
	Zoo        string  `yaml:"zoo"`        // architecture name, e.g. resnet20, vit
	Path       string  `yaml:"path"`       // ONNX file (instead of zoo)
	Checkpoint string  `yaml:"checkpoint"` // safetensors weights to load
	Classes    int     `yaml:"classes"`
	InChannels int     `yaml:"in_channels"`
	ImageSize  int     `yaml:"image_size"`
	Stem       string  `yaml:"stem"`  // resnet: imagenet or cifar
	Width      float64 `yaml:"width"` // mobilenet_v2 width multiplier
	PatchSize  int     `yaml:"patch_size"`
	Dim        int     `yaml:"dim"`
	Depth      int     `yaml:"depth"`
	Heads      int     `yaml:"heads"`
	MLPRatio   float64 `yaml:"mlp_ratio"`
}

// Dataset names the data (see data.Open for specs) and its use.
type Dataset struct {
	Spec       string    `yaml:"spec"`
	Augment    *bool     `yaml:"augment"` // training augmentation (default: the dataset's usual)
	TrainLimit int       `yaml:"train_limit"`
	TestLimit  int       `yaml:"test_limit"`
	Mean       []float32 `yaml:"mean"`
	Std        []float32 `yaml:"std"`
	Workers    int       `yaml:"workers"`
}

// Train holds optimisation settings, with Torch2Chip's key names.
type Train struct {
	LR          float64 `yaml:"lr"`
	MinLR       float64 `yaml:"min_lr"`
	Momentum    float64 `yaml:"momentum"`
	Nesterov    bool    `yaml:"nesterov"`
	WeightDecay float64 `yaml:"weight_decay"`
	Epochs      int     `yaml:"epochs"`
	BatchSize   int     `yaml:"batch_size"`
	OptimType   string  `yaml:"optim_type"` // sgd, adam, adamw
	LRSch       string  `yaml:"lr_sch"`     // constant, step, multistep, cos
	Warmup      float64 `yaml:"warmup"`     // warm-up epochs (cosine)
	StepSize    int     `yaml:"step_size"`
	Milestones  []int   `yaml:"schedule"`
	Gamma       float64 `yaml:"gamma"`
	LossType    string  `yaml:"loss_type"` // ce, mse
	Smoothing   float64 `yaml:"smoothing"`
	Seed        uint64  `yaml:"seed"`
}

// Output says where results go.
type Output struct {
	Dir string `yaml:"dir"`
}

// Load reads and validates a config file. Unknown keys are errors.
func Load(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, unwrap(err))
	}
	c, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes YAML strictly and fills defaults. Paths in a config are
// relative to the working directory, as in Torch2Chip.
func Parse(raw []byte) (*Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var c Config
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	c.defaults()
	return &c, nil
}

func (c *Config) defaults() {
	t := &c.Train
	if t.OptimType == "" {
		t.OptimType = "sgd"
	}
	if t.LossType == "" {
		t.LossType = "ce"
	}
	if t.LRSch == "" {
		t.LRSch = "cos"
	}
	if t.Gamma == 0 {
		t.Gamma = 0.1
	}
	if c.Dataset.Spec == "" {
		c.Dataset.Spec = "fashion-mnist:"
	}
}

func unwrap(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
