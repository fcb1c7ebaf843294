package config

import (
	"path/filepath"
	"strings"
	"testing"
)

const good = `
model: {zoo: resnet20, classes: 10, in_channels: 1, image_size: 28}
dataset: {spec: "fashion-mnist:"}
train: {lr: 0.1, momentum: 0.9, weight_decay: 5e-4, epochs: 3, batch_size: 128, optim_type: sgd, lr_sch: cos, loss_type: ce, smoothing: 0.1}
`

func TestParseGood(t *testing.T) {
	c, err := Parse([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateModel(); err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateTrain(); err != nil {
		t.Fatal(err)
	}
	if c.Train.LR != 0.1 || c.Model.Zoo != "resnet20" || c.Train.Gamma != 0.1 {
		t.Fatalf("decoded %+v", c)
	}
}

func TestBadConfigsNameTheKey(t *testing.T) {
	cases := map[string]string{
		"unknown key":     strings.Replace(good, "smoothing", "smothing", 1),
		"negative lr":     strings.Replace(good, "lr: 0.1", "lr: -0.1", 1),
		"zero epochs":     strings.Replace(good, "epochs: 3", "epochs: 0", 1),
		"bad optimizer":   strings.Replace(good, "optim_type: sgd", "optim_type: lion", 1),
		"bad schedule":    strings.Replace(good, "lr_sch: cos", "lr_sch: poly", 1),
		"bad smoothing":   strings.Replace(good, "smoothing: 0.1", "smoothing: 1.5", 1),
		"model and path":  strings.Replace(good, "zoo: resnet20", "zoo: resnet20, path: m.onnx", 1),
		"no model":        strings.Replace(good, "zoo: resnet20, ", "", 1),
		"wrong type":      strings.Replace(good, "epochs: 3", "epochs: three", 1),
		"multistep empty": strings.Replace(good, "lr_sch: cos", "lr_sch: multistep", 1),
	}
	wantKey := map[string]string{
		"unknown key": "smothing", "negative lr": "train.lr", "zero epochs": "train.epochs",
		"bad optimizer": "optim_type", "bad schedule": "lr_sch", "bad smoothing": "smoothing",
		"model and path": "model", "no model": "model", "wrong type": "three", "multistep empty": "schedule",
	}
	for name, text := range cases {
		c, err := Parse([]byte(text))
		if err == nil {
			if err = c.ValidateModel(); err == nil {
				err = c.ValidateTrain()
			}
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), wantKey[name]) {
			t.Errorf("%s: error %q does not mention %q", name, err, wantKey[name])
		}
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if err == nil || !strings.Contains(err.Error(), "nope.yaml") || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("got %v", err)
	}
}

func TestShippedConfigsParse(t *testing.T) {
	files, _ := filepath.Glob("../configs/*.yaml")
	for _, f := range files {
		c, err := Load(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ValidateModel(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Train.Epochs > 0 {
			if err := c.ValidateTrain(); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		}
	}
}
