package etcdtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Timings of the test members: a heartbeat every 10 ms and an election
// after 100 ms without one, so that a cluster forms, and a stopped
// leader is replaced, in well under a second.
const (
	tickMs     = 10
	electionMs = 100
	// startWait bounds how long a cluster may take to be ready.
	startWait = 30 * time.Second
	// startTries is how many times a cluster is started again when a
	// port chosen free was taken before the member bound it.
	startTries = 3
)

// Member is one etcd server of a Cluster.
type Member struct {
	Name      string // member name, "m0", "m1", ...
	ClientURL string // http://127.0.0.1:port the clients dial
	PeerURL   string // http://127.0.0.1:port the other members dial
	Dir       string // data directory

	mu      sync.Mutex
	etcd    *embed.Etcd
	stopped bool
	initial string        // the cluster's members, name=peer URL, as it started
	closed  chan struct{} // closed once a stopped member has let go of its ports
}

// Cluster is a running set of embedded etcd members, stopped when the
// test that started it ends.
type Cluster struct {
	Members []*Member
	t       testing.TB
}

// Start starts a cluster of n members (1 for a single server, 3 for a
// cluster that survives one member's loss), waits until every member is
// ready and a leader is elected, and stops it when t ends.
func Start(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("etcdtest: a cluster of %d members", n)
	}
	var err error
	for try := 0; try < startTries; try++ {
		var c *Cluster
		if c, err = start(t, n); err == nil {
			t.Cleanup(c.stopAll)
			return c
		}
		if !isAddrInUse(err) {
			break
		}
	}
	t.Fatalf("etcdtest: start %d members: %v", n, err)
	return nil
}

func start(t testing.TB, n int) (*Cluster, error) {
	c := &Cluster{t: t}
	var initial []string
	ports, err := freePorts(2 * n)
	if err != nil {
		return nil, err
	}
	for i := range n {
		m := &Member{
			Name:      fmt.Sprintf("m%d", i),
			ClientURL: fmt.Sprintf("http://127.0.0.1:%d", ports[2*i]),
			PeerURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]),
			Dir:       filepath.Join(t.TempDir(), fmt.Sprintf("m%d.etcd", i)),
		}
		c.Members = append(c.Members, m)
		initial = append(initial, m.Name+"="+m.PeerURL)
	}
	for _, m := range c.Members {
		m.initial = strings.Join(initial, ",")
		cfg, err := m.config(m.initial)
		if err != nil {
			c.stopAll()
			return nil, err
		}
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			c.stopAll()
			return nil, fmt.Errorf("start %s: %w", m.Name, err)
		}
		m.etcd = e
	}
	deadline := time.After(startWait)
	for _, m := range c.Members {
		select {
		case <-m.etcd.Server.ReadyNotify():
		case err := <-m.etcd.Err():
			c.stopAll()
			return nil, fmt.Errorf("start %s: %w", m.Name, err)
		case <-deadline:
			c.stopAll()
			return nil, fmt.Errorf("start %s: not ready after %s", m.Name, startWait)
		}
	}
	return c, nil
}

// config is the member's embed configuration: loopback URLs only, no
// metrics listener, quiet logs, short raft timings.
func (m *Member) config(initialCluster string) (*embed.Config, error) {
	cfg := embed.NewConfig()
	cfg.Name = m.Name
	cfg.Dir = m.Dir
	cu, err := url.Parse(m.ClientURL)
	if err != nil {
		return nil, err
	}
	pu, err := url.Parse(m.PeerURL)
	if err != nil {
		return nil, err
	}
	cfg.ListenClientUrls, cfg.AdvertiseClientUrls = []url.URL{*cu}, []url.URL{*cu}
	cfg.ListenPeerUrls, cfg.AdvertisePeerUrls = []url.URL{*pu}, []url.URL{*pu}
	cfg.ListenMetricsUrls = nil
	cfg.InitialCluster = initialCluster
	cfg.InitialClusterToken = "etcdtest"
	cfg.ClusterState = embed.ClusterStateFlagNew
	cfg.TickMs, cfg.ElectionMs = tickMs, electionMs
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(zap.NewNop())
	cfg.Logger = "zap"
	return cfg, nil
}

