package krbtest

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartIssuesForwardableTickets(t *testing.T) {
	k := Start(t, "HARNESS.TEST", Options{Hosts: []string{"hv01.harness.test"}})
	for _, p := range []string{k.ConfigPath(), k.UserKeytab(), k.ServiceKeytab("hv01.harness.test")} {
		st, err := os.Stat(p)
		if err != nil || st.Size() == 0 {
			t.Fatalf("%s: %v, %d bytes", p, err, st.Size())
		}
	}
	if !strings.HasPrefix(k.Addr(), "127.0.0.1:") {
		t.Fatalf("the KDC listens on %s, want loopback", k.Addr())
	}
	cc := filepath.Join(t.TempDir(), "cc")
	k.Kinit(t, cc)
	klist, err := exec.LookPath("klist")
	if err != nil {
		t.Skip("klist not installed: apt-get install krb5-user")
	}
	cmd := exec.Command(klist, "-f", "-c", "FILE:"+cc)
	cmd.Env = k.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("klist: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "Flags: F") {
		t.Errorf("the TGT is not forwardable:\n%s", out)
	}
	if r := k.Requests(); r.AS < 1 {
		t.Errorf("the KDC logged %+v after kinit, want an AS-REQ", r)
	}
}

func TestDeletePrincipalAndStop(t *testing.T) {
	k := Start(t, "HARNESS.TEST", Options{Hosts: []string{"hv02.harness.test"}})
	k.DeletePrincipal("HTTP/hv02.harness.test")
	if out := k.Kadmin("listprincs"); strings.Contains(out, "HTTP/hv02.harness.test@") || !strings.Contains(out, "WSMAN/hv02.harness.test@") {
		t.Fatalf("listprincs after deleting HTTP/hv02:\n%s", out)
	}
	k.Stop()
	k.Stop()
	if c, err := net.DialTimeout("tcp", k.Addr(), time.Second); err == nil {
		_ = c.Close()
		t.Fatal("the KDC still answers after Stop")
	}
}
