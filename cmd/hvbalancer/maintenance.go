package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/config"
	"github.com/hvbalancer/hvbalancer/cmd/hvbalancer/internal/web"
)

const maintenanceSynopsis = "maintenance enter|exit --config FILE [--by NAME] [--reason TEXT] HOST\n       hvbalancer maintenance list --config FILE"

// maintenanceCommand puts a host in maintenance, takes it out, or lists
// the hosts in maintenance, through the running daemon's API: a host in
// maintenance takes no VM, and the daemon moves its running VMs off at
// once.
func maintenanceCommand(ctx context.Context, args []string, e *env) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			fmt.Fprintf(e.stderr, "usage: hvbalancer %s\n", maintenanceSynopsis)
			return nil
		}
		return fmt.Errorf("%w: maintenance takes enter, exit or list first", errUsage)
	}
	action := args[0]
	if action != "enter" && action != "exit" && action != "list" {
		return fmt.Errorf("%w: maintenance %q: want enter, exit or list", errUsage, action)
	}
	fs := flags(e, "maintenance "+action, maintenanceSynopsis)
	path := fs.String("config", "", "configuration `file` (for the daemon's address and token file)")
	by := fs.String("by", userName(), "who does it, for the record (default: the user running the command)")
	reason := fs.String("reason", "", "why, for the record and the status page")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	want := 1
	if action == "list" {
		want = 0
	}
	if fs.NArg() != want {
		return fmt.Errorf("%w: maintenance %s takes %d host name(s), have %d", errUsage, action, want, fs.NArg())
	}
	c, err := loadConfig(*path, e)
	if err != nil {
		return err
	}
	if action == "list" {
		return listMaintenance(ctx, c, e)
	}
	host := fs.Arg(0)
	method := http.MethodPost
	if action == "exit" {
		method = http.MethodDelete
	}
	body, _ := json.Marshal(map[string]string{"by": *by, "reason": *reason})
	var out web.MaintenanceChange
	if err := callDaemon(ctx, c, method, "/api/v1/hosts/"+url.PathEscape(host)+"/maintenance", body, &out); err != nil {
		return fmt.Errorf("maintenance %s %s: %w", action, host, err)
	}
	switch {
	case action == "enter" && out.Changed:
		fmt.Fprintf(e.stdout, "%s is in maintenance: it takes no VM, and its running VMs are being moved off\n", out.Host)
	case action == "enter":
		fmt.Fprintf(e.stdout, "%s was in maintenance already\n", out.Host)
	case out.Changed:
		fmt.Fprintf(e.stdout, "%s is out of maintenance: it may take VMs again\n", out.Host)
	default:
		fmt.Fprintf(e.stdout, "%s was not in maintenance through the API\n", out.Host)
	}
	return nil
}

// listMaintenance prints the hosts in maintenance, each with why.
func listMaintenance(ctx context.Context, c *config.Config, e *env) error {
	var hosts web.Hosts
	if err := callDaemon(ctx, c, http.MethodGet, "/api/v1/hosts", nil, &hosts); err != nil {
		return fmt.Errorf("maintenance list: %w", err)
	}
	var lines []string
	for _, h := range hosts.Hosts {
		if !h.Maintenance {
			continue
		}
		var why []string
		for _, s := range h.MaintenanceSources {
			switch s.Source {
			case web.MaintenanceAPI:
				w := fmt.Sprintf("api: by %s since %s", s.By, s.Since.UTC().Format(time.RFC3339))
				if s.Reason != "" {
					w += ": " + s.Reason
				}
				why = append(why, w)
			default:
				why = append(why, string(s.Source))
			}
		}
		lines = append(lines, fmt.Sprintf("%s\t%d VMs\t%s", h.Name, h.VMs, strings.Join(why, "; ")))
	}
	if len(lines) == 0 {
		fmt.Fprintln(e.stdout, "no host is in maintenance")
		return nil
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	return nil
}

// callDaemon sends one request to the daemon's API, with the bearer token
// for a mutation, and decodes its JSON answer into out; an error answer
// becomes an error carrying the daemon's message.
func callDaemon(ctx context.Context, c *config.Config, method, path string, body []byte, out any) error {
	var token string
	if method != http.MethodGet {
		if c.HTTP.TokenFile == "" {
			return fmt.Errorf("http.token_file is not set: the daemon accepts no change without a token")
		}
		b, err := os.ReadFile(c.HTTP.TokenFile)
		if err != nil {
			return fmt.Errorf("read token: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	base, client, err := c.HTTP.Client(30 * time.Second)
	if err != nil {
		return err
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var apiErr struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(msg, &apiErr) == nil && apiErr.Error != "" {
			return fmt.Errorf("%s", apiErr.Error)
		}
		return fmt.Errorf("%s", resp.Status)
	}
	if err := json.Unmarshal(msg, out); err != nil {
		return fmt.Errorf("read the daemon's answer: %w", err)
	}
	return nil
}
