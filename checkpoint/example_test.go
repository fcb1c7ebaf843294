package checkpoint_test

import (
	"fmt"
	"os"
	"path/filepath"

	"t2c/checkpoint"
	"t2c/zoo"
)

// Save a model's parameters, then load them into a freshly built graph of
// the same architecture, as with PyTorch's state_dict and load_state_dict.
func Example() {
	dir, err := os.MkdirTemp("", "checkpoint")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "resnet20.safetensors")

	trained, err := zoo.Build("resnet20", zoo.Config{Seed: 1})
	if err != nil {
		panic(err)
	}
	if err := checkpoint.Save(path, trained.Params, map[string]string{"arch": "resnet20"}); err != nil {
		panic(err)
	}

	state, meta, err := checkpoint.Load(path)
	if err != nil {
		panic(err)
	}
	fresh, err := zoo.Build("resnet20", zoo.Config{SkipInit: true})
	if err != nil {
		panic(err)
	}
	if err := checkpoint.LoadInto(fresh, state, true); err != nil {
		panic(err)
	}
	w := "layer3.2.conv2.weight"
	fmt.Println(len(state), "tensors, arch", meta["arch"])
	fmt.Println(fresh.Params[w].Float32()[0] == trained.Params[w].Float32()[0])
	// Output:
	// 107 tensors, arch resnet20
	// true
}
