package sim

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// InventoryFile, PasswordFile and CAFile are the names WriteInventory uses
// inside its directory.
const (
	InventoryFile = "inventory.yaml"
	PasswordFile  = "password"
	CAFile        = "ca.pem"
)

// Inventory tells a client where a running simulated fleet listens and how
// to log in. It holds no secret itself: the password sits in a file of its
// own, readable by its owner only.
type Inventory struct {
	Version      int             `yaml:"version"`
	Fleet        string          `yaml:"fleet"`
	Username     string          `yaml:"username"`
	PasswordFile string          `yaml:"password_file"`
	CAFile       string          `yaml:"ca_file,omitempty"`
	Admin        string          `yaml:"admin"`
	Hosts        []InventoryHost `yaml:"hosts"`
}

// InventoryHost is one host of an Inventory.
type InventoryHost struct {
	Endpoint `yaml:",inline"`
	Cluster  string            `yaml:"cluster,omitempty"`
	Group    string            `yaml:"group,omitempty"`
	Labels   map[string]string `yaml:"labels,omitempty"`
}

// Inventory describes the running server.
func (s *Server) Inventory(dir string) Inventory {
	inv := Inventory{
		Version:      1,
		Fleet:        s.fleet.Spec().Name,
		Username:     s.fleet.Spec().Credentials.Username,
		PasswordFile: filepath.Join(dir, PasswordFile),
		Admin:        s.AdminURL(),
	}
	if s.ca != nil {
		inv.CAFile = filepath.Join(dir, CAFile)
	}
	for _, ep := range s.Endpoints() {
		h := InventoryHost{Endpoint: ep}
		if st, ok := s.fleet.Host(ep.Host); ok {
			h.Cluster, h.Group, h.Labels = st.Cluster, st.Group, st.Labels
		}
		inv.Hosts = append(inv.Hosts, h)
	}
	return inv
}

// WriteInventory writes the inventory, the password file (mode 0600) and,
// over HTTPS, the CA certificate into dir, and returns the inventory's path.
func (s *Server) WriteInventory(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("write inventory: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("write inventory: %w", err)
	}
	inv := s.Inventory(abs)
	if err := os.WriteFile(inv.PasswordFile, []byte(s.fleet.Spec().Credentials.Password+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write inventory: %w", err)
	}
	if inv.CAFile != "" {
		if err := os.WriteFile(inv.CAFile, s.ca.CertPEM(), 0o644); err != nil {
			return "", fmt.Errorf("write inventory: %w", err)
		}
	}
	var buf bytes.Buffer
	buf.WriteString("# Endpoints of a running hvsim fleet; rewritten every time hvsim starts.\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(inv); err != nil {
		return "", fmt.Errorf("write inventory: %w", err)
	}
	path := filepath.Join(abs, InventoryFile)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("write inventory: %w", err)
	}
	return path, nil
}

// LoadInventory reads an inventory written by WriteInventory, strictly.
func LoadInventory(path string) (*Inventory, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load inventory: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var inv Inventory
	if err := dec.Decode(&inv); err != nil {
		return nil, fmt.Errorf("load inventory %s: %w", path, err)
	}
	if inv.Version != 1 {
		return nil, fmt.Errorf("load inventory %s: version %d, want 1", path, inv.Version)
	}
	if len(inv.Hosts) == 0 {
		return nil, fmt.Errorf("load inventory %s: no hosts", path)
	}
	return &inv, nil
}
