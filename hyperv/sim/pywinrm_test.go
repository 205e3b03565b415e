package sim_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/hvbalancer/hvbalancer/hyperv"
)

// python is Debian's interpreter, where python3-winrm installs pywinrm.
const python = "/usr/bin/python3"

// pywinrmScript runs one PowerShell script with pywinrm's Session.run_ps,
// which encodes it itself, and exits with the script's exit code.
const pywinrmScript = `
import os, sys, winrm
kw = dict(auth=(os.environ["WINRM_USER"], os.environ["WINRM_PASSWORD"]), transport="ntlm",
          message_encryption=os.environ["WINRM_ENCRYPTION"], operation_timeout_sec=5, read_timeout_sec=10)
if os.environ.get("WINRM_CA"):
    kw["ca_trust_path"] = os.environ["WINRM_CA"]
r = winrm.Session(os.environ["WINRM_URL"], **kw).run_ps(os.environ["WINRM_SCRIPT"])
sys.stdout.write(r.std_out.decode())
sys.stderr.write(r.std_err.decode())
sys.exit(r.status_code)
`

// legacyOpenSSL turns on OpenSSL 3's legacy provider, whose MD4 the
// ntlm-auth library under pywinrm 0.3.0 needs for NTOWFv1/v2: without it
// hashlib.new("md4") fails before any NTLM message is sent.
const legacyOpenSSL = `openssl_conf = openssl_init
[openssl_init]
providers = provider_sect
[provider_sect]
default = default_sect
legacy = legacy_sect
[default_sect]
activate = 1
[legacy_sect]
activate = 1
`

// TestPywinrm drives the simulated fleet with an independent WinRM client:
// pywinrm with NTLM, sealing its messages over HTTP, and over HTTPS binding
// its login to the TLS channel.
func TestPywinrm(t *testing.T) {
	if out, err := exec.Command(python, "-c", "import winrm").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import winrm (install Debian's python3-winrm): %v: %s", python, err, bytes.TrimSpace(out))
	}
	opensslConf := filepath.Join(t.TempDir(), "openssl.cnf")
	if err := os.WriteFile(opensslConf, []byte(legacyOpenSSL), 0o600); err != nil {
		t.Fatal(err)
	}
	md4 := exec.Command(python, "-c", `import hashlib; hashlib.new("md4")`)
	md4.Env = append(os.Environ(), "OPENSSL_CONF="+opensslConf)
	if out, err := md4.CombinedOutput(); err != nil {
		t.Skipf("%s has no MD4, which pywinrm 0.3.0's NTLM needs, even with OpenSSL's legacy provider: %v: %s", python, err, bytes.TrimSpace(out))
	}
	srv := startWinRMFleet(t, nil)
	line, err := hyperv.EncodeCommand(hyperv.ScriptGetHost, nil)
	if err != nil {
		t.Fatal(err)
	}
	script := decodeCommand(t, line)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, host, password, encryption string
		want                             string // in stdout, or in stderr when the run fails
		fails                            bool
	}{
		{name: "http sealed", host: "HV01", password: "s3cret-Pa55", encryption: "always", want: `"Name":"HV01"`},
		{name: "https with channel bindings", host: "HV02", password: "s3cret-Pa55", encryption: "auto", want: `"Name":"HV02"`},
		// pywinrm sends the message along with its AUTHENTICATE: refused
		// with 401, as Windows refuses it (see wsman's openBody).
		{name: "unsealed over http", host: "HV01", password: "s3cret-Pa55", encryption: "never", want: "credentials were rejected", fails: true},
		{name: "wrong password", host: "HV01", password: "wrong", encryption: "always", want: "credentials were rejected", fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep, _ := srv.Endpoint(tc.host)
			cmd := exec.Command(python, "-c", pywinrmScript)
			cmd.Env = append(os.Environ(), "OPENSSL_CONF="+opensslConf, "WINRM_URL="+ep.URL, `WINRM_USER=LAB\hvadmin`, "WINRM_PASSWORD="+tc.password,
				"WINRM_ENCRYPTION="+tc.encryption, "WINRM_SCRIPT="+script)
			if ep.HTTPS {
				cmd.Env = append(cmd.Env, "WINRM_CA="+ca)
			}
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if failed := err != nil; failed != tc.fails {
				t.Fatalf("pywinrm failed=%v (%v), want %v\nstdout: %s\nstderr: %s", failed, err, tc.fails, stdout.Bytes(), stderr.Bytes())
			}
			out := stdout.String()
			if tc.fails {
				out = stderr.String()
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("output lacks %q\nstdout: %s\nstderr: %s", tc.want, stdout.Bytes(), stderr.Bytes())
			}
		})
	}
	if a := srv.Accounts(); len(a) != 1 || a[0].FailedLogons != 1 {
		t.Errorf("accounts %+v, want the one wrong password counted", a)
	}
}

// decodeCommand returns the script of a powershell.exe -EncodedCommand line.
func decodeCommand(t *testing.T, line string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(line[strings.LastIndexByte(line, ' ')+1:])
	if err != nil {
		t.Fatal(err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = uint16(raw[2*i]) | uint16(raw[2*i+1])<<8
	}
	return string(utf16.Decode(u))
}
