// Command t2c compresses trained neural networks, converts them into
// integer-only networks and exports what accelerator designers need.
// Run `t2c --help` for the commands.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"t2c/internal/progress"
	"t2c/kernels"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "t2c: "+err.Error())
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	var (
		threads    int
		cpuProfile string
		stopProf   func()
	)
	root := &cobra.Command{
		Use:   "t2c",
		Short: "Compress neural networks and turn them into integer-only networks for hardware",
		Long: `t2c takes a trained network (ONNX from PyTorch, or a model built in Go),
runs it, and — as the project grows — quantizes, prunes and converts it into an
integer-only network with a bit-exact golden runtime and hardware export.

Human-readable output goes to stderr; with --json a command prints exactly one
JSON object on stdout.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if threads < 0 {
				return fmt.Errorf("--threads must be ≥ 0, got %d", threads)
			}
			if threads > 0 {
				runtime.GOMAXPROCS(threads)
				kernels.SetThreads(threads)
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return err
				}
				if err := pprof.StartCPUProfile(f); err != nil {
					return err
				}
				stopProf = func() { pprof.StopCPUProfile(); f.Close() }
			}
			return nil
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if stopProf != nil {
				stopProf()
			}
		},
	}
	root.PersistentFlags().IntVar(&threads, "threads", 0, "worker threads for kernels (0: all cores)")
	root.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile to this file")
	root.PersistentFlags().BoolVarP(&progress.Quiet, "quiet", "q", false, "no progress bars")
	root.AddCommand(inspectCmd(), evalCmd(), demoCmd(), trainCmd(), exportONNXCmd(), benchCmd(), ptqCmd(), qatCmd(), pruneCmd(), convertCmd(), diffCmd(), exportCmd())
	return root
}

// stdout receives --json output (tests replace it).
var stdout io.Writer = os.Stdout

// printJSON writes v as the command's single JSON object on stdout.
func printJSON(v any) error {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
