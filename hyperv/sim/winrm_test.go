package sim_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
)

// winrmFleet has one host of each WinRM configuration clients meet.
const winrmFleet = `
name: winrm
credentials: {username: hvadmin, password: "s3cret-Pa55", lockout: {threshold: 3, window: 10m, duration: 30m}}
hosts:
  - {name: HV01, logical_processors: 8, memory_gib: 32}
  - {name: HV02, logical_processors: 8, memory_gib: 32, winrm: {https: true, basic: true}}
  - {name: HV03, logical_processors: 8, memory_gib: 32, winrm: {auth: [basic], allow_unencrypted: true}}
  - {name: HV04, logical_processors: 8, memory_gib: 32, winrm: {auth: [Kerberos]}}
  - {name: HV05, logical_processors: 8, memory_gib: 32, faults: {wrong_credentials: true}}
`

func TestHostWinRM(t *testing.T) {
	spec, err := sim.ParseFleet([]byte(winrmFleet + "winrm: {basic: true, allow_unencrypted: true, https: false}\n"))
	if err != nil {
		t.Fatal(err)
	}
	yes, no := true, false
	want := []sim.WinRMSettings{
		{Auth: []string{"negotiate", "kerberos", "basic"}, AllowUnencrypted: true, HTTPS: &no},
		{Auth: []string{"negotiate", "kerberos", "basic"}, AllowUnencrypted: true, HTTPS: &yes},
		{Auth: []string{"basic"}, AllowUnencrypted: true, HTTPS: &no},
		{Auth: []string{"kerberos"}, AllowUnencrypted: true, HTTPS: &no},
		{Auth: []string{"negotiate", "kerberos", "basic"}, AllowUnencrypted: true, HTTPS: &no},
	}
	for i := range spec.Hosts {
		if diff := cmp.Diff(want[i], spec.HostWinRM(i)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", spec.Hosts[i].Name, diff)
		}
	}
	plain, _ := sim.ParseFleet([]byte(winrmFleet))
	if diff := cmp.Diff(sim.WinRMSettings{Auth: []string{"negotiate", "kerberos"}}, plain.HostWinRM(0)); diff != "" {
		t.Errorf("a host as Windows Server ships (-want +got):\n%s", diff)
	}
}

func startWinRMFleet(t *testing.T, clock sim.Clock) *sim.Server {
	t.Helper()
	spec, err := sim.ParseFleet([]byte(winrmFleet))
	if err != nil {
		t.Fatal(err)
	}
	if clock == nil {
		clock = sim.NewManualClock(spec.Start)
	}
	fleet, err := sim.NewFleet(spec, clock)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestEndpointsSayHowToLogIn(t *testing.T) {
	srv := startWinRMFleet(t, nil)
	got := map[string]string{}
	for _, ep := range srv.Endpoints() {
		scheme, _, _ := strings.Cut(ep.URL, ":")
		got[ep.Host] = scheme + " " + ep.Auth
	}
	want := map[string]string{"HV01": "http ntlm", "HV02": "https ntlm", "HV03": "http basic", "HV04": "http kerberos", "HV05": "http ntlm"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("endpoints (-want +got):\n%s", diff)
	}
	if srv.CACertPEM() == nil {
		t.Error("no CA although HV02 serves HTTPS")
	}
}

func TestWinRMConfigurations(t *testing.T) {
	srv := startWinRMFleet(t, nil)
	ctx := context.Background()
	basic := func(c *hyperv.Config) { c.Auth, c.Username = hyperv.AuthBasic, "hvadmin" }
	unsealed := func(c *hyperv.Config) { c.Encryption = hyperv.EncryptionNever }
	byName := func(c *hyperv.Config) { c.Host, c.TLSServerName = "127.0.0.1", "hv02.lab.example" }
	for _, tc := range []struct {
		name string
		host string
		edit []func(*hyperv.Config)
		want error  // nil: the call works
		text string // in the error
	}{
		{name: "default host: ntlm sealed", host: "HV01"},
		{name: "default host: basic", host: "HV01", edit: []func(*hyperv.Config){basic, unsealed}, want: hyperv.ErrAuthNotOffered, text: "does not accept basic"},
		{name: "default host: ntlm unsealed", host: "HV01", edit: []func(*hyperv.Config){unsealed}, want: hyperv.ErrUnencryptedRefused},
		{name: "https host: ntlm", host: "HV02"},
		{name: "https host: by its name", host: "HV02", edit: []func(*hyperv.Config){byName}},
		{name: "https host: basic", host: "HV02", edit: []func(*hyperv.Config){basic}},
		{name: "basic host: basic unsealed", host: "HV03", edit: []func(*hyperv.Config){basic, unsealed}},
		{name: "basic host: ntlm", host: "HV03", want: hyperv.ErrAuthNotOffered, text: "does not offer Negotiate"},
		{name: "kerberos-only host without a keytab: ntlm", host: "HV04", want: hyperv.ErrAuthNotOffered, text: "does not offer Negotiate"},
		{name: "host refusing the account", host: "HV05", want: hyperv.ErrUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(t, srv, tc.host, tc.edit...).Host(ctx)
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) || !strings.Contains(errText(err), tc.text) {
				t.Errorf("got %v, want %v with %q", err, tc.want, tc.text)
			}
		})
	}
	// None of these bad logons was a wrong password.
	for _, a := range srv.Accounts() {
		if a.BadLogons != 0 || a.FailedLogons != 0 || a.LockedUntil != nil {
			t.Errorf("account %+v", a)
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
