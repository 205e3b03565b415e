// Command hvsim serves a simulated fleet of Hyper-V hosts over real WinRM on
// loopback, for demos, tests and benchmarks of hvbalancer. Each host gets its
// own WS-Management endpoint (package hyperv/sim) that logs users on with
// NTLM or Kerberos and answers hvbalancer's PowerShell as a Hyper-V host
// would, until hvsim is interrupted.
//
// The fleet comes from a YAML fleet file (-fleet FILE, see examples/fleets/)
// or is generated (-hosts N -vms M -seed S). Its clock runs -speed simulated
// seconds per real second (default: the fleet file's speed, else 1). Hosts
// listen on -listen (127.0.0.1), host i on -base-port+i (ephemeral ports by
// default); -https serves WinRM over TLS with a CA made at start; -keytab
// FILE lets the hosts accept Kerberos tickets with the keys in it. With
// -write-fleet FILE, hvsim writes the fleet as YAML and exits instead. Logs
// go to stderr at -log-level (debug, info, warn, error).
//
// At start it prints every endpoint and writes into -state-dir (hvsim-state)
// inventory.yaml, which hvbalancer's configuration can read, the account's
// password file, and ca.pem when a host serves HTTPS.
//
// The admin API, on -admin (127.0.0.1:0, printed at start), lets a test or
// an operator watch the fleet and break it:
//
//	GET  /admin/fleet               the clock and every host and VM now
//	GET  /admin/ledger              every migration and per-host counts
//	GET  /admin/clock               simulated time and speed
//	GET  /admin/hosts/{name}/faults a host's faults
//	PUT  /admin/hosts/{name}/faults replace them; they apply on the wire at once
//	POST /admin/hosts/{name}/crash  crash a host
//	GET  /admin/endpoints           every host's WinRM URL and how to log in
//	GET  /admin/accounts            logon records and the lockout policy
//	GET  /admin/shells              every host's open WinRM shells
//	GET  /admin/ca.pem              the CA certificate of the HTTPS hosts
//
// For example, a generated fleet of 8 hosts (HV01 to HV08) and 60 VMs at 60
// times real time, on ports 5985 to 5992, with HV03 then made unreachable:
//
//	hvsim -hosts 8 -vms 60 -speed 60 -base-port 5985 -admin 127.0.0.1:5980 -state-dir /tmp/hvsim
//	curl -X PUT -d '{"unreachable": true}' http://127.0.0.1:5980/admin/hosts/HV03/faults
package main
