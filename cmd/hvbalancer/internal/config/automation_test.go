package config

import "testing"

func TestAutomationValid(t *testing.T) {
	for _, tc := range []struct {
		a    Automation
		want bool
	}{
		{AutomationManual, true},
		{AutomationPartial, true},
		{AutomationFull, true},
		{"", false},
		{"Manual", false},
		{"auto", false},
	} {
		if got := tc.a.Valid(); got != tc.want {
			t.Errorf("Automation(%q).Valid() = %v, want %v", tc.a, got, tc.want)
		}
	}
}

func TestDefaultAutomationIsManual(t *testing.T) {
	if got := Default().Automation; got != AutomationManual {
		t.Errorf("default automation %q, want %q: nothing moves without approval until the operator says so", got, AutomationManual)
	}
}
