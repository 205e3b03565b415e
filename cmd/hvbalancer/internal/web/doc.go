// Package web is the daemon's HTTP face: Prometheus metrics, health and
// readiness probes, a JSON API under /api/v1/ (status, hosts, plans and
// their reports, migration history) with bearer-token protected approve,
// pause, resume and reload, and a server-rendered status page at "/". It
// only shows and forwards: every decision and every state change belongs to
// the Backend it is given, and it never moves a VM itself.
package web
