package eval

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/catalog"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/powershell/lang"
)

// fakeHost serves Get-VM from a fixed list.
type fakeHost struct{ vms []*Object }

func (f fakeHost) Cmdlet(name string) (CmdletFunc, bool) {
	if name != "Get-VM" {
		return nil, false
	}
	return func(c *Call) error {
		for _, v := range f.vms {
			c.Out(v)
		}
		return nil
	}, true
}

func vm(name string, state int64, mem int64) *Object {
	st := map[int64]string{2: "Running", 3: "Off"}[state]
	return NewObject("Microsoft.HyperV.PowerShell.VirtualMachine",
		Prop{"Name", name}, Prop{"State", Enum{Type: "Microsoft.HyperV.PowerShell.VMState", Name: st, Value: state}}, Prop{"MemoryAssigned", mem})
}

func run(t *testing.T, src string) (string, []*ErrorRecord, int) {
	t.Helper()
	s, err := lang.Parse(src)
	if err != nil {
		t.Fatalf("parse %q: %v", src, err)
	}
	in := New(context.Background(), fakeHost{vms: []*Object{vm("a", 2, 1<<30), vm("b", 3, 0), vm("c", 2, 4<<30), vm("d", 2, 2<<30)}}, catalog.Default())
	code := in.Run(s)
	var out []string
	for _, o := range in.Output {
		out = append(out, toString(o))
	}
	return strings.Join(out, "\n"), in.Errors, code
}

