package sim_test

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/hvbalancer/hvbalancer/hyperv"
	"github.com/hvbalancer/hvbalancer/hyperv/sim"
	"github.com/hvbalancer/hvbalancer/hyperv/sim/krbtest"
)

// TestE2EKerberosFleet drives a simulated fleet whose hosts are domain
// members with the real client over Kerberos, sealed over plain HTTP, with
// tickets from a real MIT KDC: reads, a live migration, and a host whose
// keys the fleet's keytab lacks.
func TestE2EKerberosFleet(t *testing.T) {
	k := krbtest.Start(t, "LAB.EXAMPLE", krbtest.Options{
		Hosts: []string{"hv01.lab.example", "hv02.lab.example", "hv03.lab.example"},
		User:  "hvadmin", Password: "kerberos-Pa55",
	})
	spec, err := sim.ParseFleet([]byte(e2eFleet))
	if err != nil {
		t.Fatal(err)
	}
	fleet, err := sim.NewFleet(spec, sim.NewScaledClock(spec.Start, 600))
	if err != nil {
		t.Fatal(err)
	}
	// HV03 is not in the keytab: it refuses Kerberos as a host outside
	// the realm does.
	kt, err := os.ReadFile(k.FleetKeytab("hv01.lab.example", "hv02.lab.example"))
	if err != nil {
		t.Fatal(err)
	}
	accept, err := sim.KerberosKeytab(kt, spec.Domain)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sim.Serve(fleet, sim.Options{Kerberos: accept})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	kerberos := func(host string) func(*hyperv.Config) {
		return func(c *hyperv.Config) {
			c.Auth = hyperv.AuthKerberos
			c.Username, c.Password = k.User(), k.Password()
			c.Kerberos = hyperv.KerberosConfig{Realm: k.Realm(), ConfigFile: k.ConfigPath(), SPN: "HTTP/" + host + ".lab.example"}
		}
	}
	ctx := context.Background()

	hv01 := client(t, srv, "HV01", kerberos("hv01"))
	defer hv01.Close()
	h, err := hv01.Host(ctx)
	if err != nil {
		t.Fatalf("host facts over kerberos: %v", err)
	}
	if h.Name != "HV01" {
		t.Errorf("host facts name %q", h.Name)
	}
	vms, err := hv01.VMs(ctx)
	if err != nil || len(vms) == 0 {
		t.Fatalf("list vms over kerberos: %d vms, %v", len(vms), err)
	}
	loc, err := hv01.Move(ctx, idWeb01, "HV02", hyperv.MoveOptions{})
	if err != nil {
		t.Fatalf("move over kerberos: %v", err)
	}
	if loc.Host != "HV02" {
		t.Errorf("moved to %q", loc.Host)
	}
	hv02 := client(t, srv, "HV02", kerberos("hv02"))
	defer hv02.Close()
	if got, found, err := hv02.Locate(ctx, idWeb01); err != nil || !found || got.Host != "HV02" {
		t.Errorf("locate on HV02 over kerberos: %+v found=%t err=%v", got, found, err)
	}
	if s := hv01.Stats(); s.Logins != 1 || s.Connections != 1 {
		t.Errorf("HV01 stats %+v: want 1 login on 1 connection for every call", s)
	}

	// The KDC issues a ticket for hv03, but HV03 has no key to open it.
	hv03 := client(t, srv, "HV03", kerberos("hv03"))
	defer hv03.Close()
	if _, err := hv03.Host(ctx); !errors.Is(err, hyperv.ErrUnauthorized) {
		t.Errorf("HV03 without keys: got %v, want ErrUnauthorized", err)
	}
}
