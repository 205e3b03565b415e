package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hvbalancer/hvbalancer/balancer"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

// errNoHost is a placement no host can take: the command exits 1.
var errNoHost = errors.New("no host can take the VM")

// placeCommand asks the running daemon where a new VM should go: the
// hosts ranked by the planner's objective under the running policy, and
// those refused with why. --name-only prints the best host alone, for a
// provisioning script: New-VM -ComputerName (hvbalancer place … --name-only).
func placeCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "place", "place --config FILE --cpu N --memory SIZE [--tags k=v,...] [--cluster NAME] [--config-version V] [--cpu-load PERCENT] [--vm-name NAME] [--top N] [--json | --name-only]")
	path := fs.String("config", "", "configuration `file` (for the daemon's address)")
	cpus := fs.Int("cpu", 0, "the VM's virtual processors (1-240)")
	memory := fs.String("memory", "", "its startup memory with its unit: 512MiB, 16GiB, 1TiB")
	var tags tagList
	fs.Var(&tags, "tags", "its tags as the policy reads them from Notes, `key=value` pairs separated by commas; may be repeated")
	cluster := fs.String("cluster", "", "make it a clustered role of this failover `cluster`: only its nodes may take it")
	version := fs.String("config-version", "", "the configuration `version` it is created with (10.0): only hosts that run it may take it")
	load := fs.Float64("cpu-load", 0, "the `percent` of its virtual processors it is expected to keep busy, 1-100 (default 100)")
	name := fs.String("vm-name", "", "its name, in the policy's messages")
	top := fs.Int("top", 0, "show only the best `N` hosts (0: all)")
	asJSON := fs.Bool("json", false, "print the daemon's answer as JSON")
	nameOnly := fs.Bool("name-only", false, "print the best host's name alone")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *asJSON && *nameOnly {
		return fmt.Errorf("%w: --json and --name-only exclude each other", errUsage)
	}
	if *cpus == 0 || *memory == "" {
		return fmt.Errorf("%w: --cpu and --memory are required", errUsage)
	}
	body := web.PlaceBody{Name: *name, CPUs: *cpus, Memory: *memory, CPULoad: *load, Tags: tags.m, Cluster: *cluster, ConfigVersion: *version, Top: *top}
	if _, err := body.Request(); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	c, err := loadConfig(*path, e)
	if err != nil {
		return err
	}
	raw, err := askPlace(ctx, c, body)
	if err != nil {
		return fmt.Errorf("place: %w", err)
	}
	var p balancer.Placement
	if err := json.Unmarshal(raw, &p); err != nil {
		return fmt.Errorf("place: read the daemon's answer: %w", err)
	}
	switch {
	case *asJSON:
		if _, err := e.stdout.Write(raw); err != nil {
			return err
		}
	case *nameOnly:
		if best := p.Best(); best != "" {
			fmt.Fprintln(e.stdout, best)
		}
	default:
		writePlacement(e.stdout, &p)
	}
	if p.Best() == "" {
		return fmt.Errorf("%w: %s", errNoHost, refusedSummary(&p))
	}
	return nil
}

// askPlace sends the request to the daemon's POST /api/v1/place and
// returns its JSON answer. Placement is a read: no token is sent.
func askPlace(ctx context.Context, c *config.Config, body web.PlaceBody) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	base, client, err := c.HTTP.Client(60 * time.Second)
	if err != nil {
		return nil, err
	}
	rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, base+"/api/v1/place", bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		var apiErr struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(msg, &apiErr) == nil && apiErr.Error != "" {
			return nil, errors.New(apiErr.Error)
		}
		return nil, errors.New(resp.Status)
	}
	return msg, nil
}

// writePlacement prints the ranked hosts as a table, then the refused ones
// with why.
func writePlacement(w io.Writer, p *balancer.Placement) {
	r := p.Request
	vm := r.Name
	if vm == "" {
		vm = balancer.DefaultNewVMName
	}
	fmt.Fprintf(w, "%s: %d vCPUs at %g %%, %s; snapshot of %s; limits CPU %g %%, memory %g %%\n",
		vm, r.CPUs, r.CPULoad, memoryText(r.MemoryBytes), p.Taken.UTC().Format(time.RFC3339), p.CPULimit, p.MemoryLimit)
	if len(p.Ranked) > 0 {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "RANK\tHOST\tSCORE\tCPU %\tMEMORY %\tPENALTY")
		for i, c := range p.Ranked {
			fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.1f → %.1f\t%.1f → %.1f\t%s\n",
				i+1, c.Host, c.Score, c.CPUBefore, c.CPUAfter, c.MemoryBefore, c.MemoryAfter, penaltyColumn(c))
		}
		_ = tw.Flush()
		if p.Candidates > len(p.Ranked) {
			fmt.Fprintf(w, "(the best %d of %d hosts that can take it)\n", len(p.Ranked), p.Candidates)
		}
	}
	if len(p.Refused) > 0 {
		fmt.Fprintf(w, "\nrefused (%d):\n", len(p.Refused))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, x := range p.Refused {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", x.Host, x.Reason, x.Message)
		}
		_ = tw.Flush()
	}
}

// penaltyColumn is a ranked host's penalty with the rules that make it up,
// as the plan's reports write a move's: "30 (vm_host_rule app-off-hv02 20,
// cross_group 10)", "0" without penalty.
func penaltyColumn(c balancer.PlaceCandidate) string {
	if t := c.PenaltyText(); t != "" {
		return strings.TrimPrefix(t, "penalty ")
	}
	return "0"
}

// refusedSummary counts the refused hosts by reason: "3 hosts refused:
// 2 cpu, 1 maintenance".
func refusedSummary(p *balancer.Placement) string {
	if len(p.Refused) == 0 {
		return "the fleet has no host"
	}
	counts := map[balancer.PlaceReason]int{}
	var order []balancer.PlaceReason
	for _, x := range p.Refused {
		if counts[x.Reason] == 0 {
			order = append(order, x.Reason)
		}
		counts[x.Reason]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[r], r)
	}
	return fmt.Sprintf("%d hosts refused: %s", len(p.Refused), strings.Join(parts, ", "))
}

// memoryText is a size for a person: 512 MiB, 16 GiB, 1.5 TiB.
func memoryText(b int64) string {
	switch {
	case b >= 1<<40:
		return fmt.Sprintf("%g TiB", float64(b)/(1<<40))
	case b >= 1<<30:
		return fmt.Sprintf("%g GiB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%g MiB", float64(b)/(1<<20))
}

// tagList is the --tags flag: key=value pairs, comma-separated, the flag
// repeatable; a later key wins.
type tagList struct{ m map[string]string }

func (t *tagList) String() string {
	if t == nil || len(t.m) == 0 {
		return ""
	}
	var parts []string
	for k, v := range t.m {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}

func (t *tagList) Set(s string) error {
	if t.m == nil {
		t.m = map[string]string{}
	}
	for pair := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("tag %q: want key=value", pair)
		}
		t.m[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	return nil
}
