package eval

import (
	"strings"
	"testing"
)

// TestReusedWorkKeepsResults covers what the interpreter keeps between
// items and reads of one command (a child scope's map, a hash's index of
// its keys, compiled patterns): every case reads as it did when nothing
// was kept.
func TestReusedWorkKeepsResults(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"a variable set for one item is not seen by the next",
			"1..3 | ForEach-Object { if ($_ -eq 1) { $v = 'set' }; [string]$v + $_ }", "set1\n2\n3"},
		{"a calculated property's assignment stays with its item",
			"(1..3 | Select-Object @{n='X';e={$($w = $_; $w)}}, @{n='Y';e={$w}} | ForEach-Object { '' + $_.X + ':' + $_.Y }) -join ','", "1:,2:,3:"},
		{"$_ of the outer block is back after an inner one",
			"1..2 | ForEach-Object { $o = $_; (10, 20 | Select-Object @{n='V';e={$_ + $o}}).V -join '+'; $_ }", "11+21\n1\n12+22\n2"},
		{"a large hash finds keys case-insensitively",
			"$h = @{}; foreach ($i in 1..20) { $h['Key' + $i] = $i }; ($h['KEY7'], $h['key20'], $h.ContainsKey('kEy13'), ($null -eq $h['key21'])) -join ','", "7,20,True,True"},
		{"a large hash sees keys added after a read",
			"$h = @{}; foreach ($i in 1..10) { $h['k' + $i] = $i }; $a = $h['k3']; $h['K11'] = 11; $h['k3'] = 33; '' + $a + ',' + $h['k11'] + ',' + $h['K3'] + ',' + $h.Count", "3,11,33,11"},
		{"a large hash with a non-ASCII key compares as EqualFold does",
			"$h = @{}; foreach ($i in 1..10) { $h['k' + $i] = $i }; $h['ſ'] = 'long s'; $h['S'] + ',' + $h['k4'] + ',' + $h['ſ']", "long s,4,long s"},
		{"a large hash with other keys than strings",
			"$h = @{}; foreach ($i in 1..10) { $h[$i] = 'n' + $i; $h['s' + $i] = $i }; $h[4] + ',' + $h['S4'] + ',' + $h.Count", "n4,4,20"},
		{"a pattern matched again",
			"foreach ($s in 'a.vhdx', 'b.txt', 'c.AVHD') { $s -match '\\.a?vhdx?$' }", "True\nFalse\nTrue"},
		{"-cmatch is compiled apart from -match",
			"('ABC' -match 'abc'), ('ABC' -cmatch 'abc'), ('ABC' -match 'abc') -join ','", "True,False,True"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, _ := run(t, tt.src)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs[0].Message)
			}
			if out != tt.want {
				t.Errorf("got %q, want %q", out, tt.want)
			}
		})
	}
}

// TestInvalidPatternFailsEachTime: a pattern that does not compile is not
// kept, and fails every time it is used.
func TestInvalidPatternFailsEachTime(t *testing.T) {
	_, errs, _ := run(t, "foreach ($i in 1..3) { 'a' -match '(' }")
	if len(errs) != 3 {
		t.Fatalf("%d errors, want 3", len(errs))
	}
	for _, e := range errs {
		if !strings.Contains(strings.Join(e.Message, " "), "Invalid regular expression pattern") {
			t.Errorf("error %q", e.Message)
		}
	}
}
