//go:build !windows

package main

import "io"

// runAsService reports false: only Windows has a service control manager
// to run under; systemd runs `hvbalancer run` as a plain process.
func runAsService([]string, io.Writer, io.Writer) (int, bool) { return 0, false }
