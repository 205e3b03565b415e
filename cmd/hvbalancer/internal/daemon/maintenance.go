package daemon

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/durable"
)

// Maintenance entered through the API is kept in the state directory, in
// one JSON file written through a synced temporary file and a rename (as
// the pause file), so that a restart, or a power cut, keeps the host out
// of the fleet's destinations. The file also keeps the last entries and
// exits, who made them and why: the record of who did what.

// maintenanceFileName is the file in the state directory.
const maintenanceFileName = "maintenance.json"

// maxMaintenanceEvents bounds the record of entries and exits kept.
const maxMaintenanceEvents = 200

// maintenanceVersion is the file's format.
const maintenanceVersion = 1

// maintenanceEntry is a host in maintenance through the API.
type maintenanceEntry struct {
	Host   string    `json:"host"`
	Since  time.Time `json:"since"` // wall clock
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
}

// maintenanceEvent is one entry or exit, for the record.
type maintenanceEvent struct {
	Time   time.Time `json:"time"` // wall clock
	Host   string    `json:"host"`
	Action string    `json:"action"` // "enter" or "exit"
	By     string    `json:"by"`
	Reason string    `json:"reason,omitempty"`
}

// maintenanceFile is the file's content.
type maintenanceFile struct {
	Version int                `json:"version"`
	Hosts   []maintenanceEntry `json:"hosts"`
	Events  []maintenanceEvent `json:"events"`
}

// maintenanceStore is the hosts in maintenance through the API. Its
// methods are safe for concurrent use.
type maintenanceStore struct {
	path string

	mu     sync.Mutex
	hosts  map[string]maintenanceEntry // by host name as configured
	events []maintenanceEvent
	gen    uint64 // changes with every entry or exit

	overlay overlay            // the latest snapshot with these hosts flagged
	wake    chan struct{}      // asks the round loop for a round now
	shared  *sharedMaintenance // with an ha section: kept in etcd, not in the file
}

// openMaintenance reads the store's file; a missing file is an empty
// store. A file that does not read is an error: starting without it could
// send VMs into a host an administrator took out of the fleet.
func openMaintenance(dir string) (*maintenanceStore, error) {
	s := &maintenanceStore{path: filepath.Join(dir, maintenanceFileName), hosts: map[string]maintenanceEntry{}, wake: make(chan struct{}, 1)}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read maintenance: %w", err)
	}
	var f maintenanceFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read maintenance %s: %w (fix or remove the file; it lists the hosts put in maintenance through the API)", s.path, err)
	}
	if f.Version != maintenanceVersion {
		return nil, fmt.Errorf("read maintenance %s: version %d, want %d", s.path, f.Version, maintenanceVersion)
	}
	for _, e := range f.Hosts {
		s.hosts[e.Host] = e
	}
	s.events = f.Events
	return s, nil
}

// entries returns a copy of the hosts in maintenance through the API, and
// the store's generation.
func (s *maintenanceStore) entries() (map[string]maintenanceEntry, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.hosts), s.gen
}

// enter puts host in maintenance and writes the file; it returns the
// entry and whether it is new (false: the host was in already, and
// nothing changed).
func (s *maintenanceStore) enter(host, by, reason string, now time.Time) (maintenanceEntry, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.hosts[host]; ok {
		return e, false, nil
	}
	e := maintenanceEntry{Host: host, Since: now, By: by, Reason: reason}
	s.hosts[host] = e
	s.record(maintenanceEvent{Time: now, Host: host, Action: "enter", By: by, Reason: reason})
	if err := s.saveLocked(); err != nil {
		delete(s.hosts, host)
		s.events = s.events[:len(s.events)-1]
		return e, false, err
	}
	s.gen++
	return e, true, nil
}

// exit ends host's maintenance and writes the file; it returns whether it
// was in maintenance through the API.
func (s *maintenanceStore) exit(host, by, reason string, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old, ok := s.hosts[host]
	if !ok {
		return false, nil
	}
	delete(s.hosts, host)
	s.record(maintenanceEvent{Time: now, Host: host, Action: "exit", By: by, Reason: reason})
	if err := s.saveLocked(); err != nil {
		s.hosts[host] = old
		s.events = s.events[:len(s.events)-1]
		return false, err
	}
	s.gen++
	return true, nil
}

// record appends an event, dropping the oldest past the bound.
func (s *maintenanceStore) record(ev maintenanceEvent) {
	s.events = append(s.events, ev)
	if n := len(s.events); n > maxMaintenanceEvents {
		s.events = append([]maintenanceEvent(nil), s.events[n-maxMaintenanceEvents:]...)
	}
}

// saveLocked writes the file, synced; the caller holds mu.
func (s *maintenanceStore) saveLocked() error {
	f := maintenanceFile{Version: maintenanceVersion, Hosts: []maintenanceEntry{}, Events: s.events}
	for _, e := range s.hosts {
		f.Hosts = append(f.Hosts, e)
	}
	slices.SortFunc(f.Hosts, func(a, b maintenanceEntry) int { return strings.Compare(a.Host, b.Host) })
	if f.Events == nil {
		f.Events = []maintenanceEvent{}
	}
	if s.shared != nil {
		return s.shared.save(f)
	}
	err := durable.WriteFile(s.path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(f)
	})
	if err != nil {
		return fmt.Errorf("write maintenance: %w", err)
	}
	return nil
}
