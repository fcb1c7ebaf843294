package fuse

import (
	"fmt"

	"t2c/integer"
)

// Options configure Convert. The zero value converts with dyadic
// multipliers and integer-only transformer nonlinearities.
type Options struct {
	// Format is the fixed-point format of rescale factors; zero: dyadic.
	Format integer.Format
	// Softmax, GELU and LayerNorm select each transformer nonlinearity's
	// implementation; zero: integer.
	Softmax, GELU, LayerNorm integer.Mode
	// LUTBits is the input width of lookup-table nonlinearities
	// (default 8); IntBits the input width of the integer-arithmetic
	// forms (default 24: int32 storage, so that the
	// input grid adds no error worth measuring).
	LUTBits, IntBits int
	// Ranges holds the observed max |x| of float values (by value name),
	// from running the fake-quant model on calibration data. The grids of
	// nonlinearity inputs are sized from them; values without a range use
	// their static bound, which is safe but coarser.
	Ranges map[string]float64
}

func (o Options) resolve() (Options, error) {
	if o.Format.Kind == "" {
		o.Format = integer.Format{Kind: integer.FormatDyadic}
	}
	if err := o.Format.Validate(); err != nil {
		return o, err
	}
	for _, m := range []*integer.Mode{&o.Softmax, &o.GELU, &o.LayerNorm} {
		if *m == "" {
			*m = integer.ModeInteger
		}
		if _, err := integer.ParseMode(string(*m)); err != nil {
			return o, err
		}
	}
	if o.LUTBits == 0 {
		o.LUTBits = 8
	}
	if o.IntBits == 0 {
		o.IntBits = 24
	}
	if o.LUTBits < 2 || o.LUTBits > 16 {
		return o, fmt.Errorf("LUT input bits %d out of range 2–16", o.LUTBits)
	}
	if o.IntBits < 4 || o.IntBits > 24 {
		return o, fmt.Errorf("integer nonlinearity input bits %d out of range 4–24", o.IntBits)
	}
	return o, nil
}
