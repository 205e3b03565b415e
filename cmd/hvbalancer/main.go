// Command hvbalancer is a policy-driven auto-balancer for Microsoft Hyper-V:
// it samples hosts over WinRM, lets Rego policies decide which VMs should
// move where, and writes plans for approval.
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }
