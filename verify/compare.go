package verify

import (
	"encoding/json"
	"fmt"
	"math"

	"t2c/fuse"
	"t2c/graph"
	"t2c/quant"
	"t2c/tensor"
)

// Row compares one value of the model in its three forms. Errors are
// against the float model's value; the integer value is dequantized.
type Row struct {
	Value     string  `json:"value"`     // value name in the fake-quant graph
	Node      string  `json:"node"`      // producing node of the fake-quant graph
	Op        string  `json:"op"`        // its op type
	IntNode   string  `json:"int_value"` // the integer-graph value standing for it
	Bits      int     `json:"bits"`      // integer width of that value
	FQSQNR    DB      `json:"fakequant_sqnr_db"`
	FQMaxErr  float64 `json:"fakequant_max_err"`
	IntSQNR   DB      `json:"integer_sqnr_db"`
	IntMaxErr float64 `json:"integer_max_err"`
	// IntVsFQ is max |integer − fake-quant|: how exactly the integer
	// graph reproduces the fake-quant model.
	IntVsFQ float64 `json:"integer_vs_fakequant_max_diff"`
	// Jump marks the first value where the integer SQNR falls by more
	// than JumpDB below the best seen before it: where error appears.
	Jump bool `json:"jump,omitempty"`
}

// DB is a signal-to-noise ratio in decibels; +Inf (no error) is written
// to JSON as the string "inf" and NaN (not comparable) as null.
type DB float64

// MarshalJSON encodes the special values JSON numbers cannot hold.
func (d DB) MarshalJSON() ([]byte, error) {
	switch v := float64(d); {
	case math.IsInf(v, 1):
		return []byte(`"inf"`), nil
	case math.IsNaN(v) || math.IsInf(v, -1):
		return []byte("null"), nil
	default:
		return json.Marshal(v)
	}
}

// JumpDB is the SQNR drop that flags a row.
const JumpDB = 6.0

// Compare runs the float graph, the fake-quant graph and the integer model
// on x and returns one row per integer value, in the fake-quant graph's
// node order.
func Compare(float, fq *graph.Graph, m *fuse.Model, x *tensor.Tensor) ([]Row, error) {
	fv, err := capture(float, x)
	if err != nil {
		return nil, fmt.Errorf("verify: float model: %w", err)
	}
	qv, err := capture(fq, x)
	if err != nil {
		return nil, fmt.Errorf("verify: fake-quant model: %w", err)
	}
	iv := map[string]*tensor.Tensor{}
	_, res, err := m.RunInt(x, func(_ *graph.Node, name string, t *tensor.Tensor) {
		if t != nil {
			iv[name] = tensor.Cast(t, tensor.Int64).Clone()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("verify: integer model: %w", err)
	}
	producers := fq.Producers()
	var rows []Row
	for _, n := range fq.Nodes {
		for _, out := range n.Outputs {
			ref, ok := res.Values[out]
			if !ok || iv[ref.Name] == nil || qv[out] == nil {
				continue
			}
			deq, err := fuse.Dequantize(iv[ref.Name], ref.Grid)
			if err != nil {
				return nil, err
			}
			fl := fv[floatName(out, producers)]
			if fl == nil {
				fl = qv[out]
			}
			r := Row{Value: out, Node: n.Name, Op: n.Op, IntNode: ref.Name, Bits: ref.Grid.Bits}
			var fqs, ints float64
			fqs, r.FQMaxErr = errors(fl, qv[out])
			ints, r.IntMaxErr = errors(fl, deq)
			r.FQSQNR, r.IntSQNR = DB(fqs), DB(ints)
			_, r.IntVsFQ = errors(qv[out], deq)
			rows = append(rows, r)
		}
	}
	flagJump(rows)
	return rows, nil
}

// floatName is the float-model value a fake-quant value stands for: a
// quantizer's output stands for its input.
func floatName(v string, producers map[string]*graph.Node) string {
	for {
		p := producers[v]
		if p == nil || p.Op != quant.OpType {
			return v
		}
		v = p.Inputs[0]
	}
}

// capture runs g on x and keeps a copy of every float32 value.
func capture(g *graph.Graph, x *tensor.Tensor) (map[string]*tensor.Tensor, error) {
	sess, err := graph.NewSession(g)
	if err != nil {
		return nil, err
	}
	prog, err := sess.Program(map[string][]int{g.Inputs[0].Name: x.Shape()})
	if err != nil {
		return nil, err
	}
	vals := map[string]*tensor.Tensor{}
	_, err = prog.RunObserved(map[string]*tensor.Tensor{g.Inputs[0].Name: x}, func(_ *graph.Node, name string, t *tensor.Tensor) {
		if t != nil && t.DType() == tensor.Float32 {
			vals[name] = tensor.Cast(t, tensor.Float32).Clone()
		}
	})
	return vals, err
}

// errors returns the SQNR of b against reference a (dB) and max |a − b|.
func errors(a, b *tensor.Tensor) (sqnr, maxErr float64) {
	if a == nil || b == nil || a.Len() != b.Len() {
		return math.NaN(), math.NaN()
	}
	as, bs := a.Float32(), b.Float32()
	var sig, noise float64
	for i := range as {
		d := float64(as[i]) - float64(bs[i])
		sig += float64(as[i]) * float64(as[i])
		noise += d * d
		maxErr = math.Max(maxErr, math.Abs(d))
	}
	if noise == 0 {
		return math.Inf(1), 0
	}
	return 10 * math.Log10(sig/noise), maxErr
}

// flagJump marks the first row whose integer SQNR is JumpDB below the
// row before it.
func flagJump(rows []Row) {
	prev := math.NaN()
	for i := range rows {
		s := float64(rows[i].IntSQNR)
		if math.IsNaN(s) || math.IsInf(s, 0) {
			continue
		}
		if !math.IsNaN(prev) && s < prev-JumpDB {
			rows[i].Jump = true
			return
		}
		prev = s
	}
}
