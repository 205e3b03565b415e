package hyperv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Fuzz targets for every parser of host output. Run one with, e.g.,
// go test -run '^$' -fuzz '^FuzzParseVMs$' -fuzztime 20s ./hyperv/

func FuzzParseVMs(f *testing.F) {
	for _, s := range []string{"", "\r\n", psVMWeb01, "[" + psVMWeb01 + "," + psVMOff + "," + psVMOdd + "]", "null", "[null]",
		`{"Id":"a","Uptime":"1.02:03:04.5"}`, `{"Id":"a","Uptime":{"Ticks":-1}}`, "\xef\xbb\xbf[]", `[{"Id":"a"},1]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, errFast := decodeList[vmJSON]("get-vms", b)
		slow, errSlow := decodeListSlowly[vmJSON]("get-vms", quoteNonFinite(trimOutput(b)))
		if len(trimOutput(b)) > 0 && ((errFast == nil) != (errSlow == nil) || !reflect.DeepEqual(fast, slow) && len(fast)+len(slow) > 0) {
			t.Errorf("fast and careful decoding disagree: %v, %v / %v, %v", fast, errFast, slow, errSlow)
		}
		vms, err := parseVMs(b)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "parse get-vms output: ") {
				t.Errorf("error %q lacks the script", err)
			}
			return
		}
		for _, vm := range vms {
			if vm.ID == "" || vm.Tags == nil {
				t.Errorf("vm %+v: empty id or nil tags", vm)
			}
		}
	})
}

func FuzzParseHostAndLocation(f *testing.F) {
	f.Add([]byte(`{"Name":"HV01","LogicalProcessorCount":32,"Cluster":null}`))
	f.Add([]byte(`{"Id":"a","Name":"web01","State":2,"Status":"Migrating - 45% complete","ComputerName":"HV01","IsClustered":false}`))
	f.Add([]byte(`{"Name":"web01","OwnerNode":"HV02","State":0}`))
	f.Add([]byte(`{"Name":"HV01","ConfigVersions":"9.0","Switches":["LAN",null],"Volumes":[{"Path":"\\\\fs01\\vms","Size":null,"Free":null},{"Path":"D:\\","Size":5,"Free":1}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := parseHost(b); err == nil {
			for _, v := range h.Volumes {
				if v.Path == "" || v.Size < 0 || v.Free < 0 || v.Free > v.Size {
					t.Errorf("volume %+v", v)
				}
			}
		}
		_, _, _ = parseLocation(ScriptMoveVM, b)
		_, _, _ = parseClusterMove("id", b)
	})
}

func FuzzPSDate(f *testing.F) {
	for _, s := range []string{`"\/Date(1700000000000)\/"`, `"\/Date(1700000000000+0100)\/"`, `"\/Date(-62135596800000)\/"`,
		`null`, `"2025-11-28T03:20:00Z"`, `"\/Date(9223372036854775807)\/"`, `5`, `"\/Date(-9223372036854775808-9999)\/"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d psDate
		if err := d.UnmarshalJSON(b); err != nil {
			return
		}
		var s string
		if string(b) != "null" && json.Unmarshal(b, &s) == nil {
			if t1, ok := parsePSDate(s); !ok || !t1.Equal(time.Time(d)) {
				t.Errorf("parsePSDate(%q) disagrees with UnmarshalJSON", s)
			}
		}
	})
}

func FuzzTimeSpan(f *testing.F) {
	for _, s := range []string{`{"Ticks":1234500000000,"Days":1}`, `{"Ticks":-9223372036854775808}`, `{"Ticks":1e3}`, `null`,
		`"1.10:17:30.1234567"`, `"-00:00:01"`, `{"Ticks":"5"}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ts psTimeSpan
		_ = ts.UnmarshalJSON(b)
		if d, ok := parseTimeSpanText(string(b)); ok && d != 0 && string(b) == "" {
			t.Error("empty text parsed")
		}
	})
}

func FuzzParseCounters(f *testing.F) {
	f.Add([]byte(`[{"Set":"LP","Sample":0,"Name":"Hv LP 0","Value":10,"Timestamp_Sys100NS":134088000000000000},` +
		`{"Set":"LP","Sample":1,"Name":"Hv LP 0","Value":20000010,"Timestamp_Sys100NS":134088000020000000},` +
		`{"Set":"VP","Sample":0,"Name":"a:b:Hv VP 0","Value":1,"Timestamp_Sys100NS":134088000000000000},` +
		`{"Set":"VP","Sample":1,"Name":"a:b:Hv VP 0","Value":null,"Timestamp_Sys100NS":134088000020000000},` +
		`{"Set":"Memory","Sample":1,"Name":null,"Value":81234,"Timestamp_Sys100NS":134088000020000000},` +
		`{"Set":"Pressure","Sample":1,"Name":"web01","Value":78,"Timestamp_Sys100NS":null}]`))
	f.Add([]byte(`{"Set":"LP","Value":1e400}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseCounters(b)
		if err != nil {
			return
		}
		if !finite(c.HostCPUPercent) || c.AvailableMemory < 0 || c.VMs == nil {
			t.Errorf("host counters %+v", c)
		}
		for name, vc := range c.VMs {
			if len(vc.CPUPercent) == 0 && !vc.HasPressure {
				t.Errorf("vm %q: empty entry", name)
			}
			if len(vc.CPUPercent) > 0 && math.IsNaN(vc.MeanCPUPercent) {
				t.Errorf("vm %q: NaN mean", name)
			}
			if vc.HasPressure && !finite(vc.MemoryPressure) {
				t.Errorf("vm %q: pressure %v", name, vc.MemoryPressure)
			}
		}
	})
}

func FuzzStderr(f *testing.F) {
	f.Add([]byte(clixmlDoubleHop))
	f.Add([]byte(clixmlNotRecognized))
	f.Add([]byte("#< CLIXML\r\n<Objs><S S=\"Error\">_xD83D__xDE00_ _xD800_ _x005F_x0041_ &amp;&lt;&#x1F600;</S></Objs>"))
	f.Add([]byte("plain \xff text\r\nAt line:1 char:1\r\n+ CategoryInfo : X: y\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		text := stderrText(b)
		if !utf8.ValidString(text) {
			t.Errorf("stderr text is not UTF-8: %q", text)
		}
		rec := parseErrorText(text)
		if len(rec.Message) > maxMessage || !utf8.ValidString(rec.Message) {
			t.Errorf("message %q: too long or not UTF-8", rec.Message)
		}
	})
}

func FuzzUnescapePS(f *testing.F) {
	for _, s := range []string{"_x000D__x000A_", "_xD83D__xDE00_", "_xDE00__xD83D_", "_x005F_x0041_", "__x0041__", "_x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := unescapePS(s)
		if !strings.Contains(s, "_x") && out != s {
			t.Errorf("unescapePS(%q) = %q, want it unchanged", s, out)
		}
	})
}

func FuzzMigrationCause(f *testing.F) {
	for _, s := range []string{"No credentials are available in the security package (0x8009030E).", "(0x8007000e)",
		"processor-specific features", "not configured to accept live migrations. (0x80042001)", "(0x)(0x123456789)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, cause := migrationCause(s)
		if cause == nil {
			t.Fatal("nil cause")
		}
		if code != 0 && !strings.Contains(strings.ToLower(s), fmt.Sprintf("(0x%08x)", code)) {
			t.Errorf("code %#x not in %q", code, s)
		}
	})
}

func FuzzParseTags(f *testing.F) {
	f.Add("role=sql\r\nOwner: db-team\n# c\nprose: words here")
	f.Fuzz(func(t *testing.T, notes string) {
		for k := range ParseTags(notes) {
			if !validTagKey(k) || strings.ToLower(k) != k {
				t.Errorf("bad key %q", k)
			}
		}
	})
}

func FuzzQuoteNonFinite(f *testing.F) {
	f.Add([]byte(`{"a":NaN,"b":"x\"NaN","c":-Infinity}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		out := quoteNonFinite(b)
		if json.Valid(b) && !bytes.Equal(out, b) {
			t.Errorf("valid JSON %q changed to %q", b, out)
		}
	})
}

func FuzzParseChallenges(f *testing.F) {
	f.Add("Negotiate\nBasic realm=\"WSMAN\"")
	f.Add("Negotiate TlRMTVNTUAACAAAADAAMADgAAAA1gonigg==")
	f.Add(`Negotiate, Basic realm="a, b", charset="UTF-8", Kerberos`)
	f.Add(`Basic realm="a\", b` + "\nnegotiate YWI")
	f.Add("Negotiate =,=\"\\")
	f.Add(`",`)
	f.Fuzz(func(t *testing.T, header string) {
		values := strings.Split(header, "\n")
		cs := parseChallenges(values)
		offered := false
		for _, c := range cs {
			if !isToken(c.scheme) {
				t.Fatalf("challenge with scheme %q from %q", c.scheme, header)
			}
			if c.token != "" && len(c.params) > 0 {
				t.Fatalf("challenge %+v has a token and params", c)
			}
			offered = offered || strings.EqualFold(c.scheme, "Negotiate")
		}
		tok, got, err := findChallenge(values, "Negotiate")
		if got != offered {
			t.Fatalf("findChallenge offered = %t, parseChallenges says %t", got, offered)
		}
		if err != nil && tok != nil {
			t.Fatalf("token %q with error %v", tok, err)
		}
		_ = offeredSchemes(values)
	})
}

func FuzzParseCompareAndLocate(f *testing.F) {
	const id = "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f"
	f.Add([]byte(`{"Id":"` + id + `","DestinationHost":"HV02","Incompatibilities":[{"MessageId":33012,"Message":"Could not find Ethernet switch 'LAN'.","Source":null},{"MessageId":40012,"Message":"(0x80070070)"}]}`))
	f.Add([]byte(`{"Id":"` + id + `","Incompatibilities":{"MessageId":1,"Message":"x"}}`))
	f.Add([]byte(`{"Id":"` + id + `","Absent":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if list, err := parseCompare(id, b); err == nil {
			for _, in := range list {
				if in.Err == nil {
					t.Errorf("incompatibility without a cause: %+v", in)
				}
			}
		}
		if _, ok, err := parseLocate(id, b); err != nil && ok {
			t.Error("found and failed at once")
		}
	})
}
