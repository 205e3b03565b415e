package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load reads, decodes and validates the configuration file at path. Relative
// paths inside it are resolved against the file's directory.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	c, err := Parse(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes and validates a configuration document; dir is where its
// relative paths start.
func Parse(data []byte, dir string) (*Config, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	c := Default()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty document")
		}
		return nil, yamlError(err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("more than one YAML document")
	}
	c.dir = dir
	c.deriveDeadlines()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c.resolvePaths()
	return &c, nil
}

var (
	unknownFieldRe = regexp.MustCompile(`^line (\d+): field (\S+) not found in type \S+$`)
	cannotDecodeRe = regexp.MustCompile(`^line (\d+): cannot unmarshal !!(\w+) ` + "`" + `(.*)` + "`" + ` into (\S+)$`)
)

// yamlError rewrites yaml.v3's messages into an administrator's words.
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	var errs []error
	for _, m := range te.Errors {
		if g := unknownFieldRe.FindStringSubmatch(m); g != nil {
			errs = append(errs, fmt.Errorf("line %s: unknown key %q", g[1], g[2]))
			continue
		}
		if g := cannotDecodeRe.FindStringSubmatch(m); g != nil {
			errs = append(errs, fmt.Errorf("line %s: %q is not a valid %s", g[1], g[3], typeWord(g[4])))
			continue
		}
		errs = append(errs, errors.New(m))
	}
	return errors.Join(errs...)
}

func typeWord(goType string) string {
	switch {
	case strings.Contains(goType, "Duration"):
		return "duration (like 30s or 5m)"
	case strings.HasSuffix(goType, "int"), strings.HasSuffix(goType, "int64"):
		return "whole number"
	case strings.HasSuffix(goType, "float64"):
		return "number"
	case strings.HasSuffix(goType, "bool"):
		return "boolean (true or false)"
	case strings.HasPrefix(goType, "[]"):
		return "list"
	case strings.HasPrefix(goType, "map"), strings.HasPrefix(goType, "config."):
		return "mapping"
	}
	return goType
}

func (c *Config) resolvePaths() {
	c.StateDir = c.path(c.StateDir)
	c.HTTP.TokenFile = c.path(c.HTTP.TokenFile)
	c.HTTP.TLSCertFile = c.path(c.HTTP.TLSCertFile)
	c.HTTP.TLSKeyFile = c.path(c.HTTP.TLSKeyFile)
	if c.Executor.PauseFile == "" {
		c.Executor.PauseFile = filepath.Join(c.StateDir, "pause")
	}
	c.Executor.PauseFile = c.path(c.Executor.PauseFile)
	if c.Signing.KeyFile == "" {
		c.Signing.KeyFile = filepath.Join(c.StateDir, "plan-signing.key")
	}
	c.Signing.KeyFile = c.path(c.Signing.KeyFile)
	for i, k := range c.Signing.TrustedKeys {
		c.Signing.TrustedKeys[i] = c.path(k)
	}
	c.Policy.Dir = c.path(c.Policy.Dir)
	c.Policy.Bundle = c.path(c.Policy.Bundle)
	if c.Simulator != nil {
		c.Simulator.Fleet = c.path(c.Simulator.Fleet)
	}
	resolve := func(w *WinRM) {
		for _, p := range []*string{w.PasswordFile, w.CAFile} {
			if p != nil {
				*p = c.path(*p)
			}
		}
		if w.Kerberos != nil {
			w.Kerberos.ConfigFile = c.path(w.Kerberos.ConfigFile)
			w.Kerberos.CCache = c.path(w.Kerberos.CCache)
			w.Kerberos.Keytab = c.path(w.Kerberos.Keytab)
		}
	}
	resolve(&c.WinRM)
	for i := range c.Clusters {
		resolve(&c.Clusters[i].WinRM)
		for j := range c.Clusters[i].Hosts {
			resolve(&c.Clusters[i].Hosts[j].WinRM)
		}
	}
}
