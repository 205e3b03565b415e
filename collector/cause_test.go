package collector_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hvbalancer/hvbalancer/collector"
	"github.com/hvbalancer/hvbalancer/hyperv"
)

func TestCauseOf(t *testing.T) {
	held := fmt.Errorf("%w: credential svc-x stopped after 3 failed logins: %w", collector.ErrHeld, hyperv.ErrUnauthorized)
	tests := []struct {
		err  error
		want collector.Cause
		text string
	}{
		{nil, "", ""},
		{fmt.Errorf("get host on 10.0.0.13:5985: wsman: %w: http status 401", hyperv.ErrUnauthorized), collector.CauseUnauthorized, "wrong credentials or account locked"},
		{fmt.Errorf("get host: %w", hyperv.ErrUnencryptedRefused), collector.CauseUnencryptedRefused, "the host refuses unencrypted messages: enable message encryption (default) or use HTTPS"},
		{fmt.Errorf("get host: %w: x509: certificate is valid for hv03.lab.example, not 10.0.0.13", hyperv.ErrCertificate), collector.CauseCertificate,
			"TLS certificate not accepted: check the name it carries against the address or tls_server_name, and ca_file"},
		{fmt.Errorf("get host: %w: dial tcp: connection refused", hyperv.ErrUnreachable), collector.CauseUnreachable, "unreachable: no connection to its WinRM port"},
		{fmt.Errorf("get host: %w: no result within 30s: %w", hyperv.ErrTimeout, context.DeadlineExceeded), collector.CauseTimeout, "timeout: no answer within the call timeout"},
		{fmt.Errorf("get vms: no answer within 30s: %w", context.DeadlineExceeded), collector.CauseTimeout, "timeout: no answer within the call timeout"},
		// Kerberos failures come before the 401 they may also carry.
		{fmt.Errorf("login: %w: %w", hyperv.ErrClockSkew, hyperv.ErrUnauthorized), collector.CauseClockSkew,
			"Kerberos clock skew too great: this machine's clock and the domain's differ by more than 5 minutes"},
		{fmt.Errorf("login: %w", hyperv.ErrUnknownPrincipal), collector.CauseUnknownPrincipal,
			"Kerberos principal unknown: the user, or the host's WSMAN/ and HTTP/ service principal names, are missing"},
		{fmt.Errorf("login: %w", hyperv.ErrKDCUnreachable), collector.CauseKDCUnreachable, "no Kerberos KDC reachable: check the realm's kdc entries in krb5.conf"},
		{fmt.Errorf("get host on 10.0.0.13:5985: wsman: %w: the maximum number of concurrent shells for this user has been exceeded", hyperv.ErrShellQuota), collector.CauseShellQuota,
			"WinRM shell quota used up: the account has as many shells open on the host as MaxShellsPerUser allows; shells a stopped client left open close at their idle timeout, or remove them with Remove-WSManInstance"},
		{held, collector.CauseHeld, ""},
		{errors.New("script get-vms exited with code 1"), collector.CauseError, ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.want), func(t *testing.T) {
			got := collector.CauseOf(tc.err)
			if got != tc.want {
				t.Errorf("CauseOf(%v) = %q, want %q", tc.err, got, tc.want)
			}
			if got.Text() != tc.text {
				t.Errorf("%q.Text() = %q, want %q", got, got.Text(), tc.text)
			}
		})
	}
}

func TestAnsweringSummary(t *testing.T) {
	s := &collector.Snapshot{Hosts: []collector.Host{
		{Name: "HV01", Health: collector.HealthOK},
		{Name: "HV02", Health: collector.HealthUnreachable, Cause: collector.CauseUnauthorized, Reason: "get host on 10.0.0.12:5985: wsman: unauthorized: http status 401"},
		{Name: "HV03", Health: collector.HealthStale, Cause: collector.CauseHeld, Reason: "no good sample for 3m0s: not tried: backing off"},
		{Name: "HV04", Health: collector.HealthUnreachable, Reason: "not polled yet"},
	}}
	if ok, total := s.Answering(); ok != 1 || total != 4 {
		t.Errorf("Answering() = %d, %d; want 1, 4", ok, total)
	}
	want := "3 of 4 hosts do not answer: HV02 (wrong credentials or account locked), HV03 (no good sample for 3m0s: not tried: backing off), HV04 (not polled yet)"
	if got := s.AnsweringSummary(); got != want {
		t.Errorf("AnsweringSummary() =\n%s\nwant\n%s", got, want)
	}
	all := &collector.Snapshot{Hosts: []collector.Host{{Name: "HV01", Health: collector.HealthOK}}}
	if got := all.AnsweringSummary(); got != "" {
		t.Errorf("every host answers, summary %q", got)
	}
}
