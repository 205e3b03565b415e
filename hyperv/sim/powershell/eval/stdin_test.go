package eval

import (
	"context"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// TestInvokeExpressionOfStdin runs loaders as a client sends them: the
// script comes from stdin ($input joined by Out-String, or
// [Console]::In.ReadToEnd()), runs in the loader's scope (its variables
// stay set), and a script that does not parse fails the command with the
// parser's error, as PowerShell's Invoke-Expression does.
func TestInvokeExpressionOfStdin(t *testing.T) {
	const byInput, byConsole = "Invoke-Expression ($input | Out-String)", "Invoke-Expression ([Console]::In.ReadToEnd())"
	tests := []struct {
		loader, stdin, want, errID string
		code                       int
	}{
		{loader: byInput + "; $x", stdin: "$x = 6 * 7\r\nif ($x) {\r\n  $x\r\n}\r\n", want: "42\n42"},
		{loader: byConsole + "; $x", stdin: "$x = 6 * 7\n$x\n", want: "42\n42"},
		{loader: byInput, stdin: "$x = (1 +\n", errID: "ExpectedValueExpression", code: 1},
		{loader: byConsole, stdin: "$x = (1 +\n", errID: "ExpectedValueExpression", code: 1},
	}
	for _, tc := range tests {
		s, err := lang.Parse(tc.loader)
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
