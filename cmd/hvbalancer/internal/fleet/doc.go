// Package fleet opens the hosts a command talks to: the configured Hyper-V
// hosts, or a simulated fleet started in-process on 127.0.0.1, each behind
// the login guard (package logins). It turns the configuration's host and
// collector settings into the WinRM client's and the collector's, samples
// the fleet for one-shot commands, and says which hosts could not be read.
//
// It never plans, never migrates and keeps no state on disk: the daemon and
// the commands decide what to do with the hosts it opens.
package fleet