func TestEval(t *testing.T) {
	tests := []struct{ src, want string }{
		{"1 + 2 * 3", "7"},
		{"'a' + 1", "a1"},
		{"1GB / 1MB", "1024"},
		{"7 / 2", "3.5"},
		{"(1, 2, 3 -gt 1) -join ','", "2,3"},
		{"$x = @{ a = 1 }; $x.a + $x['a']", "2"},
		{"\"n=$(1+1) $true\"", "n=2 True"},
		{"if ($null) { 'y' } elseif (0) { 'z' } else { 'n' }", "n"},
		{"foreach ($i in 1..3) { $i * 2 }", "2\n4\n6"},
		{"'abc' -like 'A*'", "True"},
		{"'abc' -cmatch 'B'", "False"},
		{"[int]'42' + 1", "43"},
		{"$a?.b", ""},
		{"(Get-VM).Count", "4"},
		{"(Get-VM | Where-Object State -eq 'Running').Name -join ','", "a,c,d"},
		{"Get-VM | Where-Object { $_.MemoryAssigned -gt 1GB } | ForEach-Object { $_.Name }", "c\nd"},
		{"Get-VM | Where-Object State -eq Running | Sort-Object MemoryAssigned -Descending | Select-Object -First 2 Name, MemoryAssigned | ConvertTo-Json -Compress",
			`[{"Name":"c","MemoryAssigned":4294967296},{"Name":"d","MemoryAssigned":2147483648}]`},
		{"(Get-VM | Measure-Object -Property MemoryAssigned -Sum).Sum", "7516192768"},
		{"Get-VM | Select-Object -First 1 @{n='N';e={$_.Name.ToUpper()}}, @{n='X';e={$_.Nope.ToStrin()}} | ConvertTo-Json -Compress", `{"N":"A","X":null}`},
		{"@{a=1;b=@(1,2)} | ConvertTo-Json", "{\r\n    \"a\":  1,\r\n    \"b\":  [\r\n              1,\r\n              2\r\n          ]\r\n}"},
		{"[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('eyJJZCI6IngifQ==')) | ConvertFrom-Json | ForEach-Object Id", "x"},
		{"Write-Output 1 2 | Measure-Object | ForEach-Object Count", "2"},
		{"Get-VM | ? State -eq Off | % Name", "b"},
		// An assignment in parentheses passes its value on; alone it
		// outputs nothing.
		{"($x = 5); $x", "5\n5"},
		{"$x = 5; ($x += 2)", "7"},
		{"$h = @{}; ($h.k = 'v'); ($h['j'] = 'w')", "v\nw"},
		{"([int]$n = '42') + 1", "43"},
		{"Get-VM | Select-Object -First 2 @{n='N';e={($w = $_.Name)}} | % N", "a\nb"},
		// A subexpression with no output is AutomationNull: a pipeline
		// writes nothing for it, where $($null) writes one $null. Its
		// value is still $null in a string or an operand, and a variable
		// assigned it is $null when read but enumerates as nothing, and
		// $($null) still writes its $null; the last six cases keep those.
		{"$($y = 2); 'end'", "end"},
		{"$(); 'end'", "end"},
		{"@($($y = 2)).Count", "0"},
		{"@($(Get-VM | Where-Object Name -eq 'z')).Count", "0"},
		{"($($y = 2) | Measure-Object).Count", "0"},
		{"$($y = 2) | ForEach-Object { 'item' }; 'end'", "end"},
		{"foreach ($i in $($y = 2)) { 'item' }; 'end'", "end"},
		{"\"a$($y = 2)b\"", "ab"},
		{"$x = $($y = 2); $null -eq $x; @($x).Count", "True\n0"},
		{"$null -eq $($y = 2)", "True"},
		{"$($null); 'end'", "\nend"},
		{"@($($null)).Count", "1"},
		{"$($null) | ForEach-Object { 'item' }", "item"},
		// A parenthesised pipeline with no output is AutomationNull too:
		// written to a pipeline it is nothing, read as a value it is
		// $null. ($null), (1,2) and a pipeline with output still write
		// what they hold.
		{"($($y = 2)); 'end'", "end"},
		{"(Get-VM | Where-Object Name -eq 'z'); 'end'", "end"},
		{"@(($($y = 2))).Count", "0"},
		{"@((Get-VM | Where-Object Name -eq 'z')).Count", "0"},
		{"(Get-VM | Where-Object Name -eq 'z') | ForEach-Object { 'item' }; 'end'", "end"},
		{"foreach ($i in (Get-VM | Where-Object Name -eq 'z')) { 'item' }; 'end'", "end"},
		{"$x = (Get-VM | Where-Object Name -eq 'z'); $null -eq $x; $x -eq $null", "True\nTrue"},
		{"(Get-VM | Where-Object Name -eq 'z') -eq $null", "True"},
		{"$null -eq (Get-VM | Where-Object Name -eq 'z')", "True"},
		{"($null); 'end'", "\nend"},
		{"@(($null)).Count", "1"},
		{"(1,2); 'end'", "1\n2\nend"},
		{"@((1,2)).Count", "2"},
		{"(Get-VM | Where-Object State -eq 'Running' | ForEach-Object Name); 'end'", "a\nc\nd\nend"},
		// foreach loops zero times over $null (PowerShell 3.0 and later),
		// where a pipeline sends $null on: $null | ForEach-Object runs once.
		{"foreach ($i in $null) { 'item' }; 'end'", "end"},
		{"$x = Get-VM | Where-Object Name -eq 'z'; foreach ($i in $x) { 'item' }; 'end'", "end"},
		{"foreach ($i in ($null)) { 'item' }; 'end'", "end"},
		{"foreach ($i in $($null)) { 'item' }; 'end'", "end"},
		{"foreach ($i in @($null)) { 'item' }; 'end'", "item\nend"},
		{"foreach ($i in $null, $null) { 'item' }; 'end'", "item\nitem\nend"},
		{"foreach ($i in Get-VM | Where-Object Name -eq 'z') { 'item' }; 'end'", "end"},
		{"$null | ForEach-Object { 'item' }; 'end'", "item\nend"},
		// A variable assigned the output of something that wrote nothing
		// holds AutomationNull (PowerShell 3.0 and later): read, it is
		// $null, but @() and a pipeline find nothing in it. One set to
		// $null, to a command's $null or through a cast holds $null.
		{"$x = Get-VM | Where-Object Name -eq 'z'; @($x).Count", "0"},
		{"$x = Get-VM | Where-Object Name -eq 'z'; $x; 'end'", "end"},
		{"$x = Get-VM | Where-Object Name -eq 'z'; $x | ForEach-Object { 'item' }; 'end'", "end"},
		{"$x = (Get-VM | Where-Object Name -eq 'z'); ($x | Measure-Object).Count", "0"},
		{"$x = if ($false) { 1 }; @($x).Count", "0"},
		{"$x = $($y = 2); $z = $x; @($z).Count", "0"},
		{"1 | ForEach-Object { $x = $($y = 2); @($x).Count }", "0"},
		{"$x = Get-VM | Where-Object Name -eq 'z'; $null -eq $x; $x.Count; \"[$x]\"", "True\n0\n[]"},
		{"$x = Get-VM | Where-Object Name -eq 'z'; $x = 1; @($x).Count", "1"},
		{"$x = $null; @($x).Count; $x | ForEach-Object { 'item' }", "1\nitem"},
		{"$x = Write-Output $null; @($x).Count", "1"},
		{"[int]$x = $($y = 2); @($x).Count; $x", "1\n0"},
		{"$null = Get-VM | Where-Object Name -eq 'z'; $null | ForEach-Object { 'item' }", "item"},
		// Select-Object without -Property or -ExpandProperty passes its
		// input objects on as they are.
		{"Get-VM | Select-Object -First 2 | ForEach-Object Name", "a\nb"},
		{"Get-VM | Select-Object -Last 2 | ForEach-Object Name", "c\nd"},
		{"Get-VM | Select-Object -Skip 3 | ForEach-Object Name", "d"},
		{"Get-VM | Select-Object | ForEach-Object Name", "a\nb\nc\nd"},
		{"Get-VM | Select-Object -Index 1 | ForEach-Object Name", "b"},
		{"Get-VM | Select-Object -Property @() -First 1 | ForEach-Object Name", "a"},
		{"(Get-VM | Select-Object -First 1).State", "Running"},
		{"1, 2, 2, 'a', 'A', 'a' | Select-Object -Unique", "1\n2\na\nA"},
		{"1..4 | Select-Object -Skip 1 -First 2", "2\n3"},
		// -First and -Last together write each object once, and with -Last
		// alone -Skip counts from the end.
		{"1..4 | Select-Object -First 3 -Last 3", "1\n2\n3\n4"},
		{"Get-VM | Select-Object -First 3 -Last 3 Name | ForEach-Object Name", "a\nb\nc\nd"},
		{"1..5 | Select-Object -Skip 1 -First 2 -Last 2", "2\n3\n4\n5"},
		{"1..4 | Select-Object -Last 2 -Skip 1", "2\n3"},
		{"Get-VM | Select-Object -Last 2 -Skip 1 Name | ForEach-Object Name", "b\nc"},
		{"1..4 | Select-Object -First 0 -Last 2 -Skip 1", "2\n3"},
		// Select-Object ignores $null input, which -First does not count.
		{"1, $null, 2 | Select-Object -First 2", "1\n2"},
		{"$null | Select-Object; 'end'", "end"},
		{"$null | Select-Object Name; 'end'", "end"},
		// -Property and -ExpandProperty are as they were.
		{"Get-VM | Select-Object -First 2 -ExpandProperty Name", "a\nb"},
		{"Get-VM | Select-Object -Last 1 Name, State | ForEach-Object { $_.Name + $_.State }", "dRunning"},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			got, errs, code := run(t, tc.src)
			if len(errs) > 0 {
				t.Fatalf("errors: %+v", errs[0])
			}
			if got != tc.want || code != 0 {
				t.Errorf("got %q (exit %d), want %q", got, code, tc.want)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		src, id string
		code    int
	}{
		{"Get-Frob", "CommandNotFoundException", 1},
		{"Get-Frob; 'after'", "CommandNotFoundException", 0},
		{"$ErrorActionPreference = 'Stop'; Get-Frob; 'after'", "CommandNotFoundException", 1},
		{"Get-VM -Turbo", "NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.GetVM", 1},
		{"Get-VM | ConvertFrom-Json -AsHashtable", "NamedParameterNotFound,Microsoft.PowerShell.Commands.ConvertFromJsonCommand", 1},
		{"Get-VM | ForEach-Object -Parallel { $_ }", "NamedParameterNotFound,Microsoft.PowerShell.Commands.ForEachObjectCommand", 1},
		{"$x = $null; $x.Foo()", "InvokeMethodOnNull", 1},
		{"(Get-VM)[0].Name.ToStrin()", "MethodNotFound", 1},
		{"Get-Command Get-Frob", "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand", 1},
		{"throw 'boom'", "boom", 1},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			_, errs, code := run(t, tc.src)
			if len(errs) != 1 || errs[0].ErrorID != tc.id || code != tc.code {
				var ids []string
				for _, e := range errs {
					ids = append(ids, e.ErrorID)
				}
				t.Errorf("errors %v exit %d, want [%s] exit %d", ids, code, tc.id, tc.code)
			}
		})
	}
	// A silenced error still fails the statement: $? is false and so is the exit code.
	if _, errs, code := run(t, "Get-Command Get-Frob -ErrorAction SilentlyContinue"); len(errs) != 0 || code != 1 {
		t.Errorf("silenced: %d errors, exit %d; want none, 1", len(errs), code)
	}
	if _, _, code := run(t, "$c = (Get-Command Get-Frob -ErrorAction SilentlyContinue); 'x'"); code != 0 {
		t.Errorf("exit %d after a later statement succeeded, want 0", code)
	}
}

func TestConvertToJSONAs51(t *testing.T) {
	at := time.UnixMilli(1764300000000)
	o := Custom(Prop{"Name", "x'; <b>&"}, Prop{"When", at}, Prop{"Up", 26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond},
		Prop{"State", Enum{Type: "Microsoft.HyperV.PowerShell.VMState", Name: "Running", Value: 2}}, Prop{"Id", Guid("3f1c2b7a-0d4e-4c55-9a6b-1e2f3a4b5c6d")},
		Prop{"Deep", Custom(Prop{"A", Custom(Prop{"B", Custom(Prop{"C", int32(1)})})})})
	want := `{"Name":"x\u0027; \u003cb\u003e\u0026","When":"\/Date(1764300000000)\/","Up":{"Ticks":937840050000,"Days":1,"Hours":2,"Milliseconds":5,"Minutes":3,"Seconds":4,"TotalDays":1.0854630208333333,"TotalHours":26.0511125,"TotalMilliseconds":93784005,"TotalMinutes":1563.06675,"TotalSeconds":93784.005},"State":2,"Id":"3f1c2b7a-0d4e-4c55-9a6b-1e2f3a4b5c6d","Deep":{"A":{"B":"@{C=1}"}}}`
	if got := toJSON(o, 2); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
