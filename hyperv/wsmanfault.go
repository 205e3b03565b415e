package hyperv

import (
	"regexp"
	"strconv"
	"strings"
)

// WSManFault codes (wsmerror.h) the client tells apart.
const (
	faultQuotaMaxShells      = 2150859173 // ERROR_WSMAN_QUOTA_MAX_SHELLS
	faultUnexpectedSelectors = 2150858843 // ERROR_WSMAN_UNEXPECTED_SELECTORS: an unknown shell or command
)

// faultCodeRE finds the Code of an f:WSManFault in a fault envelope, in
// either quoting.
var faultCodeRE = regexp.MustCompile(`WSManFault\b[^>]*?\sCode=["']([0-9]+)["']`)

// httpFaultRE matches the transport's text for a SOAP fault answer.
var httpFaultRE = regexp.MustCompile(`(?:^|: )http error [45]\d\d: `)

// faultCode returns the WSManFault code in an error text carrying a fault
// envelope, 0 when there is none.
func faultCode(text string) uint32 {
	m := faultCodeRE.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	n, err := strconv.ParseUint(m[1], 10, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// isShellQuota reports whether an error text is the host refusing a shell
// over the user's quota: by the fault's code, or by Windows' words when a
// proxy or an older host left the code out.
func isShellQuota(text string) bool {
	if faultCode(text) == faultQuotaMaxShells {
		return true
	}
	lower := strings.ToLower(text)
	return strings.Contains(lower, "concurrent shells") && strings.Contains(lower, "exceeded")
}

// isShellGone reports whether an error text is the host saying the shell
// it was asked about does not exist (deleted, timed out idle, or the
// service restarted).
func isShellGone(text string) bool {
	return faultCode(text) == faultUnexpectedSelectors && strings.Contains(strings.ToLower(text), "shell was not found")
}

// quotaAdvice tells an administrator what to do about ErrShellQuota.
const quotaAdvice = "every shell the account may have (WinRS MaxShellsPerUser, 30 by default) is open on the host. " +
	"Shells left by clients that stopped without closing them stay until their idle timeout (winrs IdleTimeout, 2 h by default); " +
	"hvbalancer closes those it left itself when it next reaches the host. To free them now, on the host list them with " +
	"Get-WSManInstance -ResourceURI shell -Enumerate and close one with Remove-WSManInstance -ResourceURI shell -SelectorSet @{ShellId='<id>'} " +
	"(restarting the WinRM service closes all), or raise the quota with winrm set winrm/config/winrs @{MaxShellsPerUser=\"50\"}"
