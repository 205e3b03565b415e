package hyperv

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestCompactSamplesDecodeAsEncodingJSON decodes samples with the scan and
// with encoding/json and wants the same values or the same failure, in
// the usual shape and in each the scan leaves to encoding/json.
func TestCompactSamplesDecodeAsEncodingJSON(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		scan bool // the scan reads it itself
	}{
		{"usual", `[{"S":"LP","I":0,"N":"Hv LP 0","V":123456789,"T":133000000000000000},{"S":"VP","I":1,"N":"vm-01:Hv VP 0","V":5,"W":70,"D":7,"T":133000000010000000}]`, true},
		{"white space and nulls", " [ {\"S\" : \"Mem\", \"I\":0, \"N\":null, \"V\": 1024, \"W\":null} ]\n", true},
		{"the memory sample", `[{"S":"Memory","I":1,"N":null,"V":77824,"T":134120736080848690}]`, true},
		{"nulls in numbers", `[{"S":"VP","I":0,"N":"x","V":null,"W":null,"D":null,"T":1}]`, true},
		{"empty", `[]`, true},
		{"escaped name", `[{"S":"VP","I":0,"N":"o\u0027brien \"q\\\\:Hv VP 0","V":1,"T":2}]`, true},
		{"another key", `[{"S":"LP","I":0,"N":"a","V":1,"T":2,"X":3}]`, false},
		{"lower-case key", `[{"s":"LP","I":0,"N":"a","V":1,"T":2}]`, false},
		{"exponent", `[{"S":"LP","I":0,"N":"a","V":1.0E+3,"T":2}]`, false},
		{"negative", `[{"S":"LP","I":0,"N":"a","V":-1,"T":2}]`, false},
		{"not an array", `{"S":"LP"}`, false},
		{"string for a number", `[{"S":"LP","I":0,"N":"a","V":"1","T":2}]`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, scanned := scanSamples([]byte(tc.in))
			if scanned != tc.scan {
				t.Errorf("scanned %v, want %v", scanned, tc.scan)
			}
			var got compactSamples
			gotErr := json.Unmarshal([]byte(tc.in), &got)
			var want []compactSampleJSON
			wantErr := json.Unmarshal([]byte(tc.in), &want)
			if (gotErr == nil) != (wantErr == nil) {
				t.Fatalf("error %v, encoding/json's %v", gotErr, wantErr)
			}
			if gotErr == nil && !reflect.DeepEqual([]compactSampleJSON(got), want) {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}
