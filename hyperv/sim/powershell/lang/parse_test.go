package lang

import (
	"errors"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

func TestParseShippedScripts(t *testing.T) {
	for name, body := range hyperv.Scripts() {
		line := hyperv.ProgressPrefix + "\n" + hyperv.ParamPrefix + "e30=" + hyperv.ParamSuffix + "\n" + body
		if _, err := Parse(line); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, src := range []string{
		"Get-VM | Where-Object State -eq 'Running' | Sort-Object MemoryAssigned -Descending | Select-Object -First 3 Name, MemoryAssigned | ConvertTo-Json",
		"(Get-VMHost).LogicalProcessorCount",
		"Get-VM | Measure-Object -Property MemoryAssigned -Sum",
		"$x = 1GB; $y = 0x10; $z = 1.5e3; $w = -2kb",
		"if ($a -and -not $b) { 1 } elseif (!$c) { 2 } else { 3 }",
		"foreach ($v in Get-VM) { $v.Name }",
		"$h = @{ a = 1; 'b' = 2\n c = @(1, 2) }\n$h.a",
		"[Text.Encoding]::UTF8.GetString([Convert]::FromBase64String('e30='))",
		"\"x $a $($b.c) `n\" + 'it''s'",
		"@'\nhere $x\n'@",
		"@\"\nhere $x\n\"@",
		"Get-VM `\n  -Name x",
		"# comment\n<# block\n comment #> Get-VM",
		"$a?.b",
		"$a[0].Id.ToString()",
		"[int]'5' + [string]3",
		"Get-Counter -Counter $p -SampleInterval:2",
		"Move-VM @m",
		"$a = $b = 3",
		"1..3 | ForEach-Object { $_ * 2 }",
		"$e = ,1",
		"while ($i -lt 3) { $i += 1 }",
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
}

func TestParseRefusesAs51(t *testing.T) {
	tests := []struct {
		src, id, msg string
		line, col    int
	}{
		{"$a ?? 'x'", ErrUnexpectedToken, "Unexpected token '??' in expression or statement.", 1, 4},
		{"$a ??= 'x'", ErrUnexpectedToken, "Unexpected token '??=' in expression or statement.", 1, 4},
		{"$a ? 1 : 2", ErrUnexpectedToken, "Unexpected token '?' in expression or statement.", 1, 4},
		{"Get-VM && Get-VMHost", ErrInvalidEndOfLine, "The token '&&' is not a valid statement separator in this version.", 1, 8},
		{"Get-VM || Get-VMHost", ErrInvalidEndOfLine, "The token '||' is not a valid statement separator in this version.", 1, 8},
		{"if ($x) { 1", ErrMissingEndCurlyBrace, "Missing closing '}' in statement block or type definition.", 1, 9},
		{"Get-VM | Select-Object @{n='x';e={$_.Name}", ErrMissingEndCurlyBrace, "Missing closing '}' in statement block or type definition.", 1, 24},
		{"(Get-VM", ErrMissingEndParenthesis, "Missing closing ')' in expression.", 1, 1},
		{"$a -eq", ErrExpectedValueExpression, "You must provide a value expression following the '-eq' operator.", 1, 7},
		{"Get-VM |", ErrEmptyPipeElement, "An empty pipe element is not allowed.", 1, 9},
		{"'abc", ErrTerminatorExpectedAtEnd, "The string is missing the terminator: '.", 1, 1},
		{"$a -foo 1", ErrUnexpectedToken, "Unexpected token '-foo' in expression or statement.", 1, 4},
		{"()", ErrExpectedExpression, "An expression was expected after '('.", 1, 2},
		{"function f { }", ErrUnsupported, "The simulated host does not run 'function' statements.", 1, 1},
		{"$x = @{ a }", ErrMissingEqualsInHashLiteral, "Missing '=' operator after key in hash literal.", 1, 11},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			_, err := Parse(tc.src)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a ParseError", err)
			}
			if pe.ErrorID != tc.id || pe.Message != tc.msg || pe.Pos.Line != tc.line || pe.Pos.Col != tc.col {
				t.Errorf("got %s %q at %d:%d, want %s %q at %d:%d", pe.ErrorID, pe.Message, pe.Pos.Line, pe.Pos.Col, tc.id, tc.msg, tc.line, tc.col)
			}
		})
	}
}

func TestParseTree(t *testing.T) {
	s, err := Parse("$x = 1, 2 -eq 2 -and $true")
	if err != nil {
		t.Fatal(err)
	}
	a := s.Statements[0].(*Assignment)
	and := a.Value.(*Pipeline).Elements[0].(*ExprElement).X.(*Binary)
	if and.Op != "-and" {
		t.Fatalf("top op %q, want -and", and.Op)
	}
	eq := and.L.(*Binary)
	if eq.Op != "-eq" {
		t.Fatalf("left op %q, want -eq", eq.Op)
	}
	if _, ok := eq.L.(*ArrayLit); !ok {
		t.Errorf("the comma binds tighter than -eq (§7.3): got %T", eq.L)
	}
	s, err = Parse("Where-Object State -eq Running -ErrorAction:Stop")
	if err != nil {
		t.Fatal(err)
	}
	cmd := s.Statements[0].(*Pipeline).Elements[0].(*Command)
	var got []string
	for _, a := range cmd.Args {
		if a.Param != "" {
			got = append(got, "-"+a.Param)
		}
		if c, ok := a.Value.(*Const); ok {
			got = append(got, c.Value.(string))
		}
	}
	if strings.Join(got, " ") != "State -eq Running -ErrorAction Stop" {
		t.Errorf("arguments %q", got)
	}
	for src, want := range map[string]any{"1GB": int32(1 << 30), "2GB": int64(2 << 30), "1kb": int32(1024), "0x10": int32(16), "1.5": 1.5, "2147483648": int64(2147483648), "5l": int64(5)} {
		s, err := Parse(src)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Statements[0].(*Pipeline).Elements[0].(*ExprElement).X.(*Const).Value; got != want {
			t.Errorf("%s = %#v, want %#v", src, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, body := range hyperv.Scripts() {
		f.Add(body)
	}
	f.Add("$a ?? @{ x = $(1,2)[0] }")
	f.Add("@\"\n$x\n\"@ | % { $_ }")
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Parse(src)
		if err == nil && s == nil {
			t.Fatal("nil script without error")
		}
		var pe *ParseError
		if err != nil && !errors.As(err, &pe) {
			t.Fatalf("error %v is not a ParseError", err)
		}
	})
}
