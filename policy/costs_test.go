package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCostsNameThePenalty(t *testing.T) {
	tests := []struct {
		name, rego string
		want       map[string]float64
		err        string
	}{
		{"by name", `package hvbalancer

costs["cross_group"] := 5 if input.move.to == "HV02"

costs["vm_host_rule gpu"] := 2.5 if input.move.to == "HV02"

costs["none"] := 0
`, map[string]float64{"cross_group": 5, "vm_host_rule gpu": 2.5}, ""},
		{"no costs rule", "package hvbalancer\n\npenalty := 3\n", nil, ""},
		{"not a number", "package hvbalancer\n\ncosts[\"x\"] := \"high\"\n", nil, `costs["x"] is the string "high", want a number`},
		{"not an object", "package hvbalancer\n\ncosts := [1]\n", nil, "costs is the array [1], want an object of numbers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := mustLoad(t, Options{Dir: writePolicy(t, map[string]string{"p.rego": tc.rego})})
			in := emptyInput()
			s := mustBegin(t, e, in)
			m := Move{VM: "vm1", From: "HV01", To: "HV02"}
			got, err := s.Costs(context.Background(), m, project(in, m))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Costs: %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Costs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCostsOfTheShippedPolicy(t *testing.T) {
	e := mustLoad(t, Options{Dir: examplesDir})
	in := goldenInput()
	s := mustBegin(t, e, in)
	for _, m := range candidates(in) {
		v, err := s.Judge(context.Background(), m, project(in, m))
		if err != nil {
			t.Fatal(err)
		}
		costs, err := s.Costs(context.Background(), m, project(in, m))
		if err != nil {
			t.Fatal(err)
		}
		sum := 0.0
		for _, c := range costs {
			sum += c
		}
		if sum != v.Penalty {
			t.Errorf("%v: costs %v sum to %g, penalty %g", m, costs, sum, v.Penalty)
		}
	}
	if _, err := s.Costs(context.Background(), Move{VM: "nope", From: "HV01", To: "HV03"}, Projected{}); err == nil {
		t.Error("Costs of a VM not in the fleet: no error")
	}
}
