package hyperv

import (
	"encoding/json"
	"reflect"
	"strconv"
)

// psList is a property that Windows PowerShell 5.1 prints as null when a
// calculated property's script block outputs nothing, as a bare value when
// it outputs one item, and as an array when it outputs more (Select-Object
// unrolls what the block writes). Null array items are dropped.
type psList[T any] []T

// UnmarshalJSON implements json.Unmarshaler.
func (l *psList[T]) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '[':
		var items []*T
		if err := json.Unmarshal(b, &items); err != nil {
			return err
		}
		out := make(psList[T], 0, len(items))
		for _, it := range items {
			if it != nil {
				out = append(out, *it)
			}
		}
		*l = out
		return nil
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*l = psList[T]{v}
	return nil
}

// psInt64 is a whole number that may be null (read as 0 with ok false), as
// a size Windows could not read prints.
type psInt64 struct {
	v  int64
	ok bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *psInt64) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = psInt64{}
		return nil
	}
	// Plain digits, as PowerShell prints a counter, parse directly: a
	// counter sample holds several and json.Unmarshal per number was most
	// of its decoding.
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil && json.Unmarshal(b, &v) != nil {
		return typeError(b, reflect.TypeFor[int64]())
	}
	if v < 0 {
		return typeError(b, reflect.TypeFor[int64]())
	}
	*n = psInt64{v: v, ok: true}
	return nil
}
