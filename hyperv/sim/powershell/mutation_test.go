package powershell

import (
	"encoding/json"
	"encoding/xml"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// scriptRuns are where and with what each shipped script runs.
var scriptRuns = map[string]struct {
	host   string
	params map[string]any
}{
	hyperv.ScriptGetHost:       {"HV01", nil},
	hyperv.ScriptGetVMs:        {"HV01", nil},
	hyperv.ScriptGetCounters:   {"HV01", map[string]any{"SampleInterval": 1}},
	hyperv.ScriptLocateVM:      {"HV01", map[string]any{"Id": "11111111-1111-4111-8111-111111111111"}},
	hyperv.ScriptMoveVM:        {"HV01", map[string]any{"Id": "11111111-1111-4111-8111-111111111111", "DestinationHost": "HV02"}},
	hyperv.ScriptMoveClusterVM: {"CN01", map[string]any{"Id": "44444444-4444-4444-8444-444444444444", "DestinationHost": "CN02"}},
}

// mutation breaks a script body; ok is false when it does not apply.
type mutation struct {
	name    string
	apply   func(body string) (string, bool)
	errorID string // the FullyQualifiedErrorId Windows PowerShell 5.1 reports
}

// afterStop inserts line after the script's $ErrorActionPreference line.
func afterStop(line string) func(string) (string, bool) {
	return func(body string) (string, bool) {
		const stop = "$ErrorActionPreference = 'Stop'\n"
		if !strings.Contains(body, stop) {
			return "", false
		}
		return strings.Replace(body, stop, stop+line+"\n", 1), true
	}
}

var firstCmdlet = regexp.MustCompile(`\b(Get-VMHost|Get-VM|Get-Counter|Move-ClusterVirtualMachineRole)\b`)

var mutations = []mutation{
	{"a cmdlet that does not exist", func(b string) (string, bool) {
		loc := firstCmdlet.FindStringIndex(b)
		if loc == nil {
			return "", false
		}
		return b[:loc[1]] + "Frob" + b[loc[1]:], true
	}, "CommandNotFoundException"},
	{"PowerShell 7's ??", afterStop("$z = $a.Id ?? 'none'"), "UnexpectedToken"},
	{"PowerShell 7's ?. after a braced variable", afterStop("$z = ${a}?.Id"), "UnexpectedToken"},
	{"PowerShell 7's &&", afterStop("Get-VMHost && Get-VM"), "InvalidEndOfLine"},
	{"PowerShell 7's ternary", afterStop("$z = $a ? 1 : 2"), "UnexpectedToken"},
	{"ConvertFrom-Json -AsHashtable", afterStop("$z = '{}' | ConvertFrom-Json -AsHashtable"), "NamedParameterNotFound,Microsoft.PowerShell.Commands.ConvertFromJsonCommand"},
	{"ForEach-Object -Parallel", afterStop("$z = 1, 2 | ForEach-Object -Parallel { $_ }"), "NamedParameterNotFound,Microsoft.PowerShell.Commands.ForEachObjectCommand"},
	{"an unclosed {", func(b string) (string, bool) {
		return b + "\nif ($a) { $a", true
	}, "MissingEndCurlyBrace"},
	{"a made-up Move-VM parameter", func(b string) (string, bool) {
		if !strings.Contains(b, "Move-VM @m") {
			return "", false
		}
		return strings.Replace(b, "Move-VM @m", "$m.Turbo = $true\nMove-VM @m", 1), true
	}, "NamedParameterNotFound,Microsoft.HyperV.PowerShell.Commands.MoveVM"},
	{"a made-up parameter", func(b string) (string, bool) {
		loc := firstCmdlet.FindStringIndex(b)
		if loc == nil {
			return "", false
		}
		return b[:loc[1]] + " -Turbo" + b[loc[1]:], true
	}, "NamedParameterNotFound,"},
	{"a misspelled parameter", func(b string) (string, bool) {
		return strings.Replace(b, "-Compress", "-Comrpess", 1), strings.Contains(b, "-Compress")
	}, "NamedParameterNotFound,Microsoft.PowerShell.Commands.ConvertToJsonCommand"},
	{"a parameter name that is ambiguous", func(b string) (string, bool) {
		return strings.Replace(b, "ConvertTo-Json -Compress", "ConvertTo-Json -Compress -De 3", 1), strings.Contains(b, "ConvertTo-Json -Compress")
	}, "AmbiguousParameter,Microsoft.PowerShell.Commands.ConvertToJsonCommand"},
}

// TestShippedScriptsRefuseTheirMutations breaks every shipped script in
// each way and checks the simulated host refuses it as Windows
// PowerShell 5.1 does: exit code 1 and the error record, as CLIXML, with
// the FullyQualifiedErrorId PowerShell gives.
func TestShippedScriptsRefuseTheirMutations(t *testing.T) {
	names := make([]string, 0, len(scriptRuns))
	for n := range scriptRuns {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		body := hyperv.Scripts()[name]
		run := scriptRuns[name]
		for _, m := range mutations {
			broken, ok := m.apply(body)
			if !ok {
				continue
			}
			t.Run(name+"/"+m.name, func(t *testing.T) {
				var params any = struct{}{}
				if run.params != nil {
					params = run.params
				}
				r := runLine(NewShell(testFleet(t), run.host), encode(t, broken, params))
				if r.code != 1 {
					t.Errorf("exit %d, want 1", r.code)
				}
				if r.out != "" {
					t.Errorf("stdout %q, want none", r.out)
				}
				ids := errorIDs(r.errOut)
				if len(ids) == 0 || !strings.HasPrefix(ids[len(ids)-1], m.errorID) {
					t.Errorf("error ids %q, want %q", ids, m.errorID)
				}
				if err := wellFormed(r.errOut); err != nil {
					t.Errorf("stderr is not CLIXML: %v", err)
				}
			})
		}
	}
}

// TestMissingPropertyInCalculatedPropertyIsNull is the mutation Windows
// does not refuse: Select-Object evaluates a calculated property with its
// exceptions eaten, so a property or method that does not exist there
// gives $null and the script succeeds.
func TestMissingPropertyInCalculatedPropertyIsNull(t *testing.T) {
	for _, name := range []string{hyperv.ScriptGetVMs, hyperv.ScriptLocateVM, hyperv.ScriptMoveVM} {
		body := strings.Replace(hyperv.Scripts()[name], "$_.Id.ToString()", "$_.Idd.ToString()", 1)
		run := scriptRuns[name]
		r := runLine(NewShell(testFleet(t), run.host), encode(t, body, run.params))
		if r.code != 0 || r.errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q", name, r.code, r.errOut)
		}
		var v any
		if err := json.Unmarshal([]byte(r.out), &v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		first := v
		if a, ok := v.([]any); ok {
			first = a[0]
		}
		if id, ok := first.(map[string]any)["Id"]; !ok || id != nil {
			t.Errorf("%s: Id = %v, want null", name, id)
		}
	}
}

// wellFormed checks a CLIXML error stream.
func wellFormed(s string) error {
	var objs struct{}
	return xml.Unmarshal([]byte(strings.TrimPrefix(s, clixmlHeader)), &objs)
}
