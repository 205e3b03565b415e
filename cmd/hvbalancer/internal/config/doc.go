// Package config reads hvbalancer's configuration file: one YAML document,
// `version: 1`, decoded strictly (an unknown key is an error) and validated as
// a whole, every problem reported at once with its path. Secrets are read from
// files or environment variables named in the file, never from the file
// itself. It only reads and checks; it starts nothing.
package config
