package train

import (
	"fmt"
	"time"

	"t2c/data"
	"t2c/eval"
	"t2c/internal/progress"
)

// EpochStats summarises one epoch.
type EpochStats struct {
	Epoch           int     `json:"epoch"`
	TrainLoss       float64 `json:"train_loss"`
	TrainTop1       float64 `json:"train_top1"`
	TestTop1        float64 `json:"test_top1"`
	TestTop5        float64 `json:"test_top5"`
	LR              float64 `json:"lr"`
	Seconds         float64 `json:"seconds"`
	ImagesPerSecond float64 `json:"images_per_second"` // training throughput
}

// FitOptions configures Fit.
type FitOptions struct {
	Epochs     int
	StartEpoch int // resume point: epochs before it are skipped
	// OnEpoch runs after every epoch (checkpointing, logging); an error
	// stops training.
	OnEpoch func(EpochStats) error
	// OnStep runs after every optimiser step (hooks.go); Status, if set,
	// adds its text to the progress bar (a pruner's current sparsity).
	OnStep StepHook
	Status func() string
}

// Fit trains for the configured epochs, evaluating on test after each.
func Fit(t *Trainer, trainData, testData *data.Loader, o FitOptions) ([]EpochStats, error) {
	var history []EpochStats
	steps := trainData.NumBatches()
	for epoch := o.StartEpoch; epoch < o.Epochs; epoch++ {
		st, err := runEpoch(t, trainData, epoch, steps, o)
		if err != nil {
			return history, fmt.Errorf("epoch %d: %w", epoch+1, err)
		}
		res, err := eval.Run(t, testData, fmt.Sprintf("test  %d/%d", epoch+1, o.Epochs))
		if err != nil {
			return history, fmt.Errorf("epoch %d evaluation: %w", epoch+1, err)
		}
		st.TestTop1, st.TestTop5 = res.Top1, res.Top5
		progress.Logf("epoch %d/%d  loss %.4f  train %.2f%%  test %.2f%%  lr %.4g  %.0f img/s  %.1fs",
			epoch+1, o.Epochs, st.TrainLoss, 100*st.TrainTop1, 100*st.TestTop1, st.LR, st.ImagesPerSecond, st.Seconds)
		history = append(history, st)
		if o.OnEpoch != nil {
			if err := o.OnEpoch(st); err != nil {
				return history, err
			}
		}
	}
	return history, nil
}

func runEpoch(t *Trainer, loader *data.Loader, epoch, steps int, o FitOptions) (EpochStats, error) {
	epochs := o.Epochs
	st := EpochStats{Epoch: epoch + 1}
	bar := progress.New(steps, fmt.Sprintf("train %d/%d", epoch+1, epochs))
	defer bar.Done()
	start := time.Now()
	var lossSum float64
	images, correct, step := 0, 0, 0
	for b, err := range loader.Epoch(epoch) {
		if err != nil {
			return st, err
		}
		r, err := t.Step(b, float64(epoch)+float64(step)/float64(steps))
		if err != nil {
			return st, err
		}
		step++
		if o.OnStep != nil {
			if err := o.OnStep(StepInfo{Trainer: t, Step: epoch*steps + step, Epoch: epoch, StepsPerEpoch: steps, Batch: b, Result: r}); err != nil {
				return st, err
			}
		}
		images += len(b.Labels)
		correct += r.Correct
		lossSum += r.Loss * float64(len(b.Labels))
		st.LR = r.LR
		elapsed := time.Since(start).Seconds()
		status := fmt.Sprintf("train %d/%d loss %.3f acc %.1f%% %.0f img/s", epoch+1, epochs,
			lossSum/float64(images), 100*float64(correct)/float64(images), float64(images)/elapsed)
		if o.Status != nil {
			status += " " + o.Status()
		}
		bar.Add(1, status)
	}
	if images == 0 {
		return st, fmt.Errorf("training set is empty")
	}
	st.Seconds = time.Since(start).Seconds()
	st.TrainLoss = lossSum / float64(images)
	st.TrainTop1 = float64(correct) / float64(images)
	st.ImagesPerSecond = float64(images) / st.Seconds
	return st, nil
}
