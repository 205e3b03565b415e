package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// TestInvokeExpressionOfStdin runs a loader as a client sends it: the
// script comes from stdin, runs in the loader's scope (its variables stay
// set), and a script that does not parse fails the command with the
// parser's error, as PowerShell's Invoke-Expression does.
func TestInvokeExpressionOfStdin(t *testing.T) {
	tests := []struct {
		loader, stdin, want, errID string
		code                       int
	}{
		{loader: "; $x", stdin: "$x = 6 * 7\n$x\n", want: "42\n42"},
		{stdin: "", want: ""},
		{stdin: "$x = (1 +\n", errID: "ExpectedValueExpression", code: 1},
	}
	for _, tc := range tests {
		s, err := lang.Parse("Invoke-Expression ([Console]::In.ReadToEnd())" + tc.loader)
		if err != nil {
			t.Fatal(err)
		}
		in := New(context.Background(), fakeHost{}, catalog.Default())
		in.Stdin = strings.NewReader(tc.stdin)
		code := in.Run(s)
		var out []string
		for _, o := range in.Output {
			out = append(out, toString(o))
		}
		if got := strings.Join(out, "\n"); code != tc.code || got != tc.want && tc.errID == "" {
			t.Errorf("stdin %q: output %q, code %d; want %q, %d", tc.stdin, got, code, tc.want, tc.code)
		}
		if tc.errID != "" && (len(in.Errors) == 0 || in.Errors[0].ErrorID != tc.errID || !in.Errors[0].Parse) {
			for _, e := range in.Errors {
				t.Logf("error %s: %s", e.ErrorID, e.Message)
			}
			t.Errorf("stdin %q: want the parse error %s", tc.stdin, tc.errID)
		}
	}
}
