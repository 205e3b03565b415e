package eval

import "testing"

// TestCalculatedPropertyOfOneExpression reads calculated properties that
// are one expression (evaluated directly) and the same wrapped in an if
// (run as a script block) and wants the same objects: arrays unrolled and
// collapsed as the pipeline does, $null, and a failing expression eaten.
func TestCalculatedPropertyOfOneExpression(t *testing.T) {
	for _, expr := range []string{
		"$_.Name",
		"[string]$_.MemoryAssigned",
		"$_.Missing",
		"@($_.Name, 'x')",
		"@($_.Name)",
		"@()",
		"$null",
		"$_.Name.Substring(9)",
		"1 / 0",
	} {
		direct := "Get-VM | Select-Object @{n='P';e={" + expr + "}}, Name | ConvertTo-Json -Compress"
		wrapped := "Get-VM | Select-Object @{n='P';e={ if ($true) { " + expr + " } }}, Name | ConvertTo-Json -Compress"
		got, gotErrs, gotCode := run(t, direct)
		want, wantErrs, wantCode := run(t, wrapped)
		if got != want || len(gotErrs) != len(wantErrs) || gotCode != wantCode {
			t.Errorf("{%s}: %s (%d errors, exit %d), as a block %s (%d errors, exit %d)", expr, got, len(gotErrs), gotCode, want, len(wantErrs), wantCode)
		}
	}
}
