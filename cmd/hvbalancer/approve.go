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
	"strings"
	"time"
)

// approveCommand asks the running daemon to execute a plan it holds.
func approveCommand(ctx context.Context, args []string, e *env) error {
	fs := flags(e, "approve", "approve --config FILE [--by NAME] PLAN_ID")
	path := fs.String("config", "", "configuration `file` (for the daemon's address and token file)")
	by := fs.String("by", userName(), "who approves, for the record (default: the user running the command)")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: approve takes one plan id", errUsage)
	}
	c, err := loadConfig(*path, e)
	if err != nil {
		return err
	}
	if c.HTTP.TokenFile == "" {
		return fmt.Errorf("approve: http.token_file is not set: the daemon accepts no approval without a token")
	}
	token, err := os.ReadFile(c.HTTP.TokenFile)
	if err != nil {
		return fmt.Errorf("approve: read token: %w", err)
	}
	body, _ := json.Marshal(map[string]string{"by": *by})
	base, client, err := c.HTTP.Client(30 * time.Second)
	if err != nil {
		return fmt.Errorf("approve: %w", err)
	}
	u := base + "/api/v1/plans/" + url.PathEscape(fs.Arg(0)) + "/approve"
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("approve %s: %w", fs.Arg(0), err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		var apiErr struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(msg, &apiErr) == nil && apiErr.Error != "" {
			return fmt.Errorf("approve %s: %s", fs.Arg(0), apiErr.Error)
		}
		return fmt.Errorf("approve %s: %s", fs.Arg(0), resp.Status)
	}
	fmt.Fprintf(e.stdout, "plan %s approved; its moves are queued\n", fs.Arg(0))
	return nil
}

// userName is who runs the command: USER on Linux and macOS, USERNAME on
// Windows; empty when neither is set (the daemon then records "api").
func userName() string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return os.Getenv("USERNAME")
}
