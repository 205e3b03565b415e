// Command hvsim serves a simulated fleet of Hyper-V hosts over real WinRM on
// loopback, for demos, tests and benchmarks of hvbalancer.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
