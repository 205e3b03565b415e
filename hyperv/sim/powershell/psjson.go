package powershell

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// psDate marshals as Windows PowerShell 5.1's ConvertTo-Json writes a
// DateTime: "\/Date(milliseconds since the Unix epoch)\/".
type psDate time.Time

// MarshalJSON implements json.Marshaler.
func (d psDate) MarshalJSON() ([]byte, error) {
	return []byte(`"\/Date(` + strconv.FormatInt(time.Time(d).UnixMilli(), 10) + `)\/"`), nil
}

// psTimeSpan marshals a duration as ConvertTo-Json writes a
// System.TimeSpan: every public property, in declaration order.
type psTimeSpan time.Duration

// MarshalJSON implements json.Marshaler.
func (t psTimeSpan) MarshalJSON() ([]byte, error) {
	ticks := time.Duration(t).Nanoseconds() / 100
	d := time.Duration(t)
	v := struct {
		Ticks             int64
		Days              int64
		Hours             int64
		Milliseconds      int64
		Minutes           int64
		Seconds           int64
		TotalDays         float64
		TotalHours        float64
		TotalMilliseconds float64
		TotalMinutes      float64
		TotalSeconds      float64
	}{
		Ticks:             ticks,
		Days:              int64(d / (24 * time.Hour)),
		Hours:             int64(d/time.Hour) % 24,
		Milliseconds:      int64(d/time.Millisecond) % 1000,
		Minutes:           int64(d/time.Minute) % 60,
		Seconds:           int64(d/time.Second) % 60,
		TotalDays:         d.Hours() / 24,
		TotalHours:        d.Hours(),
		TotalMilliseconds: float64(ticks) / 1e4,
		TotalMinutes:      d.Minutes(),
		TotalSeconds:      d.Seconds(),
	}
	return json.Marshal(v)
}

// convertToJSON renders pipeline output as `... | ConvertTo-Json -Compress`
// does in Windows PowerShell 5.1: nothing for an empty pipeline, a bare
// object for one item, an array for more, and a CRLF after it.
func convertToJSON(items []any) ([]byte, error) {
	var v any
	switch len(items) {
	case 0:
		return nil, nil
	case 1:
		v = items[0]
	default:
		v = items
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	// encoding/json already writes < > & as \u003c \u003e \u0026; the
	// JavaScriptSerializer behind ConvertTo-Json also escapes the apostrophe.
	b = bytes.ReplaceAll(b, []byte("'"), []byte(`\u0027`))
	return append(b, '\r', '\n'), nil
}
