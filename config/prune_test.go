package config

import (
	"strings"
	"testing"
)

const goodPrune = `
model: {zoo: resnet20, classes: 10, in_channels: 1, image_size: 28}
train: {lr: 0.01, epochs: 2, batch_size: 128}
pruning:
  type: element
  sparsity: 0.8
  schedule: gradual
  start_epoch: 0
  end_epoch: 1.5
  frequency: 50
  exclude: [conv1, fc]
`

func TestPruningGood(t *testing.T) {
	c, err := Parse([]byte(goodPrune))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidatePruning(); err != nil {
		t.Fatal(err)
	}
	p := c.Pruning
	if p.Granularity != "global" || p.Frequency != 50 || len(p.Exclude) != 2 {
		t.Fatalf("decoded %+v", p)
	}
	if start, end, _ := p.Steps(100, 200); start != 0 || end != 150 {
		t.Fatalf("steps %d → %d, want 0 → 150", start, end)
	}
	nm, err := Parse([]byte(strings.Replace(goodPrune, `  type: element
  sparsity: 0.8
  schedule: gradual
  start_epoch: 0
  end_epoch: 1.5
  frequency: 50`, "  type: nm\n  n: 2\n  m: 4", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := nm.ValidatePruning(); err != nil || nm.Pruning.Schedule != "oneshot" {
		t.Fatalf("nm: %v, schedule %q", err, nm.Pruning.Schedule)
	}
	rg, err := Parse([]byte(strings.Replace(goodPrune, "  frequency: 50", "  frequency: 50\n  regrow: {fraction: 0.3}", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := rg.ValidatePruning(); err != nil || rg.Pruning.Regrow.Interval != 100 {
		t.Fatalf("regrow: %v %+v", err, rg.Pruning.Regrow)
	}
	if _, _, end := rg.Pruning.Steps(100, 200); end != 150 {
		t.Fatalf("regrow end %d, want 75 %% of 200", end)
	}
}

func TestBadPruningNamesTheKey(t *testing.T) {
	cases := map[string]struct{ from, to, key string }{
		"unknown key":        {"frequency: 50", "frequncy: 50", "frequncy"},
		"bad type":           {"type: element", "type: channel", "pruning.type"},
		"sparsity 1":         {"sparsity: 0.8", "sparsity: 1", "pruning.sparsity"},
		"no sparsity":        {"  sparsity: 0.8\n", "", "pruning.sparsity"},
		"nm with sparsity":   {"type: element", "type: nm\n  n: 2\n  m: 4", "pruning.sparsity"},
		"n ≥ m":              {"type: element\n  sparsity: 0.8", "type: nm\n  n: 4\n  m: 4", "pruning.n"},
		"n on element":       {"sparsity: 0.8", "sparsity: 0.8\n  n: 2", "pruning.n"},
		"bad granularity":    {"sparsity: 0.8", "sparsity: 0.8\n  granularity: channel", "pruning.granularity"},
		"erk global":         {"sparsity: 0.8", "sparsity: 0.8\n  erk: true\n  granularity: global", "pruning.erk"},
		"bad schedule":       {"schedule: gradual", "schedule: linear", "pruning.schedule"},
		"oneshot with end":   {"schedule: gradual", "schedule: oneshot", "pruning.schedule"},
		"steps and epochs":   {"start_epoch: 0", "start_step: 0", "pruning.start_step"},
		"no end":             {"  end_epoch: 1.5\n", "", "pruning.end_step"},
		"end before start":   {"start_epoch: 0", "start_epoch: 2", "pruning.end_epoch"},
		"frequency 0":        {"frequency: 50", "frequency: -1", "pruning.frequency"},
		"initial ≥ final":    {"frequency: 50", "frequency: 50\n  initial_sparsity: 0.9", "pruning.initial_sparsity"},
		"regrow fraction":    {"frequency: 50", "frequency: 50\n  regrow: {fraction: 1.5}", "pruning.regrow.fraction"},
		"regrow unknown key": {"frequency: 50", "frequency: 50\n  regrow: {fraction: 0.2, every: 3}", "every"},
		"bad glob":           {"exclude: [conv1, fc]", "exclude: [\"[\"]", "pruning.exclude[0]"},
		"gradual untrained":  {"epochs: 2", "epochs: 0", "train.epochs"},
	}
	for name, tc := range cases {
		raw := strings.Replace(goodPrune, tc.from, tc.to, 1)
		if raw == goodPrune {
			t.Fatalf("%s: replacement did not apply", name)
		}
		c, err := Parse([]byte(raw))
		if err == nil {
			err = c.ValidatePruning()
		}
		if err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s: error %v does not name %q", name, err, tc.key)
		}
	}
	c, _ := Parse([]byte("model: {zoo: resnet20}"))
	if err := c.ValidatePruning(); err == nil || !strings.Contains(err.Error(), "pruning") {
		t.Errorf("missing section: %v", err)
	}
}