// Endpoints are the client URLs of the members still running.
func (c *Cluster) Endpoints() []string {
	var out []string
	for _, m := range c.Members {
		if !m.Stopped() {
			out = append(out, m.ClientURL)
		}
	}
	return out
}

// Client returns a client of the members still running, closed when the
// test ends.
func (c *Cluster) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	return Dial(t, c.Endpoints()...)
}

// Client returns a client of this member alone, closed when the test
// ends: what a daemon that can reach only this member sees.
func (m *Member) Client(t testing.TB) *clientv3.Client {
	t.Helper()
	return Dial(t, m.ClientURL)
}

// Dial returns a quiet client of endpoints (of this package's members, or
// of a proxy in front of them), closed when the test ends.
func Dial(t testing.TB, endpoints ...string) *clientv3.Client {
	t.Helper()
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 5 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		t.Fatalf("etcdtest: dial %v: %v", endpoints, err)
	}
	t.Cleanup(func() { cli.Close() })
	return cli
}

// Stop stops member i as a machine that dies: its raft stops at once,
// without handing its leadership over, so the others elect a leader after
// their election timeout and go on (a cluster of three keeps its quorum
// with two). Its ports are let go in the background; Restart waits for
// them.
func (c *Cluster) Stop(i int) { c.Members[i].stop() }

// Restart starts stopped member i again on its ports and data, as a
// machine that comes back, and waits until it is ready.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	m := c.Members[i]
	m.wait()
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.stopped {
		c.t.Fatalf("etcdtest: restart %s: it runs", m.Name)
	}
	cfg, err := m.config(m.initial)
	if err != nil {
		c.t.Fatalf("etcdtest: restart %s: %v", m.Name, err)
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		c.t.Fatalf("etcdtest: restart %s: %v", m.Name, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case err := <-e.Err():
		e.Close()
		c.t.Fatalf("etcdtest: restart %s: %v", m.Name, err)
	case <-time.After(startWait):
		e.Close()
		c.t.Fatalf("etcdtest: restart %s: not ready after %s", m.Name, startWait)
	}
	m.etcd, m.stopped = e, false
}

// Stopped reports whether the member was stopped.
func (m *Member) Stopped() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stopped || m.etcd == nil
}

// stop stops the member's raft at once, as a crash would (no leadership
// handed over), then closes its listeners in the background.
func (m *Member) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped || m.etcd == nil {
		return
	}
	m.stopped = true
	m.etcd.Server.HardStop()
	m.closed = make(chan struct{})
	go func(e *embed.Etcd, done chan struct{}) {
		e.Close()
		close(done)
	}(m.etcd, m.closed)
}

// wait waits until a stopped member has closed.
func (m *Member) wait() {
	m.mu.Lock()
	done := m.closed
	m.mu.Unlock()
	if done != nil {
		<-done
	}
}

func (c *Cluster) stopAll() {
	for _, m := range c.Members {
		m.stop()
	}
	for _, m := range c.Members {
		m.wait()
	}
}

// Leader returns the index of the running member that leads the raft
// group, waiting (until ctx ends) for the running members to elect one.
func (c *Cluster) Leader(ctx context.Context) (int, error) {
	for {
		for i, m := range c.Members {
			if m.Stopped() {
				continue
			}
			if m.etcd.Server.Leader() == m.etcd.Server.MemberID() {
				return i, nil
			}
		}
		select {
		case <-ctx.Done():
			return -1, fmt.Errorf("etcdtest: no leader among the running members: %w", ctx.Err())
		case <-time.After(tickMs * time.Millisecond):
		}
	}
}

// freePorts returns n distinct loopback ports that were free a moment
// ago.
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("choose a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func isAddrInUse(err error) bool {
	return err != nil && strings.Contains(err.Error(), "address already in use")
}
