package config

import (
	"strings"
	"testing"
)

const quantGood = good + `
quantization:
  wbit: 4
  abit: 4
  wqtype: adaround
  xqtype: lsq
  iters: 100
  first_last_8bit: true
  skip: ["fc"]
  overrides: [{match: "layer1.*", wbit: 8}]
`

func TestQuantizationDefaults(t *testing.T) {
	c, err := Parse([]byte(quantGood))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ValidateQuantization(); err != nil {
		t.Fatal(err)
	}
	q := c.Quantization
	if q.CalibSamples != 512 || q.BatchSize != 32 || q.Optim != "adam" || q.LambdaValue() != 0.01 || q.ReconInput != "quant" ||
		!q.Learns() || q.BetaStart != 20 || q.BetaEnd != 2 || q.WarmupValue() != 0.2 || q.Overrides[0].WBit != 8 {
		t.Fatalf("defaults: %+v", q)
	}
	c, _ = Parse([]byte(good + "quantization: {}\n"))
	if err := c.ValidateQuantization(); err != nil || c.Quantization.WBit != 8 || c.Quantization.WQType != "minmax_channel" || c.Quantization.XQType != "minmax" {
		t.Fatalf("empty section: %v %+v", err, c.Quantization)
	}
}

func TestQuantizationErrorsNameTheKey(t *testing.T) {
	cases := map[string]struct{ text, want string }{
		"missing section":   {good, "quantization: section missing"},
		"unknown key":       {strings.Replace(quantGood, "iters: 100", "iterations: 100", 1), "iterations"},
		"negative iters":    {strings.Replace(quantGood, "iters: 100", "iters: -1", 1), "quantization.iters"},
		"bad optimizer":     {strings.Replace(quantGood, "iters: 100", "iters: 100\n  optim: lion", 1), "quantization.optim"},
		"bad recon input":   {strings.Replace(quantGood, "iters: 100", "iters: 100\n  recon_input: both", 1), "quantization.recon_input"},
		"bad granularity":   {strings.Replace(quantGood, "iters: 100", "iters: 100\n  wgranularity: row", 1), "quantization.wgranularity"},
		"beta upside down":  {strings.Replace(quantGood, "iters: 100", "iters: 100\n  beta_start: 2\n  beta_end: 20", 1), "quantization.beta_start"},
		"warmup too long":   {strings.Replace(quantGood, "iters: 100", "iters: 100\n  warmup: 1.5", 1), "quantization.warmup"},
		"negative lambda":   {strings.Replace(quantGood, "iters: 100", "iters: 100\n  lambda: -1", 1), "quantization.lambda"},
		"alpha above one":   {strings.Replace(quantGood, "iters: 100", "iters: 100\n  smoothquant_alpha: 2", 1), "quantization.smoothquant_alpha"},
		"frozen recon":      {strings.Replace(quantGood, "iters: 100", "iters: 100\n  requires_grad: false", 1), "quantization.requires_grad"},
		"bad skip glob":     {strings.Replace(quantGood, `skip: ["fc"]`, `skip: ["fc["]`, 1), "quantization.skip[0]"},
		"override no match": {strings.Replace(quantGood, `match: "layer1.*", `, "", 1), "quantization.overrides[0].match"},
		"empty override":    {strings.Replace(quantGood, `, wbit: 8}`, `}`, 1), "quantization.overrides[0]"},
		"override key typo": {strings.Replace(quantGood, `wbit: 8}`, `wbits: 8}`, 1), "wbits"},
	}
	for name, tc := range cases {
		c, err := Parse([]byte(tc.text))
		if err == nil {
			err = c.ValidateQuantization()
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %q does not mention %q", name, err, tc.want)
		}
	}
}
