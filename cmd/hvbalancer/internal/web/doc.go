// Package web is the daemon's HTTP face: Prometheus metrics, health and
// readiness probes, a JSON API under /api/v1/ (status, hosts, plans and
// their reports, migration history) with bearer-token protected approve,
// pause, resume and reload, and a server-rendered status page at "/". It
// only shows and forwards: every decision and every state change belongs to
// the Backend it is given, and it never moves a VM itself. The API answers
// with types of its own, converted from the journal's and the collector's
// in one place each, so that how the daemon stores things can change
// without changing the wire; docs/api.md is the contract.
package web
