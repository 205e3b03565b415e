package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/ha"
)

// With an ha section the hosts put in maintenance through the API are the
// fleet's: the store's content (the same JSON as the file) is one key in
// etcd, which the leader writes, fenced, and every daemon reads, so that
// a new leader sends no VM into a host an administrator took out of the
// fleet through the old one.

// sharedMaintenance keeps a maintenance store in etcd.
type sharedMaintenance struct {
	el  *ha.Elector
	key string
}

// openSharedMaintenance is an empty store kept in etcd; load fills it.
func openSharedMaintenance(el *ha.Elector) *maintenanceStore {
	return &maintenanceStore{
		hosts: map[string]maintenanceEntry{}, wake: make(chan struct{}, 1),
		shared: &sharedMaintenance{el: el, key: el.Prefix() + "/maintenance"},
	}
}

// save writes f, fenced and ending with the term: only the leader changes
// the fleet's maintenance, and a leader cut off from etcd says so when its
// term ends (see writeShared).
func (m *sharedMaintenance) save(f maintenanceFile) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("write maintenance: %w", err)
	}
	if err := writeShared(m.el, "the fleet's maintenance", clientv3.OpPut(m.key, string(b))); err != nil {
		return fmt.Errorf("write maintenance: %w", err)
	}
	return nil
}

// load reads the fleet's maintenance from etcd into s, and reports
// whether it changed.
func (s *maintenanceStore) load() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), sharedTimeout)
	defer cancel()
	resp, err := s.shared.el.Client().Get(ctx, s.shared.key)
	if err != nil {
		return false, fmt.Errorf("read maintenance: %w", err)
	}
	f := maintenanceFile{Version: maintenanceVersion}
	if len(resp.Kvs) > 0 {
		if err := json.Unmarshal(resp.Kvs[0].Value, &f); err != nil {
			return false, fmt.Errorf("read maintenance %s: %w", s.shared.key, err)
		}
		if f.Version != maintenanceVersion {
			return false, fmt.Errorf("read maintenance %s: version %d, want %d", s.shared.key, f.Version, maintenanceVersion)
		}
	}
	hosts := make(map[string]maintenanceEntry, len(f.Hosts))
	for _, e := range f.Hosts {
		hosts[e.Host] = e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if maps.Equal(hosts, s.hosts) {
		return false, nil
	}
	s.hosts, s.events = hosts, f.Events
	s.gen++
	return true, nil
}

// syncMaintenance follows the fleet's maintenance while this daemon
// stands by (its status shows it); the leader's own copy is the one
// written.
func (d *Daemon) syncMaintenance() {
	if d.maint.shared == nil || d.ha.Leading() != nil {
		return
	}
	if _, err := d.maint.load(); err != nil {
		d.log.Debug("follow the fleet's maintenance", "err", err)
	}
}
