package hyperv_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// deadPID is above Linux's largest process id: no process has it.
const deadPID = 4_999_999

func shellNames(f *fixture) []string {
	var names []string
	for _, sh := range f.ws.Shells() {
		names = append(names, sh.Name)
	}
	slices.Sort(names)
	return names
}

// A client closes the shells its installation left on the host from a
// process that is gone, before it opens its own, and no one else's; its
// calls then share one shell, which Close closes.
func TestClientClosesOrphanedShells(t *testing.T) {
	f := newFixture(t, fixtureOpts{maxShells: 3})
	f.host.set(hyperv.ScriptGetHost, reply{stdout: outHost})
	dead := hyperv.ShellNameOf("hvbalancer", deadPID, "0badc0de")
	earlier := hyperv.ShellNameOf("hvbalancer", os.Getpid(), "0ldt0ken") // this pid, before a restart
	openShell(t, f, dead)
	openShell(t, f, earlier)
	openShell(t, f, "hvbalancer:elsewhere:4242:12345678") // another machine's

	c := f.client(t, nil) // the quota is full: without the sweep it would get no shell
	for range 3 {
		if _, err := c.Host(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Stats()
	if st.OrphanedShellsClosed != 2 || st.ShellsOpened != 1 {
		t.Errorf("stats = %+v, want 2 orphans closed and 1 shell opened", st)
	}
	names := shellNames(f)
	if len(names) != 2 || names[0] != "hvbalancer:elsewhere:4242:12345678" {
		t.Errorf("shells left = %q, want another machine's and the client's", names)
	}
	list, err := c.Shells(t.Context())
	if err != nil || len(list) != 2 {
		t.Errorf("Shells = %v, %v; want the 2 open", list, err)
	}
	if n, err := c.CloseOrphanedShells(t.Context()); n != 0 || err != nil {
		t.Errorf("CloseOrphanedShells = %d, %v; want nothing more to close", n, err)
	}
	c.Close()
	if names := shellNames(f); len(names) != 1 {
		t.Errorf("shells left after Close = %q, want only another machine's", names)
	}
}

// A client whose shell the host closed (idle timeout, WinRM restarted, an
// administrator's Remove-WSManInstance) opens another, and the call that
// found it gone still succeeds: the command had not started.
func TestClientReplacesLostShell(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetHost, reply{stdout: outHost})
	c := f.client(t, nil)
	defer c.Close()
	if _, err := c.Host(t.Context()); err != nil {
		t.Fatal(err)
	}
	shells := f.ws.Shells()
	if len(shells) != 1 {
		t.Fatalf("%d shells, want 1", len(shells))
	}
	post(t, f, `<a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete</a:Action>`+
		`<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/windows/shell</w:ResourceURI>`+
		`<w:SelectorSet><w:Selector Name="ShellId">`+shells[0].ID+`</w:Selector></w:SelectorSet>`, "")
	if _, err := c.Host(t.Context()); err != nil {
		t.Fatalf("call after the host lost the shell: %v", err)
	}
	if st := c.Stats(); st.ShellsOpened != 2 {
		t.Errorf("stats = %+v, want a second shell", st)
	}
	if n := len(f.ws.Shells()); n != 1 {
		t.Errorf("%d shells on the host, want 1", n)
	}
}

// A client with a shell open still looks for orphans now and then: a
// process that died after this one started left its shell after the
// first sweep.
func TestClientSweepsPeriodically(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetHost, reply{stdout: outHost})
	c := f.client(t, nil)
	defer c.Close()
	if _, err := c.Host(t.Context()); err != nil {
		t.Fatal(err)
	}
	openShell(t, f, hyperv.ShellNameOf("hvbalancer", deadPID, "1a7e0001"))
	if _, err := c.Host(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(f.ws.Shells()); n != 2 {
		t.Fatalf("%d shells before the next sweep is due, want 2", n)
	}
	hyperv.SweepEvery(c, 0)
	if _, err := c.Host(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := c.Stats(); st.OrphanedShellsClosed != 1 || st.ShellsOpened != 1 || len(f.ws.Shells()) != 1 {
		t.Errorf("stats = %+v, %d shells; want the orphan closed and the client's shell kept", st, len(f.ws.Shells()))
	}
}

// Close deletes the shell once the call still running in it ends, rather
// than leave it to the host's idle timeout.
func TestCloseWaitsForTheRunningCall(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.host.set(hyperv.ScriptGetHost, reply{block: true})
	c := f.client(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := c.Host(ctx)
		done <- err
	}()
	for f.host.blocked.Load() == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	time.AfterFunc(200*time.Millisecond, cancel)
	c.Close()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the running call: %v, want context.Canceled", err)
	}
	if n := f.ws.ShellCount(); n != 0 {
		t.Errorf("%d shells open after Close, want none", n)
	}
}
