package main

import (
	"fmt"

	"t2c/config"
	"t2c/graph"
	"t2c/internal/progress"
	"t2c/ptq"
	"t2c/quant"
	"t2c/tensor"
)

// quantModel is a fake-quant model with what convert, diff and export need
// around it: its float original and data to size grids from.
type quantModel struct {
	Name      string
	FakeQuant *graph.Graph // quantizers in quantize mode
	Float     *graph.Graph // the same graph with quantizers disabled
	Dataset   config.Dataset
	Calib     []*tensor.Tensor // calibration batches (for value ranges)
	BatchSize int
}

// rangeBatches is how many calibration batches size the integer grids of
// transformer nonlinearities.
const rangeBatches = 4

// loadQuantModel gets a fake-quant model from a t2c ptq checkpoint
// (modelPath, evaluated on dataSpec) or from a config: a config whose
// model.checkpoint is quantized is used as is, otherwise its float model
// is quantized by post-training calibration first (model.path ONNX or a
// zoo model plus the quantization section).
func loadQuantModel(cfgPath, modelPath, dataSpec string) (*quantModel, error) {
	switch {
	case (cfgPath == "") == (modelPath == ""):
		return nil, fmt.Errorf("give exactly one of --config FILE or --model CHECKPOINT")
	case modelPath != "":
		g, q, err := ptq.LoadModel(modelPath)
		if err != nil {
			return nil, err
		}
		if q == nil {
			return nil, fmt.Errorf("model %s has no quantizers: quantize it first (t2c ptq) or pass --config with a quantization section", modelPath)
		}
		qm := &quantModel{Name: modelPath, FakeQuant: g, Dataset: config.Dataset{Spec: dataSpec}, BatchSize: 256}
		return qm, qm.finish(128)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	if err := cfg.ValidateModel(); err != nil {
		return nil, fmt.Errorf("config %s: %w", cfgPath, err)
	}
	g, prior, err := ptq.BuildModel(cfg.Model, cfg.Train.Seed)
	if err != nil {
		return nil, err
	}
	if dataSpec != "" {
		cfg.Dataset.Spec = dataSpec
	}
	qm := &quantModel{Name: modelName(cfg.Model), FakeQuant: g, Dataset: cfg.Dataset, BatchSize: evalBatch(cfg)}
	if prior == nil {
		if err := qm.calibrate(cfg, cfgPath); err != nil {
			return nil, err
		}
	}
	return qm, qm.finish(32)
}

// calibrate quantizes the float model of cfg by PTQ.
func (qm *quantModel) calibrate(cfg *config.Config, cfgPath string) error {
	if cfg.Quantization == nil {
		return fmt.Errorf("config %s: the model is not quantized and there is no quantization section", cfgPath)
	}
	cfg, opts, err := loadPTQConfig(cfgPath) // with the section's defaults filled in
	if err != nil {
		return err
	}
	if err := ptq.Check(qm.FakeQuant, opts); err != nil {
		return fmt.Errorf("config %s: quantization: %w", cfgPath, err)
	}
	q := cfg.Quantization
	calib, err := ptq.LoadCalibration(cfg.Dataset, q.CalibSamples, q.BatchSize)
	if err != nil {
		return err
	}
	progress.Logf("ptq %s: W%d %s / A%d %s on %d calibration images", qm.Name, q.WBit, q.WQType, q.ABit, q.XQType, calib.Images)
	if _, err := ptq.Run(qm.FakeQuant, calib.Batches, opts); err != nil {
		return err
	}
	qm.Calib = calib.Batches
	return nil
}

// finish sets the quantizer modes, derives the float model and loads
// calibration batches if PTQ did not.
func (qm *quantModel) finish(batch int) error {
	if qm.Dataset.Spec == "" {
		return fmt.Errorf("no dataset: give --data SPEC (e.g. fashion-mnist:)")
	}
	if err := quant.SetMode(qm.FakeQuant, quant.ModeQuantize); err != nil {
		return err
	}
	qm.Float = qm.FakeQuant.Clone()
	if err := quant.SetMode(qm.Float, quant.ModeFloat); err != nil {
		return err
	}
	if qm.Calib == nil {
		calib, err := ptq.LoadCalibration(qm.Dataset, rangeBatches*batch, batch)
		if err != nil {
			return err
		}
		qm.Calib = calib.Batches
	}
	if len(qm.Calib) > rangeBatches {
		qm.Calib = qm.Calib[:rangeBatches]
	}
	return nil
}
