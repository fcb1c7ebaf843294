package main

import (
	"encoding/json"
	"testing"
)

func TestBenchJSON(t *testing.T) {
	for _, extra := range [][]string{nil, {"--int8"}} {
		args := append([]string{"bench", "--model", "../../testdata/pytorch/fashion/cnn.onnx", "--batch", "2",
			"--iters", "2", "--warmup", "0", "--json"}, extra...)
		out, err := run(t, args...)
		if err != nil {
			t.Fatalf("t2c %v: %v", args, err)
		}
		var res map[string]any
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("t2c %v: output is not one JSON object: %v\n%s", args, err, out)
		}
		for _, k := range []string{"latency_ms_p50", "latency_ms_p90", "images_per_second", "threads", "batch"} {
			if _, ok := res[k]; !ok {
				t.Fatalf("t2c %v: JSON lacks %q: %s", args, k, out)
			}
		}
		if res["batch"].(float64) != 2 {
			t.Fatalf("batch = %v, want 2", res["batch"])
		}
		if extra != nil && len(res["layers"].([]any)) != 4 {
			t.Fatalf("--int8 reported %d conv shapes, want 4", len(res["layers"].([]any)))
		}
	}
}

func TestBenchBadModels(t *testing.T) {
	mustFail(t, []string{"resnet18", ".safetensors"}, "bench", "--model", "resnet18")
	mustFail(t, []string{"no quantizers"}, "bench", "--model", "../../testdata/pytorch/fashion/cnn.onnx", "--integer")
	mustFail(t, []string{"--model is required"}, "bench")
	mustFail(t, []string{"--batch"}, "bench", "--model", "../../testdata/pytorch/vit.onnx", "--batch", "0")
}
