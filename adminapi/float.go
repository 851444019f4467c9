package adminapi

import (
	"encoding/json"
	"math"
	"strconv"
)

// Float is a sample value in the admin API's JSON: a number when finite,
// else the string "+Inf", "-Inf" or "NaN" (encoding/json refuses
// non-finite numbers, and a dead letter may hold any value, stale
// markers included). It decodes both forms.
type Float float64

// MarshalJSON renders f as a number, or a string when not finite.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return json.Marshal(strconv.FormatFloat(v, 'g', -1, 64))
	}
	return json.Marshal(v)
}

// UnmarshalJSON reads a number or a string ParseFloat takes.
func (f *Float) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var v float64
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*f = Float(v)
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	*f = Float(v)
	return nil
}
