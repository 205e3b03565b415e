package fleetfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"
)

// ParseFleet decodes a fleet file strictly (an unknown key is an error),
// fills in defaults and validates it as a whole: every problem is reported at
// once, as an errors.Join of *FieldError.
func ParseFleet(data []byte) (*FleetSpec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var s FleetSpec
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("decode fleet: empty document")
		}
		return nil, fmt.Errorf("decode fleet: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("decode fleet: more than one YAML document")
	}
	s.SetDefaults()
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

// LoadFleet reads and parses the fleet file at path.
func LoadFleet(path string) (*FleetSpec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load fleet: %w", err)
	}
	s, err := ParseFleet(data)
	if err != nil {
		return nil, fmt.Errorf("load fleet %s: %w", path, err)
	}
	return s, nil
}

// Marshal returns the fleet as YAML that ParseFleet reads back unchanged.
func (s *FleetSpec) Marshal() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("marshal fleet: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("marshal fleet: %w", err)
	}
	return buf.Bytes(), nil
}
